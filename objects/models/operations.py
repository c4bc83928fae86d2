"""Operations of the operations API that a backend answers later (docs/api.md).

QuickBooks Online answers a query at once; QuickBooks Desktop only when its Web
Connector next runs. Such a query is an Operation: `pending` until a session sends it,
`sent` while QuickBooks has it, then `done` (the records in `result`) or `failed` (the
answer's status, code and message in `error`). The caller polls its URL; the result is
kept until fetched, then purged by the retention task after RETENTION_DAYS.

A write (add, modify) is a queued object intake stored as for a FlowLink webhook: the
operation only points at it, and its phase is the operation's progress.

A query changes nothing in QuickBooks, so one sent by a session that ended without an
answer is simply sent again by the next (`due_for`): there is no outcome to verify.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.deliveries import Delivery, DeliveryQuerySet
from connections.models import Connection
from objects.models.phases import Phase


class OperationQuerySet(models.QuerySet["Operation"]):
    def due_for(self, connection: Connection, claimer: str) -> OperationQuerySet:
        """What a session of `connection` (`claimer`) should send: pending ones, and sent
        ones whose session ended unanswered (any claimer but this session's)."""
        reads = [Operation.Kind.QUERY, Operation.Kind.GET]
        return self.filter(connection=connection, kind__in=reads).filter(
            Q(state=Operation.State.PENDING)
            | (Q(state=Operation.State.SENT) & ~Q(claimed_by=claimer))
        )

    def purge_fetched(self, before: datetime) -> int:
        """Delete operations whose result was fetched before `before` (an unfetched
        result is kept: the caller may still come for it)."""
        _total, by_model = self.filter(fetched_at__lt=before).delete()
        return by_model.get(Operation._meta.label, 0)


class Operation(models.Model):
    class Kind(models.TextChoices):
        QUERY = "query"
        GET = "get"
        ADD = "add"
        MODIFY = "modify"
        DELETE = "delete"

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        DONE = "done"
        FAILED = "failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(Connection, models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    entity = models.CharField(max_length=40)
    # objects.api.queries.EntityQuery.as_json() of a query or get ({} for a write).
    query = models.JSONField(default=dict, blank=True)
    # A write: the object intake queued; its phase is the operation's progress.
    queued_object = models.ForeignKey(
        "objects.QueuedObject", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The caller's Idempotency-Key: a retried write returns this operation again.
    idempotency_key = models.CharField(max_length=200, blank=True)
    # Where the finished query's answer is POSTed, signed like alerts (docs/api.md): an
    # OperationCallback row, made when the operation finishes, sends and retries it.
    callback_url = models.URLField(max_length=2000, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # The Web Connector session (its claimer key) the query was last sent in.
    claimed_by = models.CharField(max_length=64, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    objects = OperationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="operation_unique_idempotency_key",
            )
        ]
        indexes = [
            # OperationQuerySet.due_for: a session's look for queries to send.
            models.Index(
                fields=["connection", "created_at"],
                name="operation_due_idx",
                condition=Q(state__in=["pending", "sent"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.entity} {self.public_id} ({self.state})"

    @property
    def is_write(self) -> bool:
        return self.kind in (self.Kind.ADD, self.Kind.MODIFY, self.Kind.DELETE)

    @property
    def progress(self) -> str:
        """The state callers see: a write's follows its queued object's phase."""
        if not self.is_write or self.queued_object is None:
            return self.state
        phase = self.queued_object.phase
        if phase == Phase.PROCESSED:
            return self.State.DONE
        return self.State.FAILED if phase == Phase.FAILED else self.State.PENDING

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    def _move(
        self, from_states: list[str], to: str, reason: str, where: Q | None = None, **fields: Any
    ) -> bool:
        """The one conditional update of a change and its history row."""
        with transaction.atomic():
            mine = Operation.objects.filter(pk=self.pk, state__in=from_states)
            won = mine.filter(where or Q()).update(state=to, **fields)
            if won:
                OperationEvent.objects.create(
                    operation_id=self.pk, from_state=self.state, to_state=to, reason=reason[:2000]
                )
        if won:
            self.state = to
            for name, value in fields.items():
                setattr(self, name, value)
        return won == 1

    def claim(self, claimer: str, now: datetime) -> bool:
        """Send it in session `claimer` (from pending, or sent by an ended session)."""
        if self.state not in (self.State.PENDING, self.State.SENT):
            return False
        reason = "sent" if self.state == self.State.PENDING else "sent again: no answer came"
        # Conditional on the session read too: of two claims of one row, one wins.
        return self._move(
            [self.state], self.State.SENT, reason, Q(claimed_by=self.claimed_by),
            claimed_by=claimer, sent_at=now,
        )  # fmt: skip

    def finish(self, result: dict[str, Any], now: datetime) -> bool:
        return self._end([self.State.SENT], self.State.DONE, "answered", now, result=result)

    def fail(self, error: dict[str, Any], now: datetime) -> bool:
        reason = str(error.get("message", ""))
        states = [self.State.PENDING, self.State.SENT]
        return self._end(states, self.State.FAILED, reason, now, error=error)

    def _end(
        self, from_states: Sequence[str], to: str, reason: str, now: datetime, **fields: Any
    ) -> bool:
        """Finish with its callback, if the caller asked for one, due at once."""
        with transaction.atomic():
            won = self._move(list(from_states), to, reason, finished_at=now, **fields)
            if won and self.callback_url:
                OperationCallback.objects.create(operation=self, next_attempt_at=now)
        return won

    def mark_fetched(self, now: datetime) -> None:
        """The caller read the final answer: the retention clock starts now (once)."""
        if self.fetched_at is None:
            Operation.objects.filter(pk=self.pk, fetched_at__isnull=True).update(fetched_at=now)
            self.fetched_at = now


class OperationEvent(models.Model):
    """One state change of an operation."""

    operation = models.ForeignKey(Operation, models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class OperationCallbackQuerySet(DeliveryQuerySet["OperationCallback"]):
    pass


class OperationCallback(Delivery):
    """The POST of a finished operation's answer to its caller's callback_url, retried
    with backoff like an alert (connections.deliveries)."""

    operation = models.OneToOneField(Operation, models.CASCADE, related_name="callback")

    objects = OperationCallbackQuerySet.as_manager()

    class Meta:
        indexes = [
            # DeliveryQuerySet.due(): objects.tasks.send_due_callbacks.
            models.Index(
                fields=["next_attempt_at"],
                name="operationcallback_due_idx",
                condition=Q(status=Delivery.Status.PENDING),
            )
        ]

    def __str__(self) -> str:
        return f"callback of {self.operation.public_id} ({self.status})"
