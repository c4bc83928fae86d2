"""What the sales flow tests over real HTTP share: the adjustment items, fixtures, and a
live test case whose simulated company holds the items and records those flows use."""

from __future__ import annotations

from typing import Any

from qbsync.test import LiveTestCase, shared_file

ADJUSTMENT_ITEMS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "Tax",
}


def fixture_text(*parts: str) -> str:
    return shared_file("flowlink-payloads", *parts).read_text()


class SalesLiveTestCase(LiveTestCase):
    """A live test case whose company holds the items the sales flows sell and adjust with."""

    def setUp(self) -> None:
        super().setUp()
        for name in ("Some Product", "Inv Part A", "Inv Part B", "TEE"):
            self.quickbooks.add_record(
                "ItemNonInventory", Name=name, SalesOrPurchase={"AccountRef": "Sales"}
            )
        for name in ("Shipping", "Tax"):
            self.quickbooks.add_record(
                "ItemOtherCharge", Name=name, SalesOrPurchase={"AccountRef": "Sales"}
            )
        self.quickbooks.add_record("ItemDiscount", Name="Discount", AccountRef="Discounts Given")

    def customer(self, name: str = "Jo Smith") -> Any:
        return self.quickbooks.add_record("Customer", Name=name)

    def credit_memo(self, ref_number: str, amount: str, customer: str = "My Customer") -> Any:
        return self.quickbooks.add_record(
            "CreditMemo",
            CustomerRef=customer,
            RefNumber=ref_number,
            CreditMemoLineAdd=[{"ItemRef": "TEE", "Quantity": "1", "Rate": amount}],
        )

    def notifications(self, request_id: str = "n-1") -> dict[str, Any]:
        status, data = self.post("get_notifications", {"request_id": request_id, "parameters": {}})
        self.assertEqual(status, 200)
        return dict(data)
