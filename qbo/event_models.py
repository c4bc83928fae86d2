"""What the QuickBooks Online triggers keep: change events, subscriptions and their
deliveries, Intuit's webhook notifications, and the company's profile (docs/qbo-events.md).

qbo/models.py imports this module so Django finds the models under the `qbo` app.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from connections.deliveries import Delivery, DeliveryQuerySet
from connections.encryption import DecryptionError
from connections.fields import EncryptedTextField
from connections.models import Connection

__all__ = [
    "ChangeEvent",
    "CompanyProfile",
    "EventDelivery",
    "EventSubscription",
    "IntuitNotification",
]

CHANGES = ("created", "updated", "deleted")
# The subscription pattern that takes every event.
ALL_EVENTS = "*"
# Shorter secrets are refused, as for alert webhooks (docs/alerts.md).
MIN_SECRET_LENGTH = 16


class ChangeEventQuerySet(models.QuerySet["ChangeEvent"]):
    def purge(self, before: datetime) -> int:
        """Forget events older than `before` that have nothing left to deliver."""
        old = self.filter(occurred_at__lt=before).exclude(
            deliveries__status=EventDelivery.Status.PENDING
        )
        _, counts = ChangeEvent.objects.filter(pk__in=old.values("pk")).delete()
        return counts.get("qbo.ChangeEvent", 0)


class ChangeEvent(models.Model):
    """One change of one record version, as the triggers hand it to subscribers."""

    class Change(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        DELETED = "deleted", "Deleted"

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(Connection, models.CASCADE, related_name="qbo_events")
    entity = models.CharField(max_length=50)
    qb_id = models.CharField("QuickBooks Id", max_length=50)
    # The SyncToken: with qb_id the identity of what changed ("" for a deletion).
    version = models.CharField(max_length=50, blank=True)
    change = models.CharField(max_length=10, choices=Change.choices)
    # "invoice.created": what subscriptions select on and receivers see.
    event_type = models.CharField(max_length=70)
    record = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)

    objects = ChangeEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # The change feed may tell the same version twice (a CDC overlap, a retried
            # pass): the second telling makes no second event.
            models.UniqueConstraint(
                fields=["connection", "entity", "qb_id", "version", "change"],
                name="changeevent_once_per_version",
            )
        ]
        indexes = [
            models.Index(fields=["connection", "event_type"], name="changeevent_type_idx"),
            # ChangeEventQuerySet.purge(): qbo.tasks.purge_old_events.
            models.Index(fields=["occurred_at"], name="changeevent_occurred_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.qb_id} v{self.version or '-'}"

    @staticmethod
    def type_of(entity: str, change: str) -> str:
        return f"{entity.lower()}.{change}"


def parse_event_types(text: str) -> list[str]:
    """The patterns of a subscription: `*`, `invoice.created`, `invoice.*`, `*.deleted`.

    Raises ValidationError naming the first pattern that is not one.
    """
    patterns = [p.strip().lower() for p in text.replace(",", " ").split() if p.strip()]
    for pattern in patterns:
        if pattern == ALL_EVENTS:
            continue
        entity, _, change = pattern.partition(".")
        if not entity or not (entity == "*" or entity.isalnum()):
            raise ValidationError(f"{pattern!r}: expected <entity>.<change>, like invoice.created")
        if change != "*" and change not in CHANGES:
            raise ValidationError(f"{pattern!r}: the change is one of {', '.join(CHANGES)} or *")
    return patterns


def matches(patterns: list[str], event_type: str) -> bool:
    entity, _, change = event_type.partition(".")
    for pattern in patterns:
        if pattern == ALL_EVENTS:
            return True
        want_entity, _, want_change = pattern.partition(".")
        if want_entity in ("*", entity) and want_change in ("*", change):
            return True
    return False


class EventSubscriptionQuerySet(models.QuerySet["EventSubscription"]):
    def active(self) -> EventSubscriptionQuerySet:
        return self.filter(is_active=True)


class EventSubscription(models.Model):
    """A URL that receives a connection's events of the types it asks for, signed."""

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="qbo_subscriptions")
    name = models.CharField(max_length=100, blank=True, help_text="Who receives it, for operators.")
    url = models.URLField("URL", max_length=500)
    # Signs deliveries as alert webhooks are signed (connections.deliveries.sign).
    secret = EncryptedTextField()
    event_types = models.TextField(
        default=ALL_EVENTS,
        help_text="Space- or comma-separated: * for every event, or entity.change like "
        "invoice.created, customer.*, *.deleted (changes: created, updated, deleted).",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EventSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["connection", "id"]

    def __str__(self) -> str:
        return self.name or self.url

    def clean(self) -> None:
        try:
            parse_event_types(self.event_types)
        except ValidationError as exc:
            raise ValidationError({"event_types": exc.messages}) from exc

    def wants(self, event_type: str) -> bool:
        return matches(parse_event_types(self.event_types), event_type)

    @property
    def masked_secret(self) -> str:
        """Enough to recognise the secret, never enough to use it."""
        try:
            secret = self.secret
        except DecryptionError:
            return "set, but no key in FIELD_ENCRYPTION_KEYS decrypts it (docs/security.md)"
        return f"…{secret[-4:]}" if secret else ""


class EventDeliveryQuerySet(DeliveryQuerySet["EventDelivery"]):
    def retry_now(self, now: datetime) -> list[int]:
        """Cut backoffs short and give deliveries that gave up a new round (an operator's
        "retry now"); returns the deliveries to send."""
        ids = list(self.exclude(status=EventDelivery.Status.SENT).values_list("pk", flat=True))
        EventDelivery.objects.filter(pk__in=ids, status=EventDelivery.Status.FAILED).update(
            status=EventDelivery.Status.PENDING, attempts=0, next_attempt_at=now
        )
        EventDelivery.objects.filter(
            pk__in=ids, status=EventDelivery.Status.PENDING, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
        return ids


class EventDelivery(Delivery):
    """One event to one subscription, retried with backoff until sent or given up."""

    event = models.ForeignKey(ChangeEvent, models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(EventSubscription, models.CASCADE, related_name="deliveries")

    objects = EventDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "event deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="eventdelivery_once_per_subscription"
            )
        ]
        indexes = [
            # EventDeliveryQuerySet.due(): qbo.tasks.send_due_events.
            models.Index(
                fields=["next_attempt_at"],
                name="eventdelivery_due_idx",
                condition=Q(status=Delivery.Status.PENDING),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.subscription_id} ({self.status})"


class IntuitNotificationQuerySet(models.QuerySet["IntuitNotification"]):
    def purge(self, before: datetime) -> int:
        # Intuit retries for days at most: an older id will not come again.
        _, counts = self.filter(received_at__lt=before).delete()
        return counts.get("qbo.IntuitNotification", 0)


class IntuitNotification(models.Model):
    """One change Intuit notified by webhook: a hint to read changes now, kept once."""

    class Format(models.TextChoices):
        CLOUDEVENTS = "cloudevents", "CloudEvents"
        LEGACY = "legacy", "Legacy"

    # CloudEvents `id`; legacy: realm, entity, id, operation and lastUpdated (no id is sent).
    key = models.CharField(max_length=255, unique=True)
    format = models.CharField(max_length=12, choices=Format.choices)
    realm_id = models.CharField("realm id", max_length=64)
    # None: no connection has this realm (logged; Intuit is answered 200 anyway).
    connection = models.ForeignKey(
        Connection, models.SET_NULL, null=True, blank=True, related_name="intuit_notifications"
    )
    entity = models.CharField(max_length=50, blank=True)
    entity_id = models.CharField(max_length=50, blank=True)
    # Past tense for both formats: created, updated, deleted, merged, voided, emailed.
    operation = models.CharField(max_length=20, blank=True)
    # As Intuit sent it (legacy lastUpdated, CloudEvents time).
    occurred_at = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    objects = IntuitNotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["received_at"], name="intuitnotif_received_idx")]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id} {self.operation} (realm {self.realm_id})"


class CompanyProfile(models.Model):
    """The QuickBooks Online company's CompanyInfo, as last read (seed 001)."""

    connection = models.OneToOneField(Connection, models.CASCADE, related_name="qbo_profile")
    company_name = models.CharField(max_length=1024, blank=True)
    legal_name = models.CharField(max_length=1024, blank=True)
    country = models.CharField(max_length=50, blank=True)
    fiscal_year_start_month = models.CharField(max_length=20, blank=True)
    # CompanyAddr as QBO returns it (Line1…, City, CountrySubDivisionCode, PostalCode, Country).
    address = models.JSONField(default=dict, blank=True)
    raw = models.JSONField("CompanyInfo as read", default=dict, blank=True)
    read_at = models.DateTimeField()

    class Meta:
        verbose_name = "QuickBooks Online company profile"

    def __str__(self) -> str:
        return self.company_name or f"company of {self.connection_id}"

    def is_stale(self, now: datetime, max_age: timedelta) -> bool:
        return now - self.read_at >= max_age

    def as_details(self) -> dict[str, Any]:
        return {
            "name": self.company_name,
            "legal_name": self.legal_name,
            "country": self.country,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "address": self.address,
            "read_at": self.read_at.isoformat(),
        }
