"""A real Celery worker on Redis runs the session-expiry task against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unittest
from datetime import timedelta

from celery import Celery
from django.conf import settings
from django.db import connection as db
from django.test import TransactionTestCase
from django.utils import timezone

from objects.models import Phase, QueuedObject
from qbsync.test import make_connection
from qbwc.models import Session, hash_ticket


def broker_url() -> str:
    url = os.environ.get("CELERY_TEST_BROKER_URL", "")
    if url and db.vendor == "postgresql":
        return url
    if os.environ.get("CI") == "true":
        raise AssertionError("CI needs CELERY_TEST_BROKER_URL (Redis) and PostgreSQL")
    raise unittest.SkipTest("set CELERY_TEST_BROKER_URL and DATABASE_URL (PostgreSQL)")


class CeleryWorkerTestCase(TransactionTestCase):
    def test_it_expires_a_stale_session_through_a_real_worker(self) -> None:
        url = broker_url()
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
        database = settings.DATABASES["default"]
        env = {
            **os.environ,
            "CELERY_BROKER_URL": url,
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
                "--pool=solo",
                "--loglevel=WARNING",
                "-Q",
                "qbsync-test",
                "--without-heartbeat",
                "--without-gossip",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            sender = Celery(broker=url)
            sender.send_task("qbwc.tasks.expire_sessions", queue="qbsync-test")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                session.refresh_from_db()
                if session.status != Session.Status.ACTIVE:
                    break
                time.sleep(0.5)
        finally:
            worker.terminate()
            output = worker.communicate(timeout=30)[0].decode(errors="replace")
        obj.refresh_from_db()
        self.assertEqual(session.status, Session.Status.EXPIRED, output)
        self.assertEqual(obj.phase, Phase.PENDING)
