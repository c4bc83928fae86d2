"""Outbound messages retried with backoff in their own row, and how their webhooks are
signed (docs/alerts.md).

Alert deliveries (connections.alert_models.AlertDelivery) and QuickBooks Online event
deliveries (qbo.event_models.EventDelivery) are both a `Delivery`: claimed for one
attempt under a lease, then sent or backed off (1, 2, 4 … minutes) until they give up.
Both sign their webhooks the same way, so one receiver verifies either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar

from django.db import models
from django.utils import timezone

from connections import http

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Qbsync-Signature"
EVENT_HEADER = "X-Qbsync-Event"
DELIVERY_HEADER = "X-Qbsync-Delivery"
# Longer than any single attempt (webhook timeout, SMTP timeout) so that a second
# worker only retries a delivery whose first worker really died.
CLAIM_LEASE = timedelta(minutes=2)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Qbsync-Signature value: t=<unix time>,v1=<hex HMAC-SHA256 of "t." + body>."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance: int = 300) -> bool:
    """Check a signature as a receiver should (constant time, bounded clock skew)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def post_signed(
    url: str,
    secret: str,
    payload: dict[str, Any],
    headers: dict[str, str],
    now: datetime,
    timeout: float,
) -> None:
    """POST `payload` as compact, key-sorted JSON signed with `secret` (DeliveryError
    unless the receiver answers 2xx)."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    signed = {SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body), **headers}
    http.post_json(url, body, signed, timeout=timeout)


_D = TypeVar("_D", bound="Delivery")


class DeliveryQuerySet(models.QuerySet[_D]):
    def due(self, now: datetime) -> Self:
        return self.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)


class Delivery(models.Model):
    """One message to one receiver, retried with backoff until it is sent or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def claim(self, now: datetime, lease: timedelta) -> bool:
        """Take the delivery for one attempt; the lease lets another worker retry a crash."""
        won = (
            type(self)
            ._default_manager.filter(
                pk=self.pk, status=self.Status.PENDING, next_attempt_at__lte=now
            )
            .update(next_attempt_at=now + lease, attempts=models.F("attempts") + 1)
        )
        if won:
            self.refresh_from_db(fields=["attempts", "next_attempt_at"])
        return won == 1

    def mark_sent(self, now: datetime) -> None:
        type(self)._default_manager.filter(pk=self.pk, status=self.Status.PENDING).update(
            status=self.Status.SENT, sent_at=now, last_error=""
        )
        self.status, self.sent_at, self.last_error = self.Status.SENT, now, ""

    def mark_attempt_failed(self, now: datetime, error: str, max_attempts: int) -> None:
        """Back off exponentially (1, 2, 4 … minutes) or give up after max_attempts."""
        fields: dict[str, Any] = {"last_error": error[:2000]}
        if self.attempts >= max_attempts:
            fields["status"] = self.Status.FAILED
        else:
            fields["next_attempt_at"] = now + timedelta(minutes=2 ** (self.attempts - 1))
        type(self)._default_manager.filter(pk=self.pk, status=self.Status.PENDING).update(**fields)
        for key, value in fields.items():
            setattr(self, key, value)


def attempt(
    delivery: Delivery, now: datetime, send: Callable[[], None], max_attempts: int, what: str
) -> bool:
    """Make one attempt at a delivery if it is due; True when it was sent.

    `send` sends it (raising on any failure), `what` names it in the log.
    """
    if not delivery.claim(now, CLAIM_LEASE):
        return False  # sent, given up, backing off, or another worker has it
    try:
        send()
    except Exception as exc:  # any failure is retried, never lost
        error = str(exc) or exc.__class__.__name__
        delivery.mark_attempt_failed(now, error, max_attempts)
        log.warning("%s attempt %s failed: %s", what, delivery.attempts, error)
        return False
    delivery.mark_sent(now)
    return True
