"""The notifications FlowLink collects with get_notifications (flowlink §10)."""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection


class NotificationQuerySet(models.QuerySet["Notification"]):
    def drain(
        self, connection: Connection, request_id: str | None, limit: int = 500
    ) -> list[Notification]:
        """Hand out notifications once, replaying the same set for a repeated request_id.

        flowlink §10.2: a response that drains notifications records the incoming
        request_id; FlowLink retries a lost response with the same request_id and gets
        the same set back. A different request_id means the earlier one arrived.
        """
        mine: models.QuerySet[Notification] = self.filter(connection=connection)
        if request_id:
            replay = list(mine.filter(delivered_request_id=request_id).order_by("created_at", "id"))
            if replay:
                return replay
        with transaction.atomic():
            batch = list(
                mine.filter(delivered_at__isnull=True).order_by("created_at", "id")[:limit]
            )
            if batch:
                self.filter(pk__in=[n.pk for n in batch]).update(
                    delivered_request_id=request_id or "", delivered_at=timezone.now()
                )
        return batch

    def purge_delivered(self, before: datetime) -> int:
        """Delete notifications FlowLink collected before `before`."""
        _, counts = self.filter(delivered_at__lt=before).delete()
        return counts.get("objects.Notification", 0)


class Notification(models.Model):
    class Kind(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "fail", "Failure"

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="notifications")
    queued_object = models.ForeignKey(
        "objects.QueuedObject", models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    object_type = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.TextField()
    status_code = models.IntegerField(null=True, blank=True)
    request_id = models.CharField("FlowLink request_id", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_request_id = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        indexes = [
            # NotificationQuerySet.drain(): the undelivered notifications of a connection.
            models.Index(
                fields=["connection", "created_at"],
                name="notification_undelivered_idx",
                condition=Q(delivered_at__isnull=True),
            ),
            models.Index(
                fields=["connection", "delivered_request_id"], name="notification_replay_idx"
            ),
            # NotificationQuerySet.purge_delivered() (hourly retention).
            models.Index(
                fields=["delivered_at"],
                name="notification_retention_idx",
                condition=Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.message[:80]

    def as_flowlink(self) -> dict[str, str | None]:
        return {"message": self.message, "request_id": self.request_id or None}
