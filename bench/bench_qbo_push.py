"""QuickBooks Online push: objects per second for one connection and for 50 at once,
against the local QBO double with Intuit's per-realm limits on."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from bench import harness

TITLE = "QuickBooks Online push"

PROCESSES = 4


def serve_double(realms: list[str], ready: Any, stop: Any, stats: Any) -> None:
    """The double in its own process (as Intuit is another machine): one company per
    realm, each connected; sends the grants, serves until `stop`, then the statuses."""
    from qbo.double import FakeQbo

    double = FakeQbo(realm_id=realms[0]).start()
    grants = {realms[0]: double.connect(realms[0])}
    for realm in realms[1:]:
        double.add_company(realm, f"Company {realm}")
        grants[realm] = double.connect(realm)
    ready.put(
        {
            "grants": grants,
            "urls": {
                "QBO_API_BASE": double.api_base,
                "QBO_TOKEN_URL": double.token_url,
                "QBO_AUTHORIZE_URL": double.authorize_url,
                "QBO_REVOKE_URL": double.revoke_url,
            },
            "client": (double.client_id, double.client_secret),
        }
    )
    stop.wait()
    statuses: dict[int, int] = {}
    for record in double.requests:
        statuses[record.status] = statuses.get(record.status, 0) + 1
    stats.put(statuses)
    double.stop()


def seed(count: int, per_connection: int, started: dict[str, Any]) -> list[int]:
    """`count` QBO connections, each with `per_connection` new customers queued."""
    from django.utils import timezone

    from connections.models import Connection
    from objects.models import Phase, QueuedObject, QueuedObjectEvent
    from qbo.models import QboConnection

    harness.reset_database()
    ids = harness.make_connections(count, prefix="qbo")
    connections = list(Connection.objects.filter(connection_id__in=ids).order_by("pk"))
    Connection.objects.filter(pk__in=[c.pk for c in connections]).update(backend="qbo")
    client_id, client_secret = started["client"]
    now = timezone.now()
    for connection, (realm, grant) in zip(connections, started["grants"].items(), strict=True):
        QboConnection.objects.create(
            connection=connection,
            realm_id=realm,
            client_id=client_id,
            client_secret=client_secret,
            access_token=grant["access_token"],
            access_expires_at=now + timedelta(hours=1),
            refresh_token=grant["refresh_token"],
        )
    objects = QueuedObject.objects.bulk_create(
        [
            QueuedObject(
                connection=connection,
                object_type="customers",
                identity=f"Customer {n} of {connection.connection_id}",
                payload={
                    "name": f"Customer {n} of {connection.connection_id}",
                    "email": f"c{n}@example.com",
                },
                phase=Phase.PENDING,
            )
            for connection in connections
            for n in range(per_connection)
        ],
        batch_size=1000,
    )
    QueuedObjectEvent.objects.bulk_create(
        [QueuedObjectEvent(queued_object=o, to_phase=Phase.PENDING) for o in objects],
        batch_size=1000,
    )
    return [c.pk for c in connections]


def push(args: tuple[list[int], dict[str, str]]) -> list[tuple[int, int]]:
    """One worker process running a pass per connection of its share, in threads."""
    pks, urls = args
    harness.configure()
    from django.conf import settings
    from django.db import connections as db_connections

    from connections.models import Connection
    from qbo.push import run_pass

    for key, value in urls.items():
        setattr(settings, key, value)

    def one(pk: int) -> tuple[int, int]:
        try:
            summary = run_pass(Connection.objects.get(pk=pk))
            return summary.processed, summary.calls
        finally:
            db_connections.close_all()

    with ThreadPoolExecutor(max(1, len(pks))) as pool:
        return list(pool.map(one, pks))


def measure(count: int, per_connection: int) -> dict[str, float]:
    context = multiprocessing.get_context("fork")
    ready, stats, stop = context.Queue(), context.Queue(), context.Event()
    realms = [f"9341{n:012d}" for n in range(count)]
    double = context.Process(target=serve_double, args=(realms, ready, stop, stats))
    double.start()
    try:
        started = ready.get(timeout=60)
        pks = seed(count, per_connection, started)
        from django.db import connection

        connection.close()
        shares = [pks[n::PROCESSES] for n in range(PROCESSES) if pks[n::PROCESSES]]
        began = time.perf_counter()
        with context.Pool(len(shares)) as pool:
            results = [
                r for chunk in pool.map(push, [(s, started["urls"]) for s in shares]) for r in chunk
            ]
        wall = time.perf_counter() - began
    finally:
        stop.set()
        statuses = stats.get(timeout=60)
        double.join(timeout=30)
    from objects.models import Phase, QueuedObject

    processed = sum(p for p, _ in results)
    calls = sum(c for _, c in results)
    return {
        "objects_per_s": processed / wall,
        "per_connection_per_s": processed / wall / count,
        "calls_per_s_per_realm": calls / wall / count,
        "throttled": float(statuses.get(429, 0)),
        "left": float(QueuedObject.objects.exclude(phase=Phase.PROCESSED).count()),
        "wall_s": wall,
    }


def run(quick: bool = False) -> str:
    harness.configure()
    runs = harness.runs(quick)
    per_connection = 20 if quick else 200
    rows = []
    for count in (1, 50):
        each = per_connection if count == 1 else max(10, per_connection // 5)
        figures: dict[str, list[float]] = {}
        for _ in range(runs):
            for key, value in measure(count, each).items():
                figures.setdefault(key, []).append(value)
        rows.append(
            [
                f"{count} × {each} customers",
                harness.Figure(figures["objects_per_s"]).cell(1),
                harness.Figure(figures["per_connection_per_s"]).cell(2),
                harness.Figure(figures["calls_per_s_per_realm"]).cell(2),
                harness.Figure(figures["throttled"]).cell(0),
                harness.Figure(figures["left"]).cell(0),
            ]
        )
    return "\n\n".join(
        [
            "Each connection is its own QuickBooks Online company (realm) in the local "
            "double, running in its own process with Intuit's limits on (10 calls a "
            "second, 500 a minute and 10 in flight per realm; over them it answers 429). "
            f"Customers are queued and {PROCESSES} worker processes run one push pass per "
            "connection at once (`qbo.push.run_pass`, as the Celery task does): a look-up "
            "query and a create per customer, over HTTP with keep-alive.",
            harness.table(
                [
                    "connections × objects",
                    "objects/s in all",
                    "objects/s per connection",
                    "calls/s per realm",
                    "429s from QBO",
                    "objects left unprocessed",
                ],
                rows,
            ),
            "The per-realm limiter (`qbo/limits.py`) holds each connection under Intuit's "
            "10 calls a second, so one connection cannot push faster than about 5 new "
            "records a second (two calls each); many connections push in parallel.",
            harness.run_note(runs, quick),
        ]
    )
