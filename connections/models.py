"""A Connection is one QuickBooks company file and the FlowLink store that feeds it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone


def new_guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"


def default_owner_id() -> str:
    return settings.QBWC_OWNER_ID


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Connection(models.Model):
    # The FlowLink X-Hub-Store value (or parameters.connection_id).
    connection_id = models.CharField(max_length=100, unique=True)
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

    class Meta:
        ordering = ["connection_id"]

    def __str__(self) -> str:
        return self.connection_id

    # -- credentials ----------------------------------------------------------
    def set_qbwc_password(self, raw: str) -> None:
        self.qbwc_password = make_password(raw)

    def check_qbwc_password(self, raw: str) -> bool:
        return bool(raw) and check_password(raw, self.qbwc_password)

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
        minutes = self.minutes_since_contact(now)
        if minutes is None:
            return True
        threshold = (
            self.health_threshold_minutes if threshold_minutes is None else threshold_minutes
        )
        return not (threshold < minutes)

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
        """Keep the parameters of the last request on a route (flowlink §7.1), versioned."""
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
