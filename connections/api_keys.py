"""API keys of the operations API (docs/api.md): one or more per connection, hashed at rest.

A key reads `qbs_<public id>_<secret>`: the public id (12 hex characters) finds the row
with one indexed look-up and may appear in logs and the admin; the secret is 256 random
bits, stored only as a salted SHA-256 (`connections.passwords.fast_digest`, the
reasoning of docs/security.md for generated Web Connector passwords: a fast hash is
safe for a secret nobody can guess) and compared in constant time. Rotation is a new
key and the old one revoked; a revoked key is refused at once and never comes back.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from connections.passwords import fast_digest

KEY_PREFIX = "qbs_"
_PUBLIC_ID_BYTES = 6
_SECRET_BYTES = 32
# last_used_at is written at most this often per key: a busy client must not turn every
# read into a write.
USED_AT_RESOLUTION = timedelta(minutes=1)


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A bearer key for /api/v1/connections/<connection_id>/ of one connection."""

    class Scope(models.TextChoices):
        READ = "read", "read-only"
        WRITE = "write", "read-write"

    connection = models.ForeignKey(
        "connections.Connection", models.CASCADE, related_name="api_keys"
    )
    public_id = models.CharField(max_length=20, unique=True, editable=False)
    salt = models.CharField(max_length=32, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{KEY_PREFIX}{self.public_id}_… ({self.scope})"

    @classmethod
    def issue(cls, connection: object, scope: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key of `connection`; the raw key is returned once and stored nowhere."""
        if scope not in cls.Scope.values:
            raise ValueError(f"scope must be one of {', '.join(cls.Scope.values)}")
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        salt = secrets.token_hex(16)
        key = cls.objects.create(
            connection=connection,
            public_id=secrets.token_hex(_PUBLIC_ID_BYTES),
            salt=salt,
            secret_hash=fast_digest(secret, salt),
            scope=scope,
            label=label,
        )
        return key, f"{KEY_PREFIX}{key.public_id}_{secret}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def matches(self, secret: str) -> bool:
        return constant_time_compare(self.secret_hash, fast_digest(secret, self.salt))

    def revoke(self, now: datetime | None = None) -> bool:
        """Refuse this key from now on; reports whether it was usable until now."""
        now = now or timezone.now()
        won = ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        if won:
            self.revoked_at = now
        return won == 1

    def mark_used(self, now: datetime) -> None:
        if self.last_used_at is None or now - self.last_used_at >= USED_AT_RESOLUTION:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


def split_key(raw: str) -> tuple[str, str] | None:
    """(public id, secret) of a key's text, or None when it cannot be one."""
    if not raw.startswith(KEY_PREFIX):
        return None
    public_id, sep, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not sep or len(public_id) != 2 * _PUBLIC_ID_BYTES or not secret or len(secret) > 100:
        return None
    return public_id, secret


def find_key(raw: str) -> ApiKey | None:
    """The usable key `raw` is, with its connection, or None (unknown, wrong or revoked)."""
    parts = split_key(raw)
    if parts is None:
        return None
    public_id, secret = parts
    key = ApiKey.objects.usable().select_related("connection").filter(public_id=public_id).first()
    if key is None:
        fast_digest(secret, "x")  # the same work as a right public id with a wrong secret
        return None
    return key if key.matches(secret) else None
