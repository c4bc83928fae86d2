"""kill -9 of the Celery worker mid-task: the periodic tasks lose nothing and do nothing twice.

A real worker (the compose command, prefork pool) consumes a queue of its own on Redis;
the test plays beat by sending the periodic tasks itself, so each tick happens when the
test needs it. The whole worker process group is SIGKILLed while a task is provably
inside its work (a sweep's transaction open in PostgreSQL, an alert's POST held by a
slow receiver), started again, and ticked until the work is done.
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from django.db import connection as db
from django.db.models import F
from django.test import TransactionTestCase
from django.utils import timezone

from connections.deliveries import CLAIM_LEASE, DELIVERY_HEADER
from connections.models import AlertDelivery, Connection
from objects.models import Phase, QueuedObject, QueuedObjectEvent
from qbsync.processes import KillableWorker, wait_for
from qbsync.test import make_connection, require_celery_broker
from qbwc.models import Session, hash_ticket

QUEUE = "qbsync-kill9-worker"
RECEIVER_PORT = 8791
STUCK = 1500  # three sweeps of 500: long enough to be killed inside one
SWEEP_REASON = "no answer from QuickBooks within"
COMPANIES = 4
STALE_SESSIONS = 300
RELEASE_REASON = "ended before QuickBooks answered"
BOUND = 45  # seconds any one condition may take on a slow shared machine


class HoldingReceiver:
    """An alert receiver on 127.0.0.1 that holds every POST until released (a slow one)."""

    def __init__(self, port: int) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers[DELIVERY_HEADER], body))
                receiver.release.wait(BOUND)
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass  # the sender was killed while we held its request

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{port}/hooks/qbsync"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HoldingReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def other_backends(in_transaction: bool = False) -> int:
    """The worker's connections to the test database (this process's excluded), or only
    those inside a transaction: a task between its first query and its commit."""
    where = " AND xact_start IS NOT NULL" if in_transaction else ""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()" + where
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def make_in_flight(connection: Connection, claimers: list[str], claimed_at: datetime) -> None:
    """In-progress objects, the n-th claimed by claimers[n] (a session, live or gone)."""
    QueuedObject.objects.bulk_create(
        QueuedObject(
            connection=connection,
            object_type="customers",
            identity=f"In flight {n:05d}",
            phase=Phase.IN_PROGRESS,
            claimed_by=claimer,
            claimed_at=claimed_at,
        )
        for n, claimer in enumerate(claimers)
    )


class WorkerKillTestCase(TransactionTestCase):
    def setUp(self) -> None:
        self.broker = require_celery_broker()
        self.app = Celery(broker=self.broker)
        self.log = Path(tempfile.mkdtemp(prefix="kill9-worker-")) / "worker.log"
        self.addCleanup(self._empty_queue)

    def _empty_queue(self) -> None:
        # A killed task's message stays unacknowledged in Redis until its visibility
        # timeout (an hour) and would then run against a database that is gone.
        client = redis.Redis.from_url(self.broker)
        client.delete(QUEUE, "unacked", "unacked_index")
        self.app.close()

    @contextmanager
    def worker(self) -> Iterator[KillableWorker]:
        worker = KillableWorker(self.broker, QUEUE, self.log)
        # deliver_alert is queued by check_health through the default queue.
        worker.env["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
        try:
            yield worker
        finally:
            worker.stop()

    def tick(self, task: str) -> None:
        """What beat does once per period: put the task on the queue."""
        self.app.send_task(task, queue=QUEUE)

    def tick_until(self, task: str, is_done: Callable[[], bool]) -> bool:
        for _ in range(BOUND):
            self.tick(task)
            if wait_for(is_done, seconds=1, step=0.1):
                return True
        return False

    def test_it_sweeps_each_stuck_object_once_when_killed_mid_sweep(self) -> None:
        connection = make_connection("acme")
        claimed_at = timezone.now() - timedelta(hours=2)
        make_in_flight(connection, ["session:gone"] * STUCK, claimed_at)
        stuck = QueuedObject.objects.filter(phase=Phase.IN_PROGRESS)
        kills = 0
        with self.worker() as worker:
            worker.start()
            for _ in range(2):
                before = stuck.count()
                self.tick("objects.tasks.sweep_stuck_objects")
                # Inside the sweep: its transaction is open, its moves not yet committed.
                self.assertTrue(
                    wait_for(lambda: other_backends(in_transaction=True) > 0, BOUND),
                    worker.output(),
                )
                worker.kill()
                kills += 1
                # PostgreSQL rolls the dead worker's transaction back when its socket closes.
                self.assertTrue(wait_for(lambda: other_backends() == 0, BOUND))
                self.assertIn(stuck.count(), (before, before - 500))
                worker.start()
            swept = self.tick_until("objects.tasks.sweep_stuck_objects", lambda: not stuck.exists())
            self.assertTrue(swept, worker.output())

        self.assertEqual(kills, 2)
        objects = QueuedObject.objects.all()
        self.assertEqual(set(objects.values_list("phase", "retry_count")), {(Phase.PENDING, 1)})
        # One history row per object for its one sweep, none for the killed attempts.
        sweeps = QueuedObjectEvent.objects.filter(reason__contains=SWEEP_REASON)
        self.assertEqual(sweeps.count(), STUCK)
        self.assertEqual(sweeps.values("queued_object").distinct().count(), STUCK)

    def test_it_expires_each_stale_session_once_when_killed_mid_expiry(self) -> None:
        connection = make_connection("acme")
        idle = timezone.now() - timedelta(hours=1)
        sessions = Session.objects.bulk_create(
            Session(connection=connection, ticket_hash=hash_ticket(f"t{n}"), last_call_at=idle)
            for n in range(STALE_SESSIONS)
        )
        claimers = [session.claimer for session in sessions for _ in range(2)]
        make_in_flight(connection, claimers, timezone.now())
        live = Session.objects.filter(status=Session.Status.ACTIVE)
        with self.worker() as worker:
            worker.start()
            self.tick("qbwc.tasks.expire_sessions")

            # Inside the expiry: some sessions ended, the end() of another one open.
            def is_midway() -> bool:
                return live.count() < STALE_SESSIONS and other_backends(in_transaction=True) > 0

            self.assertTrue(wait_for(is_midway, BOUND, step=0.01), worker.output())
            worker.kill()
            self.assertTrue(wait_for(lambda: other_backends() == 0, BOUND))
            worker.start()
            expired = self.tick_until("qbwc.tasks.expire_sessions", lambda: not live.exists())
            self.assertTrue(expired, worker.output())

        self.assertEqual(
            set(Session.objects.values_list("status", flat=True)), {Session.Status.EXPIRED}
        )
        objects = QueuedObject.objects.all()
        self.assertEqual(set(objects.values_list("phase", flat=True)), {Phase.PENDING})
        # Each held object released once: one history row, by the one end() that won.
        releases = QueuedObjectEvent.objects.filter(reason__contains=RELEASE_REASON)
        self.assertEqual(releases.count(), 2 * STALE_SESSIONS)
        self.assertEqual(releases.values("queued_object").distinct().count(), 2 * STALE_SESSIONS)

    def test_it_delivers_every_alert_when_killed_mid_delivery(self) -> None:
        with HoldingReceiver(RECEIVER_PORT) as receiver:
            for n in range(COMPANIES):
                make_connection(f"company-{n}")
            Connection.objects.update(
                last_contact_at=timezone.now() - timedelta(hours=1),
                alert_url=receiver.url,
                alert_secret="kill9-alert-secret-0123456789",
            )
            deliveries = AlertDelivery.objects.all()
            with self.worker() as worker:
                worker.start()
                # The health check opens incidents and queues one delivery each; the
                # worker is killed while the receiver holds the first POSTs.
                self.tick("connections.tasks.check_health")
                self.assertTrue(wait_for(lambda: bool(receiver.received), BOUND), worker.output())
                worker.kill()
                receiver.release.set()
                held = {int(delivery) for delivery, _ in receiver.received}
                # Claimed by the dead worker (the held ones, and any claimed on the way to
                # the receiver): leased, not lost, not sent.
                leased = deliveries.filter(
                    status=AlertDelivery.Status.PENDING, next_attempt_at__gt=timezone.now()
                )
                self.assertLessEqual(held, set(leased.values_list("pk", flat=True)))
                # The lease runs out CLAIM_LEASE later (played here by dating it back);
                # the next send-due-alerts tick then sends it again.
                leased.update(next_attempt_at=F("next_attempt_at") - CLAIM_LEASE)
                worker.start()
                sent = self.tick_until(
                    "connections.tasks.send_due_alerts",
                    lambda: not deliveries.exclude(status=AlertDelivery.Status.SENT).exists(),
                )
                self.assertTrue(sent, worker.output())

        self.assertEqual(deliveries.count(), COMPANIES)
        bodies: dict[int, set[bytes]] = defaultdict(set)
        for delivery, body in receiver.received:
            bodies[int(delivery)].add(body)
        # Every alert arrived at least once; a resend carries the same id and body, so
        # the receiver can drop the duplicate.
        self.assertEqual(set(bodies), set(deliveries.values_list("pk", flat=True)))
        self.assertEqual([pk for pk, seen in bodies.items() if len(seen) != 1], [])
        times = Counter(int(pk) for pk, _ in receiver.received)
        self.assertEqual([pk for pk in held if times[pk] < 2], [])
        self.assertEqual(set(deliveries.values_list("status", flat=True)), {"sent"})
