"""The sales-side routes store what FlowLink sent, as FlowLink expects to be answered."""

from __future__ import annotations

from typing import Any

from objects.models import Phase, QueuedObject
from qbsync.test import BaseTestCase

LINE = [{"product_id": "TEE", "quantity": 1, "price": 10}]


def body(payload_type: str, obj: Any, request_id: str = "req-1", **params: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"payload_type": payload_type, **params},
        payload_type: obj,
    }


class SalesWebhooksTestCase(BaseTestCase):
    def test_it_takes_credit_memos_on_the_vestigial_alias_and_either_spelling(self) -> None:
        memo = {"id": "CM-1", "customer": {"name": "Jo"}, "line_items": LINE}
        for route, payload_type in (
            ("add_creditmemosaspayments", "credit_memo"),
            ("add_creditmemos", "creditmemo"),
        ):
            with self.subTest(route):
                response = self.webhook(route, body(payload_type, memo))

                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    response.json()["summary"],
                    "Creditmemo waiting for Quickbooks Desktop scheduler",
                )
                self.assertEqual(response.json()["credit_memos"][0]["id"], "CM-1")
        self.assertEqual(QueuedObject.objects.get(identity="CM-1").object_type, "creditmemos")

    def test_it_stores_a_cancelled_order_merged_into_the_held_one(self) -> None:
        self.webhook(
            "add_orders",
            body("order", {"id": "R1", "customer": {"name": "Jo"}, "line_items": LINE}),
        )

        response = self.webhook("cancel_order", body("order", {"id": "R1"}, "req-2"))

        self.assertEqual(response.status_code, 200)
        stored = QueuedObject.objects.get(object_type="orders", identity="R1")
        self.assertEqual(
            (stored.payload["status"], stored.payload["line_items"]), ("cancelled", LINE)
        )
        self.assertEqual((stored.request_id, stored.phase), ("req-2", Phase.TWO_PHASE_PENDING))

    def test_it_queues_an_invoice_s_payments_waiting_for_it(self) -> None:
        invoice = {
            "id": "INV-1",
            "customer": {"name": "Jo"},
            "line_items": LINE,
            "payments": [{"id": "P-1", "amount": 10}],
        }

        response = self.webhook(
            "add_invoices", body("invoice", invoice, quickbooks_auto_create_payments="1")
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual([e["id"] for e in response.json()["invoices"]], ["INV-1"])
        payment = QueuedObject.objects.get(object_type="payments")
        self.assertEqual(
            (payment.identity, payment.phase, payment.request_id),
            ("P-1", Phase.TWO_PHASE_PENDING, "req-1"),
        )
        self.assertIn(QueuedObject.objects.get(object_type="invoices"), payment.dependencies.all())

    def test_it_names_a_bad_payment_entry_of_an_invoice_and_stores_nothing(self) -> None:
        invoice = {
            "id": "INV-2",
            "customer": {"name": "Jo"},
            "line_items": LINE,
            "payments": [{"id": "P-2", "amount": "ten"}],
        }

        response = self.webhook(
            "add_invoices", body("invoice", invoice, quickbooks_auto_create_payments="1")
        )

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["summary"], "invoice.payments[0].amount: 'ten' is not a number"
        )
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_refuses_a_shipment_without_the_order_it_ships(self) -> None:
        response = self.webhook(
            "add_shipments",
            body("shipment", {"id": "S-1", "email": "jo@example.com", "items": LINE}),
        )

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["summary"],
            "shipment.order_id: is required (the order this shipment invoices)",
        )
