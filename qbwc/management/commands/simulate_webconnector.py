"""Run one Web Connector update against a running qbsync with the built-in simulator.

    python manage.py simulate_webconnector acme --url http://127.0.0.1:8000/qbwc/ --password …

The simulated QuickBooks company is kept in a file between runs (--state), so a
person can post webhooks, run an update, and watch records appear and change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import Connection
from qbwc.simulator.quickbooks import FakeQuickBooks
from qbwc.simulator.webconnector import FakeWebConnector, ProtocolViolation


class Command(BaseCommand):
    help = "Run one simulated Web Connector update against a qbsync server and print a transcript."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id")
        parser.add_argument("--url", default="http://127.0.0.1:8000/qbwc/")
        parser.add_argument("--password", required=True, help="The Web Connector password")
        parser.add_argument("--username", help="Default: the connection's Web Connector user")
        parser.add_argument("--state", help="Company file of the simulator (default under var/)")
        parser.add_argument("--qbxml-version", default="13.0", choices=["13.0", "16.0"])
        parser.add_argument("--no-validate", action="store_true", help="Skip XSD checks")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if not username:
            connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
            if connection is None:
                raise CommandError(
                    f"no connection {options['connection_id']!r} here; pass --username"
                )
            username = connection.qbwc_username
        state = Path(
            options["state"] or Path(settings.VAR_DIR) / f"simulator-{options['connection_id']}.xml"
        )
        xsd_dir = None if options["no_validate"] else (settings.QBXML_XSD_DIR or None)
        quickbooks = (
            FakeQuickBooks.load(str(state), xsd_dir=xsd_dir)
            if state.exists()
            else FakeQuickBooks(xsd_dir=xsd_dir)
        )
        major, _, minor = options["qbxml_version"].partition(".")
        connector = FakeWebConnector(
            options["url"],
            username,
            options["password"],
            quickbooks,
            qbxml_version=(int(major), int(minor)),
        )
        try:
            result = connector.run()
        except ProtocolViolation as exc:
            if connector.last_run is not None:
                self.stdout.write(connector.last_run.transcript())
            raise CommandError(f"the server broke the Web Connector protocol: {exc}") from exc
        finally:
            state.parent.mkdir(parents=True, exist_ok=True)
            quickbooks.dump(str(state))
        self.stdout.write(result.transcript())
        self.stdout.write(
            f"\n{result.round_trips} round trip(s); progress {result.progress}; "
            f"company kept in {state}"
        )
