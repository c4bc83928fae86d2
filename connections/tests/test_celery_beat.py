"""A real Celery worker with embedded beat runs one tick of the schedule against Redis."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta

from django.test import TransactionTestCase
from django.utils import timezone

from connections.models import AlertDelivery, Connection, Incident
from connections.tests.test_alerts import SECRET, Receiver
from objects.models import Phase, QueuedObject
from qbsync.test import CeleryWorker, make_connection, require_celery_broker


class CeleryBeatTestCase(TransactionTestCase):
    def test_one_beat_tick_opens_an_incident_alerts_and_sweeps(self) -> None:
        url = require_celery_broker()
        receiver = Receiver(failures=0)
        receiver.__enter__()
        self.addCleanup(receiver.__exit__)
        connection = make_connection("acme")
        Connection.objects.filter(pk=connection.pk).update(
            last_contact_at=timezone.now() - timedelta(hours=1),
            alert_url=receiver.url,
            alert_secret=SECRET,
        )
        stuck = QueuedObject.objects.create(
            connection=connection,
            object_type="customers",
            identity="Jo",
            phase=Phase.IN_PROGRESS,
            claimed_by="session:gone",
            claimed_at=timezone.now() - timedelta(hours=2),
        )
        workdir = tempfile.mkdtemp(prefix="qbsync-beat-")
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        beat = CeleryWorker(
            url,
            "qbsync-beat-test",
            "--beat",
            "--schedule",
            os.path.join(workdir, "celerybeat-schedule"),
            "--loglevel=INFO",
            "--without-mingle",
            CELERY_TASK_DEFAULT_QUEUE="qbsync-beat-test",
            PERIODIC_TASK_SECONDS="1",
        )

        def has_alerted_and_swept() -> bool:
            stuck.refresh_from_db()
            sent = AlertDelivery.objects.filter(status=AlertDelivery.Status.SENT).exists()
            return sent and stuck.phase != Phase.IN_PROGRESS

        with beat:
            beat.wait_until(has_alerted_and_swept)
        output = beat.output
        self.assertEqual(Incident.objects.open().count(), 1, output)
        self.assertEqual(AlertDelivery.objects.get().status, AlertDelivery.Status.SENT, output)
        self.assertEqual(len(receiver.received), 1)
        self.assertEqual((stuck.phase, stuck.retry_count), (Phase.PENDING, 1), output)
