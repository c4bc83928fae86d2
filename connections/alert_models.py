"""Incidents (a connection that stopped calling) and the alerts they send (docs/alerts.md).

connections/models.py imports this module so Django finds the models under the
`connections` app; connections.alerts opens, resolves and delivers them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.deliveries import Delivery, DeliveryQuerySet

if TYPE_CHECKING:
    from connections.models import Connection

__all__ = ["AlertDelivery", "AlertDeliveryQuerySet", "Incident", "IncidentQuerySet"]


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> IncidentQuerySet:
        return self.filter(resolved_at__isnull=True)

    def purge_resolved(self, before: datetime) -> int:
        """Delete incidents resolved before `before`, with their alert deliveries."""
        _, counts = self.filter(resolved_at__lt=before).delete()
        return counts.get("connections.Incident", 0)


class Incident(models.Model):
    """A period during which a connection's Web Connector stopped calling."""

    connection = models.ForeignKey(
        "connections.Connection", models.CASCADE, related_name="incidents"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # What the monitor saw when it opened the incident.
    last_contact_at = models.DateTimeField(null=True, blank=True)
    threshold_minutes = models.PositiveIntegerField()
    summary = models.TextField(blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # At most one open incident per connection, however many workers run the
            # health monitor at once: the second insert fails and is ignored.
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(resolved_at__isnull=True),
                name="incident_one_open_per_connection",
            )
        ]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "open"
        return f"{self.connection} unhealthy since {self.opened_at:%Y-%m-%d %H:%M} ({state})"

    @classmethod
    def open_for(cls, connection: Connection, now: datetime, summary: str) -> Incident | None:
        """Open the connection's incident; None when one is already open."""
        try:
            with transaction.atomic():
                return cls.objects.create(
                    connection=connection,
                    opened_at=now,
                    last_contact_at=connection.last_contact_at,
                    threshold_minutes=connection.health_threshold_minutes,
                    summary=summary,
                )
        except IntegrityError:
            return None

    def resolve(self, now: datetime) -> bool:
        won = Incident.objects.filter(pk=self.pk, resolved_at__isnull=True).update(resolved_at=now)
        if won:
            self.resolved_at = now
        return won == 1

    @property
    def duration(self) -> timedelta:
        return (self.resolved_at or timezone.now()) - self.opened_at


class AlertDeliveryQuerySet(DeliveryQuerySet["AlertDelivery"]):
    def make_due(self, now: datetime) -> list[int]:
        """Cut the backoff of pending deliveries short (an operator's "send now")."""
        pending = self.filter(status=AlertDelivery.Status.PENDING)
        ids = list(pending.values_list("pk", flat=True))
        pending.filter(pk__in=ids, next_attempt_at__gt=now).update(next_attempt_at=now)
        return ids


class AlertDelivery(Delivery):
    """One alert to one channel, retried with backoff until it is sent or gives up."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Event(models.TextChoices):
        UNHEALTHY = "connection.unhealthy", "Connection unhealthy"
        RECOVERED = "connection.recovered", "Connection recovered"

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    event = models.CharField(max_length=30, choices=Event.choices)
    # The URL or the e-mail addresses at the time of the alert.
    target = models.TextField()
    payload = models.JSONField(default=dict)

    objects = AlertDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
        indexes = [
            # AlertDeliveryQuerySet.due(): connections.tasks.send_due_alerts.
            models.Index(
                fields=["next_attempt_at"],
                name="alertdelivery_due_idx",
                condition=Q(status=Delivery.Status.PENDING),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} by {self.channel} ({self.status})"
