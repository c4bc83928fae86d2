"""Single-object intake: one order with its new customer per webhook, beside PostgreSQL alone.

FlowLink's flows send one object per webhook (flowlink §2), so this is the request shape
that matters in production. Each run is replayed afterwards with raw psycopg: the very
rows the server stored, in as many transactions, by as many clients, with no Django,
DRF or validation in between. The ratio of the two is what qbsync costs on top of the
physical limit of the same machine.

`BENCH_SOAK_SECONDS` (e.g. 600) adds a soak: the same senders for that long, the
resident memory of every gunicorn worker sampled as it goes (a bench option, not a test).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench import harness

TITLE = "Single-object intake"

SENDERS = 4
ITEMS_PER_ORDER = 2
ITEM_POOL = 200
SOAK_SAMPLE_SECONDS = 30


def request_body(number: int) -> dict[str, Any]:
    """Order `number` with a customer nobody sent before and 2 of 200 products."""
    items = [f"SKU-{(number * 7 + k) % ITEM_POOL:04d}" for k in range(ITEMS_PER_ORDER)]
    order = harness.order(number, f"single-{number}@example.com", items)
    return harness.order_envelope(order, f"req-{number}")


def send(args: tuple[str, str, int, int, float]) -> tuple[list[float], int, int]:
    """One sender: (latencies in seconds, orders answered 200, errors).

    Sends `count` requests, or as many as fit before `until` (a monotonic deadline) when
    that is set."""
    base_url, store, start, count, until = args
    client = harness.WebhookClient(base_url, store)
    latencies: list[float] = []
    accepted = errors = 0
    number = start
    while (number < start + count) if not until else (time.monotonic() < until):
        status, _answer, elapsed = client.post("add_orders", request_body(number))
        latencies.append(elapsed)
        if status == 200:
            accepted += 1
        else:
            errors += 1
        number += 1
    client.close()
    return latencies, accepted, errors


def measure(server: harness.Server, orders: int) -> dict[str, float]:
    harness.reset_database()
    store = harness.make_connections(1)[0]
    from django.db import connection

    connection.close()  # the senders only speak HTTP
    share = orders // SENDERS
    jobs = [(server.url, store, n * share, share, 0.0) for n in range(SENDERS)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(SENDERS) as pool:
        results = pool.map(send, jobs)
    wall = time.perf_counter() - started
    latencies = [value for result in results for value in result[0]]
    from objects.models import QueuedObject

    stored = QueuedObject.objects.count()
    raw = replay_with_psycopg()
    return {
        "objects_per_s": stored / wall,
        "requests_per_s": sum(result[1] for result in results) / wall,
        "p50_ms": harness.percentile(latencies, 0.50) * 1000,
        "p99_ms": harness.percentile(latencies, 0.99) * 1000,
        "errors": float(sum(result[2] for result in results)),
        "stored": float(stored),
        "raw_objects_per_s": stored / raw,
        "ratio": (stored / raw) / (stored / wall),
        "rss_mb": max(harness.worker_peak_rss_mb(server)),
        "floor_per_s": floor(server, FLOOR_REQUESTS if orders > 1000 else 400),
    }


# -- the floor of the web stack ------------------------------------------------------------
FLOOR_REQUESTS = 2_000


def get_liveness(args: tuple[str, int]) -> int:
    """One sender asking for the liveness page `count` times on one keep-alive connection."""
    import http.client

    base_url, count = args
    host, port = base_url.split("//", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    ok = 0
    for _ in range(count):
        connection.request("GET", "/")
        reply = connection.getresponse()
        reply.read()
        ok += reply.status == 200
    connection.close()
    return ok


def floor(server: harness.Server, requests: int) -> float:
    """Requests/s of gunicorn and Django answering the liveness page (no database), from
    the same senders: what the web stack alone costs per request on this machine."""
    share = requests // SENDERS
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(SENDERS) as pool:
        ok = sum(pool.map(get_liveness, [(server.url, share)] * SENDERS))
    return ok / (time.perf_counter() - started)


# -- PostgreSQL alone ----------------------------------------------------------------------
OBJECT_TABLE = "objects_queuedobject"
EVENT_TABLE = "objects_queuedobjectevent"
LINK_TABLE = "objects_queuedobject_dependencies"


def replay_with_psycopg() -> float:
    """Seconds for PostgreSQL alone to store what the server stored, request by request.

    Reads back every row the run stored, empties the three tables and inserts the rows
    again, with their ids, from SENDERS processes: one transaction per webhook request
    (its objects, their history rows, their dependency rows: one INSERT each, then
    COMMIT), each process taking every SENDERS-th request. The products, which the run
    created in whichever request first named them, go first in one transaction of their
    own (they are 1 % of the rows), so no replayed request waits on another's commit.
    """
    import psycopg

    url = harness.SERVER_ENV["DATABASE_URL"]
    with psycopg.connect(url) as db:
        objects, object_columns = _rows(db, OBJECT_TABLE)
        events, event_columns = _rows(db, EVENT_TABLE)
        links, link_columns = _rows(db, LINK_TABLE)
        # Nothing else (notifications, requests) refers to them yet in this benchmark.
        db.execute(f"TRUNCATE {LINK_TABLE}, {EVENT_TABLE}, {OBJECT_TABLE} CASCADE")
    position = {name: n for n, name in enumerate(object_columns)}
    events_of: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in events:
        events_of[row[event_columns.index("queued_object_id")]].append(row)
    links_of: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for row in links:
        links_of[row[link_columns.index("from_queuedobject_id")]].append(row)
    first: list[tuple[Any, ...]] = []
    requests: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in objects:
        if row[position["object_type"]] in ("customers", "orders"):
            requests[row[position["request_id"]]].append(row)
        else:
            first.append(row)
    transactions = [first, *requests.values()]
    batches = []
    for rows in transactions:
        ids = [row[position["id"]] for row in rows]
        batches.append(
            (
                rows,
                [event for pk in ids for event in events_of[pk]],
                [link for pk in ids for link in links_of[pk]],
            )
        )
    columns = (object_columns, event_columns, link_columns)
    started = time.perf_counter()
    _insert(url, columns, batches[:1])
    jobs = [(url, columns, batches[1 + n :: SENDERS]) for n in range(SENDERS)]
    with multiprocessing.get_context("fork").Pool(SENDERS) as pool:
        pool.starmap(_insert, jobs)
    return time.perf_counter() - started


def _rows(db: Any, table: str) -> tuple[list[tuple[Any, ...]], list[str]]:
    from psycopg.types.json import Jsonb

    cursor = db.execute(f"SELECT * FROM {table} ORDER BY id")
    names = [column.name for column in cursor.description]
    rows = [
        tuple(Jsonb(value) if isinstance(value, dict | list) else value for value in row)
        for row in cursor.fetchall()
    ]
    return rows, names


def _insert(
    url: str,
    columns: tuple[list[str], list[str], list[str]],
    batches: Sequence[Sequence[list[tuple[Any, ...]]]],
) -> None:
    import psycopg

    tables = (OBJECT_TABLE, EVENT_TABLE, LINK_TABLE)
    with psycopg.connect(url) as db:
        for batch in batches:
            with db.transaction():
                for table, names, rows in zip(tables, columns, batch, strict=True):
                    if not rows:
                        continue
                    row_sql = "(" + ", ".join(["%s"] * len(names)) + ")"
                    db.execute(
                        f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                        + ", ".join([row_sql] * len(rows)),
                        [value for row in rows for value in row],
                    )


# -- soak ---------------------------------------------------------------------------------
def soak(server: harness.Server, seconds: float) -> list[tuple[float, list[float]]]:
    """Send for `seconds`, sampling each worker's resident MB every SOAK_SAMPLE_SECONDS."""
    harness.reset_database()
    store = harness.make_connections(1)[0]
    from django.db import connection

    connection.close()
    until = time.monotonic() + seconds
    jobs = [(server.url, store, n * 10_000_000, 0, until) for n in range(SENDERS)]
    started = time.monotonic()
    samples: list[tuple[float, list[float]]] = []
    with multiprocessing.get_context("fork").Pool(SENDERS) as pool:
        pending = pool.map_async(send, jobs)
        while not pending.ready():
            pending.wait(SOAK_SAMPLE_SECONDS)
            samples.append((time.monotonic() - started, harness.worker_rss_mb(server)))
        pending.get()
    return samples


def run(quick: bool = False) -> str:
    harness.configure()
    runs = harness.runs(quick)
    orders = 400 if quick else 10_000
    figures: dict[str, list[float]] = {}
    soak_seconds = float(os.environ.get("BENCH_SOAK_SECONDS", "0"))
    samples: list[tuple[float, list[float]]] = []
    with harness.server() as server:
        measure(server, 40)  # warm every worker
        for _ in range(runs):
            for key, value in measure(server, orders).items():
                figures.setdefault(key, []).append(value)
        if soak_seconds:
            samples = soak(server, soak_seconds)

    def cell(key: str, digits: int = 0) -> str:
        return harness.Figure(figures[key]).cell(digits)

    rows = [
        ["objects stored per second", cell("objects_per_s")],
        ["requests/s", cell("requests_per_s")],
        ["request latency p50, ms", cell("p50_ms", 1)],
        ["request latency p99, ms", cell("p99_ms", 1)],
        ["errors", f"{int(sum(figures['errors']))}"],
        [
            "PostgreSQL alone: objects/s (raw psycopg, same rows and transactions)",
            cell("raw_objects_per_s"),
        ],
        ["PostgreSQL alone ÷ qbsync", cell("ratio", 1)],
        ["peak RSS of the largest web worker, MB", cell("rss_mb", 0)],
        [
            "floor: liveness page (gunicorn and Django, no database), requests/s",
            cell("floor_per_s"),
        ],
    ]
    parts = [
        f"{orders:,} webhooks to `/add_orders`, each carrying one order whose customer is new "
        f"and {ITEMS_PER_ORDER} of {ITEM_POOL} products (`quickbooks_auto_create_products=1`), "
        f"from {SENDERS} sender processes on keep-alive connections to gunicorn "
        f"({harness.GUNICORN_WORKERS} sync workers): "
        f"{int(figures['stored'][0]):,} objects stored. *PostgreSQL alone* replays the "
        "rows the run stored (objects, history, dependency links) with raw psycopg from "
        f"{SENDERS} processes, one transaction per webhook request (3 INSERTs and a COMMIT), "
        "the 200 products first in one transaction. *Peak RSS* is the largest `VmHWM` of "
        "the gunicorn workers after the runs.",
        harness.table(["figure", "value"], rows),
    ]
    if samples:
        first, last = samples[0], samples[-1]
        parts.append(
            f"**Soak**: the same {SENDERS} senders for {soak_seconds / 60:.0f} minutes; the "
            "resident memory of each gunicorn worker (MB), sampled every "
            f"{SOAK_SAMPLE_SECONDS} s:\n\n"
            + harness.table(
                ["elapsed, s", *[f"worker {n + 1}" for n in range(len(first[1]))]],
                [
                    [f"{at:.0f}", *[f"{mb:.1f}" for mb in rss]]
                    for at, rss in samples
                    if at == first[0] or at == last[0] or int(at) % 120 < SOAK_SAMPLE_SECONDS
                ],
            )
            + f"\n\nLargest growth of a worker from the first to the last sample: "
            f"{max(b - a for a, b in zip(first[1], last[1], strict=False)):+.1f} MB."
        )
    parts.append(harness.run_note(runs, quick))
    return "\n\n".join(parts)
