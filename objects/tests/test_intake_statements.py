"""What one FlowLink webhook costs the database (issue 14: counted here, timed in bench/)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from objects.models import QueuedObject, QueuedObjectEvent
from qbsync.test import BaseTestCase


def order(number: int, customer: str) -> dict[str, Any]:
    return {
        "id": f"R{number:06d}",
        "status": "complete",
        "email": customer,
        "customer": {"name": customer},
        "placed_on": "2026-02-03T17:29:15.219Z",
        "totals": {"item": 21, "order": 21, "tax": 0, "shipping": 0},
        "line_items": [
            {"product_id": "SKU-1", "name": "Product 1", "quantity": 1, "price": 10},
            {"product_id": "SKU-2", "name": "Product 2", "quantity": 1, "price": 11},
        ],
        "billing_address": {"firstname": "Joe", "lastname": "Smith", "city": "Hollywood"},
    }


def envelope(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"quickbooks_auto_create_products": "1"},
        "order": body,
    }


class SingleOrderStatementsTests(BaseTestCase):
    def statements(self, body: dict[str, Any]) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = self.webhook("add_orders", body)
        self.assertEqual(response.status_code, 200, response.content)
        # The test's own transaction turns the webhook's into savepoints: not counted.
        return [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]

    def test_it_stores_an_order_with_its_new_customer_in_four_statements(self) -> None:
        self.webhook("add_orders", envelope(order(1, "first@example.com"), "r1"))

        sql = self.statements(envelope(order(2, "second@example.com"), "r2"))

        # The connection with its flow configuration, the rows the request names, the new
        # rows, then their history and dependency rows (one statement on PostgreSQL).
        self.assertEqual(len(sql), 4 if connection.vendor == "postgresql" else 5, sql)
        order_row = QueuedObject.objects.get(object_type="orders", identity="R000002")
        self.assertEqual(
            sorted(order_row.dependencies.values_list("identity", flat=True)),
            ["SKU-1", "SKU-2", "second@example.com"],
        )
        self.assertEqual(
            QueuedObjectEvent.objects.filter(queued_object__request_id="r2").count(), 2
        )

    def test_it_writes_the_history_of_every_row_a_first_order_creates(self) -> None:
        self.statements(envelope(order(1, "first@example.com"), "r1"))

        created = QueuedObject.objects.filter(request_id="r1")
        self.assertEqual(created.count(), 4)  # the order, its customer, two products
        for row in created:
            self.assertEqual(
                list(row.events.values_list("from_phase", "to_phase")),
                [("", row.phase)],
                row,
            )
