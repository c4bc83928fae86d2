"""Scaling curve: the cost of finding work, intake and a round trip at 1k, 10k, 100k objects."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import harness
from bench.bench_roundtrip import customers

TITLE = "Scaling curve"

REPEATS = 30
BATCH = 50


def seed(size: int, shape: str) -> str:
    """One connection holding `size` objects, plus 99 neighbours with some of their own.

    shape "history": the connection's objects are processed, 50 new ones are due.
    shape "backlog": all of the connection's objects are due (a queue never drained).
    """
    from django.utils import timezone

    from connections.models import Connection
    from objects.models import Phase, QueuedObject

    harness.reset_database()
    ids = harness.make_connections(100)
    connections = list(Connection.objects.order_by("connection_id"))
    target = connections[0]
    now = timezone.now()
    phase = Phase.PROCESSED if shape == "history" else Phase.PENDING
    rows: list[QueuedObject] = []

    def add(connection: Connection, identity: str, phase: str, age: int) -> None:
        rows.append(
            QueuedObject(
                connection=connection,
                object_type="customers",
                identity=identity,
                payload={"name": identity},
                phase=phase,
                qb_id="80000001-1234567890" if phase == Phase.PROCESSED else "",
                created_at=now - harness_timedelta(age),
                updated_at=now,
            )
        )
        if len(rows) >= 5000:
            QueuedObject.objects.bulk_create(rows)
            rows.clear()

    for n in range(size):
        add(target, f"Customer {n:07d}", phase, size - n)
    if shape == "history":
        for n in range(BATCH):
            add(target, f"New customer {n:03d}", Phase.PENDING, 0)
    # Neighbours: as many objects again, spread over 99 connections, mostly processed.
    for n in range(size):
        add(connections[1 + n % 99], f"Neighbour {n:07d}", Phase.PROCESSED, size - n)
    QueuedObject.objects.bulk_create(rows)
    harness.vacuum_analyze()
    return ids[0]


def harness_timedelta(seconds: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


def timed(func: Callable[[], object]) -> float:
    """Median wall time of `func` over REPEATS calls, in ms."""
    func()
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def finding_work(connection_id: str) -> dict[str, float]:
    from django.utils import timezone

    from connections.models import Connection
    from objects.models import Phase, QueuedObject
    from qbwc import dispatch
    from qbwc.loop import PROGRESS_COUNT_CAP as cap

    connection = Connection.objects.get(connection_id=connection_id)
    now = timezone.now()
    objects = QueuedObject.objects.filter(connection=connection)
    return {
        "due": timed(lambda: dispatch.due_objects(connection, BATCH, now)),
        "has_work": timed(lambda: dispatch.has_due_work(connection, now)),
        "promote": timed(lambda: dispatch.promote_waiting(connection)),
        # What qbwc.loop.progress() counts on every receiveResponseXML.
        "remaining": timed(
            lambda: (
                objects.due(now)[:cap].count()
                + objects.filter(phase=Phase.TWO_PHASE_PENDING)[:cap].count()
            )
        ),
    }


def explain(connection_id: str) -> str:
    from django.db import connection as db
    from django.utils import timezone

    from connections.models import Connection
    from objects.models import QueuedObject

    connection = Connection.objects.get(connection_id=connection_id)
    query = (
        QueuedObject.objects.filter(connection=connection)
        .due(timezone.now())
        .order_by("created_at", "id")[:BATCH]
    )
    sql, params = query.query.sql_with_params()
    with db.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def over_http(base_url: str, connection_id: str) -> dict[str, float]:
    """Intake p50 of 50 single-customer posts, then one 50-object round trip's server time."""
    client = harness.WebhookClient(base_url, connection_id)
    latencies = []
    for n, customer in enumerate(customers(BATCH, start=9_000_000)):
        status, answer, elapsed = client.post(
            "add_customers", harness.customer_envelope([customer], f"s{n}")
        )
        assert status == 200, answer
        latencies.append(elapsed * 1000)
    client.close()
    connector = harness.web_connector(base_url, connection_id, harness.fake_quickbooks())
    ticket = connector.call("authenticate", strUserName=f"{connection_id}-qbwc",
                            strPassword=harness.QBWC_PASSWORD)[0]  # fmt: skip
    quickbooks = connector.quickbooks
    quickbooks.new_session()
    pair = []
    for hcp in (quickbooks.hcp_response("13.0"), ""):
        started = time.perf_counter()
        request = connector.call(
            "sendRequestXML",
            ticket=ticket,
            strHCPResponse=hcp,
            strCompanyFileName="",
            qbXMLCountry="US",
            qbXMLMajorVers=13,
            qbXMLMinorVers=0,
        )
        send = time.perf_counter() - started
        response, hresult, message = quickbooks.process(request)
        started = time.perf_counter()
        connector.call(
            "receiveResponseXML", ticket=ticket, response=response, hresult=hresult, message=message
        )
        pair.append((send + time.perf_counter() - started) * 1000)
    connector.call("closeConnection", ticket=ticket)
    return {"intake_p50": statistics.median(latencies), "pair_first": pair[0], "pair": pair[1]}


def run(quick: bool = False) -> str:
    harness.configure()
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    rows = []
    plans = {}
    with harness.server(QBWC_BATCH_SIZE=str(BATCH)) as server:
        for shape in ("history", "backlog"):
            for size in sizes:
                store = seed(size, shape)
                work = finding_work(store)
                http = over_http(server.url, store)
                rows.append(
                    [
                        shape,
                        f"{size:,}",
                        f"{work['due']:.2f}",
                        f"{work['has_work']:.2f}",
                        f"{work['promote']:.2f}",
                        f"{work['remaining']:.2f}",
                        f"{http['intake_p50']:.1f}",
                        f"{http['pair_first']:.0f} / {http['pair']:.0f}",
                    ]
                )
                if size == sizes[-1]:
                    plans[shape] = explain(store)
    parts = [
        "One connection holds N customers and 99 neighbouring connections share N more "
        "(all inserted directly, then `ANALYZE`). In the *history* shape the connection's "
        f"N objects are processed and {BATCH} new ones are due; in the *backlog* shape all N "
        "are due (a queue nobody drains). The first four columns are the queries the Web "
        "Connector loop runs on every call (`qbwc.dispatch`), timed in-process, median "
        f"of {REPEATS}. Then over HTTP against gunicorn: the p50 latency of {BATCH} "
        f"single-customer webhooks, and the server time of the first two round trips "
        f"(`sendRequestXML` + `receiveResponseXML`, {BATCH} objects each: look-ups, then "
        "adds in the history shape / more look-ups in the backlog shape).",
        harness.table(
            [
                "shape",
                "N objects",
                "next due ms",
                "has work ms",
                "promote ms",
                "count remaining ms",
                "intake p50 ms",
                "round trips 1 / 2 ms",
            ],
            rows,
        ),
    ]
    for shape, plan in plans.items():
        parts.append(
            f"`EXPLAIN ANALYZE` of the next-due query ({shape}, N = {sizes[-1]:,}):\n\n"
            f"```\n{plan}\n```"
        )
    parts.append(harness.run_note(1, quick))
    return "\n\n".join(parts)
