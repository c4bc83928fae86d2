"""Two web nodes and two workers on one PostgreSQL and one Redis, each killed mid-run.

The deployment docs/operations.md describes: N gunicorns and M Celery workers share the
database and the broker, with one beat. Here two gunicorns (as deployed) listen on two
ports, two prefork workers consume one queue, and a beat ticks every second. Three
companies' Web Connectors run session after session, each call going to the other web
node than the one before (a round-robin balancer), while FlowLink senders post one new
order per request to the nodes in turn. One web node and one worker are SIGKILLed mid-run
and started again, twice. At the end every acknowledged object is stored once and is in
its company's QuickBooks once, and no Web Connector lost more than one run in a row.
"""

from __future__ import annotations

import http.client
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from itertools import count
from pathlib import Path
from typing import Any

import redis
from django.db import close_old_connections
from django.test import TransactionTestCase

from bench.harness import WebhookClient, order, order_envelope
from objects.models import Phase, QueuedObject
from qbsync.processes import Gunicorn, KillableWorker, ProcessGroup, wait_for
from qbsync.test import (
    QBWC_PASSWORD,
    WEBHOOK_TOKEN,
    CeleryWorker,
    make_connection,
    require_celery_broker,
    require_xsd_dir,
)
from qbwc.models import Session
from qbwc.simulator.quickbooks import FakeQuickBooks
from qbwc.simulator.webconnector import FakeWebConnector, ProtocolViolation

PORTS = (8796, 8797)
QUEUE = "qbsync-multinode"
COMPANIES = ("north", "south", "west")
ORDERS = 6  # per company, one per request
KILLS = 2  # of one web node and one worker each
BOUND = 90  # seconds any one phase may take on a slow shared machine


class Balancer:
    """Round-robin over the web nodes, skipping one that refuses connections (a dead node),
    as a load balancer's health check would; a node dying mid-request fails that request."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.turn = count()
        self.lock = threading.Lock()

    def order(self) -> list[str]:
        with self.lock:
            first = next(self.turn) % len(self.urls)
        return self.urls[first:] + self.urls[:first]

    def soap(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        path = url.split("/", 3)[3]
        for n, base in enumerate(self.order()):
            host, port = base.split("//", 1)[1].split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            try:
                try:
                    connection.connect()
                except ConnectionRefusedError:
                    if n + 1 < len(self.urls):
                        continue  # not listening: the balancer sends it elsewhere
                    raise
                connection.request("POST", "/" + path, body, headers)
                reply = connection.getresponse()
                return reply.status, reply.getheader("Content-Type", ""), reply.read()
            finally:
                connection.close()
        raise ConnectionRefusedError("no web node is listening")


class Connector(threading.Thread):
    """One company's Web Connector: a run after each run until told to drain."""

    def __init__(self, company: str, balancer: Balancer, quickbooks: FakeQuickBooks) -> None:
        super().__init__(daemon=True)
        self.connector = FakeWebConnector(
            f"{balancer.urls[0]}/qbwc/",
            f"{company}-qbd",
            QBWC_PASSWORD,
            quickbooks,
            transport=balancer.soap,
            max_round_trips=400,
        )
        self.drain = threading.Event()
        self.drained = threading.Event()
        self.runs: list[str] = []  # "ok", "broken", "busy" or "none", in order
        self.violations: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + 3 * BOUND
        try:
            while time.monotonic() < deadline:
                draining = self.drain.is_set()
                try:
                    result = self.connector.run()
                except ProtocolViolation as exc:
                    self.violations.append(str(exc))
                    self.runs.append("broken")
                    continue
                except (OSError, http.client.HTTPException):
                    self.runs.append("broken")
                    time.sleep(0.2)  # the Web Connector's next scheduled run
                    continue
                if result.stop_reason == "authenticate busy":
                    self.runs.append("busy")
                    time.sleep(0.2)
                    continue
                self.runs.append("ok" if result.completed else "none")
                if result.stop_reason == "authenticate none" and draining:
                    self.drained.set()
                    return
                time.sleep(0.05)
        finally:
            close_old_connections()

    def has_run_since(self, mark: int) -> bool:
        """Whether a run after the first `mark` ones went through (or the thread ended)."""
        return not self.is_alive() or any(outcome in ("ok", "none") for outcome in self.runs[mark:])

    def most_lost_in_a_row(self) -> int:
        longest = streak = 0
        for outcome in self.runs:
            streak = streak + 1 if outcome in ("broken", "busy") else 0
            longest = max(longest, streak)
        return longest


class Sender(threading.Thread):
    """FlowLink for one company: one order per request, resent until a 2xx answer."""

    def __init__(self, company: str, balancer: Balancer) -> None:
        super().__init__(daemon=True)
        self.company = company
        self.balancer = balancer
        self.acknowledged: list[str] = []
        self.refused: list[tuple[int, str]] = []

    def run(self) -> None:
        deadline = time.monotonic() + BOUND
        for n in range(ORDERS):
            body = order_envelope(
                order(n, f"{self.company}-{n}@example.com", [f"{self.company.upper()}-{n}"]),
                f"{self.company}-{n}",
            )
            while time.monotonic() < deadline:
                status, answer = self._post(body)
                if 200 <= status < 300:
                    self.acknowledged.append(body["order"]["id"])
                    break
                if 400 <= status < 500:
                    self.refused.append((status, str(answer)))
                    break
                time.sleep(0.1)

    def _post(self, body: dict[str, Any]) -> tuple[int, object]:
        client = WebhookClient(self.balancer.order()[0], self.company, WEBHOOK_TOKEN)
        try:
            status, answer, _elapsed = client.post("add_orders", body)
        except (http.client.HTTPException, OSError, ValueError) as exc:
            return 0, exc
        finally:
            client.close()
        return status, answer


def beat(broker: str, workdir: str, log: Path) -> ProcessGroup:
    """`celery -A qbsync beat` ticking every second onto the test's queue."""
    env = {
        **CeleryWorker(broker, QUEUE).env,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "PERIODIC_TASK_SECONDS": "1",
    }
    schedule = os.path.join(workdir, "celerybeat-schedule")
    command = [sys.executable, "-m", "celery", "-A", "qbsync", "beat", "--loglevel=INFO"]
    return ProcessGroup([*command, "--schedule", schedule], env, log)


class MultiNodeTestCase(TransactionTestCase):
    def test_it_loses_and_doubles_nothing_with_two_web_nodes_and_two_workers_killed(
        self,
    ) -> None:
        broker = require_celery_broker()
        xsd_dir = require_xsd_dir()
        self.addCleanup(redis.Redis.from_url(broker).delete, QUEUE, "unacked", "unacked_index")
        workdir = tempfile.mkdtemp(prefix="qbsync-multinode-")
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        logs = Path(workdir)
        for company in COMPANIES:
            make_connection(company)
        webs = [Gunicorn.on_test_database(port, broker, logs / f"web-{port}.log") for port in PORTS]
        workers = [KillableWorker(broker, QUEUE, logs / f"worker-{n}.log") for n in range(2)]
        for worker in workers:
            worker.env["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
        ticker = beat(broker, workdir, logs / "beat.log")
        balancer = Balancer([web.url for web in webs])
        quickbooks = {c: FakeQuickBooks(xsd_dir=xsd_dir, wall_clock=time.time) for c in COMPANIES}
        connectors = [Connector(c, balancer, quickbooks[c]) for c in COMPANIES]
        senders = [Sender(c, balancer) for c in COMPANIES]
        processes: list[ProcessGroup] = [*webs, *workers, ticker]
        try:
            for process in processes:
                process.start()
            for thread in [*connectors, *senders]:
                thread.start()
            for _ in range(KILLS):
                # Mid-run: wait for a Web Connector call to be inside a node.
                in_call = Session.objects.filter(call_started_at__isnull=False)
                wait_for(in_call.exists, seconds=10, step=0.01)
                marks = [len(connector.runs) for connector in connectors]
                webs[0].kill()
                workers[0].kill()
                time.sleep(0.5)  # the other node and worker carry on alone meanwhile
                webs[0].start()
                workers[0].start()
                # The next kill waits until every Web Connector has had a run since this
                # one: each kill may cost the runs it breaks, and the claim is that the
                # next run after it goes through.
                wait_for(
                    lambda marks=marks: all(  # type: ignore[misc]
                        c.has_run_since(mark) for c, mark in zip(connectors, marks, strict=True)
                    ),
                    seconds=BOUND,
                )
            for sender in senders:
                sender.join(BOUND)
            for connector in connectors:
                connector.drain.set()
            for connector in connectors:
                connector.join(BOUND)
        finally:
            for connector in connectors:
                connector.drain.set()
            for process in processes:
                process.stop()
            for thread in [*connectors, *senders]:
                thread.join(10)
        output = "\n".join(p.output() for p in processes)

        for connector in connectors:
            self.assertTrue(connector.drained.is_set(), (connector.runs, output))
            self.assertEqual(connector.violations, [])
            # A run the kill broke is lost; the next one is served by a live node.
            self.assertLessEqual(connector.most_lost_in_a_row(), 1, connector.runs)
        for sender in senders:
            self.assertEqual(sender.refused, [])
            self.assertEqual(len(sender.acknowledged), ORDERS, output)

        # Every acknowledged object is stored once, and nothing is left in flight.
        stored = Counter(QueuedObject.objects.values_list("connection__connection_id", "identity"))
        self.assertEqual([key for key, seen in stored.items() if seen > 1], [])
        for sender in senders:
            orders = set(
                QueuedObject.objects.filter(
                    connection__connection_id=sender.company, object_type="orders"
                ).values_list("identity", flat=True)
            )
            self.assertEqual(orders, set(sender.acknowledged))
        phases = Counter(QueuedObject.objects.values_list("phase", flat=True))
        self.assertEqual(set(phases), {Phase.PROCESSED}, phases)
        self.assertFalse(Session.objects.filter(status=Session.Status.ACTIVE).exists())

        # ... and in its company's QuickBooks exactly once.
        for company, books in quickbooks.items():
            refs = Counter(r.findtext("RefNumber") for r in books.records("SalesOrder"))
            self.assertEqual(refs, Counter({f"{n:011d}": 1 for n in range(ORDERS)}), company)
            customers = Counter(r.findtext("Name") for r in books.records("Customer"))
            self.assertEqual([name for name, seen in customers.items() if seen > 1], [])
            items = Counter(r.findtext("Name") for r in books.records("Item"))
            self.assertEqual([name for name, seen in items.items() if seen > 1], [])
            self.assertTrue({f"{company.upper()}-{n}" for n in range(ORDERS)} <= set(items))
