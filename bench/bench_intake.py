"""Webhook intake: orders accepted per second and request latency, over real HTTP."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from typing import Any

from bench import harness

TITLE = "Webhook intake"

SENDERS = 4
ITEMS_PER_ORDER = 2
ITEM_POOL = 200
ORDERS_PER_CUSTOMER = 5


@dataclass
class Config:
    name: str
    senders: int
    orders: int
    per_request: int


def orders_for(start: int, count: int) -> list[dict[str, Any]]:
    """Orders numbered start…: a new customer every 5 orders, 2 of 200 products each."""
    return [
        harness.order(
            number,
            f"customer-{number // ORDERS_PER_CUSTOMER}@example.com",
            [f"SKU-{(number * 7 + k) % ITEM_POOL:04d}" for k in range(ITEMS_PER_ORDER)],
        )
        for number in range(start, start + count)
    ]


def send(args: tuple[str, str, int, int, int]) -> tuple[list[float], int, int]:
    """One sender process: (latencies in seconds, objects echoed ok, errors)."""
    base_url, store, start, count, per_request = args
    client = harness.WebhookClient(base_url, store)
    latencies: list[float] = []
    errors = 0
    accepted = 0
    orders = orders_for(start, count)
    for offset in range(0, count, per_request):
        chunk = orders[offset : offset + per_request]
        body = harness.order_envelope(
            chunk if per_request > 1 else chunk[0], f"req-{start + offset}"
        )
        status, _answer, elapsed = client.post("add_orders", body)
        latencies.append(elapsed)
        if status == 200:
            accepted += len(chunk)
        else:
            errors += 1
    client.close()
    return latencies, accepted, errors


def measure(base_url: str, config: Config) -> dict[str, float]:
    harness.reset_database()
    store = harness.make_connections(1)[0]
    from django.db import connection

    connection.close()  # children only speak HTTP
    share = config.orders // config.senders
    jobs = [(base_url, store, n * share, share, config.per_request) for n in range(config.senders)]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    if config.senders == 1:
        results = [send(jobs[0])]
    else:
        with context.Pool(config.senders) as pool:
            results = pool.map(send, jobs)
    wall = time.perf_counter() - started
    latencies = [value for result in results for value in result[0]]
    accepted = sum(result[1] for result in results)
    from objects.models import QueuedObject

    stored = QueuedObject.objects.count()
    return {
        "orders_per_s": accepted / wall,
        "objects_per_s": stored / wall,
        "p50_ms": harness.percentile(latencies, 0.50) * 1000,
        "p99_ms": harness.percentile(latencies, 0.99) * 1000,
        "errors": float(sum(result[2] for result in results)),
        "stored": float(stored),
    }


def run(quick: bool = False) -> str:
    harness.configure()
    runs = harness.runs(quick)
    configs = (
        [
            Config("1 sender, 1 order per request", 1, 200, 1),
            Config(f"{SENDERS} senders, 1 order per request", SENDERS, 400, 1),
            Config(f"{SENDERS} senders, 10 orders per request", SENDERS, 400, 10),
            Config(f"{SENDERS} senders, 50 orders per request", SENDERS, 400, 50),
        ]
        if quick
        else [
            Config("1 sender, 1 order per request", 1, 2_000, 1),
            Config(f"{SENDERS} senders, 1 order per request", SENDERS, 10_000, 1),
            Config(f"{SENDERS} senders, 10 orders per request", SENDERS, 10_000, 10),
            Config(f"{SENDERS} senders, 50 orders per request", SENDERS, 10_000, 50),
        ]
    )
    rows = []
    with harness.server() as server:
        # Warm every gunicorn worker (imports, XSD-free code paths, connections).
        measure(server.url, Config("warm-up", SENDERS, 40, 1))
        for config in configs:
            figures: dict[str, list[float]] = {}
            for _ in range(runs):
                for key, value in measure(server.url, config).items():
                    figures.setdefault(key, []).append(value)
            rows.append(
                [
                    config.name,
                    f"{config.orders:,}",
                    f"{int(figures['stored'][0]):,}",
                    harness.Figure(figures["orders_per_s"]).cell(0),
                    harness.Figure(figures["objects_per_s"]).cell(0),
                    harness.Figure(figures["p50_ms"]).cell(1),
                    harness.Figure(figures["p99_ms"]).cell(1),
                    f"{int(sum(figures['errors']))}",
                ]
            )
    return "\n\n".join(
        [
            f"Each order names a customer (a new one every {ORDERS_PER_CUSTOMER} orders) and "
            f"{ITEMS_PER_ORDER} of {ITEM_POOL} products with `quickbooks_auto_create_products=1`, "
            "so intake also queues the customer and products it depends on. Senders are "
            "separate processes, each on one keep-alive HTTP connection to gunicorn "
            f"({harness.GUNICORN_WORKERS} sync workers). *Orders/s* counts orders answered "
            "200; *objects/s* counts every row stored (orders, customers, products) per "
            "wall-clock second; latency is per HTTP request as the sender sees it.",
            harness.table(
                [
                    "configuration",
                    "orders",
                    "objects stored",
                    "orders/s",
                    "objects/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                ],
                rows,
            ),
            harness.run_note(runs, quick),
        ]
    )
