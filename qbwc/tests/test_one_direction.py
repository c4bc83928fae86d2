"""The FlowLink → queue → qbXML → answer path reads in one direction (docs/architecture.md).

A webhook and the Web Connector run that sends its objects are traced call by call; a
project file entered again deeper in a call stack that had left it (A → B → A) is a path
going back and forth, which a reader has to follow twice. A class hierarchy's template
methods and one property read are not, and are listed with their reason; anything else
fails with the chain that did it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from django.test import Client

from qbsync.test import QBWC_PASSWORD, BaseTestCase, require_xsd_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("objects", "qbwc", "qbo", "connections")

# Returns that are not the path going back, with why.
ALLOWED = {
    # A notification reads the reference of the object it is about (a property).
    "objects/models/queued.py > objects/models/notifications.py > objects/models/queued.py",
}
# A class hierarchy's template methods: a base class builds and asks its subclass for
# the parts (the mappers' lines, a customer's fields). Read top-down, one hierarchy.
HIERARCHIES = ("qbwc/qbxml/mappers/", "qbo/mappers/", "objects/types/")


def going_back(chain: str) -> bool:
    if chain in ALLOWED:
        return False
    files = chain.split(" > ")
    return not any(all(f.startswith(h) for f in files) for h in HIERARCHIES)


def project_file(frame: FrameType) -> str | None:
    try:
        path = Path(frame.f_code.co_filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    parts = path.parts
    if not parts or parts[0] not in PACKAGES:
        return None
    if {"tests", "migrations", "simulator", "double"} & set(parts):
        return None
    return path.as_posix()


class Tracer:
    """Records every call stack in which a project file is entered again."""

    def __init__(self) -> None:
        self.stack: list[str | None] = []
        self.returns: set[str] = set()

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            current = project_file(frame)
            if current is not None:
                self.check(current)
            self.stack.append(current)
        elif event == "return" and self.stack:
            self.stack.pop()

    def check(self, current: str) -> None:
        files = [f for f in self.stack if f is not None]
        if current not in files:
            return
        start = len(files) - 1 - files[::-1].index(current)
        chain: list[str] = []
        for name in [*files[start:], current]:
            if not chain or chain[-1] != name:
                chain.append(name)
        if len(chain) > 2:
            self.returns.add(" > ".join(chain))

    @contextmanager
    def tracing(self) -> Iterator[None]:
        self.stack.clear()
        sys.setprofile(self)
        try:
            yield
        finally:
            sys.setprofile(None)


class OneDirectionTestCase(BaseTestCase):
    def test_it_enters_each_file_once_from_webhook_to_quickbooks_answer(self) -> None:
        from qbwc.simulator.quickbooks import FakeQuickBooks
        from qbwc.simulator.webconnector import FakeWebConnector

        quickbooks = FakeQuickBooks(xsd_dir=require_xsd_dir())
        quickbooks.add_record(
            "ItemService", Name="TEE", SalesOrPurchase={"Price": "10", "AccountRef": "Sales"}
        )
        tracer = Tracer()
        # A new customer too: the order waits for it, so dependencies are on the path.
        order = {
            "request_id": "r1",
            "order": {
                "id": "R1",
                "customer": {"name": "Jo Smith"},
                "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10}],
            },
        }
        with tracer.tracing():
            response = self.webhook("add_orders", order)
        self.assertEqual(response.status_code, 200, response.content)

        soap = Client()

        def transport(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
            extra: dict[str, Any] = {
                "HTTP_" + name.upper().replace("-", "_"): value
                for name, value in headers.items()
                if name.lower() != "content-type"
            }
            content_type = headers.get("Content-Type", "text/xml")
            with tracer.tracing():
                answer = soap.post("/qbwc/", body, content_type=content_type, **extra)
            return answer.status_code, answer.get("Content-Type", ""), answer.content

        connector = FakeWebConnector(
            "http://127.0.0.1/qbwc/",
            self.connection.qbwc_username,
            QBWC_PASSWORD,
            quickbooks,
            transport=transport,
        )
        self.assertTrue(connector.run().completed)
        self.assertEqual(len(quickbooks.records("SalesOrder")), 1)

        self.assertEqual({chain for chain in tracer.returns if going_back(chain)}, set())
