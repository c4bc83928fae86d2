"""`manage.py sync_qbo ID`: one complete push pass of a QuickBooks Online connection, in the
foreground, with a summary (the QBO twin of running the Web Connector by hand)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import Connection
from qbo import push
from qbo.models import QboConnection


class Command(BaseCommand):
    help = "Push everything due for a QuickBooks Online connection now and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id", help="The connection's FlowLink X-Hub-Store value")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
        if connection is None:
            raise CommandError(f"no connection {options['connection_id']!r}")
        if connection.backend != Connection.Backend.QBO:
            raise CommandError(
                f"{connection.connection_id} is a QuickBooks Desktop connection: "
                "the Web Connector syncs it"
            )
        summary = push.run_pass(connection)
        self.stdout.write(summary.as_line())
        qbo = QboConnection.objects.get(connection=connection)
        if qbo.status == QboConnection.Status.NEEDS_RECONNECT:
            raise CommandError(
                f"{connection.connection_id} needs reconnecting to QuickBooks Online "
                f"({qbo.last_error or 'the authorization ended'}): use "
                '"Connect to QuickBooks" in the admin or create_connection '
                "--qbo-refresh-token. Its objects stay queued."
            )
        if summary.skipped and summary.skipped != "a pass is already running":
            raise CommandError(summary.skipped)
        if summary.stopped:
            raise CommandError(f"the pass stopped early: {summary.stopped}")
