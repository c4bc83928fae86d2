"""Create or update a connection: `manage.py create_connection ID --qbwc-username … …`.

`--backend qbo` imports a QuickBooks Online company instead (seed 001's settings: client
id and secret, refresh token, realm id, max results). Its qbo.QboConnection is reached
through the reverse relation `Connection.qbo`: connections does not import qbo.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, validate_email_list

# Intuit's MAXRESULTS ceiling (a query asking for more is Fault 4001).
MAX_RESULTS_LIMIT = 1000
QBO_OPTIONS = (
    "qbo_realm_id",
    "qbo_client_id",
    "qbo_client_secret",
    "qbo_refresh_token",
    "qbo_environment",
    "qbo_max_results",
)


def qbo_model() -> Any:
    """qbo.QboConnection, named by the relation rather than imported."""
    return Connection._meta.get_field("qbo").related_model


def environments() -> list[str]:
    return [str(value) for value, _label in qbo_model()._meta.get_field("environment").choices]


class Command(BaseCommand):
    help = "Create or update a connection (one QuickBooks company file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id", help="The FlowLink X-Hub-Store value")
        parser.add_argument("--qbwc-username", help="Web Connector user name (unique)")
        parser.add_argument("--qbwc-password", help="Web Connector password")
        parser.add_argument(
            "--generate-qbwc-password",
            action="store_true",
            help="Set a generated 256-bit Web Connector password, printed once; checked in"
            " microseconds where a typed one costs a PBKDF2 (docs/security.md)",
        )
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
        parser.add_argument(
            "--backend",
            choices=[str(value) for value in Connection.Backend.values],
            help="desktop (Web Connector, the default for a new connection) or qbo",
        )
        qbo = parser.add_argument_group("QuickBooks Online (--backend qbo)")
        qbo.add_argument("--qbo-realm-id", help="The company's realm id")
        qbo.add_argument("--qbo-client-id", help="OAuth client id (default: QBO_CLIENT_ID)")
        qbo.add_argument("--qbo-client-secret", help="OAuth client secret")
        qbo.add_argument("--qbo-refresh-token", help="A refresh token of the company's grant")
        qbo.add_argument("--qbo-environment", choices=environments())
        qbo.add_argument("--qbo-max-results", type=int, help="Query page size, 1 to 1000")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
        created = connection is None
        backend = options["backend"] or (
            connection.backend if connection is not None else Connection.Backend.DESKTOP
        )
        is_qbo = backend == Connection.Backend.QBO
        self.check_qbo_options(options, is_qbo)
        if connection is None:
            needed = (
                ("webhook_token",)
                if is_qbo
                else ("qbwc_username", "qbwc_password", "webhook_token")
            )
            missing = [
                f"--{name.replace('_', '-')}"
                for name in needed
                if not options[name]
                and not (name == "qbwc_password" and options["generate_qbwc_password"])
            ]
            if missing:
                raise CommandError(f"a new connection needs {', '.join(missing)}")
            connection = Connection(connection_id=options["connection_id"], backend=backend)
        elif backend != connection.backend:
            # Queued objects, their mappings and history belong to the backend they went to.
            if connection.queued_objects.exists():
                raise CommandError(
                    f"connection {connection.connection_id} has queued objects: its backend "
                    f"stays {connection.backend}. Create a new connection for {backend}."
                )
            connection.backend = backend
        username = options["qbwc_username"]
        if username:
            taken = Connection.objects.filter(qbwc_username=username).exclude(pk=connection.pk)
            if taken.exists():
                raise CommandError(f"Web Connector user name {username!r} is already used")
            connection.qbwc_username = username
        generated = ""
        if options["qbwc_password"] and options["generate_qbwc_password"]:
            raise CommandError("give --qbwc-password or --generate-qbwc-password, not both")
        if is_qbo:
            if options["qbwc_password"] or options["generate_qbwc_password"]:
                raise CommandError("a QuickBooks Online connection has no Web Connector password")
            connection.close_web_connector_login()
        elif options["generate_qbwc_password"]:
            generated = connection.generate_qbwc_password()
        elif options["qbwc_password"]:
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
        verb = "Created" if created else "Updated"
        with transaction.atomic():
            connection.save()
            if is_qbo:
                qbo = self.save_qbo(connection, options)
        # Secrets are never echoed back.
        if is_qbo:
            realm = qbo.realm_id or "no realm yet: connect it from the admin"
            self.stdout.write(
                f"{verb} QuickBooks Online connection {connection.connection_id} "
                f"({qbo.environment}, {realm})."
            )
            return
        self.stdout.write(
            f"{verb} connection {connection.connection_id} "
            f"(Web Connector user {connection.qbwc_username})."
        )
        if generated:
            # Shown once, as a webhook token is: only its hash is kept.
            self.stdout.write(f"Web Connector password (shown once): {generated}")

    def check_qbo_options(self, options: dict[str, Any], is_qbo: bool) -> None:
        given = [f"--{name.replace('_', '-')}" for name in QBO_OPTIONS if options[name] is not None]
        if given and not is_qbo:
            raise CommandError(f"{', '.join(given)} need --backend qbo")
        limit = options["qbo_max_results"]
        if limit is not None and not 1 <= limit <= MAX_RESULTS_LIMIT:
            raise CommandError(f"--qbo-max-results must be between 1 and {MAX_RESULTS_LIMIT}")
        realm = options["qbo_realm_id"]
        if realm is not None and (not realm.strip() or len(realm) > 32):
            raise CommandError("--qbo-realm-id must be 1 to 32 characters")

    def save_qbo(self, connection: Connection, options: dict[str, Any]) -> Any:
        qbo = getattr(connection, "qbo", None) or qbo_model()(connection=connection)
        if options["qbo_realm_id"] is not None:
            if qbo.realm_id and qbo.realm_id != options["qbo_realm_id"] and qbo.refresh_token:
                if options["qbo_refresh_token"] is None:
                    # The stored grant is for the old company (qbo-api.md §3.4).
                    raise CommandError(
                        "--qbo-realm-id changes the company: give its --qbo-refresh-token too"
                    )
            qbo.realm_id = options["qbo_realm_id"].strip()
        for name, field in (
            ("qbo_client_id", "client_id"),
            ("qbo_client_secret", "client_secret"),
            ("qbo_environment", "environment"),
            ("qbo_max_results", "max_results"),
        ):
            if options[name] is not None:
                setattr(qbo, field, options[name])
        now = timezone.now()
        if options["qbo_refresh_token"] is not None:
            # An imported refresh token comes without its access token or expiries: the
            # token manager refreshes before the first call and learns them then.
            qbo.refresh_token = options["qbo_refresh_token"]
            qbo.access_token = ""
            qbo.access_expires_at = None
            qbo.refresh_expires_at = None
            qbo.refresh_hard_expires_at = None
            qbo.status = "active"
            qbo.last_error = ""
            qbo.last_error_at = None
            qbo.connected_at = now
        qbo.updated_at = now
        qbo.save()
        return qbo
