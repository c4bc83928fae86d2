"""A real Celery worker with embedded beat runs one tick of the schedule against Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import timedelta

from django.conf import settings
from django.db import connection as db
from django.test import TransactionTestCase
from django.utils import timezone

from connections.models import AlertDelivery, Connection, Incident
from connections.tests.test_alerts import SECRET, Receiver
from objects.models import Phase, QueuedObject
from qbsync.test import make_connection


def broker_url() -> str:
    url = os.environ.get("CELERY_TEST_BROKER_URL", "")
    if url and db.vendor == "postgresql":
        return url
    if os.environ.get("CI") == "true":
        raise AssertionError("CI needs CELERY_TEST_BROKER_URL (Redis) and PostgreSQL")
    raise unittest.SkipTest("set CELERY_TEST_BROKER_URL and DATABASE_URL (PostgreSQL)")


class CeleryBeatTestCase(TransactionTestCase):
    def test_one_beat_tick_opens_an_incident_alerts_and_sweeps(self) -> None:
        url = broker_url()
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
        database = settings.DATABASES["default"]
        workdir = tempfile.mkdtemp(prefix="qbsync-beat-")
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        env = {
            **os.environ,
            "CELERY_BROKER_URL": url,
            "CELERY_TASK_DEFAULT_QUEUE": "qbsync-beat-test",
            "PERIODIC_TASK_SECONDS": "1",
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or '127.0.0.1'}"
                f":{database['PORT'] or 5432}/{database['NAME']}"
            ),
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qbsync",
                "worker",
                "--beat",
                "--schedule",
                os.path.join(workdir, "celerybeat-schedule"),
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                "qbsync-beat-test",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                stuck.refresh_from_db()
                sent = AlertDelivery.objects.filter(status=AlertDelivery.Status.SENT).exists()
                if sent and stuck.phase != Phase.IN_PROGRESS:
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0].decode(errors="replace")
        self.assertEqual(Incident.objects.open().count(), 1, output)
        self.assertEqual(AlertDelivery.objects.get().status, AlertDelivery.Status.SENT, output)
        self.assertEqual(len(receiver.received), 1)
        self.assertEqual((stuck.phase, stuck.retry_count), (Phase.PENDING, 1), output)
