"""Many companies: Web Connectors of 1,000 connections calling at once (bounded concurrency)."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench import harness

TITLE = "Many companies"

PROCESSES = 4


def seed(count: int, password: str) -> list[str]:
    """`count` connections, each with one new customer waiting (history row included)."""
    from objects.models import Phase, QueuedObject, QueuedObjectEvent

    harness.reset_database()
    ids = harness.make_connections(count, qbwc_password=password)
    from connections.models import Connection

    objects = QueuedObject.objects.bulk_create(
        [
            QueuedObject(
                connection=connection,
                object_type="customers",
                identity=f"Customer of {connection.connection_id}",
                payload={"name": f"Customer of {connection.connection_id}"},
                phase=Phase.PENDING,
            )
            for connection in Connection.objects.all()
        ],
        batch_size=1000,
    )
    QueuedObjectEvent.objects.bulk_create(
        [QueuedObjectEvent(queued_object=o, to_phase=Phase.PENDING) for o in objects],
        batch_size=1000,
    )
    return ids


def one_session(base_url: str, connection_id: str, password: str) -> tuple[bool, float, str]:
    started = time.perf_counter()
    try:
        quickbooks = harness.fake_quickbooks()
        result = harness.web_connector(base_url, connection_id, quickbooks, password).run()
        ok = result.completed and result.round_trips == 2
        error = "" if ok else f"{result.stop_reason} after {result.round_trips} round trips"
    except Exception as exc:  # counted and shown, never hidden
        ok, error = False, f"{exc.__class__.__name__}: {exc}"[:200]
    return ok, time.perf_counter() - started, error


def sessions(args: tuple[str, list[str], int, str]) -> list[tuple[bool, float, str]]:
    """One client process running its share of Web Connectors on `threads` threads."""
    base_url, connection_ids, threads, password = args
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda cid: one_session(base_url, cid, password), connection_ids))


def measure(base_url: str, count: int, concurrency: int) -> dict[str, Any]:
    # Generated, as Connection.generate_qbwc_password() makes them (docs/security.md).
    from connections.passwords import generate

    password = generate()
    ids = seed(count, password)
    from django.db import connection

    connection.close()
    shares = [ids[n::PROCESSES] for n in range(PROCESSES)]
    jobs = [
        (base_url, share, max(1, concurrency // PROCESSES), password) for share in shares if share
    ]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = [item for chunk in pool.map(sessions, jobs) for item in chunk]
    wall = time.perf_counter() - started
    from objects.models import Phase, QueuedObject

    durations = [seconds for ok, seconds, _ in results if ok]
    errors = [error for ok, _, error in results if not ok]
    return {
        "sessions_per_s": sum(1 for ok, _, _ in results if ok) / wall,
        "p50_s": harness.percentile(durations, 0.5),
        "p99_s": harness.percentile(durations, 0.99),
        "errors": len(errors),
        "unprocessed": QueuedObject.objects.exclude(phase=Phase.PROCESSED).count(),
        "wall_s": wall,
        "first_error": errors[0] if errors else "",
    }


def password_check_ms() -> float:
    from django.contrib.auth.hashers import check_password, make_password

    hashed = make_password(harness.QBWC_PASSWORD)
    started = time.perf_counter()
    for _ in range(5):
        check_password(harness.QBWC_PASSWORD, hashed)
    return (time.perf_counter() - started) / 5 * 1000


def run(quick: bool = False) -> str:
    harness.configure()
    runs = harness.runs(quick)
    count = 24 if quick else 1_000
    concurrency = 8 if quick else 32
    figures: dict[str, list[float]] = {}
    first_error = ""
    with harness.server() as server:
        measure(server.url, 8, 8)  # warm the workers
        for _ in range(runs):
            measured = measure(server.url, count, concurrency)
            first_error = first_error or measured.pop("first_error")
            measured.pop("first_error", None)
            for key, value in measured.items():
                figures.setdefault(key, []).append(float(value))
    hashing = password_check_ms()
    rows = [
        ["sessions completed per second", harness.Figure(figures["sessions_per_s"]).cell(1)],
        ["session duration p50, s", harness.Figure(figures["p50_s"]).cell(2)],
        ["session duration p99, s", harness.Figure(figures["p99_s"]).cell(2)],
        ["errors (failed or incomplete sessions)", harness.Figure(figures["errors"]).cell(0)],
        ["objects left unprocessed", harness.Figure(figures["unprocessed"]).cell(0)],
        ["wall time for all sessions, s", harness.Figure(figures["wall_s"]).cell(1)],
    ]
    return "\n\n".join(
        [
            f"{count:,} connections each have one new customer queued. {PROCESSES} client "
            f"processes run one simulated Web Connector per connection, {concurrency} at a "
            "time in all, each a complete update over HTTP: `serverVersion`, "
            "`clientVersion`, `authenticate`, a look-up and an add round trip, "
            "`closeConnection`, against its own simulated QuickBooks company. A session "
            "counts as completed when it reached 100 % in exactly 2 round trips.",
            harness.table(["figure", "value"], rows),
            "Every connection has a password qbsync generated "
            "(`Connection.generate_qbwc_password()`: 256 random bits behind one salted "
            "SHA-256, docs/security.md). A password a person typed is checked with Django's "
            f"default hasher (PBKDF2, {hashing:.0f} ms of CPU per check on this machine) the "
            "first time each gunicorn worker sees it, then from the worker's verified-"
            "credential cache; a server checking only PBKDF2 passwords is bounded at about "
            f"{2000 / hashing:.0f} sessions per second on 2 cores."
            + (f" First error seen: `{first_error}`." if first_error else ""),
            harness.run_note(runs, quick),
        ]
    )
