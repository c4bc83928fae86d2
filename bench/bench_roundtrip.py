"""Web Connector round trips: server time per sendRequestXML + receiveResponseXML pair."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench import harness

if TYPE_CHECKING:
    from qbwc.simulator.webconnector import RunResult

TITLE = "Web Connector round trip"

EXCHANGE = ("sendRequestXML", "receiveResponseXML")


@dataclass
class Pair:
    requests: int
    send_ms: float
    receive_ms: float

    @property
    def total_ms(self) -> float:
        return self.send_ms + self.receive_ms


def pairs(result: RunResult) -> list[Pair]:
    """The (sendRequestXML, receiveResponseXML) pairs of a run, with their request counts."""
    found: list[Pair] = []
    sends = [c for c in result.calls if c.op in EXCHANGE]
    requests = iter(result.requests)
    for send, receive in zip(sends[::2], sends[1::2], strict=False):
        if send.op != "sendRequestXML" or receive.op != "receiveResponseXML":
            continue
        xml = next(requests)
        found.append(Pair(xml.count("requestID="), send.elapsed_ms, receive.elapsed_ms))
    return found


def server_ms(result: RunResult) -> float:
    return sum(c.elapsed_ms for c in result.calls if c.op in EXCHANGE)


def customers(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Customer {n:06d}",
            "email": f"c{n}@example.com",
            "billing_address": {"address1": f"{n} Main Street", "city": "Springfield"},
        }
        for n in range(start, start + count)
    ]


def measure_batch(base_url: str, size: int) -> tuple[Pair, Pair]:
    """Queue `size` new customers, run the Web Connector: (look-up pair, add pair)."""
    harness.reset_database()
    store = harness.make_connections(1)[0]
    client = harness.WebhookClient(base_url, store)
    status, answer, _ = client.post(
        "add_customers", harness.customer_envelope(customers(size), "b")
    )
    client.close()
    assert status == 200, answer
    result = harness.web_connector(base_url, store, harness.fake_quickbooks()).run()
    assert result.completed, result.stop_reason
    full = [pair for pair in pairs(result) if pair.requests == size]
    assert len(full) == 2, [pair.requests for pair in pairs(result)]
    return full[0], full[1]


def measure_orders(base_url: str, count: int) -> dict[str, float]:
    """`count` orders, each with a new customer and a new item (+1 of 100 shared new items)."""
    harness.reset_database()
    store = harness.make_connections(1)[0]
    client = harness.WebhookClient(base_url, store)
    for n in range(count):
        order = harness.order(n, f"new-{n}@example.com", [f"NEW-{n:05d}", f"POOL-{n % 100:03d}"])
        status, answer, _ = client.post("add_orders", harness.order_envelope(order, f"o{n}"))
        assert status == 200, answer
    client.close()
    quickbooks = harness.fake_quickbooks()
    connector = harness.web_connector(base_url, store, quickbooks)
    runs = round_trips = 0
    server = 0.0
    started = time.perf_counter()
    while True:
        result = connector.run()
        if result.stop_reason == "authenticate none":
            break
        assert result.completed, result.stop_reason
        runs += 1
        round_trips += result.round_trips
        server += server_ms(result)
        if runs > 20:
            raise AssertionError("more than 20 Web Connector runs")
    wall = time.perf_counter() - started
    from objects.models import Phase, QueuedObject

    objects = QueuedObject.objects.count()
    processed = QueuedObject.objects.filter(phase=Phase.PROCESSED).count()
    return {
        "runs": float(runs),
        "round_trips": float(round_trips),
        "objects": float(objects),
        "unprocessed": float(objects - processed),
        "server_s": server / 1000,
        "server_ms_per_object": server / objects,
        "wall_s": wall,
    }


def warm(base_url: str) -> None:
    """Warm every worker (XSD schemas, imports): a cold one adds ~100 ms to a call."""
    for _ in range(2 * harness.GUNICORN_WORKERS):
        measure_batch(base_url, 10)


def run(quick: bool = False) -> str:
    harness.configure()
    runs = harness.runs(quick)
    sizes = [1, 50, 100] if quick else [1, 50, 500]
    order_count = 50 if quick else 1_000
    rows = []
    # One message may carry up to 500 requests here; the production default is 50.
    with harness.server(QBWC_BATCH_SIZE="500") as server:
        warm(server.url)
        for size in sizes:
            lookups: list[Pair] = []
            adds: list[Pair] = []
            for _ in range(runs):
                lookup, add = measure_batch(server.url, size)
                lookups.append(lookup)
                adds.append(add)
            for label, measured in (("look-ups", lookups), ("adds", adds)):
                rows.append(
                    [
                        f"{size} customer {label}",
                        harness.Figure([p.send_ms for p in measured]).cell(1),
                        harness.Figure([p.receive_ms for p in measured]).cell(1),
                        harness.Figure([p.total_ms for p in measured]).cell(1),
                        harness.Figure([p.total_ms / size for p in measured]).cell(2),
                    ]
                )
    figures: dict[str, list[float]] = {}
    with harness.server() as server:
        warm(server.url)
        for _ in range(runs):
            for key, value in measure_orders(server.url, order_count).items():
                figures.setdefault(key, []).append(value)
    order_rows = [
        ["Web Connector runs", harness.Figure(figures["runs"]).cell(0)],
        ["round trips", harness.Figure(figures["round_trips"]).cell(0)],
        ["objects queued (orders, customers, items)", harness.Figure(figures["objects"]).cell(0)],
        ["objects left unprocessed", harness.Figure(figures["unprocessed"]).cell(0)],
        ["server time, s", harness.Figure(figures["server_s"]).cell(2)],
        ["server time per object, ms", harness.Figure(figures["server_ms_per_object"]).cell(2)],
        ["wall time incl. simulated QuickBooks, s", harness.Figure(figures["wall_s"]).cell(1)],
    ]
    return "\n\n".join(
        [
            "**Batches.** N new customers arrive in one webhook; one Web Connector run then "
            "needs a look-up round trip (N `CustomerQueryRq`) and an add round trip "
            "(N `CustomerAddRq`), with `QBWC_BATCH_SIZE=500`. *Server time* is the wall "
            "time of the `sendRequestXML` and `receiveResponseXML` calls as the simulated "
            "Web Connector sees them over loopback HTTP (SOAP parsing, claiming, building "
            "and XSD-validating each request, applying each answer, history rows); the "
            "simulated QuickBooks' own processing between the two calls is excluded.",
            harness.table(
                [
                    "round trip",
                    "sendRequestXML ms",
                    "receiveResponseXML ms",
                    "pair ms",
                    "ms/object",
                ],
                rows,
            ),
            f"**{order_count:,} new orders** (production default `QBWC_BATCH_SIZE=50`): "
            "every order brings a new customer, a new item and one of 100 shared new items "
            "(`quickbooks_auto_create_products=1`). The simulated Web Connector runs until "
            "`authenticate` answers `none`.",
            harness.table(["figure", "value"], order_rows),
            harness.run_note(runs, quick),
        ]
    )
