"""QuickBooks Online reads: a large first pull from the double (records/s, peak RSS), and
the latency from a change made in QBO to its event reaching a subscriber."""

from __future__ import annotations

import http.server
import json
import multiprocessing
import resource
import statistics
import threading
import time
from datetime import timedelta
from typing import Any

from bench import harness

TITLE = "QuickBooks Online pulls and events"

REALM = "9341450000009999"
VERIFIER = "bench-verifier-token"
QUEUE = "bench-qbo"


# -- the double, in its own process (Intuit is another machine) -------------------------
def serve_double(commands: Any, answers: Any) -> None:
    """Serve a double and obey `commands`: ("seed", n), ("webhooks", url), ("edit", id),
    ("stop",). Answers go to `answers`."""
    from qbo.double import FakeQbo

    double = FakeQbo(realm_id=REALM).start()
    grant = double.connect(REALM)
    answers.put(
        {
            "grant": grant,
            "client": (double.client_id, double.client_secret),
            "env": {
                "QBO_API_BASE": double.api_base,
                "QBO_TOKEN_URL": double.token_url,
                "QBO_AUTHORIZE_URL": double.authorize_url,
                "QBO_REVOKE_URL": double.revoke_url,
            },
        }
    )
    company = double.company(REALM)
    while True:
        command = commands.get()
        if command[0] == "seed":
            for n in range(command[1]):
                company.create(
                    "Customer",
                    {
                        "DisplayName": f"Customer {n:06d}",
                        "PrimaryEmailAddr": {"Address": f"c{n}@example.com"},
                        "BillAddr": {"Line1": f"{n} Main St", "City": "Springfield"},
                    },
                    seeding=True,
                )
            answers.put(command[1])
        elif command[0] == "webhooks":
            double.webhooks.configure(command[1], VERIFIER)
            answers.put(True)
        elif command[0] == "edit":
            # A user edits the customer in QBO; Intuit's own delivery delay (seconds to
            # minutes) is left out: the webhook leaves at once.
            edited_at = time.time()
            double.edit(REALM, "Customer", command[1], CompanyName=f"Edited {edited_at}")
            double.webhooks.deliver()
            answers.put(edited_at)
        else:
            double.stop()
            answers.put(True)
            return


class Double:
    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.commands, self.answers = context.Queue(), context.Queue()
        self.process = context.Process(target=serve_double, args=(self.commands, self.answers))

    def __enter__(self) -> Double:
        self.process.start()
        self.started: dict[str, Any] = self.answers.get(timeout=60)
        return self

    def ask(self, *command: Any) -> Any:
        self.commands.put(command)
        return self.answers.get(timeout=600)

    def __exit__(self, *exc_info: object) -> None:
        self.ask("stop")
        self.process.join(timeout=30)


def make_connection(started: dict[str, Any]) -> int:
    """One QBO connection on the double with a get_customers poll registered."""
    from django.conf import settings
    from django.utils import timezone

    from connections.models import Connection
    from objects.pulls import register
    from qbo.models import QboConnection

    harness.reset_database()
    connection = Connection.objects.get(connection_id=harness.make_connections(1, "qbo")[0])
    Connection.objects.filter(pk=connection.pk).update(backend="qbo")
    connection.refresh_from_db()
    client_id, client_secret = started["client"]
    QboConnection.objects.create(
        connection=connection,
        realm_id=REALM,
        client_id=client_id,
        client_secret=client_secret,
        access_token=started["grant"]["access_token"],
        access_expires_at=timezone.now() + timedelta(hours=1),
        refresh_token=started["grant"]["refresh_token"],
        max_results=1000,
    )
    for key, value in started["env"].items():
        setattr(settings, key, value)
    register(connection, "get_customers", {}, timezone.now())
    return connection.pk


# -- a large first pull ------------------------------------------------------------------
def first_pull(args: tuple[int, dict[str, str]]) -> dict[str, float]:
    """In a fresh process: one pass (the change feed's first read); wall time and RSS."""
    pk, env = args
    harness.configure()
    from django.conf import settings

    from connections.models import Connection
    from objects.models import PulledRecord
    from qbo.push import run_pass

    for key, value in env.items():
        setattr(settings, key, value)
    started = time.perf_counter()
    summary = run_pass(Connection.objects.get(pk=pk))
    wall = time.perf_counter() - started
    return {
        "records": float(PulledRecord.objects.filter(connection_id=pk).count()),
        "wall_s": wall,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "calls": float(summary.calls),
    }


def measure_pull(count: int) -> dict[str, float]:
    with Double() as double:
        double.ask("seed", count)
        pk = make_connection(double.started)
        from django.db import connection

        connection.close()
        with multiprocessing.get_context("fork").Pool(1) as pool:
            measured = pool.map(first_pull, [(pk, double.started["env"])])[0]
    measured["records_per_s"] = measured["records"] / measured["wall_s"]
    return measured


# -- change → event latency --------------------------------------------------------------
class Receiver:
    """A subscriber on a loopback port that notes when each event arrives."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        arrivals = self.arrivals

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrivals.append((time.time(), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def measure_latency(changes: int) -> dict[str, float]:
    from connections.models import Connection
    from qbo.event_models import EventSubscription
    from qbo.push import run_pass
    from qbsync.test import CeleryWorker

    receiver = Receiver()
    with Double() as double:
        double.ask("seed", 20)
        pk = make_connection(double.started)
        connection = Connection.objects.get(pk=pk)
        run_pass(connection)  # the first read: the baseline, no events
        EventSubscription.objects.create(
            connection=connection,
            name="bench",
            url=receiver.url,
            secret="bench-subscriber-secret-0123456789",
            event_types="customer.*",
        )
        env = {
            **double.started["env"],
            "QBO_WEBHOOK_VERIFIER_TOKEN": VERIFIER,
            "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        }
        from django.db import connection as db

        db.close()
        worker_env = {**harness.SERVER_ENV, **env}
        with (
            harness.server(**env) as web,
            CeleryWorker(harness.REDIS_URL, QUEUE, **worker_env) as worker,
        ):
            double.ask("webhooks", f"{web.url}/qbo/webhooks")
            time.sleep(3)  # the worker connects to Redis
            latencies = []
            for n in range(changes):
                expected = len(receiver.arrivals) + 1
                edited_at = double.ask("edit", str(1 + n % 20))
                worker.wait_until(
                    lambda want=expected: len(receiver.arrivals) >= want,  # type: ignore[misc]
                    seconds=60,
                )
                if len(receiver.arrivals) >= expected:
                    latencies.append(receiver.arrivals[expected - 1][0] - edited_at)
    return {
        "delivered": float(len(latencies)),
        "p50_s": statistics.median(latencies) if latencies else float("nan"),
        "max_s": max(latencies) if latencies else float("nan"),
    }


def run(quick: bool = False) -> str:
    harness.configure()
    runs = harness.runs(quick)
    count = 2_000 if quick else 20_000
    changes = 5 if quick else 20
    pulls: dict[str, list[float]] = {}
    events: dict[str, list[float]] = {}
    for _ in range(runs):
        for key, value in measure_pull(count).items():
            pulls.setdefault(key, []).append(value)
        for key, value in measure_latency(changes).items():
            events.setdefault(key, []).append(value)
    return "\n\n".join(
        [
            f"**First pull.** The double holds {count:,} customers; a `get_customers` poll is "
            "registered and one push pass runs the change feed's first read in a fresh "
            "process: paged `LastUpdatedTime` queries (1,000 a page, Intuit's limits on), "
            "each record read into the FlowLink shape and buffered for hand-out.",
            harness.table(
                ["records", "records/s", "wall s", "calls", "peak RSS of the process, MB"],
                [
                    [
                        harness.Figure(pulls["records"]).cell(0),
                        harness.Figure(pulls["records_per_s"]).cell(0),
                        harness.Figure(pulls["wall_s"]).cell(1),
                        harness.Figure(pulls["calls"]).cell(0),
                        harness.Figure(pulls["rss_mb"]).cell(0),
                    ]
                ],
            ),
            f"**Change to event.** {changes} customers are edited in the double one after "
            "another; each edit's webhook goes at once (Intuit's own delay, seconds to "
            "minutes, is not included) to qbsync under gunicorn, which stores it and nudges "
            "the connection; a Celery worker on Redis runs the pass, the change feed reads "
            "the change through CDC, and the `customer.updated` event is delivered, signed, "
            "to a subscriber on a loopback port. Latency: edit to arrival.",
            harness.table(
                ["events delivered", "latency p50, s", "latency max, s"],
                [
                    [
                        harness.Figure(events["delivered"]).cell(0),
                        harness.Figure(events["p50_s"]).cell(2),
                        harness.Figure(events["max_s"]).cell(2),
                    ]
                ],
            ),
            harness.run_note(runs, quick),
        ]
    )
