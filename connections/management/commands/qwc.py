"""Print the .qwc file of a connection: `manage.py qwc ID > acme.qwc`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import Connection
from connections.qwc import render_qwc


class Command(BaseCommand):
    help = "Print the Web Connector .qwc file of a connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id")
        parser.add_argument("--site-root", help="Public base URL (default: SITE_ROOT)")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
        if connection is None:
            raise CommandError(f"no connection {options['connection_id']!r}")
        self.stdout.write(render_qwc(connection, options["site_root"]), ending="")
