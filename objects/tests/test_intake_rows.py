from __future__ import annotations

import json
import threading

from django.db import close_old_connections
from django.db import connection as db
from django.test import Client, TransactionTestCase

from bench.harness import ITEM_PARAMS, order
from objects.intake_rows import insert_skipping_conflicts
from objects.models import QueuedObject
from qbsync.test import WEBHOOK_TOKEN, BaseTestCase, make_connection


class InsertSkippingConflictsTestCase(BaseTestCase):
    def test_it_inserts_the_new_rows_and_skips_the_existing_ones(self) -> None:
        existing = QueuedObject.objects.create(
            connection=self.connection, object_type="customers", identity="Ann", payload={"a": 1}
        )
        rows = [
            QueuedObject(connection=self.connection, object_type="customers", identity=name)
            for name in ("Ann", "Bob")
        ]

        inserted = insert_skipping_conflicts(rows)

        self.assertEqual(inserted, {("customers", "Bob")})
        self.assertEqual(QueuedObject.objects.get(identity="Bob").pk, rows[1].pk)
        self.assertIsNone(rows[0].pk)
        existing.refresh_from_db()
        self.assertEqual(existing.payload, {"a": 1})


class ConcurrentIntakeTestCase(TransactionTestCase):
    def test_it_stores_shared_new_products_once_when_requests_race(self) -> None:
        if db.vendor != "postgresql":
            self.skipTest("row locks and concurrent transactions need PostgreSQL")
        make_connection("acme")
        bodies = [
            json.dumps(
                {
                    "request_id": f"r{n}",
                    "parameters": {"payload_type": "order", **ITEM_PARAMS},
                    "order": order(n, f"race-{n}@example.com", ["SHARED-1", "SHARED-2"]),
                }
            )
            for n in range(8)
        ]
        start = threading.Barrier(len(bodies))
        statuses: list[int] = []

        def post(body: str) -> None:
            try:
                start.wait()
                response = Client().post(
                    "/add_orders",
                    body,
                    content_type="application/json",
                    HTTP_X_HUB_STORE="acme",
                    HTTP_X_HUB_TOKEN=WEBHOOK_TOKEN,
                )
                statuses.append(response.status_code)
            finally:
                close_old_connections()

        threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        self.assertEqual(statuses, [200] * len(bodies))
        products = QueuedObject.objects.filter(identity__startswith="SHARED-")
        self.assertEqual(
            sorted(products.values_list("identity", flat=True)), ["SHARED-1", "SHARED-2"]
        )
        self.assertEqual(QueuedObject.objects.filter(object_type="orders").count(), len(bodies))
        for item in QueuedObject.objects.filter(object_type="orders"):
            self.assertEqual(
                set(item.dependencies.values_list("identity", flat=True)),
                {"SHARED-1", "SHARED-2", item.payload["email"]},
            )
