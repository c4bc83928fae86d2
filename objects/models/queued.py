"""Queued objects and their phase history.

Every phase change goes through a verb-named method that updates conditionally
(`filter(pk=…, phase=<expected>).update(…)`) and writes one QueuedObjectEvent in
the same transaction, so two Web Connector requests or workers never both win.
What each change is (where to, why, which notification) is decided by the pure
functions of objects.models.transitions; the methods here carry it out one object at
a time, those of objects.models.querysets for a whole message's objects at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection
from objects.fields import JSONField
from objects.mapping import Rule
from objects.models import transitions
from objects.models.notifications import Notification
from objects.models.phases import ACTIVE_PHASES, SENDABLE_PHASES, Mode, Phase
from objects.models.querysets import QueuedObjectQuerySet
from objects.models.sql import update_from_values
from objects.models.transitions import Transition
from objects.types import type_for
from objects.types.base import ObjectType, ObjectView

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
    # The field mapping version the object was queued with (objects.models.mappings): set
    # at intake (and again when FlowLink re-sends it), never by a retry, so every attempt
    # builds the same request. Null: no mapping, the type's own request. RESTRICT, not
    # PROTECT: a version cannot go while objects name it, but deleting the connection
    # (which takes both) must still work.
    mapping_version = models.ForeignKey(
        "objects.FieldMappingVersion",
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="queued_objects",
    )

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
            # QueuedObjectQuerySet.due(), behind .due_objects() and .has_due_work() (the
            # session loop's next message and whether a session has work) and
            # qbwc.loop.progress(): finding work stays an index scan however many
            # processed rows pile up.
            models.Index(
                fields=["connection", "phase", "next_attempt_at"],
                name="queuedobject_due_idx",
                condition=Q(phase__in=[Phase.PENDING, Phase.READY]),
            ),
            # QueuedObjectQuerySet.due_objects(): the oldest due objects of a connection, read
            # in index order so a backlog of 100,000 is not sorted to send the first 50.
            models.Index(
                fields=["connection", "created_at", "id"],
                name="queuedobject_due_order_idx",
                condition=Q(phase__in=[Phase.PENDING, Phase.READY]),
            ),
            # QueuedObjectQuerySet.promotable() (behind .promote_waiting(),
            # .promote_dependents() and .has_due_work()), .stuck() (the sweeper) and the
            # count of waiting objects in qbwc.loop.progress().
            models.Index(
                fields=["connection", "phase"],
                name="queuedobject_waiting_idx",
                condition=Q(phase__in=[Phase.TWO_PHASE_PENDING, Phase.IN_PROGRESS]),
            ),
            # objects.intake_rows: the objects of a request's RefNumbers (flowlink §5.5).
            models.Index(
                fields=["connection", "object_type", "ref_number"], name="queuedobject_ref_idx"
            ),
            # QueuedObjectQuerySet.purge_processed() (hourly retention): the old processed
            # rows, found without reading every row of a table that only grows.
            models.Index(
                fields=["updated_at"],
                name="queuedobject_retention_idx",
                condition=Q(phase=Phase.PROCESSED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.identity}"

    # -- its FlowLink type --------------------------------------------------------
    @property
    def kind(self) -> ObjectType:
        """What FlowLink's type says of the object (identity, references, names); how it
        is written is the backend's (QuickBooks Desktop: qbwc.qbxml.mappers)."""
        return type_for(self.object_type)

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
            rules=self.mapping_rules(),
            **self.dependency_views(),
        )

    def mapping_rules(self) -> tuple[Rule, ...]:
        # Only a mapped object costs a query (the loop builds views of hundreds per message).
        version = self.mapping_version if self.mapping_version_id is not None else None
        return tuple(version.parsed_rules()) if version is not None else ()

    def dependency_views(self) -> dict[str, dict[str, Any]]:
        """ListID/TxnID and qb_state of each dependency, keyed "<object_type>:<identity>"."""
        ids: dict[str, str] = {}
        states: dict[str, dict[str, Any]] = {}
        # One query per call: only for the types that read them (the loop builds views
        # of hundreds of objects per message).
        if self.pk is not None and self.kind.reads_dependencies:
            for object_type, identity, qb_id, qb_state in self.dependencies.values_list(
                "object_type", "identity", "qb_id", "qb_state"
            ):
                ids[f"{object_type}:{identity}"] = qb_id
                states[f"{object_type}:{identity}"] = qb_state or {}
        return {"dependency_ids": ids, "dependency_states": states}

    @property
    def reference(self) -> str:
        return self.kind.reference(self.view())

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
                            self.kind.notice_name, self.identity, move.reason
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
        return self._retry(to, message, status_code, backoff_from=now or timezone.now())

    def retry_now(self, to: str, message: str, status_code: int | None, **fields: Any) -> bool:
        """Retry within this session (fresh EditSequence, stale ListID) counting the attempt."""
        return self._retry(to, message, status_code, **fields)

    def _retry(
        self,
        to: str,
        message: str,
        status_code: int | None,
        backoff_from: datetime | None = None,
        **fields: Any,
    ) -> bool:
        return self.take(
            transitions.retried(
                self.retry_count,
                settings.OBJECT_MAX_RETRIES,
                self.kind.notice_name,
                to,
                message,
                status_code,
                backoff_from,
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
        mapping_version_id: int | None = None,
    ) -> None:
        """FlowLink re-sent this object: the newest payload wins, without a duplicate.

        `external_guid` replaces the stored one for types where each call is a new record;
        it travels with the payload so an answer still in flight keeps the old one. So does
        `mapping_version_id`, the mapping active when this payload arrived.
        """
        fields: dict[str, Any] = {
            "payload": payload,
            "params": params,
            "request_id": request_id,
            "config_version": config_version,
            "mode": mode,
            "mapping_version_id": mapping_version_id,
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

    # -- intake: what a webhook learns about an object already queued (objects.intake) --
    # Not phase changes, so no history row: the "received" or "re-sent" event of the
    # same request records them.

    def allow_creation(self, payload: dict[str, Any]) -> bool:
        """A transaction may now create this record, which another one only referenced."""
        won = QueuedObject.objects.filter(pk=self.pk, mode=Mode.REQUIRE).update(
            mode=Mode.ENSURE, payload=payload
        )
        if won:
            self.mode, self.payload = Mode.ENSURE, payload
        return won == 1

    def adopt_external_guid(self, external_guid: str) -> bool:
        """Keep the first GUID sent to QuickBooks for the record (flowlink §5.4)."""
        won = QueuedObject.objects.filter(pk=self.pk, external_guid="").update(
            external_guid=external_guid
        )
        if won:
            self.external_guid = external_guid
        return won == 1

    def adopt_qb_id(self, qb_id: str) -> bool:
        """FlowLink named the record's ListID/TxnID before qbsync learnt it (flowlink §5.5)."""
        won = QueuedObject.objects.filter(pk=self.pk, qb_id="").update(qb_id=qb_id)
        if won:
            self.qb_id = qb_id
        return won == 1

    def renumber(self, ref_number: str) -> None:
        """Store the RefNumber derived from the newest payload (flowlink §5.5)."""
        QueuedObject.objects.filter(pk=self.pk).update(ref_number=ref_number)
        self.ref_number = ref_number

    # -- end of intake section --

    # -- for the Web Connector session loop (qbwc.loop) -----------------------------
    def give_back(self, reason: str) -> bool:
        """Give a claimed object back to the phase it was claimed from (look-up or write),
        without counting an attempt: QuickBooks ran none of its message's requests."""
        to = Phase.READY if self.claimed_from == Phase.READY else Phase.PENDING
        return self.unclaim(to, reason)

    def postpone(self, reason: str) -> bool:
        """QuickBooks itself could not run the request (a dialog open, not ready …): verify
        by look-up after the backoff, counting the attempt."""
        return self.retry_later(Phase.PENDING, reason, None)

    # -- end of the session loop's section ------------------------------------------


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
