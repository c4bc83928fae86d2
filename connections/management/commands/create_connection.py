"""Create or update a connection: `manage.py create_connection ID --qbwc-username … …`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from connections.models import Connection, validate_email_list


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
        parser.add_argument(
            "--alert-email",
            action="append",
            help="Address for health alerts (repeat for several; '' clears them)",
        )
        parser.add_argument("--alert-url", help="Alert webhook URL ('' removes it)")
        parser.add_argument("--alert-secret", help="Secret that signs alert webhooks (HMAC-SHA256)")
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
        if options["alert_email"] is not None:
            emails = ", ".join(a.strip() for a in options["alert_email"] if a.strip())
            try:
                validate_email_list(emails)
            except ValidationError as exc:
                raise CommandError(f"--alert-email: {exc.messages[0]}") from exc
            connection.alert_emails = emails
        if options["alert_url"] is not None:
            connection.alert_url = options["alert_url"]
        if options["alert_secret"] is not None:
            if options["alert_secret"] and len(options["alert_secret"]) < 16:
                raise CommandError("--alert-secret must be at least 16 characters")
            connection.alert_secret = options["alert_secret"]
        if connection.alert_url:
            try:
                URLValidator(schemes=["http", "https"])(connection.alert_url)
            except ValidationError as exc:
                raise CommandError(f"--alert-url {connection.alert_url!r} is not a URL") from exc
            if not connection.has_alert_secret:
                raise CommandError("--alert-url needs --alert-secret to sign the webhooks")
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
