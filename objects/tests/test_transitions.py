"""The queue's pure decisions (objects.models.transitions) and the paths that carry them out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import SimpleTestCase

from objects.models import Notification, Phase, QueuedObject, QueuedObjectEvent, transitions
from qbsync.test import BaseTestCase

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class TransitionTestCase(SimpleTestCase):
    def test_it_backs_off_exponentially_while_retries_remain(self) -> None:
        move = transitions.retried(2, 5, "Customer", Phase.PENDING, "in use", 3175, NOW)

        self.assertEqual((move.expected, move.to), ((Phase.IN_PROGRESS,), Phase.PENDING))
        self.assertEqual(move.reason, "attempt 3 failed, retrying: in use")
        self.assertEqual(move.fields["retry_count"], 3)
        self.assertEqual(move.fields["next_attempt_at"], NOW + timedelta(minutes=4))
        self.assertEqual(move.notify, "")

    def test_it_gives_up_with_a_failure_notice_once_retries_run_out(self) -> None:
        move = transitions.retried(5, 5, "Customer", Phase.READY, "stale", 3200)

        self.assertEqual((move.to, move.notify), (Phase.FAILED, Notification.Kind.FAILURE))
        self.assertEqual(
            move.reason,
            "3200: This customer never finished syncing to QuickBooks Desktop after 6 "
            "attempts: stale",
        )

    def test_it_leads_a_failure_with_its_code_once(self) -> None:
        self.assertEqual(transitions.failed("3100: taken", 3100).reason, "3100: taken")
        self.assertEqual(transitions.failed("taken", 0).reason, "taken")
        self.assertEqual(transitions.failed("bad", None, "0x80040400").reason, "0x80040400: bad")

    def test_it_notifies_a_processed_object_unless_told_not_to(self) -> None:
        self.assertEqual(
            transitions.processed("80-1", "1", "added").notify, Notification.Kind.SUCCESS
        )
        self.assertEqual(transitions.processed("80-1", "1", "linked", notify=False).notify, "")


class TakeTestCase(BaseTestCase):
    def make_claimed(self, identity: str) -> QueuedObject:
        obj = QueuedObject.objects.create(
            connection=self.connection, object_type="customers", identity=identity
        )
        obj.claim("session:1")
        return obj

    def test_it_writes_the_same_rows_one_at_a_time_and_set_level(self) -> None:
        alone, together = self.make_claimed("C1"), self.make_claimed("C2")

        alone.take(transitions.processed("80-1", "7", "added to QuickBooks"))
        QueuedObject.objects.take_claimed(
            "session:1", [(together, transitions.processed("80-2", "7", "added to QuickBooks"))]
        )

        for obj, qb_id in ((alone, "80-1"), (together, "80-2")):
            obj.refresh_from_db()
            self.assertEqual((obj.phase, obj.qb_id, obj.claimed_by), (Phase.PROCESSED, qb_id, ""))
            event = QueuedObjectEvent.objects.filter(queued_object=obj).last()
            assert event is not None
            self.assertEqual(
                (event.from_phase, event.to_phase, event.reason),
                (Phase.IN_PROGRESS, Phase.PROCESSED, "added to QuickBooks"),
            )
            notice = Notification.objects.get(queued_object=obj)
            self.assertEqual(
                notice.message,
                transitions.success_notice(obj.reference, obj.kind.notice_name),
            )
