"""What is done to many queued objects at once: finding work and moving sets of objects.

The set-level twins of QueuedObject's transitions carry out the same decisions
(objects.models.transitions) with one conditional UPDATE per outcome and one history
row per object moved.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from objects.models import transitions
from objects.models.notifications import Notification
from objects.models.phases import ACTIVE_PHASES, SENDABLE_PHASES, Phase
from objects.models.sql import update_fields_from_values
from objects.models.transitions import Transition

if TYPE_CHECKING:
    from objects.models.queued import QueuedObject, QueuedObjectEvent


def _event_model() -> type[QueuedObjectEvent]:
    # The model's module imports this one (for its manager): the history model is
    # looked up in the app registry when a method runs.
    return apps.get_model("objects", "QueuedObjectEvent")


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
        links = self.model.dependencies.through.objects.filter(to_queuedobject_id__in=answered)
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
                self.model.objects.filter(pk__in=ids, phase=phase).update(
                    phase=move.to, updated_at=now, **move.fields
                )
                # claimed_at is this update's own timestamp: the rows carrying it are ours.
                for pk in self.model.objects.filter(
                    pk__in=ids, phase=move.to, claimed_by=claimer, claimed_at=now
                ).values_list("pk", flat=True):
                    won[pk] = move
            claimed = [o for o in objects if o.pk in won]
            _event_model().objects.bulk_create(
                _event_model().record(o.pk, o.phase, won[o.pk].to, won[o.pk].reason, now)
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
            self.model.objects.filter(
                pk__in=ids, phase=Phase.IN_PROGRESS, claimed_by=claimer
            ).update(**values)
            # updated_at is this update's own timestamp: the rows carrying it moved now.
            won = set(
                self.model.objects.filter(pk__in=ids, phase=to, updated_at=now).values_list(
                    "pk", flat=True
                )
            )
            moved = [index for index, o in enumerate(objects) if o.pk in won]
            # The rows just moved are ours (locked until commit): their own values next.
            update_fields_from_values(
                self.model,
                [objects[index].pk for index in moved],
                {name: [column[index] for index in moved] for name, column in columns.items()},
            )
            _event_model().objects.bulk_create(
                _event_model().record(
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
                self.model.objects.filter(
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
            self.model.objects.filter(pk__in=ids, phase__in=move.expected).update(
                phase=move.to, updated_at=now, **move.fields
            )
            # updated_at is this update's own timestamp: the rows carrying it moved now.
            won = list(
                self.model.objects.filter(pk__in=ids, phase=move.to, updated_at=now).values_list(
                    "pk", flat=True
                )
            )
            _event_model().objects.bulk_create(
                _event_model().record(pk, Phase.TWO_PHASE_PENDING, move.to, move.reason, now)
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
