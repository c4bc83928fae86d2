"""Queued objects and their phase history.

Every phase change goes through a verb-named method that updates conditionally
(`filter(pk=…, phase=<expected>).update(…)`) and writes one QueuedObjectEvent in
the same transaction, so two Web Connector requests or workers never both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection
from objects.fields import JSONField
from objects.models.notifications import Notification
from objects.qbxml.mappers import mapper_for
from objects.qbxml.mappers.base import Mapper, ObjectView


class Phase(models.TextChoices):
    PENDING = "pending", "Pending (look up in QuickBooks)"
    TWO_PHASE_PENDING = "two_phase_pending", "Two-phase pending (waiting for dependencies)"
    READY = "ready", "Ready (add or modify)"
    IN_PROGRESS = "in_progress", "In progress (request with QuickBooks)"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


ACTIVE_PHASES = (Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY, Phase.IN_PROGRESS)
SENDABLE_PHASES = (Phase.PENDING, Phase.READY)


class Mode(models.TextChoices):
    UPSERT = "upsert", "Add or modify (sent by FlowLink)"
    ENSURE = "ensure", "Add if missing (dependency)"
    REQUIRE = "require", "Must exist (reference)"


def update_from_values(
    model: type[models.Model], columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> None:
    """Set per-row values of many rows with one UPDATE joined to a VALUES list.

    `rows` are (pk, value, …) in the order of `columns` ((name, SQL type to cast to)).
    Where the values differ per row (ListIDs, QuickBooks' status texts) this is one
    statement, where a CASE (bulk_update) costs hundreds of compiled expressions.
    """
    if not rows:
        return
    table = model._meta.db_table
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"] * len(rows))
    assignments = ", ".join(
        f"{name} = CAST(v.column{n} AS {sql_type})" for n, (name, sql_type) in enumerate(columns, 2)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM (VALUES {placeholders}) AS v "
            f"WHERE {table}.id = CAST(v.column1 AS bigint)",
            [value for row in rows for value in row],
        )


class QueuedObjectQuerySet(models.QuerySet["QueuedObject"]):
    def active(self) -> QueuedObjectQuerySet:
        return self.filter(phase__in=ACTIVE_PHASES)

    def due(self, now: datetime) -> QueuedObjectQuerySet:
        """Pending or ready objects whose backoff (if any) has passed."""
        return self.filter(phase__in=SENDABLE_PHASES).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def claim_for(self, claimer: str, objects: list[QueuedObject]) -> list[QueuedObject]:
        """Claim many objects at once for one request message; return the ones won, in order.

        The set-level twin of QueuedObject.claim(): one conditional UPDATE per phase a
        claim starts from, then one history row per object won, all in one transaction.
        An object another session moved first is simply not among those returned.
        """
        now = timezone.now()
        won: set[int] = set()
        with transaction.atomic():
            for phase in SENDABLE_PHASES:
                ids = [o.pk for o in objects if o.phase == phase]
                if not ids:
                    continue
                QueuedObject.objects.filter(pk__in=ids, phase=phase).update(
                    phase=Phase.IN_PROGRESS,
                    claimed_by=claimer,
                    claimed_at=now,
                    claimed_from=phase,
                    updated_at=now,
                )
                # claimed_at is this update's own timestamp: the rows carrying it are ours.
                won.update(
                    QueuedObject.objects.filter(
                        pk__in=ids, phase=Phase.IN_PROGRESS, claimed_by=claimer, claimed_at=now
                    ).values_list("pk", flat=True)
                )
            claimed = [o for o in objects if o.pk in won]
            QueuedObjectEvent.objects.bulk_create(
                QueuedObjectEvent(
                    queued_object=o,
                    from_phase=o.phase,
                    to_phase=Phase.IN_PROGRESS,
                    reason=(
                        f"sent to QuickBooks ({'lookup' if o.phase == Phase.PENDING else 'write'})"
                    ),
                    at=now,
                )
                for o in claimed
            )
        for o in claimed:
            o.claimed_from = o.phase
            o.phase = Phase.IN_PROGRESS
            o.claimed_by = claimer
            o.claimed_at = now
            o.updated_at = now
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
            if columns:
                # The rows just moved are ours (locked until commit): their own values next,
                # each bound and cast as its field's database type (varchar, jsonb).
                # per_object names concrete fields only: never a relation's reverse side,
                # so each is a Field with a column and a database type.
                fields_of = [
                    cast("models.Field[Any, Any]", QueuedObject._meta.get_field(name))
                    for name in columns
                ]
                update_from_values(
                    QueuedObject,
                    [
                        (cast(str, f.column), cast(str, f.db_type(connection)).split("(")[0])
                        for f in fields_of
                    ],
                    [
                        (
                            o.pk,
                            *(
                                f.get_db_prep_save(column[index], connection)
                                for f, column in zip(fields_of, columns.values(), strict=True)
                            ),
                        )
                        for index, o in enumerate(objects)
                        if o.pk in won
                    ],
                )
            moved = [(o, r) for o, r in zip(objects, reasons, strict=True) if o.pk in won]
            QueuedObjectEvent.objects.bulk_create(
                QueuedObjectEvent(
                    queued_object=o, from_phase=o.phase, to_phase=to, reason=r[:2000], at=now
                )
                for o, r in moved
            )
        for index, o in enumerate(objects):
            if o.pk not in won:
                continue
            o.phase, o.claimed_by, o.updated_at = to, "", now
            for key, value in fields.items():
                setattr(o, key, value)
            for name, column in (per_object or {}).items():
                setattr(o, name, column[index])
        return [o for o, _ in moved]

    def promote_all(self) -> int:
        """Move every promotable object here to pending: the set-level twin of promote().

        One conditional UPDATE and one history row per object moved, in one
        transaction; an object that failed meanwhile is simply not moved.
        """
        now = timezone.now()
        with transaction.atomic(savepoint=False):
            ids = list(self.promotable().values_list("pk", flat=True))
            if not ids:
                return 0
            QueuedObject.objects.filter(pk__in=ids, phase=Phase.TWO_PHASE_PENDING).update(
                phase=Phase.PENDING, updated_at=now
            )
            # updated_at is this update's own timestamp: the rows carrying it moved now.
            won = list(
                QueuedObject.objects.filter(
                    pk__in=ids, phase=Phase.PENDING, updated_at=now
                ).values_list("pk", flat=True)
            )
            QueuedObjectEvent.objects.bulk_create(
                QueuedObjectEvent(
                    queued_object_id=pk,
                    from_phase=Phase.TWO_PHASE_PENDING,
                    to_phase=Phase.PENDING,
                    reason="dependencies processed",
                    at=now,
                )
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

    # -- for the Web Connector session loop (qbwc.loop) -----------------------------
    def held_by(self, claimer: str) -> QueuedObjectQuerySet:
        """Objects whose request in flight belongs to `claimer` (one session)."""
        return self.filter(phase=Phase.IN_PROGRESS, claimed_by=claimer)

    def resendable(self, ids: list[int]) -> list[QueuedObject]:
        """Of `ids` (a group a rejected message is resent in), those still sendable, oldest
        first; backoff does not apply, the group was sent moments ago."""
        return list(self.filter(pk__in=ids, phase__in=SENDABLE_PHASES).order_by("created_at", "id"))

    def count_left(self, now: datetime, cap: int) -> int:
        """Objects still to send or waiting for dependencies, each kind counted up to `cap`
        (a backlog of 100,000 then costs what one of 1,000 does)."""
        return (
            self.due(now)[:cap].count() + self.filter(phase=Phase.TWO_PHASE_PENDING)[:cap].count()
        )

    # -- end of the session loop's section ------------------------------------------


def with_code(message: str, code: int | str | None) -> str:
    """`message` led by QuickBooks' status code or HRESULT, once (0 and None are no code)."""
    if code is None or code == 0 or code == "":
        return message
    prefix = f"{code}: "
    return message if message.startswith(prefix) else prefix + message


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
            QueuedObjectEvent.objects.create(
                queued_object=self, from_phase=self.phase, to_phase=to, reason=reason[:2000], at=now
            )
        self.phase = to
        for key, value in fields.items():
            setattr(self, key, value)
        return True

    def claim(self, claimer: str) -> bool:
        """Take a pending (lookup) or ready (write) object for a request in flight."""
        return self._move(
            SENDABLE_PHASES,
            Phase.IN_PROGRESS,
            f"sent to QuickBooks ({'lookup' if self.phase == Phase.PENDING else 'write'})",
            claimed_by=claimer,
            claimed_at=timezone.now(),
            claimed_from=self.phase,
        )

    def promote(self) -> bool:
        """Dependencies are in QuickBooks: look the object itself up next."""
        return self._move((Phase.TWO_PHASE_PENDING,), Phase.PENDING, "dependencies processed")

    def wait_for(self, other: QueuedObject, reason: str) -> bool:
        """Wait for `other`, which writes the record this object stands for, then look it up.

        Not while a request of this object is with QuickBooks: its answer decides.
        """
        with transaction.atomic(savepoint=False):
            won = self._move(
                (Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY),
                Phase.TWO_PHASE_PENDING,
                reason,
                next_attempt_at=None,
            )
            if won:
                self.dependencies.add(other)
        return won

    def mark_found(self, qb_id: str, edit_sequence: str, qb_state: dict[str, Any]) -> bool:
        """A lookup answered: the object exists (qb_id set) or not (qb_id empty)."""
        reason = f"found in QuickBooks as {qb_id}" if qb_id else "not in QuickBooks yet"
        return self._move(
            (Phase.IN_PROGRESS,),
            Phase.READY,
            reason,
            qb_id=qb_id,
            edit_sequence=edit_sequence,
            qb_state=qb_state,
            claimed_by="",
        )

    def forget_deleted(self, reason: str) -> bool:
        """A delete was acknowledged and the object is written anew: ready, with no ids."""
        return self._move(
            (Phase.IN_PROGRESS,),
            Phase.READY,
            reason,
            qb_id="",
            edit_sequence="",
            qb_state={},
            claimed_by="",
        )

    def unclaim(self, to: str, reason: str) -> bool:
        """Give a claimed object back without counting an attempt (its request never ran)."""
        return self._move((Phase.IN_PROGRESS,), to, reason, claimed_by="")

    def process(
        self,
        qb_id: str,
        edit_sequence: str,
        reason: str,
        notify: bool = True,
        qb_state: dict[str, Any] | None = None,
    ) -> bool:
        # qb_state (e.g. a sales order's TxnLineIDs) lets dependents link to the record.
        extra: dict[str, Any] = {} if qb_state is None else {"qb_state": qb_state}
        with transaction.atomic(savepoint=False):
            won = self._move(
                (Phase.IN_PROGRESS,),
                Phase.PROCESSED,
                reason,
                qb_id=qb_id,
                edit_sequence=edit_sequence,
                claimed_by="",
                last_status_code=0,
                last_status_message="",
                next_attempt_at=None,
                **extra,
            )
            if won and notify:
                Notification.objects.create(
                    connection_id=self.connection_id,
                    queued_object=self,
                    object_type=self.object_type,
                    kind=Notification.Kind.SUCCESS,
                    message=(
                        f"{self.reference}: {self.mapper.notice_name} successfully sent to "
                        "Quickbooks Desktop"
                    ),
                    request_id=self.request_id,
                )
        if won:
            self.apply_newer_payload()
        return won

    def fail(self, message: str, status_code: int | None = None, hresult: str = "") -> bool:
        """Fail for good (until requeued): one failure notification, dependents fail too.

        The message FlowLink reads starts with QuickBooks' code (`3100: …`, or the HRESULT
        of a refused message, `0x80040400: …`): users search for failures by code.
        """
        message = with_code(message, hresult or status_code)
        with transaction.atomic(savepoint=False):
            won = self._move(
                ACTIVE_PHASES,
                Phase.FAILED,
                message,
                claimed_by="",
                last_status_code=status_code,
                last_status_message=message,
                next_attempt_at=None,
            )
            if not won:
                return False
            Notification.objects.create(
                connection_id=self.connection_id,
                queued_object=self,
                object_type=self.object_type,
                kind=Notification.Kind.FAILURE,
                message=f"{self.reference}: {message}",
                status_code=status_code,
                request_id=self.request_id,
            )
            for dependent in self.dependents.filter(phase__in=ACTIVE_PHASES):
                dependent.fail(f"{self.mapper.notice_name} '{self.identity}' failed: {message}")
        if self.pending_payload is not None:
            self.apply_newer_payload()
        return True

    def _give_up(self, attempts: int, message: str, status_code: int | None) -> bool:
        return self.fail(
            f"This {self.mapper.notice_name.lower()} never finished syncing to QuickBooks "
            f"Desktop after {attempts} attempts: {message}",
            status_code,
        )

    def retry_later(
        self, to: str, message: str, status_code: int | None, now: datetime | None = None
    ) -> bool:
        """A transient failure: back to `to` with backoff, or fail once retries run out."""
        attempts = self.retry_count + 1
        if attempts > settings.OBJECT_MAX_RETRIES:
            return self._give_up(attempts, message, status_code)
        now = now or timezone.now()
        # Exponential backoff: 1, 2, 4 … minutes; a later session picks it up.
        delay = timedelta(minutes=2 ** (attempts - 1))
        return self._move(
            (Phase.IN_PROGRESS,),
            to,
            f"attempt {attempts} failed, retrying: {message}",
            retry_count=attempts,
            next_attempt_at=now + delay,
            claimed_by="",
            last_status_code=status_code,
            last_status_message=message,
        )

    def retry_now(self, to: str, message: str, status_code: int | None, **fields: Any) -> bool:
        """Retry within this session (fresh EditSequence, stale ListID) counting the attempt."""
        attempts = self.retry_count + 1
        if attempts > settings.OBJECT_MAX_RETRIES:
            return self._give_up(attempts, message, status_code)
        return self._move(
            (Phase.IN_PROGRESS,),
            to,
            f"retrying: {message}",
            retry_count=attempts,
            claimed_by="",
            last_status_code=status_code,
            last_status_message=message,
            **fields,
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
        to = Phase.TWO_PHASE_PENDING if self.dependencies.exists() else Phase.PENDING
        return self._move(
            (Phase.FAILED,),
            to,
            reason,
            retry_count=0,
            next_attempt_at=None,
        )

    def cancel(self, by: str = "an operator") -> bool:
        """Stop an object before it reaches QuickBooks; FlowLink hears it failed."""
        return self.fail(f"Cancelled by {by} before it reached QuickBooks Desktop")

    def release(self, reason: str) -> bool:
        """The request's outcome is unknown (session lost): verify by lookup before writing."""
        return self._move((Phase.IN_PROGRESS,), Phase.PENDING, reason, claimed_by="")

    def requeue(self, reason: str = "requeued by an operator") -> bool:
        """Send a failed or processed object again (a processed one becomes a Mod)."""
        to = Phase.TWO_PHASE_PENDING if self.dependencies.exists() else Phase.PENDING
        return self._move(
            (Phase.FAILED, Phase.PROCESSED),
            to,
            reason,
            retry_count=0,
            next_attempt_at=None,
            last_status_code=None,
            last_status_message="",
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
        to = Phase.TWO_PHASE_PENDING if has_dependencies else Phase.PENDING
        reason = (
            "re-sent after processing: queued as a modification"
            if self.phase == Phase.PROCESSED
            else "re-sent by FlowLink: newest payload replaces the queued one"
        )
        self._move(
            (Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY, Phase.PROCESSED, Phase.FAILED),
            to,
            reason,
            retry_count=0,
            next_attempt_at=None,
            pending_payload=None,
            # A new payload starts afresh: no earlier answer counts against it.
            last_status_code=None,
            **fields,
        )

    def apply_newer_payload(self) -> None:
        """Queue the payload that arrived while the previous version was in flight."""
        self.refresh_from_db(fields=["pending_payload"])
        if not self.pending_payload:
            return
        fields = dict(self.pending_payload)
        to = Phase.TWO_PHASE_PENDING if self.dependencies.exists() else Phase.PENDING
        self._move(
            (Phase.PROCESSED, Phase.FAILED),
            to,
            "newer payload received while in flight",
            retry_count=0,
            next_attempt_at=None,
            pending_payload=None,
            **fields,
        )

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
