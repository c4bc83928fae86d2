"""Queued objects and their phase history.

Every phase change goes through a verb-named method that updates conditionally
(`filter(pk=…, phase=<expected>).update(…)`) and writes one QueuedObjectEvent in
the same transaction, so two Web Connector requests or workers never both win.
What each change is (where to, why, which notification) is decided by the pure
functions of objects.models.transitions; the methods here carry it out, one object
at a time or a whole message's objects at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection
from objects.fields import JSONField
from objects.models import transitions
from objects.models.notifications import Notification
from objects.models.phases import ACTIVE_PHASES, SENDABLE_PHASES, Mode, Phase
from objects.models.sql import update_fields_from_values, update_from_values
from objects.models.transitions import Transition
from objects.qbxml.mappers import mapper_for
from objects.qbxml.mappers.base import Mapper, ObjectView

__all__ = [
    "ACTIVE_PHASES",
    "SENDABLE_PHASES",
    "Mode",
    "Phase",
    "QueuedObject",
    "QueuedObjectEvent",
    "QueuedObjectQuerySet",
    "update_from_values",
]


class QueuedObjectQuerySet(models.QuerySet["QueuedObject"]):
    def active(self) -> QueuedObjectQuerySet:
        return self.filter(phase__in=ACTIVE_PHASES)

    def due(self, now: datetime) -> QueuedObjectQuerySet:
        """Pending or ready objects whose backoff (if any) has passed."""
        return self.filter(phase__in=SENDABLE_PHASES).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def due_objects(self, limit: int, now: datetime | None = None) -> list[QueuedObject]:
        """The next objects to send: oldest first, lookups and writes alike."""
        return list(self.due(now or timezone.now()).order_by("created_at", "id")[:limit])

    def has_due_work(self, now: datetime | None = None) -> bool:
        return self.due(now or timezone.now()).exists() or self.promotable().exists()

    def promote_waiting(self) -> int:
        """Move two-phase objects whose dependencies are all in QuickBooks to pending."""
        return self.promote_all()

    def promote_dependents(self, answered: list[int]) -> int:
        """promote_waiting() limited to the objects that depend on those just answered.

        After each answer only their dependents can have become promotable; looking at
        those alone keeps a long run from checking every waiting order's dependencies on
        every round trip (docs/benchmarks.md). Anything this misses (a dependency that
        finished while its dependent's webhook was still being stored) is promoted by
        promote_waiting() once nothing else is due.
        """
        if not answered:
            return 0
        links = QueuedObject.dependencies.through.objects.filter(to_queuedobject_id__in=answered)
        return self.filter(pk__in=links.values("from_queuedobject_id")).promote_all()

    def claim_for(self, claimer: str, objects: list[QueuedObject]) -> list[QueuedObject]:
        """Claim many objects at once for one request message; return the ones won, in order.

        The set-level twin of QueuedObject.claim(): one conditional UPDATE per phase a
        claim starts from, then one history row per object won, all in one transaction.
        An object another session moved first is simply not among those returned.
        """
        now = timezone.now()
        won: dict[int, Transition] = {}
        with transaction.atomic():
            for phase in SENDABLE_PHASES:
                ids = [o.pk for o in objects if o.phase == phase]
                if not ids:
                    continue
                move = transitions.claimed(phase, claimer, now)
                QueuedObject.objects.filter(pk__in=ids, phase=phase).update(
                    phase=move.to, updated_at=now, **move.fields
                )
                # claimed_at is this update's own timestamp: the rows carrying it are ours.
                for pk in QueuedObject.objects.filter(
                    pk__in=ids, phase=move.to, claimed_by=claimer, claimed_at=now
                ).values_list("pk", flat=True):
                    won[pk] = move
            claimed = [o for o in objects if o.pk in won]
            QueuedObjectEvent.objects.bulk_create(
                QueuedObjectEvent.record(o.pk, o.phase, won[o.pk].to, won[o.pk].reason, now)
                for o in claimed
            )
        for o in claimed:
            o.note_moved(won[o.pk].to, updated_at=now, **won[o.pk].fields)
        return claimed

    def move_claimed(
        self,
        claimer: str,
        to: str,
        objects: list[QueuedObject],
        reasons: list[str],
        per_object: dict[str, list[Any]] | None = None,
        **fields: Any,
    ) -> list[QueuedObject]:
        """Move many objects `claimer` holds in progress to `to`; return the ones moved.

        The set-level twin of QueuedObject._move() for one outcome shared by many answers
        of a message: one conditional UPDATE (values that differ per object, `per_object`,
        in one more joined to a VALUES list), then one history row per object moved, in
        one transaction.
        """
        if not objects:
            return []
        now = timezone.now()
        values: dict[str, Any] = {**fields, "phase": to, "claimed_by": "", "updated_at": now}
        columns = per_object or {}
        ids = [o.pk for o in objects]
        with transaction.atomic(savepoint=False):
            QueuedObject.objects.filter(
                pk__in=ids, phase=Phase.IN_PROGRESS, claimed_by=claimer
            ).update(**values)
            # updated_at is this update's own timestamp: the rows carrying it moved now.
            won = set(
                QueuedObject.objects.filter(pk__in=ids, phase=to, updated_at=now).values_list(
                    "pk", flat=True
                )
            )
            moved = [index for index, o in enumerate(objects) if o.pk in won]
            # The rows just moved are ours (locked until commit): their own values next.
            update_fields_from_values(
                QueuedObject,
                [objects[index].pk for index in moved],
                {name: [column[index] for index in moved] for name, column in columns.items()},
            )
            QueuedObjectEvent.objects.bulk_create(
                QueuedObjectEvent.record(
                    objects[index].pk, objects[index].phase, to, reasons[index], now
                )
                for index in moved
            )
        for index in moved:
            objects[index].note_moved(
                to,
                **{**fields, "claimed_by": "", "updated_at": now},
                **{name: column[index] for name, column in columns.items()},
            )
        return [objects[index] for index in moved]

    def take_claimed(
        self, claimer: str, moves: list[tuple[QueuedObject, Transition]]
    ) -> list[QueuedObject]:
        """Carry out one decision per object for many objects `claimer` holds in progress.

        The set-level twin of QueuedObject.take() for decisions with one destination
        that fail nothing (the common answers of a message: found, written): one
        move_claimed(), then the notifications owed and the payloads that arrived in
        flight. A field that some decisions leave alone keeps each object's own value.
        """
        if not moves:
            return []
        (to,) = {move.to for _, move in moves}
        names = dict.fromkeys(name for _, move in moves for name in move.fields)
        columns = {
            name: [move.fields.get(name, getattr(obj, name)) for obj, move in moves]
            for name in names
        }
        shared = {
            name: column[0]
            for name, column in columns.items()
            if all(value == column[0] for value in column)
        }
        by_pk = {obj.pk: move for obj, move in moves}
        moved = self.move_claimed(
            claimer,
            to,
            [obj for obj, _ in moves],
            [move.reason for _, move in moves],
            per_object={name: column for name, column in columns.items() if name not in shared},
            **shared,
        )
        Notification.objects.bulk_create(
            Notification.about(obj, by_pk[obj.pk]) for obj in moved if by_pk[obj.pk].notify
        )
        if to in (Phase.PROCESSED, Phase.FAILED):
            newer = set(
                QueuedObject.objects.filter(
                    pk__in=[obj.pk for obj in moved], pending_payload__isnull=False
                ).values_list("pk", flat=True)
            )
            for obj in moved:
                if obj.pk in newer:
                    obj.apply_newer_payload()
        return moved

    def promote_all(self) -> int:
        """Move every promotable object here to pending: the set-level twin of promote().

        One conditional UPDATE and one history row per object moved, in one
        transaction; an object that failed meanwhile is simply not moved.
        """
        now = timezone.now()
        move = transitions.promoted()
        with transaction.atomic(savepoint=False):
            ids = list(self.promotable().values_list("pk", flat=True))
            if not ids:
                return 0
            QueuedObject.objects.filter(pk__in=ids, phase__in=move.expected).update(
                phase=move.to, updated_at=now, **move.fields
            )
            # updated_at is this update's own timestamp: the rows carrying it moved now.
            won = list(
                QueuedObject.objects.filter(pk__in=ids, phase=move.to, updated_at=now).values_list(
                    "pk", flat=True
                )
            )
            QueuedObjectEvent.objects.bulk_create(
                QueuedObjectEvent.record(pk, Phase.TWO_PHASE_PENDING, move.to, move.reason, now)
                for pk in won
            )
        return len(won)

    def promotable(self) -> QueuedObjectQuerySet:
        """Two-phase objects none of whose dependencies is still unprocessed."""
        return self.filter(phase=Phase.TWO_PHASE_PENDING).exclude(
            dependencies__phase__in=[p for p in Phase.values if p != Phase.PROCESSED]
        )

    def stuck(self, claimed_before: datetime) -> QueuedObjectQuerySet:
        """In flight since before `claimed_before` with no answer (objects.tasks sweeper)."""
        return self.filter(phase=Phase.IN_PROGRESS, claimed_at__lt=claimed_before)

    def sweep_stuck(self, now: datetime, limit: int = 500) -> int:
        """Send objects QuickBooks never answered back to the queue, counting an attempt.

        Safe on several workers at once: rows are locked with SKIP LOCKED (another
        worker takes the next ones) and each move is a conditional update anyway.
        """
        minutes = settings.OBJECT_STUCK_MINUTES
        with transaction.atomic():
            rows = self.stuck(now - timedelta(minutes=minutes)).select_for_update(
                skip_locked=True, of=("self",)
            )
            return sum(obj.sweep(minutes, now) for obj in rows.order_by("claimed_at")[:limit])

    def purge_processed(self, before: datetime, batch: int = 1000) -> int:
        """Delete processed objects (and their history) last changed before `before`."""
        # Keep what an object still waiting in QuickBooks' queue depends on.
        old = self.filter(phase=Phase.PROCESSED, updated_at__lt=before).exclude(
            dependents__phase__in=ACTIVE_PHASES
        )
        deleted = 0
        while ids := list(old.values_list("pk", flat=True)[:batch]):
            # Re-checked at delete time: an object re-sent meanwhile is no longer processed.
            _, counts = self.filter(pk__in=ids, phase=Phase.PROCESSED).delete()
            deleted += counts.get("objects.QueuedObject", 0)
            if len(ids) < batch:
                break
        return deleted


class QueuedObject(models.Model):
    """One FlowLink object on its way to QuickBooks: one row per (connection, type, id)."""

    Phase = Phase
    Mode = Mode

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="queued_objects")
    object_type = models.CharField(max_length=40)
    # The full FlowLink identity (flowlink §5.5): never truncated or sanitised.
    identity = models.CharField(max_length=1000)
    payload = JSONField(default=dict)
    # Snapshot of the flow parameters this object was queued with (flowlink §7.1).
    params = JSONField(default=dict)
    flow = models.CharField(max_length=60, blank=True)
    config_version = models.PositiveIntegerField(default=1)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.UPSERT)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.PENDING)
    retry_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The phase a claim came from: pending means a lookup is in flight, ready a write.
    claimed_from = models.CharField(max_length=20, choices=Phase.choices, blank=True)
    # A newer payload that arrived while a request was in flight; applied when it returns.
    pending_payload = JSONField(null=True, blank=True)

    qb_id = models.CharField("ListID / TxnID", max_length=36, blank=True)
    edit_sequence = models.CharField(max_length=16, blank=True)
    qb_state = JSONField(default=dict, blank=True)
    external_guid = models.CharField(max_length=100, blank=True)
    ref_number = models.CharField(max_length=20, blank=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_status_message = models.TextField(blank=True)
    request_id = models.CharField("FlowLink request_id", max_length=200, blank=True)

    dependencies = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependents", blank=True
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = QueuedObjectQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "object_type", "identity"],
                name="queuedobject_unique_identity",
            )
        ]
        indexes = [
            # qbwc.loop.build_batch and .has_work via QueuedObjectQuerySet.due():
            # finding work stays an index scan however many processed rows pile up.
            models.Index(
                fields=["connection", "phase", "next_attempt_at"],
                name="queuedobject_due_idx",
                condition=Q(phase__in=["pending", "ready"]),
            ),
            # objects.dispatch.due_objects(): the oldest due objects of a connection, read in
            # index order so a backlog of 100,000 is not sorted to send the first 50.
            models.Index(
                fields=["connection", "created_at", "id"],
                name="queuedobject_due_order_idx",
                condition=Q(phase__in=["pending", "ready"]),
            ),
            # QueuedObjectQuerySet.promotable(), .stuck() (the sweeper) and progress counts.
            models.Index(
                fields=["connection", "phase"],
                name="queuedobject_waiting_idx",
                condition=Q(phase__in=["two_phase_pending", "in_progress"]),
            ),
            models.Index(
                fields=["connection", "object_type", "ref_number"], name="queuedobject_ref_idx"
            ),
            # QueuedObjectQuerySet.purge_processed() (hourly retention): the old processed
            # rows, found without reading every row of a table that only grows.
            models.Index(
                fields=["updated_at"],
                name="queuedobject_retention_idx",
                condition=Q(phase="processed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.identity}"

    # -- mapping --------------------------------------------------------------
    @property
    def mapper(self) -> Mapper:
        return mapper_for(self.object_type)

    def view(self, qbxml_version: str = "13.0") -> ObjectView:
        return ObjectView(
            object_type=self.object_type,
            identity=self.identity,
            payload=self.payload,
            params=self.params,
            qb_id=self.qb_id,
            edit_sequence=self.edit_sequence,
            external_guid=self.external_guid,
            mode=self.mode,
            qbxml_version=qbxml_version,
            qb_state=self.qb_state,
            **self.dependency_views(),
        )

    def dependency_views(self) -> dict[str, dict[str, Any]]:
        """ListID/TxnID and qb_state of each dependency, keyed "<object_type>:<identity>"."""
        ids: dict[str, str] = {}
        states: dict[str, dict[str, Any]] = {}
        # One query per call: only for the types that read them (the loop builds views
        # of hundreds of objects per message).
        if self.pk is not None and self.mapper.reads_dependencies:
            for object_type, identity, qb_id, qb_state in self.dependencies.values_list(
                "object_type", "identity", "qb_id", "qb_state"
            ):
                ids[f"{object_type}:{identity}"] = qb_id
                states[f"{object_type}:{identity}"] = qb_state or {}
        return {"dependency_ids": ids, "dependency_states": states}

    @property
    def reference(self) -> str:
        return self.mapper.reference(self.view())

    def is_claimed_by(self, claimer: str) -> bool:
        """Whether this object's request in flight belongs to `claimer` (one session)."""
        return self.phase == Phase.IN_PROGRESS and self.claimed_by == claimer

    @property
    def is_active(self) -> bool:
        return self.phase in ACTIVE_PHASES

    # -- transitions ----------------------------------------------------------
    def _move(self, expected: tuple[str, ...], to: str, reason: str, **fields: Any) -> bool:
        """Move from the current phase to `to` if nobody moved it first; log one event."""
        if self.phase not in expected:
            return False
        now = timezone.now()
        fields.setdefault("updated_at", now)
        # No savepoint: nobody catches an error here to carry on, and inside a session's
        # answer (one transaction for hundreds of objects) savepoints were a third of the
        # queries. Alone, this still opens its own transaction.
        with transaction.atomic(savepoint=False):
            won = QueuedObject.objects.filter(pk=self.pk, phase=self.phase).update(
                phase=to, **fields
            )
            if won != 1:
                return False
            QueuedObjectEvent.record(self.pk, self.phase, to, reason, now).save()
        self.note_moved(to, **fields)
        return True

    def note_moved(self, to: str, **fields: Any) -> None:
        """Mirror a move the database just made on this instance."""
        self.phase = to
        for key, value in fields.items():
            setattr(self, key, value)

    def take(self, move: Transition) -> bool:
        """Carry out one decision of objects.models.transitions if nobody moved it first.

        With the move, in one transaction: the notification it owes and, for a failure,
        the failure of every active dependent. After it, a payload that arrived while the
        request was in flight is queued.
        """
        with transaction.atomic(savepoint=False):
            if not self._move(move.expected, move.to, move.reason, **move.fields):
                return False
            if move.notify:
                Notification.about(self, move).save()
            if move.to == Phase.FAILED:
                for dependent in self.dependents.filter(phase__in=ACTIVE_PHASES):
                    dependent.fail(
                        transitions.dependency_failed(
                            self.mapper.notice_name, self.identity, move.reason
                        )
                    )
        if move.to in (Phase.PROCESSED, Phase.FAILED):
            self.apply_newer_payload()
        return True

    def claim(self, claimer: str) -> bool:
        """Take a pending (lookup) or ready (write) object for a request in flight."""
        return self.take(transitions.claimed(self.phase, claimer, timezone.now()))

    def promote(self) -> bool:
        """Dependencies are in QuickBooks: look the object itself up next."""
        return self.take(transitions.promoted())

    def wait_for(self, other: QueuedObject, reason: str) -> bool:
        """Wait for `other`, which writes the record this object stands for, then look it up.

        Not while a request of this object is with QuickBooks: its answer decides.
        """
        with transaction.atomic(savepoint=False):
            won = self.take(transitions.waiting(reason))
            if won:
                self.dependencies.add(other)
        return won

    def mark_found(self, qb_id: str, edit_sequence: str, qb_state: dict[str, Any]) -> bool:
        """A lookup answered: the object exists (qb_id set) or not (qb_id empty)."""
        return self.take(transitions.found(qb_id, edit_sequence, qb_state))

    def forget_deleted(self, reason: str) -> bool:
        """A delete was acknowledged and the object is written anew: ready, with no ids."""
        return self.take(transitions.forgotten(reason))

    def unclaim(self, to: str, reason: str) -> bool:
        """Give a claimed object back without counting an attempt (its request never ran)."""
        return self.take(transitions.unclaimed(to, reason))

    def process(
        self,
        qb_id: str,
        edit_sequence: str,
        reason: str,
        notify: bool = True,
        qb_state: dict[str, Any] | None = None,
    ) -> bool:
        # qb_state (e.g. a sales order's TxnLineIDs) lets dependents link to the record.
        return self.take(transitions.processed(qb_id, edit_sequence, reason, notify, qb_state))

    def fail(self, message: str, status_code: int | None = None, hresult: str = "") -> bool:
        """Fail for good (until requeued): one failure notification, dependents fail too."""
        return self.take(transitions.failed(message, status_code, hresult))

    def retry_later(
        self, to: str, message: str, status_code: int | None, now: datetime | None = None
    ) -> bool:
        """A transient failure: back to `to` with backoff, or fail once retries run out."""
        return self.take(
            transitions.retried(
                self.retry_count,
                settings.OBJECT_MAX_RETRIES,
                self.mapper.notice_name,
                to,
                message,
                status_code,
                backoff_from=now or timezone.now(),
            )
        )

    def retry_now(self, to: str, message: str, status_code: int | None, **fields: Any) -> bool:
        """Retry within this session (fresh EditSequence, stale ListID) counting the attempt."""
        return self.take(
            transitions.retried(
                self.retry_count,
                settings.OBJECT_MAX_RETRIES,
                self.mapper.notice_name,
                to,
                message,
                status_code,
                **fields,
            )
        )

    def sweep(self, stuck_minutes: int, now: datetime) -> bool:
        """QuickBooks never answered: look it up again later (a write may have landed)."""
        return self.retry_later(
            Phase.PENDING,
            f"no answer from QuickBooks within {stuck_minutes} minutes",
            self.last_status_code,
            now,
        )

    def retry(self, reason: str = "retried by an operator") -> bool:
        """Send a failed object again from the start, with a fresh retry budget."""
        return self.take(transitions.restarted((Phase.FAILED,), self.dependencies.exists(), reason))

    def cancel(self, by: str = "an operator") -> bool:
        """Stop an object before it reaches QuickBooks; FlowLink hears it failed."""
        return self.fail(transitions.cancelled(by))

    def release(self, reason: str) -> bool:
        """The request's outcome is unknown (session lost): verify by lookup before writing."""
        return self.take(transitions.unclaimed(Phase.PENDING, reason))

    def requeue(self, reason: str = "requeued by an operator") -> bool:
        """Send a failed or processed object again (a processed one becomes a Mod)."""
        return self.take(
            transitions.restarted(
                (Phase.FAILED, Phase.PROCESSED),
                self.dependencies.exists(),
                reason,
                last_status_code=None,
                last_status_message="",
            )
        )

    def replace_payload(
        self,
        payload: dict[str, Any],
        params: dict[str, Any],
        request_id: str,
        config_version: int,
        mode: str,
        has_dependencies: bool,
        external_guid: str = "",
    ) -> None:
        """FlowLink re-sent this object: the newest payload wins, without a duplicate.

        `external_guid` replaces the stored one for types where each call is a new record;
        it travels with the payload so an answer still in flight keeps the old one.
        """
        fields: dict[str, Any] = {
            "payload": payload,
            "params": params,
            "request_id": request_id,
            "config_version": config_version,
            "mode": mode,
        }
        if external_guid:
            fields["external_guid"] = external_guid
        if self.phase == Phase.IN_PROGRESS:
            # A request for the old version is with QuickBooks; send the new one after.
            QueuedObject.objects.filter(pk=self.pk).update(
                pending_payload={**fields}, updated_at=timezone.now()
            )
            self.pending_payload = fields
            return
        reason = (
            "re-sent after processing: queued as a modification"
            if self.phase == Phase.PROCESSED
            else "re-sent by FlowLink: newest payload replaces the queued one"
        )
        self.take(
            transitions.restarted(
                (
                    Phase.PENDING,
                    Phase.TWO_PHASE_PENDING,
                    Phase.READY,
                    Phase.PROCESSED,
                    Phase.FAILED,
                ),
                has_dependencies,
                reason,
                pending_payload=None,
                # A new payload starts afresh: no earlier answer counts against it.
                last_status_code=None,
                **fields,
            )
        )

    def apply_newer_payload(self) -> None:
        """Queue the payload that arrived while the previous version was in flight."""
        self.refresh_from_db(fields=["pending_payload"])
        if not self.pending_payload:
            return
        self.take(
            transitions.restarted(
                (Phase.PROCESSED, Phase.FAILED),
                self.dependencies.exists(),
                "newer payload received while in flight",
                pending_payload=None,
                **self.pending_payload,
            )
        )


class QueuedObjectEvent(models.Model):
    """One phase change: the history operators read and retries rely on."""

    queued_object = models.ForeignKey(QueuedObject, models.CASCADE, related_name="events")
    from_phase = models.CharField(max_length=20, choices=Phase.choices, blank=True)
    to_phase = models.CharField(max_length=20, choices=Phase.choices)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_phase or '∅'} → {self.to_phase}"

    @classmethod
    def record(
        cls, queued_object_id: int, from_phase: str, to_phase: str, reason: str, at: datetime
    ) -> QueuedObjectEvent:
        """The (unsaved) history row of one move: saved alone or bulk-created with others."""
        return cls(
            queued_object_id=queued_object_id,
            from_phase=from_phase,
            to_phase=to_phase,
            reason=reason[:2000],
            at=at,
        )
