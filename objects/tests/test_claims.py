"""Claiming many objects at once for one request message (QueuedObjectQuerySet.claim_for)."""

from __future__ import annotations

from objects.models import Phase, QueuedObject
from qbsync.test import BaseTestCase


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
