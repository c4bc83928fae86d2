"""Shared plumbing of the benchmarks: environment, gunicorn, data, clients, statistics.

The benchmarks run qbsync as production does — gunicorn with its own PostgreSQL
database (`bench`) and Redis (db 14) — and drive it over HTTP with the FakeWebConnector
and FakeQuickBooks standing in for the Web Connector and QuickBooks. This module is
imported before Django is set up, so it configures the environment first.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = os.environ.get("BENCH_DATABASE", "bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
# As in production (qbsync/gunicorn.py: 2 x cores + 1) unless BENCH_GUNICORN_WORKERS.
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", str((os.cpu_count() or 1) * 2 + 1)))
QBWC_PASSWORD = "bench-qbwc-password"
WEBHOOK_TOKEN = "bench-webhook-token"

# What every gunicorn (and this process) sees: production settings, bench database.
SERVER_ENV: dict[str, str] = {
    "DJANGO_SETTINGS_MODULE": "qbsync.settings",
    "DATABASE_URL": f"{PG}/{DATABASE_NAME}",
    # Persistent database connections, as a production deployment sets them
    # (docs/benchmarks.md shows the cost of 0).
    "DATABASE_CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
    "CELERY_BROKER_URL": REDIS_URL,
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
    "SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdef",
}


def configure() -> None:
    """Point this process at the bench database and set Django up (idempotent)."""
    for key, value in SERVER_ENV.items():
        os.environ[key] = value
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ensure_database() -> None:
    """Create the bench database if missing and migrate it."""
    check = subprocess.run(
        [
            "psql",
            PG + "/postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{DATABASE_NAME}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    if check.stdout.strip() != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE_NAME], check=True)
    configure()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def reset_database() -> None:
    """Empty every qbsync table (connections, objects, sessions, QBO calls) between runs."""
    from django.apps import apps
    from django.db import connection

    tables = [
        model._meta.db_table
        for label in ("connections", "objects", "qbwc", "qbo")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    connection.close()


def vacuum_analyze() -> None:
    """Refresh planner statistics after bulk loads, as autovacuum would eventually."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# -- gunicorn -------------------------------------------------------------------------
class Server:
    """A gunicorn serving qbsync.wsgi on 127.0.0.1:port with extra environment."""

    def __init__(self, port: int = PORT, **env: str) -> None:
        self.port = port
        self.env = {**os.environ, **SERVER_ENV, **{k: str(v) for k, v in env.items()}}
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> Server:
        log = open(ROOT / "var" / f"bench-gunicorn-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:qbsync.gunicorn",
                "qbsync.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--timeout",
                "300",
                # Web Connectors of 1,000 companies queue here, as behind a real proxy.
                "--backlog",
                "2048",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
                status, _ = get(self.url + "/")
                if status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start within 60 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def _worker_status(server: Server, field: str) -> list[float]:
    """A /proc/<pid>/status field (kB) of each gunicorn worker of `server`, in MB."""
    if server.process is None:
        return []
    master = server.process.pid
    values = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command may hold spaces and parentheses: the ppid follows the last ")".
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid != master:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        for line in status.splitlines():
            if line.startswith(field + ":"):
                values.append(int(line.split()[1]) / 1024)
    return sorted(values)


def worker_peak_rss_mb(server: Server) -> list[float]:
    """The peak resident memory (VmHWM) of each gunicorn worker since it started, MB."""
    return _worker_status(server, "VmHWM")


def worker_rss_mb(server: Server) -> list[float]:
    """The resident memory (VmRSS) of each gunicorn worker now, MB (ordered by size)."""
    return _worker_status(server, "VmRSS")


@contextmanager
def server(**env: str) -> Iterator[Server]:
    (ROOT / "var").mkdir(exist_ok=True)
    instance = Server(PORT, **env).start()
    try:
        yield instance
    finally:
        instance.stop()


# -- HTTP clients ---------------------------------------------------------------------
def get(url: str) -> tuple[int, bytes]:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status, reply.read()


class WebhookClient:
    """A FlowLink sender on one keep-alive connection (FlowLink reuses its connections)."""

    def __init__(self, base_url: str, store: str, token: str = WEBHOOK_TOKEN) -> None:
        host_port = base_url.split("//", 1)[1]
        host, port = host_port.split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {
            "Content-Type": "application/json",
            "X-Hub-Store": store,
            "X-Hub-Token": token,
        }

    def post(self, route: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None, float]:
        """POST one webhook: (status, JSON answer, seconds)."""
        data = json.dumps(body).encode("utf-8")
        started = time.perf_counter()
        try:
            self.connection.request("POST", f"/{route}", data, self.headers)
            reply = self.connection.getresponse()
            raw = reply.read()
        except (http.client.HTTPException, OSError):
            # gunicorn closed the kept-alive connection: reconnect once, as FlowLink would.
            self.connection.close()
            started = time.perf_counter()
            self.connection.request("POST", f"/{route}", data, self.headers)
            reply = self.connection.getresponse()
            raw = reply.read()
        elapsed = time.perf_counter() - started
        return reply.status, json.loads(raw) if raw else None, elapsed

    def close(self) -> None:
        self.connection.close()


# -- data -----------------------------------------------------------------------------
def make_connections(count: int, prefix: str = "bench", qbwc_password: str = "") -> list[str]:
    """Create `count` connections sharing one password hash (hashing 1,000 would take minutes).

    The Web Connector password is QBWC_PASSWORD behind Django's default hasher (PBKDF2),
    as a person would type it, or `qbwc_password`, one connections.passwords.generate()
    made, behind the fast hasher, as Connection.generate_qbwc_password() stores it."""
    from django.contrib.auth.hashers import make_password

    from connections.models import Connection, hash_token
    from connections.passwords import GeneratedPasswordHasher

    password_hash = (
        make_password(qbwc_password, hasher=GeneratedPasswordHasher.algorithm)
        if qbwc_password
        else make_password(QBWC_PASSWORD)
    )
    token_hash = hash_token(WEBHOOK_TOKEN)
    ids = [f"{prefix}-{n:05d}" for n in range(count)]
    Connection.objects.bulk_create(
        [
            Connection(
                connection_id=cid,
                qbwc_username=f"{cid}-qbwc",
                qbwc_password=password_hash,
                webhook_token_hash=token_hash,
            )
            for cid in ids
        ],
        batch_size=1000,
    )
    return ids


ITEM_PARAMS = {
    "quickbooks_auto_create_products": "1",
    "quickbooks_income_account": "Sales",
    "quickbooks_cogs_account": "Cost of Goods Sold",
    "quickbooks_inventory_account": "Inventory Asset",
}


def order(number: int, customer: str, items: Sequence[str]) -> dict[str, Any]:
    """A FlowLink order shaped like shared/flowlink-payloads/legacy/orders.json."""
    lines: list[dict[str, Any]] = [
        {"product_id": sku, "name": f"Product {sku}", "quantity": 1 + n % 3, "price": 10 + n}
        for n, sku in enumerate(items)
    ]
    total = sum(line["quantity"] * line["price"] for line in lines)
    address = {
        "firstname": "Joe",
        "lastname": f"Smith {number}",
        "address1": "1234 Awesome Street",
        "zipcode": "90210",
        "city": "Hollywood",
        "state": "California",
        "country": "US",
        "phone": "0000000000",
    }
    return {
        "id": f"R{number:011d}",
        "status": "complete",
        "email": customer,
        "customer": {"name": customer},
        "currency": "USD",
        "placed_on": "2026-02-03T17:29:15.219Z",
        "totals": {"item": total, "order": total, "tax": 0, "shipping": 0},
        "line_items": lines,
        "shipping_address": address,
        "billing_address": address,
    }


def order_envelope(
    orders: dict[str, Any] | list[dict[str, Any]], request_id: str
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"payload_type": "order", **ITEM_PARAMS},
        "order": orders,
    }


def customer_envelope(customers: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"payload_type": "customer"},
        "customer": customers,
    }


def fake_quickbooks() -> Any:
    from django.conf import settings

    from qbwc.simulator.quickbooks import FakeQuickBooks

    return FakeQuickBooks(xsd_dir=settings.QBXML_XSD_DIR or None, wall_clock=time.time)


def web_connector(
    base_url: str, connection_id: str, quickbooks: Any, password: str = QBWC_PASSWORD
) -> Any:
    from qbwc.simulator.webconnector import FakeWebConnector

    return FakeWebConnector(
        f"{base_url}/qbwc/", f"{connection_id}-qbwc", password, quickbooks, max_round_trips=400
    )


# -- statistics and Markdown -------------------------------------------------------------
def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 10,000 latencies is the 9,900th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(fraction * len(ordered) + 0.4999))))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One measured quantity over several runs: the median and the spread (min–max)."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self, digits: int = 1) -> str:
        if len(self.values) == 1:
            return f"{self.values[0]:,.{digits}f}"
        return (
            f"{self.median:,.{digits}f} ({min(self.values):,.{digits}f}–"
            f"{max(self.values):,.{digits}f})"
        )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def runs(quick: bool, full: int = 3) -> int:
    """How many times each configuration runs: 1 when quick, else BENCH_RUNS or `full`."""
    if quick:
        return 1
    return int(os.environ.get("BENCH_RUNS", str(full)))


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


CPU_CHECK_ORDERS = 500


def cpu_check() -> float:
    """Milliseconds of CPU to validate 500 orders as intake does (no database).

    The machine's speed drifts (a shared host: the same commit measured 10 ms and then
    16 ms of CPU per 10-order request an hour apart), so every table records this
    fixed piece of qbsync's own work next to its figures: compare tables only when
    their checks agree.
    """
    from qbwc.qbxml.mappers import MAPPERS

    mapper = MAPPERS["orders"]
    params = dict(ITEM_PARAMS)
    orders = [
        order(n, f"check-{n}@example.com", [f"SKU-{n:04d}", "SKU-9999"])
        for n in range(CPU_CHECK_ORDERS)
    ]
    started = time.process_time()
    for payload in orders:
        mapper.validate(payload, params)
    return (time.process_time() - started) * 1000


# The CPU check taken just before the running benchmark started (bench/__main__.py):
# after a run, autovacuum and the last senders would still be slowing the machine.
cpu_check_before: float | None = None


def run_note(runs: int, quick: bool) -> str:
    mode = "quick (smoke-test sizes)" if quick else "full"
    check = cpu_check() if cpu_check_before is None else cpu_check_before
    return (
        f"_Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {mode}, "
        f"{runs} run(s); load average (1/5/15 min) at the end: {load_average()}; "
        f"CPU check before it: {check:.0f} ms to validate {CPU_CHECK_ORDERS} orders. "
        "Cells show the median and, in brackets, the spread (min–max) over the runs._"
    )
