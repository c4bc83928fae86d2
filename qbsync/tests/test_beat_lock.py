"""One beat across the deployment: a second beat stands by until the first one dies."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from django.test import TransactionTestCase

from qbsync.beat import BeatLock, database_conninfo
from qbsync.processes import ProcessGroup, wait_for
from qbsync.test import CeleryWorker, require_celery_broker, require_postgresql

QUEUE = "qbsync-beat-lock"
SENT = "Sending due task"
BOUND = 60


class BeatLockTestCase(TransactionTestCase):
    def setUp(self) -> None:
        require_postgresql("set DATABASE_URL to a PostgreSQL server")

    def test_it_lets_one_holder_at_a_time(self) -> None:
        first, second = BeatLock(database_conninfo()), BeatLock(database_conninfo())
        self.addCleanup(first.release)
        self.addCleanup(second.release)

        self.assertTrue(first.acquire())
        self.assertFalse(second.acquire())
        self.assertTrue(first.acquire())  # still held: asked again before every tick

    def test_it_passes_the_lock_on_once_the_holder_lets_go(self) -> None:
        first, second = BeatLock(database_conninfo()), BeatLock(database_conninfo())
        self.addCleanup(second.release)
        first.acquire()

        first.release()

        self.assertTrue(second.acquire())
        self.assertFalse(first.acquire())


def beat(broker: str, workdir: Path, name: str) -> ProcessGroup:
    env = {
        **CeleryWorker(broker, QUEUE).env,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "PERIODIC_TASK_SECONDS": "1",
    }
    command = [sys.executable, "-m", "celery", "-A", "qbsync", "beat", "--loglevel=INFO"]
    schedule = str(workdir / f"{name}-schedule")
    return ProcessGroup([*command, "--schedule", schedule], env, workdir / f"{name}.log")


class TwoBeatsTestCase(TransactionTestCase):
    def test_it_ticks_from_one_beat_and_the_standby_takes_over_when_it_is_killed(self) -> None:
        broker = require_celery_broker()
        workdir = Path(tempfile.mkdtemp(prefix="qbsync-beats-"))
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        import redis

        self.addCleanup(redis.Redis.from_url(broker).delete, QUEUE)
        first, second = beat(broker, workdir, "first"), beat(broker, workdir, "second")
        try:
            first.start()
            self.assertTrue(wait_for(lambda: SENT in first.output(), BOUND), first.output())
            second.start()
            self.assertTrue(
                wait_for(lambda: "standing by" in second.output(), BOUND), second.output()
            )
            # Both run for several ticks: only the holder sends.
            ticks = first.output().count(SENT)
            self.assertTrue(wait_for(lambda: first.output().count(SENT) >= ticks + 10, BOUND))
            self.assertNotIn(SENT, second.output())

            first.kill()  # SIGKILL: no goodbye, the lock goes with its database session

            self.assertTrue(wait_for(lambda: SENT in second.output(), BOUND), second.output())
            self.assertIn("took the lock over", second.output())
        finally:
            first.stop()
            second.stop()
