"""Failure notifications name QuickBooks' status code (issue 16 item 6), over real HTTP.

FlowLink users search failures by code, so each failure FlowLink collects with
get_notifications starts with the code QuickBooks answered (`3140: …`), or with the
HRESULT of a message QuickBooks refused whole (`0x80040400: …`).
"""

from __future__ import annotations

from typing import Any

from objects.models import Phase, QueuedObject
from objects.tests.flows import envelope
from qbsync.test import LiveTestCase


def product(**fields: Any) -> dict[str, Any]:
    return {
        "product_id": "SOIL-MIX-10L",
        "description": "Soil mix, 10 litres",
        "price": "12.50",
        "sales_or_purchase": True,
        **fields,
    }


class StatusCodeNotificationTestCase(LiveTestCase):
    def failures(self) -> list[str]:
        status, data = self.post("get_notifications", {"request_id": "poll-1", "parameters": {}})
        self.assertEqual(status, 200, data)
        return [entry["message"] for entry in data.get("fail", [])]

    def test_it_leads_a_failure_with_the_status_code_quickbooks_answered(self) -> None:
        status, data = self.post(
            "add_noninventoryproducts",
            envelope("noninventoryproduct", product(account_name="No Such Account")),
        )

        self.run_webconnector()

        self.assertEqual(status, 200, data)
        obj = QueuedObject.objects.get(object_type="noninventoryproducts")
        self.assertEqual((obj.phase, obj.last_status_code), (Phase.FAILED, 3140))
        [message] = self.failures()
        self.assertRegex(
            message, r"^SOIL-MIX-10L: 3140: There is an invalid reference to QuickBooks Account"
        )

    def test_it_names_the_code_in_the_failure_of_each_dependent_too(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo Smith")
        self.post(
            "add_noninventoryproducts",
            envelope("noninventoryproduct", product(account_name="No Such Account")),
        )
        order = {
            "id": "1001",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "SOIL-MIX-10L", "quantity": 2, "price": "12.50"}],
        }
        self.post("add_orders", envelope("order", order, request_id="req-2"))

        self.run_webconnector()

        messages = self.failures()
        self.assertEqual(len(messages), 2, messages)
        self.assertTrue(all("3140: There is an invalid reference" in m for m in messages), messages)

    def test_it_leads_a_refused_message_with_the_hresult(self) -> None:
        self.quickbooks.reject_next_messages(1, "0x80040400")
        self.post(
            "add_noninventoryproducts",
            envelope("noninventoryproduct", product(account_name="Sales")),
        )

        self.run_webconnector()

        [message] = self.failures()
        self.assertRegex(message, r"^SOIL-MIX-10L: 0x80040400: QuickBooks rejected the request")
