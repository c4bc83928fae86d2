"""What qbsync keeps about a QuickBooks Online company: its OAuth grant, the calls made.

A Connection with `backend = "qbo"` has one QboConnection: the realm, the environment,
the OAuth client and the token pair. Tokens and the client secret are encrypted at rest
(connections.fields.EncryptedTextField; docs/security.md). The token pair is refreshed
under a row lock on this row (qbo.tokens), so two workers never spend one refresh token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from connections.encryption import DecryptionError
from connections.fields import EncryptedTextField
from connections.models import Connection

if TYPE_CHECKING:
    from qbo.oauth import TokenSet


class QboConnection(models.Model):
    class Environment(models.TextChoices):
        PRODUCTION = "production", "Production"
        SANDBOX = "sandbox", "Sandbox"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"
        PAUSED = "paused", "Paused"

    connection = models.OneToOneField(Connection, models.CASCADE, related_name="qbo")
    # Arrives only with the OAuth redirect (or from an import); empty until connected.
    realm_id = models.CharField("realm id", max_length=32, blank=True)
    environment = models.CharField(
        max_length=10, choices=Environment.choices, default=Environment.PRODUCTION
    )
    # Empty: settings.QBO_CLIENT_ID / QBO_CLIENT_SECRET.
    client_id = models.CharField("OAuth client id", max_length=200, blank=True)
    client_secret = EncryptedTextField("OAuth client secret", blank=True)

    access_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True)
    # Rolling (100 days unused) and absolute (5 years) expiries of the refresh token.
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_hard_expires_at = models.DateTimeField(null=True, blank=True)
    hard_expiry_warned_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Intuit support asks for the intuit_tid of a failed call.
    last_intuit_tid = models.CharField("intuit_tid of the last failure", max_length=100, blank=True)
    # Page size of queries (seed 001's "max results").
    max_results = models.PositiveIntegerField(default=100)

    # One push pass at a time per connection across workers (qbo.push): a lease, taken
    # and renewed by conditional updates, so a killed worker's pass is taken over.
    pass_owner = models.CharField(max_length=64, blank=True)
    pass_until = models.DateTimeField(null=True, blank=True)
    # New work arrived (intake) or a push was asked for while a pass may be running: the
    # running pass loops once more instead of a second pass starting (qbo.push).
    push_requested = models.BooleanField(default=False)
    # A 429 stops a pass; the next one waits until then.
    throttled_until = models.DateTimeField(null=True, blank=True)
    last_pass_at = models.DateTimeField(null=True, blank=True)

    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "QuickBooks Online company"
        verbose_name_plural = "QuickBooks Online companies"

    def __str__(self) -> str:
        return f"{self.connection} (realm {self.realm_id or 'not connected'})"

    # -- credentials ----------------------------------------------------------
    @property
    def effective_client_id(self) -> str:
        return self.client_id or settings.QBO_CLIENT_ID

    @property
    def effective_client_secret(self) -> str:
        return self.client_secret or settings.QBO_CLIENT_SECRET

    @property
    def is_connected(self) -> bool:
        """A realm and a refresh token to use: calls can be made."""
        try:
            return bool(self.realm_id and self.refresh_token)
        except DecryptionError:
            return False

    def access_token_fresh(self, now: datetime, margin: timedelta) -> bool:
        """The stored access token may be used for `margin` longer."""
        return bool(
            self.access_token
            and self.access_expires_at is not None
            and self.access_expires_at - margin > now
        )

    def store_tokens(self, tokens: TokenSet, now: datetime) -> None:
        """Keep a new token pair (the caller holds this row's lock when refreshing).

        The rotated refresh token is saved before anything uses the new access token:
        the old one dies within a day, and a lost new one bricks the connection.
        """
        self.access_token = tokens.access_token
        self.access_expires_at = tokens.access_expires_at
        self.refresh_token = tokens.refresh_token
        if tokens.refresh_expires_at is not None:
            self.refresh_expires_at = tokens.refresh_expires_at
        if tokens.refresh_hard_expires_at is not None:
            self.refresh_hard_expires_at = tokens.refresh_hard_expires_at
        self.updated_at = now
        self.save(
            update_fields=[
                "access_token",
                "access_expires_at",
                "refresh_token",
                "refresh_expires_at",
                "refresh_hard_expires_at",
                "updated_at",
            ]
        )

    def mark_connected(self, tokens: TokenSet, realm_id: str, now: datetime) -> None:
        """Keep a new grant: an operator connected (or reconnected) the company."""
        self.realm_id = realm_id
        self.status = self.Status.ACTIVE
        self.connected_at = now
        self.last_error = ""
        self.last_error_at = None
        # A new grant has its own hard expiry; warn about that one when its time comes.
        self.hard_expiry_warned_at = None
        self.refresh_expires_at = None
        self.refresh_hard_expires_at = None
        self.save(
            update_fields=[
                "realm_id",
                "status",
                "connected_at",
                "last_error",
                "last_error_at",
                "hard_expiry_warned_at",
            ]
        )
        self.store_tokens(tokens, now)

    def mark_needs_reconnect(self, reason: str, intuit_tid: str, now: datetime) -> bool:
        """Stop calling QuickBooks: the grant died. False if it was not active."""
        fields = {
            "status": self.Status.NEEDS_RECONNECT,
            "last_error": reason[:4000],
            "last_error_at": now,
            "last_intuit_tid": intuit_tid[:100],
            "updated_at": now,
        }
        won = QboConnection.objects.filter(pk=self.pk, status=self.Status.ACTIVE).update(**fields)
        if won:
            for key, value in fields.items():
                setattr(self, key, value)
        return won == 1

    def clear_tokens(self, now: datetime) -> None:
        """Forget the grant's tokens (after revoking it); the realm stays for a reconnect."""
        self.access_token = ""
        self.access_expires_at = None
        self.refresh_token = ""
        self.refresh_expires_at = None
        self.updated_at = now
        self.save(
            update_fields=[
                "access_token",
                "access_expires_at",
                "refresh_token",
                "refresh_expires_at",
                "updated_at",
            ]
        )

    def mark_hard_expiry_warned(self, now: datetime) -> bool:
        """Note the hard-expiry warning once; False if another worker already did."""
        won = QboConnection.objects.filter(pk=self.pk, hard_expiry_warned_at__isnull=True).update(
            hard_expiry_warned_at=now
        )
        if won:
            self.hard_expiry_warned_at = now
        return won == 1

    def record_failure(self, message: str, intuit_tid: str = "") -> None:
        now = timezone.now()
        fields = {"last_error": message[:4000], "last_error_at": now, "updated_at": now}
        if intuit_tid:
            fields["last_intuit_tid"] = intuit_tid[:100]
        QboConnection.objects.filter(pk=self.pk).update(**fields)
        for key, value in fields.items():
            setattr(self, key, value)


class QboCallQuerySet(models.QuerySet["QboCall"]):
    def purge(self, before: datetime) -> int:
        _, counts = self.filter(sent_at__lt=before).delete()
        return counts.get("qbo.QboCall", 0)


class QboCall(models.Model):
    """One call qbsync made to QuickBooks Online for a queued object: what was sent and
    the answer, as the admin shows them (objects.backends.Exchange)."""

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="qbo_calls")
    queued_object = models.ForeignKey(
        "objects.QueuedObject", models.CASCADE, related_name="qbo_calls", null=True, blank=True
    )
    sent_at = models.DateTimeField(default=timezone.now)
    # look-up, create, update, delete, void, read …
    kind = models.CharField(max_length=20)
    method = models.CharField(max_length=8)
    # Path and query below the company URL (no host, never a token).
    path = models.CharField(max_length=2000)
    request_id = models.CharField("requestid", max_length=100, blank=True)
    request_body = models.TextField(blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    # QuickBooks' Fault code ("6240"), empty on success.
    code = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    intuit_tid = models.CharField(max_length=100, blank=True)

    objects = QboCallQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["sent_at"], name="qbocall_sent_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.http_status}"


class AuthorizationQuerySet(models.QuerySet["Authorization"]):
    def purge(self, before: datetime) -> int:
        _, counts = self.filter(created_at__lt=before).delete()
        return counts.get("qbo.Authorization", 0)


class Authorization(models.Model):
    """One "Connect to QuickBooks" in flight: the OAuth `state`, bound to the connection and
    the operator's session, used once."""

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="qbo_authorizations")
    # SHA-256 of the state sent to Intuit; the clear state only travels in the redirect.
    state_hash = models.CharField(max_length=64, unique=True)
    session_key_hash = models.CharField(max_length=64)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = AuthorizationQuerySet.as_manager()

    def __str__(self) -> str:
        return f"authorization of {self.connection} at {self.created_at:%Y-%m-%d %H:%M}"


from qbo.event_models import *  # noqa: E402, F403  (the triggers' models: qbo.events)
from qbo.feed_models import Feed, FeedRecord, FeedState  # noqa: E402, F401
