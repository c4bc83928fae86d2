"""The notifications FlowLink collects with get_notifications (flowlink §10)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection
from objects.backends import backend_named
from objects.models import transitions

if TYPE_CHECKING:
    from objects.models.queued import QueuedObject
    from objects.models.transitions import Transition

# flowlink §10.2: oldest first, at most this many per answer; the rest follows on the next call.
NOTIFICATIONS_PER_ANSWER = 500


class NotificationQuerySet(models.QuerySet["Notification"]):
    def drain(
        self, connection: Connection, request_id: str | None, limit: int = NOTIFICATIONS_PER_ANSWER
    ) -> list[Notification]:
        """Hand out notifications exactly once, replaying the same set for a repeated request_id.

        flowlink §10.2: an answer that drains notifications records the incoming request_id;
        FlowLink retries a lost answer with the same request_id and gets the same set back,
        even when that set was empty. A call without a request_id (null or "") always claims
        fresh notifications and can never be replayed.

        Concurrent callers each claim a disjoint set: the conditional update only takes
        notifications no one has claimed, so of two callers racing for one notification exactly
        one gets it. On PostgreSQL the candidates are also picked with SKIP LOCKED, so a caller
        takes the next ones instead of waiting on (or deadlocking with) another caller's claim;
        SQLite ignores the lock and serialises writers anyway.
        """
        with transaction.atomic():
            delivery, is_new = NotificationDelivery.objects.start(connection, request_id or "")
            if is_new:
                candidates = list(
                    self.filter(connection=connection, delivered_at__isnull=True)
                    .order_by("created_at", "id")
                    .select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)[:limit]
                )
                if candidates:
                    self.filter(pk__in=candidates, delivered_at__isnull=True).update(
                        delivery=delivery,
                        delivered_request_id=delivery.request_id,
                        delivered_at=delivery.delivered_at,
                    )
            return delivery.handed_out()

    def purge_delivered(self, before: datetime, empty_before: datetime | None = None) -> int:
        """Delete notifications FlowLink collected before `before`, with their deliveries.

        A delivery that handed out nothing is only kept for replays; it goes once older
        than `empty_before` (flowlink §10.2: answers are final after 24 h).
        """
        _, counts = self.filter(delivered_at__lt=before).delete()
        NotificationDelivery.objects.purge_empty(max(before, empty_before or before))
        return counts.get("objects.Notification", 0)


class NotificationDeliveryQuerySet(models.QuerySet["NotificationDelivery"]):
    def start(self, connection: Connection, request_id: str) -> tuple[NotificationDelivery, bool]:
        """The delivery answering request_id, and whether this call opened it (and so claims).

        Call inside a transaction that also claims: a concurrent call with the same request_id
        then waits on the unique index until this one commits, and replays its whole set.
        """
        if request_id:
            answered = self.filter(connection=connection, request_id=request_id).first()
            if answered is not None:
                return answered, False
        try:
            with transaction.atomic():
                return self.create(connection=connection, request_id=request_id), True
        except IntegrityError:
            return self.get(connection=connection, request_id=request_id), False

    def purge_empty(self, before: datetime) -> int:
        """Delete deliveries older than `before` that carry no notification (any more)."""
        handed_out = Notification.objects.filter(delivery=models.OuterRef("pk"))
        deleted, _ = (
            self.filter(delivered_at__lt=before).exclude(models.Exists(handed_out)).delete()
        )
        return deleted


class NotificationDelivery(models.Model):
    """One answer that drained notifications: which set a request_id got (flowlink §10.2).

    Recorded even when the set was empty, so a replay of that request_id answers with
    nothing instead of claiming notifications its first answer never carried.
    """

    connection = models.ForeignKey(
        Connection, models.CASCADE, related_name="notification_deliveries"
    )
    # "" for a call without a request_id: never replayed.
    request_id = models.CharField("FlowLink request_id", max_length=200, blank=True)
    delivered_at = models.DateTimeField(default=timezone.now)

    objects = NotificationDeliveryQuerySet.as_manager()

    class Meta:
        constraints = [
            # NotificationDeliveryQuerySet.start(): one answer per request_id and connection;
            # a second call with the same request_id waits here for the first to commit.
            models.UniqueConstraint(
                fields=["connection", "request_id"],
                condition=~Q(request_id=""),
                name="notification_delivery_once",
            ),
        ]
        indexes = [
            # NotificationDeliveryQuerySet.purge_empty() (hourly retention).
            models.Index(fields=["delivered_at"], name="notification_delivery_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id or '(no request_id)'} at {self.delivered_at:%Y-%m-%d %H:%M:%S}"

    def handed_out(self) -> list[Notification]:
        """The notifications this answer carries, oldest first."""
        return list(self.notifications.order_by("created_at", "id"))


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
    # The answer that handed it out. Retention deletes only deliveries that carry nothing,
    # so the cascade only runs when a whole connection goes.
    delivery = models.ForeignKey(
        NotificationDelivery,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
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
            # NotificationQuerySet.purge_delivered() (hourly retention).
            models.Index(
                fields=["delivered_at"],
                name="notification_retention_idx",
                condition=Q(delivered_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.message[:80]

    @classmethod
    def about(cls, obj: QueuedObject, move: Transition) -> Notification:
        """The (unsaved) notification a move of `obj` owes FlowLink: saved alone or in bulk."""
        if move.notify == cls.Kind.SUCCESS:
            message = transitions.success_notice(obj.reference, obj.kind.notice_name, _product(obj))
            status_code = None
        else:
            message = transitions.failure_notice(obj.reference, move.reason)
            status_code = move.fields.get("last_status_code")
        return cls(
            connection_id=obj.connection_id,
            queued_object=obj,
            object_type=obj.object_type,
            kind=move.notify,
            message=message,
            status_code=status_code,
            request_id=obj.request_id,
        )

    def as_flowlink(self) -> dict[str, str | None]:
        return {"message": self.message, "request_id": self.request_id or None}


def _product(obj: QueuedObject) -> str:
    """The QuickBooks the object went to, as FlowLink's texts name it."""
    if type(obj)._meta.get_field("connection").is_cached(obj):
        backend = obj.connection.backend
    else:
        # The loops set the connection on the objects they send; this is for the rest.
        backend = (
            Connection.objects.filter(pk=obj.connection_id)
            .values_list("backend", flat=True)
            .first()
        ) or "desktop"
    return backend_named(backend).product
