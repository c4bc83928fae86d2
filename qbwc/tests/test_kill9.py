"""kill -9 of the web processes mid-run: nothing lost, nothing twice.

qbsync runs under gunicorn as deployed, on PostgreSQL. Three FlowLink senders post new
customers and orders (each order with a new customer and a new item), one per request,
while the fake Web Connector syncs them into the in-memory QuickBooks company. The
whole gunicorn process group (master and workers) is SIGKILLed three times at seeded
random moments and started again. FlowLink resends a webhook that got no answer and the
Web Connector starts a new run after a failed one, as the real ones do; at the end every
acknowledged webhook is stored once and every object is in QuickBooks once.
"""

from __future__ import annotations

import http.client
import random
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import close_old_connections, transaction
from django.db import connection as db
from django.db.models import F
from django.test import TransactionTestCase

from bench.harness import WebhookClient, customer_envelope, order, order_envelope
from objects.models import Phase, QueuedObject
from qbsync.processes import Gunicorn, wait_for
from qbsync.test import (
    QBWC_PASSWORD,
    WEBHOOK_TOKEN,
    make_connection,
    require_celery_broker,
    require_xsd_dir,
)
from qbwc.models import CALL_DEAD_AFTER, Session
from qbwc.simulator.quickbooks import FakeQuickBooks
from qbwc.simulator.webconnector import FakeWebConnector, ProtocolViolation

PORT = 8790
SEED = 9
KILLS = 3
PER_SENDER = 8
# Bounds for the polling below; generous so a slow shared machine never flakes.
DRAIN_SECONDS = 45
SEND_SECONDS = 60


class Sender(threading.Thread):
    """A FlowLink sender: one object per request, resent until it gets a 2xx answer."""

    def __init__(self, url: str, route: str, bodies: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.route = route
        self.bodies = bodies
        self.acknowledged: list[dict[str, Any]] = []
        self.refused: list[tuple[int, str]] = []
        self.resends = 0

    def run(self) -> None:
        client = WebhookClient(self.url, "acme", WEBHOOK_TOKEN)
        deadline = time.monotonic() + SEND_SECONDS
        try:
            for body in self.bodies:
                while time.monotonic() < deadline:
                    status, answer = self._post(client, body)
                    if 200 <= status < 300:
                        self.acknowledged.append(body)
                        break
                    if 400 <= status < 500:
                        self.refused.append((status, str(answer)))
                        break
                    # No answer (killed mid-request, or down): FlowLink sends it again.
                    self.resends += 1
                    time.sleep(0.1)
        finally:
            client.close()

    def _post(self, client: WebhookClient, body: dict[str, Any]) -> tuple[int, object]:
        try:
            status, answer, _elapsed = client.post(self.route, body)
        except (http.client.HTTPException, OSError, ValueError) as exc:
            # Refused, reset, or the server died before answering in full.
            client.close()
            return 0, exc
        return status, answer


class Connector(threading.Thread):
    """The Web Connector of company `acme`: a new run after each one, until told to drain.

    A run that breaks off because the server died is what QBWC shows as a connection
    error; it simply tries again at its next interval.
    """

    def __init__(self, url: str, quickbooks: FakeQuickBooks) -> None:
        super().__init__(daemon=True)
        self.connector = FakeWebConnector(
            f"{url}/qbwc/", "acme-qbd", QBWC_PASSWORD, quickbooks, max_round_trips=400
        )
        self.drain = threading.Event()
        self.drained = threading.Event()
        self.completed_runs = 0
        self.broken_runs = 0
        self.busy_answers = 0
        self.violations: list[str] = []

    def run(self) -> None:
        try:
            deadline = time.monotonic() + SEND_SECONDS + DRAIN_SECONDS
            while time.monotonic() < deadline:
                draining = self.drain.is_set()
                try:
                    result = self.connector.run()
                except ProtocolViolation as exc:
                    self.violations.append(str(exc))
                    time.sleep(0.1)
                    continue
                except OSError:
                    self.broken_runs += 1
                    time.sleep(0.1)
                    continue
                if result.stop_reason == "authenticate busy":
                    self.busy_answers += 1
                    self._let_dead_call_age()
                    continue
                if result.completed:
                    self.completed_runs += 1
                if result.stop_reason == "authenticate none" and draining:
                    self.drained.set()
                    return
                if result.stop_reason == "authenticate none":
                    time.sleep(0.05)
        finally:
            close_old_connections()

    @staticmethod
    def _let_dead_call_age() -> None:
        """Play the minutes a real Web Connector waits after "busy".

        This Web Connector is the company's only one and runs one call at a time, so a
        session marked as inside a call here is one whose server process was killed
        mid-call. take_over() waits CALL_DEAD_AFTER before treating such a call as
        dead (QBWC retries after the busy postpone); the clock is moved that far by
        dating the dead call back rather than by sleeping five minutes.
        """
        Session.objects.filter(status=Session.Status.ACTIVE, call_started_at__isnull=False).update(
            call_started_at=F("call_started_at") - CALL_DEAD_AFTER - timedelta(seconds=1)
        )
        close_old_connections()


def customer_bodies() -> list[dict[str, Any]]:
    return [
        customer_envelope(
            [{"name": f"Kill Customer {n:03d}", "email": f"k{n}@example.com"}], f"c{n}"
        )
        for n in range(PER_SENDER)
    ]


def order_bodies(first: int) -> list[dict[str, Any]]:
    return [
        order_envelope(
            order(n, f"kill-{n}@example.com", [f"KILL-{n:04d}"]),
            f"o{n}",
        )
        for n in range(first, first + PER_SENDER)
    ]


class WebKillTestCase(TransactionTestCase):
    def test_it_loses_and_doubles_nothing_when_gunicorn_is_killed_mid_run(self) -> None:
        broker = require_celery_broker()
        xsd_dir = require_xsd_dir()
        make_connection("acme")
        rng = random.Random(SEED)
        quickbooks = FakeQuickBooks(xsd_dir=xsd_dir, wall_clock=time.time)
        log = Path(tempfile.mkdtemp(prefix="kill9-web-")) / "gunicorn.log"
        server = Gunicorn.on_test_database(PORT, broker, log)
        senders = [
            Sender(server.url, "add_customers", customer_bodies()),
            Sender(server.url, "add_orders", order_bodies(0)),
            Sender(server.url, "add_orders", order_bodies(100)),
        ]
        connector = Connector(server.url, quickbooks)
        kills = 0
        in_flight: set[int] = set()
        try:
            server.start()
            for thread in [*senders, connector]:
                thread.start()
            for _ in range(KILLS):
                # A seeded moment into the run: mid-webhook, mid-callback or in between.
                time.sleep(rng.uniform(0.3, 1.5))
                server.kill()
                kills += 1
                # What QuickBooks may or may not have written when the server died.
                in_flight |= set(
                    QueuedObject.objects.filter(phase=Phase.IN_PROGRESS).values_list(
                        "pk", flat=True
                    )
                )
                server.start()
            for sender in senders:
                sender.join(SEND_SECONDS)
            connector.drain.set()
            connector.join(DRAIN_SECONDS)
        finally:
            connector.drain.set()
            server.stop()
            for thread in [*senders, connector]:
                thread.join(10)

        self.assertEqual(kills, KILLS)
        self.assertTrue(connector.drained.is_set(), server.output())
        self.assertEqual(connector.violations, [])
        for sender in senders:
            self.assertEqual(sender.refused, [])
            self.assertEqual(len(sender.acknowledged), PER_SENDER, server.output())

        # Every acknowledged webhook is stored exactly once (one row per FlowLink object).
        expected_customers = {f"Kill Customer {n:03d}" for n in range(PER_SENDER)}
        numbers = [*range(PER_SENDER), *range(100, 100 + PER_SENDER)]
        expected_orders = {f"R{n:011d}" for n in numbers}
        stored = Counter(QueuedObject.objects.values_list("object_type", "identity"))
        self.assertEqual([key for key, count in stored.items() if count > 1], [])
        self.assertTrue(
            expected_customers <= {i for t, i in stored if t == "customers"}, sorted(stored)
        )
        self.assertEqual({i for t, i in stored if t == "orders"}, expected_orders)

        # Nothing stuck in flight, nothing failed: every object reached QuickBooks.
        phases = Counter(QueuedObject.objects.values_list("phase", flat=True))
        self.assertEqual(set(phases), {Phase.PROCESSED}, phases)
        self.assertFalse(Session.objects.filter(status=Session.Status.ACTIVE).exists())
        # The killed runs' objects were released by the next run's take-over, looked up
        # (QuickBooks may have written them before the kill) and finished there.
        released = QueuedObject.objects.filter(
            pk__in=in_flight, events__reason__contains="ended before QuickBooks answered"
        )
        self.assertEqual(set(released.values_list("pk", flat=True)), in_flight)

        # ... exactly once: no duplicate customer, item or sales order in the company.
        customers = Counter(r.findtext("Name") for r in quickbooks.records("Customer"))
        self.assertEqual([name for name, count in customers.items() if count > 1], [])
        self.assertTrue(expected_customers <= set(customers))
        self.assertTrue({f"kill-{n}@example.com" for n in numbers} <= set(customers))
        items = Counter(r.findtext("Name") for r in quickbooks.records("Item"))
        self.assertEqual([name for name, count in items.items() if count > 1], [])
        self.assertTrue({f"KILL-{n:04d}" for n in numbers} <= set(items))
        refs = Counter(r.findtext("RefNumber") for r in quickbooks.records("SalesOrder"))
        self.assertEqual(refs, Counter({number[-11:]: 1 for number in expected_orders}))
        self.assertTrue(wait_for(lambda: not server.is_running, seconds=1))

    def test_it_takes_over_at_once_after_a_kill_mid_callback(self) -> None:
        """A session whose server was killed inside a callback is taken over by the next
        authenticate at once: the callback's PostgreSQL backend (Session.call_db_pid) went
        with the process, so take_over() need not wait for CALL_DEAD_AFTER."""
        broker = require_celery_broker()
        quickbooks = FakeQuickBooks(xsd_dir=require_xsd_dir(), wall_clock=time.time)
        make_connection("acme")
        server = Gunicorn.on_test_database(
            PORT, broker, Path(tempfile.mkdtemp(prefix="kill9-web-")) / "g.log"
        )
        connector = FakeWebConnector(f"{server.url}/qbwc/", "acme-qbd", QBWC_PASSWORD, quickbooks)
        killed_run: list[BaseException] = []

        def run_until_killed() -> None:
            try:
                connector.run()
            except OSError as exc:  # the server died under the call
                killed_run.append(exc)

        first = threading.Thread(target=run_until_killed, daemon=True)
        try:
            server.start()
            sender = Sender(server.url, "add_customers", customer_bodies()[:1])
            sender.run()
            self.assertEqual(len(sender.acknowledged), 1)
            with transaction.atomic():
                # Writes to the queue wait on this lock, so the first callback that claims
                # work is caught inside its call, where the server is then killed.
                with db.cursor() as cursor:
                    cursor.execute("LOCK TABLE objects_queuedobject IN SHARE MODE")
                first.start()
                in_call = Session.objects.filter(call_started_at__isnull=False)
                self.assertTrue(wait_for(in_call.exists, seconds=30), server.output())
                server.kill()
            first.join(30)
            self.assertEqual(len(killed_run), 1)
            server.start()
            result = connector.run()
        finally:
            server.stop()
            first.join(10)
        self.assertNotEqual(result.stop_reason, "authenticate busy")
        self.assertTrue(result.completed, result.stop_reason)
