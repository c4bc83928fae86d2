"""A Connection is one QuickBooks company file and the FlowLink store that feeds it."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, models
from django.utils import timezone

from connections import passwords
from connections.encryption import DecryptionError
from connections.fields import EncryptedTextField


def new_guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def default_owner_id() -> str:
    return settings.QBWC_OWNER_ID


def split_emails(text: str) -> list[str]:
    parts = text.replace("\n", ",").replace(";", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def validate_email_list(text: str) -> None:
    """Name the first bad address, so an operator knows which one to fix."""
    for address in split_emails(text):
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(f"{address!r} is not an e-mail address") from exc


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ConnectionQuerySet(models.QuerySet["Connection"]):
    def get_with_flow_config(self, connection_id: str, flow: str) -> Connection | None:
        """The connection named `connection_id` with its stored configuration of `flow`,
        read with one statement (None when no connection has that id).

        A webhook needs both, one after the other, on every request. Written out rather
        than built by the ORM: compiling the equivalent annotated query cost more CPU than
        PostgreSQL spent answering it (docs/benchmarks.md). Nothing is cached: every
        request reads the token hash and the configuration as they are now.
        """
        sql, fields, config_fields = _connection_with_flow_config_sql()
        db = connections[self.db]
        with db.cursor() as cursor:
            cursor.execute(sql, [flow, connection_id])
            row = cursor.fetchone()
        if row is None:
            return None
        connection = model_from_row(Connection, fields, row[: len(fields)], self.db)
        config_row = row[len(fields) :]
        config = (
            None
            if config_row[0] is None
            else model_from_row(FlowConfig, config_fields, config_row, self.db)
        )
        if config is not None:
            config.connection = connection
        connection.flow_configs_read = {flow: config}
        return connection


_M = TypeVar("_M", bound=models.Model)


@functools.cache
def _connection_with_flow_config_sql() -> tuple[str, list[models.Field[Any, Any]], list[Any]]:
    fields = list(Connection._meta.concrete_fields)
    config_fields = [
        field for field in FlowConfig._meta.concrete_fields if field.attname != "connection_id"
    ]
    columns = [f'c."{field.column}"' for field in fields]
    columns += [f'f."{field.column}"' for field in config_fields]
    sql = (
        f'SELECT {", ".join(columns)} FROM "{Connection._meta.db_table}" c '
        f'LEFT JOIN "{FlowConfig._meta.db_table}" f ON f."connection_id" = c."id" '
        'AND f."flow" = %s WHERE c."connection_id" = %s'
    )
    return sql, fields, config_fields


def model_from_row(model: type[_M], fields: list[Any], values: Sequence[Any], using: str) -> _M:
    """A model instance from raw column values, converted as the ORM's own reads do."""
    db = connections[using]
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.cached_col
        for converter in [*db.ops.get_db_converters(column), *column.get_db_converters(db)]:
            value = converter(value, column, db)
        converted.append(value)
    return model.from_db(using, [field.attname for field in fields], converted)


class Connection(models.Model):
    class Backend(models.TextChoices):
        DESKTOP = "desktop", "QuickBooks Desktop (Web Connector)"
        QBO = "qbo", "QuickBooks Online"

    # The FlowLink X-Hub-Store value (or parameters.connection_id).
    connection_id = models.CharField(max_length=100, unique=True)
    # Which QuickBooks the connection writes to; everything but the transport is shared
    # (docs/architecture.md). A QBO connection's OAuth state is its qbo.QboConnection.
    backend = models.CharField(max_length=10, choices=Backend.choices, default=Backend.DESKTOP)
    origin = models.CharField(max_length=50, default="flowlink")
    qbwc_username = models.CharField("Web Connector user name", max_length=100, unique=True)
    # Django password hash; the clear password is typed into the Web Connector only.
    qbwc_password = models.CharField("Web Connector password", max_length=128)
    # SHA-256 of the FlowLink X-Hub-Token; the clear token is shown once.
    webhook_token_hash = models.CharField(max_length=64, blank=True)
    company_file = models.CharField(
        max_length=500, blank=True, help_text="Full path of the .QBW to open; empty = the open file"
    )
    owner_id = models.CharField("OwnerID", max_length=38, default=default_owner_id)
    file_id = models.CharField("FileID", max_length=38, default=new_guid)
    run_every_minutes = models.PositiveIntegerField(default=5)
    health_threshold_minutes = models.PositiveIntegerField(default=5)
    is_active = models.BooleanField(default=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    # Whether a field mapping of this connection has a version (kept by
    # objects.models.mappings): intake reads mappings only when it does, so the
    # connections without any pay no statement for them on each webhook.
    uses_field_mappings = models.BooleanField(default=False, editable=False)

    # Where the health monitor sends alerts (connections.alerts). The secret signs
    # the webhook, so it is kept usable (not hashed): encrypted at rest, never logged
    # or shown in full.
    alert_emails = models.TextField(
        blank=True,
        validators=[validate_email_list],
        help_text="E-mail addresses for alerts, separated by commas or new lines",
    )
    alert_url = models.URLField("alert webhook URL", max_length=500, blank=True)
    alert_secret = EncryptedTextField("alert webhook secret", blank=True)

    # What the Web Connector last reported (HCP response, sendRequestXML parameters).
    company_name = models.CharField(max_length=200, blank=True)
    product_name = models.CharField(max_length=200, blank=True)
    qbxml_versions = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=4, blank=True)
    reported_company_file = models.CharField(max_length=500, blank=True)
    last_error_hresult = models.CharField(max_length=20, blank=True)
    last_error_message = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)

    objects = ConnectionQuerySet.as_manager()
    # Flow configurations read along with the row (ConnectionQuerySet.get_with_flow_config).
    flow_configs_read: dict[str, FlowConfig | None]

    class Meta:
        ordering = ["connection_id"]

    def __str__(self) -> str:
        return self.connection_id

    # -- credentials ----------------------------------------------------------
    def set_qbwc_password(self, raw: str) -> None:
        """A password a person chose: the default, slow hasher (PBKDF2)."""
        self.qbwc_password = make_password(raw)

    def close_web_connector_login(self) -> None:
        """A QuickBooks Online connection has no Web Connector: an unusable password and,
        as the column is unique and required, a user name derived from the id."""
        self.qbwc_password = make_password(None)
        if self.qbwc_username:
            return
        username = f"qbo-{self.connection_id}"[:100]
        if Connection.objects.filter(qbwc_username=username).exclude(pk=self.pk).exists():
            username = f"{username[:91]}-{secrets.token_hex(4)}"
        self.qbwc_username = username

    def generate_qbwc_password(self) -> str:
        """Set a new random password (256 bits) behind a fast hash; return it to show once.

        Nothing to guess, so nothing to stretch: authenticate checks it in microseconds
        where a typed password costs a PBKDF2 (connections.passwords, docs/security.md).
        """
        raw = passwords.generate()
        self.qbwc_password = make_password(raw, hasher=passwords.GeneratedPasswordHasher.algorithm)
        return raw

    def check_qbwc_password(self, raw: str) -> bool:
        return passwords.check(raw, self.qbwc_password)

    def set_webhook_token(self, raw: str) -> None:
        self.webhook_token_hash = hash_token(raw)

    def rotate_webhook_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.set_webhook_token(token)
        self.save(update_fields=["webhook_token_hash"])
        return token

    def check_webhook_token(self, raw: str | None) -> bool:
        if not self.webhook_token_hash or not raw:
            return False
        return hmac.compare_digest(hash_token(raw), self.webhook_token_hash)

    def read_flow_config(self, flow: str) -> FlowConfig | None | bool:
        """The configuration of `flow` as read with this row (get_with_flow_config): the
        row, None when there was none, False when it was not read along."""
        read = getattr(self, "flow_configs_read", {})
        return read[flow] if flow in read else False

    # -- pause / resume ---------------------------------------------------------
    def pause(self) -> bool:
        """Stop exchanging data; the Web Connector hears "nothing to do" until resumed."""
        won = Connection.objects.filter(pk=self.pk, is_active=True).update(is_active=False)
        self.is_active = False
        return won == 1

    def resume(self) -> bool:
        won = Connection.objects.filter(pk=self.pk, is_active=False).update(is_active=True)
        self.is_active = True
        return won == 1

    # -- alerts -----------------------------------------------------------------
    @property
    def alert_email_list(self) -> list[str]:
        return split_emails(self.alert_emails)

    @property
    def masked_alert_secret(self) -> str:
        """Enough to recognise the secret, never enough to use it."""
        try:
            secret = self.alert_secret
        except DecryptionError:
            # Shown, not raised: the operator can still see the problem and set a new one.
            return "set, but no key in FIELD_ENCRYPTION_KEYS decrypts it (docs/security.md)"
        if not secret:
            return ""
        return f"set, ending …{secret[-4:]}" if len(secret) >= 16 else "set"

    @property
    def has_alert_secret(self) -> bool:
        """Whether a secret is set, even one that cannot be decrypted."""
        return bool(self.masked_alert_secret)

    # -- health -----------------------------------------------------------------
    def touch(self, now: datetime | None = None) -> None:
        """Record contact from the Web Connector (every authenticated call)."""
        now = now or timezone.now()
        Connection.objects.filter(pk=self.pk).update(last_contact_at=now)
        self.last_contact_at = now

    def minutes_since_contact(self, now: datetime | None = None) -> float | None:
        if self.last_contact_at is None:
            return None
        return ((now or timezone.now()) - self.last_contact_at).total_seconds() / 60.0

    def is_healthy(
        self, threshold_minutes: float | None = None, now: datetime | None = None
    ) -> bool:
        """flowlink §11: failing when minutes since contact > threshold; never-contacted passes."""
        if self.backend == self.Backend.QBO:
            qbo = getattr(self, "qbo", None)
            if qbo is not None and qbo.status == "needs_reconnect":
                return False  # nothing reaches QuickBooks until a person reconnects
        minutes = self.minutes_since_contact(now)
        if minutes is None:
            return True
        threshold = (
            self.health_threshold_minutes if threshold_minutes is None else threshold_minutes
        )
        return not (threshold < minutes)

    def needs_attention(self, now: datetime | None = None) -> bool:
        """Healthy, but a person must act before long: an open incident stays open.

        A QuickBooks Online grant nearing Intuit's 5-year hard expiry works until that day
        (get_health_check passes) yet was alerted on (qbo.tokens.warn_hard_expiry); the
        incident resolves once a reconnect brings a new grant.
        """
        if self.backend != self.Backend.QBO:
            return False
        qbo = getattr(self, "qbo", None)
        expires = qbo.refresh_hard_expires_at if qbo is not None else None
        if expires is None:
            return False
        warning = timedelta(days=settings.QBO_HARD_EXPIRY_WARNING_DAYS)
        return bool(expires - (now or timezone.now()) <= warning)

    def unhealthy_reason(self, now: datetime | None = None) -> str:
        """Why the connection fails its health check, for incidents and get_health_check."""
        minutes = self.minutes_since_contact(now) or 0
        if self.backend == self.Backend.QBO:
            qbo = getattr(self, "qbo", None)
            if qbo is not None and qbo.status == "needs_reconnect":
                return (
                    f"QuickBooks Online refused the connection of {self.connection_id}: "
                    f"{qbo.last_error or 'the authorization ended'}. Reconnect it from the admin."
                )
            return (
                f"qbsync has not reached QuickBooks Online for {self.connection_id} for "
                f"{minutes:.0f} minutes (threshold {self.health_threshold_minutes})."
            )
        return (
            f"The Web Connector of {self.connection_id} has not called for "
            f"{minutes:.0f} minutes (threshold {self.health_threshold_minutes})."
        )

    def health_state(self, now: datetime | None = None) -> str:
        """One word for dashboards: paused, waiting (never called), healthy or unhealthy."""
        if not self.is_active:
            return "paused"
        if self.last_contact_at is None:
            return "waiting"
        return "healthy" if self.is_healthy(now=now) else "unhealthy"

    def record_connection_error(self, hresult: str, message: str) -> None:
        Connection.objects.filter(pk=self.pk).update(
            last_error_hresult=hresult[:20],
            last_error_message=message,
            last_error_at=timezone.now(),
        )

    def record_host(self, **fields: Any) -> None:
        """Store what the HCP response and sendRequestXML told us about the company."""
        allowed = {
            "company_name",
            "product_name",
            "qbxml_versions",
            "country",
            "reported_company_file",
        }
        changes = {k: v for k, v in fields.items() if k in allowed and v is not None}
        if changes:
            Connection.objects.filter(pk=self.pk).update(**changes)
            for key, value in changes.items():
                setattr(self, key, value)

    # -- .qwc -------------------------------------------------------------------
    @property
    def app_url(self) -> str:
        return f"{settings.SITE_ROOT}/qbwc/"

    @property
    def qwc_filename(self) -> str:
        return f"qbsync-{self.connection_id}.qwc"


class FlowConfigQuerySet(models.QuerySet["FlowConfig"]):
    def store(
        self, connection: Connection, flow: str, parameters: dict[str, Any], force: bool = True
    ) -> FlowConfig:
        """Keep the parameters of the last request on a route (flowlink §7.1), versioned.

        Unchanged parameters (the common case: a flow sends the same ones every time) cost
        no statement when the row was read along with the connection."""
        read = connection.read_flow_config(flow)
        if isinstance(read, FlowConfig):
            config, created = read, False
        else:
            config, created = self.get_or_create(
                connection=connection, flow=flow, defaults={"parameters": parameters}
            )
        if not created and force and config.parameters != parameters:
            self.filter(pk=config.pk).update(
                parameters=parameters, version=models.F("version") + 1, updated_at=timezone.now()
            )
            config.refresh_from_db()
        return config


class FlowConfig(models.Model):
    """The flow parameters FlowLink last sent on one webhook route of a connection."""

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="flow_configs")
    flow = models.CharField(max_length=60)
    parameters = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = FlowConfigQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "flow"], name="flowconfig_unique_flow")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}/{self.flow} v{self.version}"


from connections.alert_models import *  # noqa: E402, F403  (incidents and their alerts)
from connections.api_keys import ApiKey as ApiKey  # noqa: E402  (the operations API keys)
