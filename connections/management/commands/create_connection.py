"""Create or update a connection: `manage.py create_connection ID --qbwc-username … …`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import Connection


class Command(BaseCommand):
    help = "Create or update a connection (one QuickBooks company file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id", help="The FlowLink X-Hub-Store value")
        parser.add_argument("--qbwc-username", help="Web Connector user name (unique)")
        parser.add_argument("--qbwc-password", help="Web Connector password")
        parser.add_argument("--webhook-token", help="FlowLink X-Hub-Token for this connection")
        parser.add_argument("--origin", help="FlowLink origin (informational)")
        parser.add_argument("--company-file", help="Full path of the .QBW file to open")
        parser.add_argument("--run-every-minutes", type=int)
        parser.add_argument("--health-threshold-minutes", type=int)
        parser.add_argument("--inactive", action="store_true", help="Pause the connection")
        parser.add_argument("--active", action="store_true", help="Resume the connection")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
        created = connection is None
        if connection is None:
            missing = [
                f"--{name.replace('_', '-')}"
                for name in ("qbwc_username", "qbwc_password", "webhook_token")
                if not options[name]
            ]
            if missing:
                raise CommandError(f"a new connection needs {', '.join(missing)}")
            connection = Connection(connection_id=options["connection_id"])
        username = options["qbwc_username"]
        if username:
            taken = Connection.objects.filter(qbwc_username=username).exclude(pk=connection.pk)
            if taken.exists():
                raise CommandError(f"Web Connector user name {username!r} is already used")
            connection.qbwc_username = username
        if options["qbwc_password"]:
            connection.set_qbwc_password(options["qbwc_password"])
        if options["webhook_token"]:
            connection.set_webhook_token(options["webhook_token"])
        for field in ("origin", "company_file", "run_every_minutes", "health_threshold_minutes"):
            if options[field] is not None:
                setattr(connection, field, options[field])
        if options["inactive"]:
            connection.is_active = False
        if options["active"]:
            connection.is_active = True
        connection.save()
        verb = "Created" if created else "Updated"
        # Secrets are never echoed back.
        self.stdout.write(
            f"{verb} connection {connection.connection_id} "
            f"(Web Connector user {connection.qbwc_username})."
        )
