"""A real Celery worker on Redis runs the session-expiry task against the test database."""

from __future__ import annotations

from datetime import timedelta

from celery import Celery
from django.test import TransactionTestCase
from django.utils import timezone

from objects.models import Phase, QueuedObject
from qbsync.test import CeleryWorker, make_connection, require_celery_broker
from qbwc.models import Session, hash_ticket


class CeleryWorkerTestCase(TransactionTestCase):
    def test_it_expires_a_stale_session_through_a_real_worker(self) -> None:
        url = require_celery_broker()
        connection = make_connection("acme")
        session = Session.objects.create(
            connection=connection,
            ticket_hash=hash_ticket("t"),
            last_call_at=timezone.now() - timedelta(hours=1),
        )
        obj = QueuedObject.objects.create(
            connection=connection,
            object_type="customers",
            identity="Jo",
            phase=Phase.IN_PROGRESS,
            claimed_by=session.claimer,
        )
        with CeleryWorker(url, "qbsync-test", "--loglevel=WARNING") as worker:
            Celery(broker=url).send_task("qbwc.tasks.expire_sessions", queue="qbsync-test")

            def is_expired() -> bool:
                session.refresh_from_db()
                return session.status != Session.Status.ACTIVE

            worker.wait_until(is_expired)
        obj.refresh_from_db()
        self.assertEqual(session.status, Session.Status.EXPIRED, worker.output)
        self.assertEqual(obj.phase, Phase.PENDING)
