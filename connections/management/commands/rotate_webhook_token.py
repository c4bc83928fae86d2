"""Issue a new FlowLink webhook token: `manage.py rotate_webhook_token acme`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import Connection


class Command(BaseCommand):
    help = "Rotate a connection's FlowLink webhook token and print the new one once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id", help="The FlowLink X-Hub-Store value")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
        if connection is None:
            raise CommandError(f"no connection {options['connection_id']!r}")
        token = connection.rotate_webhook_token()
        # Only the hash is kept: this is the one time the token can be read.
        self.stderr.write(
            f"New X-Hub-Token for {connection.connection_id} (the old one no longer works):"
        )
        self.stdout.write(token)
