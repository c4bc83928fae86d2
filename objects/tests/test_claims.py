"""Claiming many objects at once for one request message (QueuedObjectQuerySet.claim_for)."""

from __future__ import annotations

from objects.models import Phase, QueuedObject
from qbsync.test import BaseTestCase
from qbwc import dispatch


class ClaimTestCase(BaseTestCase):
    def make_objects(self, count: int) -> list[QueuedObject]:
        return [
            QueuedObject.objects.create(
                connection=self.connection, object_type="customers", identity=f"C{n}"
            )
            for n in range(count)
        ]

    def test_it_claims_pending_and_ready_objects_with_one_event_each(self) -> None:
        first, second = self.make_objects(2)
        second.claim("session:0")
        second.mark_found("", "", {})

        claimed = QueuedObject.objects.claim_for("session:1", [first, second])

        self.assertEqual(claimed, [first, second])
        for obj, reason in ((first, "lookup"), (second, "write")):
            obj.refresh_from_db()
            self.assertEqual(
                (obj.phase, obj.claimed_by), (Phase.IN_PROGRESS, "session:1"), obj.identity
            )
            self.assertEqual(obj.events.last().reason, f"sent to QuickBooks ({reason})")
        self.assertEqual((first.claimed_from, second.claimed_from), (Phase.PENDING, Phase.READY))

    def test_it_leaves_out_an_object_another_session_claimed_first(self) -> None:
        first, second = self.make_objects(2)
        stale = QueuedObject.objects.get(pk=second.pk)
        stale.claim("session:other")

        claimed = QueuedObject.objects.claim_for("session:1", [first, second])

        self.assertEqual(claimed, [first])
        second.refresh_from_db()
        self.assertEqual(second.claimed_by, "session:other")
        self.assertEqual(second.events.count(), 1)


class MoveClaimedTestCase(BaseTestCase):
    def claimed(self, *identities: str) -> list[QueuedObject]:
        objects = [
            QueuedObject.objects.create(
                connection=self.connection, object_type="customers", identity=identity
            )
            for identity in identities
        ]
        return QueuedObject.objects.claim_for("session:1", objects)

    def test_it_moves_each_object_with_its_own_values_and_one_event(self) -> None:
        first, second = self.claimed("A", "B")

        moved = QueuedObject.objects.move_claimed(
            "session:1",
            Phase.PROCESSED,
            [first, second],
            ["added A", "added B"],
            per_object={"qb_id": ["80000001-1", "80000002-1"], "edit_sequence": ["7", "8"]},
            last_status_code=0,
        )

        self.assertEqual(moved, [first, second])
        rows = QueuedObject.objects.order_by("identity").values_list(
            "phase", "qb_id", "edit_sequence", "claimed_by"
        )
        self.assertEqual(
            list(rows),
            [(Phase.PROCESSED, "80000001-1", "7", ""), (Phase.PROCESSED, "80000002-1", "8", "")],
        )
        self.assertEqual(first.events.last().reason, "added A")
        self.assertEqual((first.phase, second.qb_id), (Phase.PROCESSED, "80000002-1"))

    def test_it_stores_json_values_per_object(self) -> None:
        first, second = self.claimed("A", "B")
        lines = {"lines": [{"txn_line_id": "1-1", "item": 'Tee "large"'}]}

        QueuedObject.objects.move_claimed(
            "session:1",
            Phase.PROCESSED,
            [first, second],
            ["added A", "added B"],
            per_object={"qb_id": ["1-1", "2-1"], "qb_state": [lines, {}]},
        )

        states = QueuedObject.objects.order_by("identity").values_list("qb_state", flat=True)
        self.assertEqual(list(states), [lines, {}])
        self.assertEqual(first.qb_state, lines)

    def test_it_leaves_an_object_another_session_holds(self) -> None:
        (obj,) = self.claimed("A")

        moved = QueuedObject.objects.move_claimed("session:2", Phase.READY, [obj], ["found"])

        self.assertEqual(moved, [])
        obj.refresh_from_db()
        self.assertEqual((obj.phase, obj.claimed_by), (Phase.IN_PROGRESS, "session:1"))
        self.assertEqual(obj.events.count(), 1)


class PromoteTestCase(BaseTestCase):
    def make(self, object_type: str, identity: str, phase: str) -> QueuedObject:
        return QueuedObject.objects.create(
            connection=self.connection, object_type=object_type, identity=identity, phase=phase
        )

    def waiting_order(self, identity: str, *dependencies: QueuedObject) -> QueuedObject:
        order = self.make("orders", identity, Phase.TWO_PHASE_PENDING)
        order.dependencies.set(dependencies)
        return order

    def test_it_promotes_only_objects_whose_dependencies_are_processed(self) -> None:
        done = self.make("customers", "Done", Phase.PROCESSED)
        waiting = self.make("customers", "Waiting", Phase.PENDING)
        ready = self.waiting_order("R-ready", done)
        blocked = self.waiting_order("R-blocked", done, waiting)

        moved = dispatch.promote_waiting(self.connection)

        self.assertEqual(moved, 1)
        ready.refresh_from_db()
        blocked.refresh_from_db()
        self.assertEqual((ready.phase, blocked.phase), (Phase.PENDING, Phase.TWO_PHASE_PENDING))
        self.assertEqual(
            list(ready.events.values_list("from_phase", "to_phase", "reason")),
            [(Phase.TWO_PHASE_PENDING, Phase.PENDING, "dependencies processed")],
        )

    def test_it_promotes_only_dependents_of_the_answered_objects(self) -> None:
        answered = self.make("customers", "Answered", Phase.PROCESSED)
        earlier = self.make("customers", "Earlier", Phase.PROCESSED)
        mine = self.waiting_order("R-mine", answered, earlier)
        other = self.waiting_order("R-other", earlier)

        moved = dispatch.promote_dependents(self.connection, [answered.pk])

        self.assertEqual(moved, 1)
        mine.refresh_from_db()
        other.refresh_from_db()
        self.assertEqual((mine.phase, other.phase), (Phase.PENDING, Phase.TWO_PHASE_PENDING))
        # Nothing else is due: the full sweep finds the one left behind.
        self.assertEqual(dispatch.promote_waiting(self.connection), 1)
