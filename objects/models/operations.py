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
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

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

    def callbacks_due(self, now: datetime) -> OperationQuerySet:
        """Finished queries whose callback is not sent and whose backoff has passed."""
        return self.filter(
            state__in=[Operation.State.DONE, Operation.State.FAILED],
            callback_sent_at__isnull=True,
            callback_next_at__lte=now,
        ).exclude(callback_url="")

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
    # Where the finished query's answer is POSTed, signed like alerts (docs/api.md);
    # retries back off in the row (callback_next_at), like AlertDelivery's.
    callback_url = models.URLField(max_length=2000, blank=True)
    callback_attempts = models.PositiveIntegerField(default=0)
    callback_next_at = models.DateTimeField(null=True, blank=True)
    callback_sent_at = models.DateTimeField(null=True, blank=True)
    callback_error = models.TextField(blank=True)
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
            # OperationQuerySet.callbacks_due: the beat's look for callbacks to send.
            models.Index(
                fields=["callback_next_at"],
                name="operation_callback_due_idx",
                condition=Q(callback_sent_at__isnull=True) & ~Q(callback_url=""),
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
        return self._move(
            [self.State.SENT], self.State.DONE, "answered", result=result, finished_at=now,
            **self._callback_due(now),
        )  # fmt: skip

    def fail(self, error: dict[str, Any], now: datetime) -> bool:
        return self._move(
            [self.State.PENDING, self.State.SENT],
            self.State.FAILED,
            str(error.get("message", "")),
            error=error,
            finished_at=now,
            **self._callback_due(now),
        )

    def _callback_due(self, now: datetime) -> dict[str, Any]:
        return {"callback_next_at": now} if self.callback_url else {}

    def claim_callback(self, now: datetime, lease: timedelta) -> bool:
        """Take the callback for one attempt; the lease lets another worker retry a crash."""
        won = Operation.objects.filter(
            pk=self.pk, callback_sent_at__isnull=True, callback_next_at__lte=now
        ).update(callback_next_at=now + lease, callback_attempts=models.F("callback_attempts") + 1)
        if won:
            self.refresh_from_db(fields=["callback_attempts", "callback_next_at"])
        return won == 1

    def mark_callback_sent(self, now: datetime) -> None:
        Operation.objects.filter(pk=self.pk).update(
            callback_sent_at=now, callback_next_at=None, callback_error=""
        )
        self.callback_sent_at, self.callback_next_at, self.callback_error = now, None, ""

    def mark_callback_failed(self, now: datetime, error: str, max_attempts: int) -> None:
        """Back off exponentially (1, 2, 4 … minutes), or give up after max_attempts."""
        next_at = (
            None
            if self.callback_attempts >= max_attempts
            else now + timedelta(minutes=2 ** (self.callback_attempts - 1))
        )
        Operation.objects.filter(pk=self.pk).update(
            callback_next_at=next_at, callback_error=error[:2000]
        )
        self.callback_next_at, self.callback_error = next_at, error[:2000]

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
