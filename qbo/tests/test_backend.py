"""QuickBooks Online as the backend of a connection: what intake asks of it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import SimpleTestCase
from django.utils import timezone

from objects.backends import backend_for, backend_named
from objects.models import QueuedObject
from objects.types.values import PayloadError
from qbo.backend import QboBackend
from qbo.models import QboCall
from qbsync.test import BaseTestCase, make_connection


def customer_body(**fields: Any) -> dict[str, Any]:
    return {
        "request_id": "req-1",
        "parameters": {"payload_type": "customer"},
        "customer": {"name": "Ada", **fields},
    }


class QboIntakeTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.online = make_connection("online", backend="qbo")

    def test_it_is_the_backend_of_a_qbo_connection(self) -> None:
        self.assertIsInstance(backend_for(self.online), QboBackend)

    def test_it_refuses_a_field_longer_than_qbo_allows_and_stores_nothing(self) -> None:
        response = self.webhook("add_customers", customer_body(firstname="F" * 101), store="online")

        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "customer.firstname: is 101 characters; QuickBooks Online allows 100",
            response.json()["summary"],
        )
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_refuses_by_qbo_rules_not_qbxml_ones(self) -> None:
        # 41 characters is too long for a Desktop Name and fine for a QBO DisplayName.
        desktop = self.webhook("add_customers", customer_body(name="N" * 60))
        online = self.webhook("add_customers", customer_body(name="N" * 60), store="online")

        self.assertEqual((desktop.status_code, online.status_code), (400, 200))

    def test_it_queues_a_valid_customer(self) -> None:
        response = self.webhook(
            "add_customers", customer_body(email="ada@example.com", qbo_id="58"), store="online"
        )

        self.assertEqual(response.status_code, 200, response.content)
        obj = QueuedObject.objects.get()
        self.assertEqual(
            (obj.connection_id, obj.object_type, obj.identity, obj.qb_id),
            (self.online.pk, "customers", "Ada", "58"),
        )

    def test_it_refuses_a_sales_tax_item_with_a_precise_400(self) -> None:
        body = {
            "request_id": "r",
            "parameters": {"payload_type": "salestaxproduct"},
            "salestaxproduct": {"product_id": "PA", "tax_rate": 6},
        }

        response = self.webhook("add_salestaxproducts", body, store="online")

        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "salestaxproduct.product_id: QuickBooks Online has no sales-tax items",
            response.json()["summary"],
        )

    def test_it_shows_an_objects_calls_newest_first(self) -> None:
        self.webhook("add_customers", customer_body(), store="online")
        obj = QueuedObject.objects.get()
        at = timezone.now()
        QboCall.objects.create(
            connection=self.online,
            queued_object=obj,
            sent_at=at,
            kind="look-up",
            method="GET",
            path="/query?query=SELECT",
            http_status=200,
            response_body=json.dumps({"QueryResponse": {}}),
        )
        QboCall.objects.create(
            connection=self.online,
            queued_object=obj,
            sent_at=at + timedelta(seconds=1),
            kind="create",
            method="POST",
            path="/customer?minorversion=75",
            request_body=json.dumps({"DisplayName": "Ada"}),
            http_status=400,
            code="6240",
            message="Duplicate Name Exists Error",
            response_body=json.dumps({"Fault": {"Error": [{"code": "6240"}]}}),
        )

        create, lookup = QboBackend().exchanges(obj, limit=5)

        self.assertEqual(
            (create.kind, create.status, create.message),
            ("create", "6240", "Duplicate Name Exists Error"),
        )
        self.assertEqual(
            create.sent, 'POST /customer?minorversion=75\n{\n  "DisplayName": "Ada"\n}'
        )
        self.assertTrue(create.received.startswith('HTTP 400\n{\n  "Fault": {'))
        self.assertEqual(
            (lookup.kind, lookup.status, lookup.sent), ("look-up", "200", "GET /query?query=SELECT")
        )
        self.assertEqual(len(QboBackend().exchanges(obj, limit=1)), 1)


class QboBackendTestCase(SimpleTestCase):
    def test_it_is_registered_by_name(self) -> None:
        self.assertIsInstance(backend_named("qbo"), QboBackend)

    def test_it_validates_through_the_types_mapper(self) -> None:
        online = QboBackend()

        online.validate("products", {"product_id": "P"}, {})
        with self.assertRaises(PayloadError) as caught:
            online.validate("products", {"product_id": "P", "sku": "S" * 101}, {})

        self.assertEqual(caught.exception.field, "sku")

    def test_it_validates_a_lookup_by_identity(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            # "a:b" is the sub-item b of a; an empty step in the path is no name at all.
            QboBackend().validate_lookup("products", {"product_id": "a::b"}, {})

        self.assertEqual(caught.exception.field, "product_id")

    def test_it_keeps_only_ids_that_can_be_qbo_ids(self) -> None:
        online = QboBackend()

        self.assertEqual(online.known_id("customers", {"qbo_id": 58}), "58")
        self.assertEqual(online.known_id("customers", {"list_id": "123"}), "123")
        self.assertEqual(online.known_id("customers", {"qbe_id": "80000001-1234567890"}), "")
        self.assertEqual(online.known_id("customers", {"list_id": "9" * 21}), "")
        self.assertEqual(online.known_id("customers", {}), "")

    def test_it_gives_list_records_no_document_number(self) -> None:
        self.assertEqual(QboBackend().ref_number("customers", "Ada", {"name": "Ada"}, {}), "")
