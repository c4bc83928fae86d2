"""The stuck-object sweeper and the operator verbs (retry, cancel, requeue) and commands."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import TransactionTestCase

from connections.models import Connection
from objects.models import Notification, Phase, QueuedObject
from objects.tasks import sweep_stuck_objects
from qbsync.test import BaseTestCase, make_connection, require_postgresql

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_object(connection: Connection, identity: str = "Jo", **fields: object) -> QueuedObject:
    fields.setdefault("phase", Phase.PENDING)
    return QueuedObject.objects.create(
        connection=connection,
        object_type="customers",
        identity=identity,
        payload={"name": identity},
        **fields,
    )


def in_flight(connection: Connection, identity: str = "Jo", since: datetime = T0) -> QueuedObject:
    return make_object(
        connection,
        identity,
        phase=Phase.IN_PROGRESS,
        claimed_by="session:1",
        claimed_at=since,
        claimed_from=Phase.READY,
    )


class SweeperTestCase(BaseTestCase):
    def test_it_leaves_an_object_in_flight_for_less_than_the_timeout(self) -> None:
        obj = in_flight(self.connection)

        swept = QueuedObject.objects.sweep_stuck(T0 + timedelta(minutes=30))

        obj.refresh_from_db()
        self.assertEqual((swept, obj.phase), (0, Phase.IN_PROGRESS))

    def test_it_sends_a_stuck_object_back_to_a_lookup_counting_a_retry(self) -> None:
        obj = in_flight(self.connection)

        swept = QueuedObject.objects.sweep_stuck(T0 + timedelta(minutes=31))

        obj.refresh_from_db()
        self.assertEqual(swept, 1)
        # Back to pending, not ready: the write may have landed, so look it up first.
        self.assertEqual((obj.phase, obj.retry_count, obj.claimed_by), (Phase.PENDING, 1, ""))
        self.assertEqual(obj.next_attempt_at, T0 + timedelta(minutes=32))
        self.assertIn(
            "no answer from QuickBooks within 30 minutes", obj.events.get(to_phase="pending").reason
        )

    def test_it_fails_the_object_with_a_notification_after_three_retries(self) -> None:
        obj = in_flight(self.connection)
        now = T0
        for _ in range(4):
            now += timedelta(minutes=31)
            QueuedObject.objects.filter(pk=obj.pk).update(
                phase=Phase.IN_PROGRESS,
                claimed_by="session:1",
                claimed_at=now - timedelta(minutes=31),
            )
            QueuedObject.objects.sweep_stuck(now)

        obj.refresh_from_db()
        self.assertEqual((obj.phase, obj.retry_count), (Phase.FAILED, 3))
        notice = Notification.objects.get(kind=Notification.Kind.FAILURE)
        self.assertIn(
            "never finished syncing to QuickBooks Desktop after 4 attempts", notice.message
        )

    def test_two_workers_holding_the_same_stuck_object_retry_it_once(self) -> None:
        in_flight(self.connection)
        first_worker = QueuedObject.objects.get()
        second_worker = QueuedObject.objects.get()
        now = T0 + timedelta(minutes=31)

        results = [first_worker.sweep(30, now), second_worker.sweep(30, now)]

        obj = QueuedObject.objects.get()
        self.assertEqual(results, [True, False])
        self.assertEqual(obj.retry_count, 1)
        self.assertEqual(obj.events.count(), 1)

    def test_the_task_sweeps_with_the_current_time(self) -> None:
        in_flight(self.connection)
        with time_machine.travel(T0 + timedelta(minutes=45), tick=False):
            self.assertEqual(sweep_stuck_objects(), 1)


class ConcurrentSweepTestCase(TransactionTestCase):
    """Two workers, two database connections, one stuck object: one retry (PostgreSQL)."""

    def test_two_workers_sweeping_at_once_count_one_retry(self) -> None:
        require_postgresql("row locks (SKIP LOCKED) need PostgreSQL")
        connection = make_connection("acme")
        for n in range(20):
            in_flight(connection, f"Jo{n}")
        barrier = threading.Barrier(2)
        counts: list[int] = []

        def worker() -> None:
            try:
                barrier.wait()
                counts.append(QueuedObject.objects.sweep_stuck(T0 + timedelta(minutes=31)))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(sum(counts), 20)
        self.assertEqual(
            set(QueuedObject.objects.values_list("phase", "retry_count")), {(Phase.PENDING, 1)}
        )
        for obj in QueuedObject.objects.all():
            self.assertEqual(obj.events.count(), 1)


class OperatorVerbTestCase(BaseTestCase):
    def test_retry_sends_a_failed_object_again_with_a_fresh_retry_budget(self) -> None:
        obj = make_object(self.connection, phase=Phase.FAILED, retry_count=4, last_status_code=3140)

        self.assertTrue(obj.retry())

        obj.refresh_from_db()
        self.assertEqual((obj.phase, obj.retry_count), (Phase.PENDING, 0))

    def test_retry_leaves_an_object_that_did_not_fail(self) -> None:
        obj = make_object(self.connection, phase=Phase.PROCESSED)
        self.assertFalse(obj.retry())

    def test_retry_waits_for_unprocessed_dependencies(self) -> None:
        customer = make_object(self.connection, "Jo")
        order = QueuedObject.objects.create(
            connection=self.connection, object_type="orders", identity="O-1", phase=Phase.FAILED
        )
        order.dependencies.add(customer)

        order.retry()

        self.assertEqual(order.phase, Phase.TWO_PHASE_PENDING)

    def test_cancel_fails_a_queued_object_and_tells_flowlink(self) -> None:
        obj = make_object(self.connection)

        self.assertTrue(obj.cancel("ops@example.com"))

        obj.refresh_from_db()
        self.assertEqual(obj.phase, Phase.FAILED)
        notice = Notification.objects.get()
        self.assertEqual(
            notice.message, "Jo: Cancelled by ops@example.com before it reached QuickBooks Desktop"
        )

    def test_cancel_leaves_a_processed_object(self) -> None:
        obj = make_object(self.connection, phase=Phase.PROCESSED)
        self.assertFalse(obj.cancel())


class OperatorCommandTestCase(BaseTestCase):
    def test_retry_failed_retries_the_failed_objects_of_a_connection(self) -> None:
        failed = make_object(self.connection, "A", phase=Phase.FAILED, last_status_message="boom")
        make_object(self.connection, "B", phase=Phase.PROCESSED)
        other = make_object(make_connection("other"), "C", phase=Phase.FAILED)
        out = StringIO()

        call_command("retry_failed", "--connection=acme", stdout=out)

        self.assertEqual(QueuedObject.objects.get(pk=failed.pk).phase, Phase.PENDING)
        self.assertEqual(QueuedObject.objects.get(pk=other.pk).phase, Phase.FAILED)
        self.assertIn("1 object(s) retried.", out.getvalue())

    def test_retry_failed_lists_without_changing_on_a_dry_run(self) -> None:
        failed = make_object(self.connection, "A", phase=Phase.FAILED)
        out = StringIO()
        call_command("retry_failed", str(failed.pk), "--dry-run", stdout=out)
        self.assertEqual(QueuedObject.objects.get(pk=failed.pk).phase, Phase.FAILED)
        self.assertIn("1 object(s) would be retried.", out.getvalue())

    def test_requeue_queues_a_processed_object_again(self) -> None:
        obj = make_object(self.connection, phase=Phase.PROCESSED, qb_id="80000001-1")
        call_command("requeue", str(obj.pk), stdout=StringIO())
        self.assertEqual(QueuedObject.objects.get(pk=obj.pk).phase, Phase.PENDING)

    def test_cancel_cancels_by_flowlink_id(self) -> None:
        obj = make_object(self.connection, "Jo")
        call_command("cancel", "--connection=acme", "--identity=Jo", stdout=StringIO())
        self.assertEqual(QueuedObject.objects.get(pk=obj.pk).phase, Phase.FAILED)

    def test_commands_refuse_to_act_on_everything_unasked(self) -> None:
        with self.assertRaisesMessage(CommandError, "name objects by id"):
            call_command("cancel", stdout=StringIO())


class RetryAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.operator)

    def test_the_retry_button_calls_the_verb_and_comes_back_to_the_object(self) -> None:
        obj = make_object(self.connection, phase=Phase.FAILED, last_status_message="boom")

        response = self.client.post(f"/admin/objects/queuedobject/{obj.pk}/do/retry/")

        self.assertRedirects(response, f"/admin/objects/queuedobject/{obj.pk}/change/")
        obj.refresh_from_db()
        self.assertEqual(obj.phase, Phase.PENDING)
        self.assertTrue(obj.events.filter(reason="retried by operator").exists())

    def test_the_admin_action_cancels_the_selected_objects(self) -> None:
        obj = make_object(self.connection)
        self.client.post(
            "/admin/objects/queuedobject/",
            {"action": "cancel_selected", "_selected_action": [obj.pk]},
        )
        self.assertEqual(QueuedObject.objects.get(pk=obj.pk).phase, Phase.FAILED)

    def test_the_dashboard_shows_health_and_phase_counts_per_connection(self) -> None:
        make_object(self.connection, "A", phase=Phase.FAILED)
        make_object(self.connection, "B", phase=Phase.FAILED)

        page = self.client.get("/admin/")

        self.assertContains(page, 'data-connection="acme"')
        self.assertContains(page, 'phase__exact=failed">2</a>')
        self.assertContains(page, "waiting")

    def test_the_detail_page_offers_only_the_verbs_the_phase_allows(self) -> None:
        obj = make_object(self.connection, phase=Phase.PROCESSED)
        page = self.client.get(f"/admin/objects/queuedobject/{obj.pk}/change/")
        self.assertContains(page, 'value="requeue"')
        self.assertNotContains(page, 'value="retry"')
        self.assertNotContains(page, 'value="cancel"')
