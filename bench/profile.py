"""Profile qbsync's server side in-process, where the benchmarks only see it from outside.

    python -m bench.profile intake                 # 200 requests of 10 orders each
    python -m bench.profile intake --per-request 1 --requests 600
    python -m bench.profile orders                 # 1,000 new orders, one Web Connector run
    python -m bench.profile orders --html var/orders.html
    python -m bench.profile sessions               # 100 Web Connector updates, one each

The benchmarks drive gunicorn over HTTP, so a profiler around them sees the clients.
Here the same workloads go through Django's test client in this process: webhooks as
in `bench_intake`, and the SOAP calls of a FakeWebConnector whose transport is the test
client, with FakeQuickBooks answering outside the measured calls. Each scenario prints
the server's wall and CPU time, the statements it ran grouped by their shape, and a
pyinstrument profile of the measured calls.

It uses its own PostgreSQL database (`BENCH_PROFILE_DATABASE`, default `bench_profile`),
created and migrated when missing, so it never disturbs a benchmark run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from bench import harness


@dataclass
class Measured:
    """What the server spent inside the measured calls."""

    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    statements: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def report(self, unit: str, per: int) -> str:
        total = sum(len(times) for times in self.statements.values())
        lines = [
            f"{self.calls} calls: server wall {self.wall:.2f} s, CPU {self.cpu:.2f} s "
            f"({self.wall / per * 1000:.2f} / {self.cpu / per * 1000:.2f} ms per {unit})",
        ]
        if not self.statements:
            return lines[0]
        lines.append(f"{total} statements ({total / per:.1f} per {unit}), by shape, slowest first:")
        ranked = sorted(self.statements.items(), key=lambda kv: -sum(kv[1]))
        for shape, times in ranked[:20]:
            lines.append(f"  {sum(times) * 1000:9.1f} ms {len(times):6d} x  {shape}")
        return "\n".join(lines)


def shape_of(sql: str) -> str:
    """A statement with its literals and savepoint names folded, to group alike ones."""
    folded = re.sub(r"'[^']*'", "'…'", sql)
    folded = re.sub(r"\b\d+\b", "N", folded)
    folded = re.sub(r'"s\d+_x\d+"', '"sp"', folded)
    return folded[:150]


@contextmanager
def measuring(result: Measured, profiler: Any) -> Iterator[None]:
    """Time one server call and, unless timing only, profile it and keep its statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The log keeps at most 9,000 statements and nothing empties it between calls here.
    connection.queries_log.clear()
    capture = CaptureQueriesContext(connection)
    with capture if profiler is not None else nullcontext():
        if profiler is not None:
            profiler.start()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            result.wall += time.perf_counter() - wall
            result.cpu += time.process_time() - cpu
            if profiler is not None:
                profiler.stop()
    result.calls += 1
    if profiler is None:
        return

    for query in capture.captured_queries:
        result.statements[shape_of(query["sql"])].append(float(query["time"]))


def client(store: str | None = None) -> Any:
    from django.test import Client

    headers: dict[str, Any] = {"HTTP_HOST": "127.0.0.1"}
    if store:
        headers |= {"HTTP_X_HUB_STORE": store, "HTTP_X_HUB_TOKEN": harness.WEBHOOK_TOKEN}
    return Client(**headers)


def profile_intake(args: argparse.Namespace, profiler: Any) -> str:
    """Requests of `per_request` orders as bench_intake sends them, after a warm-up."""
    from bench.bench_intake import orders_for

    harness.reset_database()
    store = harness.make_connections(1)[0]
    webhooks = client(store)
    per, count, warm = args.per_request, args.requests, 5
    orders = orders_for(0, per * (count + warm))
    bodies = [
        json.dumps(
            harness.order_envelope(
                orders[n * per : (n + 1) * per] if per > 1 else orders[n * per], f"p-{n}"
            )
        )
        for n in range(count + warm)
    ]
    for body in bodies[:warm]:
        webhooks.post("/add_orders", body, content_type="application/json")
    result = Measured()
    for body in bodies[warm:]:
        with measuring(result, profiler):
            response = webhooks.post("/add_orders", body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"add_orders answered {response.status_code}: {response.content!r}")
    return result.report("request", count)


def profile_orders(args: argparse.Namespace, profiler: Any) -> str:
    """bench_roundtrip's 1,000 new orders, the Web Connector calling through the test client."""
    from objects.models import Phase, QueuedObject
    from qbwc.simulator.webconnector import FakeWebConnector

    harness.reset_database()
    store = harness.make_connections(1)[0]
    webhooks = client(store)
    for n in range(args.orders):
        order = harness.order(n, f"new-{n}@example.com", [f"NEW-{n:05d}", f"POOL-{n % 100:03d}"])
        body = json.dumps(harness.order_envelope(order, f"o{n}"))
        webhooks.post("/add_orders", body, content_type="application/json")
    soap = client()
    result = Measured()

    def transport(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        extra = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
            if name.lower() != "content-type"
        }
        with measuring(result, profiler):
            response = soap.post(
                "/qbwc/", body, content_type=headers.get("Content-Type", "text/xml"), **extra
            )
        return response.status_code, response.get("Content-Type", ""), response.content

    connector = FakeWebConnector(
        "http://127.0.0.1/qbwc/",
        f"{store}-qbwc",
        harness.QBWC_PASSWORD,
        harness.fake_quickbooks(),
        transport=transport,
        max_round_trips=400,
    )
    runs = round_trips = 0
    while (run := connector.run()).stop_reason != "authenticate none":
        runs += 1
        round_trips += run.round_trips
    objects = QueuedObject.objects.count()
    left = objects - QueuedObject.objects.filter(phase=Phase.PROCESSED).count()
    return (
        f"{args.orders} orders: {runs} run(s), {round_trips} round trips, {objects} objects, "
        f"{left} left unprocessed\n" + result.report("object", objects)
    )


def profile_sessions(args: argparse.Namespace, profiler: Any) -> str:
    """bench_companies' sessions: `--sessions` connections with one new customer each, a
    complete Web Connector update per connection through the test client."""
    from bench.bench_companies import seed
    from connections.passwords import generate
    from qbwc.simulator.webconnector import FakeWebConnector

    password = generate()
    ids = seed(args.sessions, password)
    soap = client()
    result = Measured()

    def transport(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        extra = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
            if name.lower() != "content-type"
        }
        with measuring(result, profiler):
            response = soap.post(
                "/qbwc/", body, content_type=headers.get("Content-Type", "text/xml"), **extra
            )
        return response.status_code, response.get("Content-Type", ""), response.content

    completed = 0
    for connection_id in ids:
        connector = FakeWebConnector(
            "http://127.0.0.1/qbwc/",
            f"{connection_id}-qbwc",
            password,
            harness.fake_quickbooks(),
            transport=transport,
        )
        completed += connector.run().completed
    return f"{completed} of {len(ids)} sessions completed\n" + result.report("session", len(ids))


SCENARIOS: dict[str, Callable[[argparse.Namespace, Any], str]] = {
    "intake": profile_intake,
    "orders": profile_orders,
    "sessions": profile_sessions,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--per-request", type=int, default=10, help="intake: orders per request")
    parser.add_argument("--requests", type=int, default=200, help="intake: requests measured")
    parser.add_argument("--orders", type=int, default=1000, help="orders: new orders queued")
    parser.add_argument("--sessions", type=int, default=100, help="sessions: connections")
    parser.add_argument("--html", help="also write pyinstrument's HTML report to this file")
    parser.add_argument(
        "--timing-only",
        action="store_true",
        help="no profiler and no statement log, which both slow the measured calls down",
    )
    args = parser.parse_args(argv)

    from pyinstrument import Profiler

    # A database of its own: never the one a benchmark may be running on.
    harness.DATABASE_NAME = os.environ.get("BENCH_PROFILE_DATABASE", "bench_profile")
    harness.SERVER_ENV["DATABASE_URL"] = f"{harness.PG}/{harness.DATABASE_NAME}"
    harness.ensure_database()
    profiler = None if args.timing_only else Profiler(async_mode="disabled")
    print(SCENARIOS[args.scenario](args, profiler))
    if profiler is None:
        return 0
    print("(times include the profiler and the statement log; --timing-only for clean ones)")
    print(profiler.output_text(unicode=True, color=False))
    if args.html:
        with open(args.html, "w") as out:
            out.write(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
