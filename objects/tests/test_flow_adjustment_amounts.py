"""Adjustment lines are booked at their value (issue 16 item 2), over real HTTP.

Shipping, discount and tax adjustments, and a line FlowLink gives a value but no
quantity, used to go out as Quantity 0 + Rate, which QuickBooks books as 0 × rate =
0.00. The simulated company computes line amounts as QuickBooks does (Quantity × Rate
when a line has both, its Amount otherwise), so the amounts and totals below are what
QuickBooks would book, with and without use_amount_for_tax.
"""

from __future__ import annotations

from typing import Any

from objects.tests.flows import envelope
from qbsync.test import LiveTestCase

ADJUSTMENT_ITEMS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "Tax",
}
# TEE 3 × 20, the two WRAP values, shipping, discount (negative) and tax.
WITH_ADJUSTMENTS = (["60.00", "4.50", "9.00", "7.25", "-5.00", "3.10"], "78.85")
# Credit memos carry no adjustment lines (flowlink §6.2).
ITEM_LINES_ONLY = (["60.00", "4.50", "9.00"], "73.50")
# (route, payload_type, QuickBooks kind, id/RefNumber, line Ret tag, document total tag,
# (line amounts, total))
FORMS = (
    (
        "add_orders",
        "order",
        "SalesOrder",
        "SO-1",
        "SalesOrderLineRet",
        "TotalAmount",
        WITH_ADJUSTMENTS,
    ),
    (
        "add_invoices",
        "invoice",
        "Invoice",
        "INV-1",
        "InvoiceLineRet",
        "BalanceRemaining",
        WITH_ADJUSTMENTS,
    ),
    (
        "add_salesreceipts",
        "sales_receipt",
        "SalesReceipt",
        "SR-1",
        "SalesReceiptLineRet",
        "TotalAmount",
        WITH_ADJUSTMENTS,
    ),
    (
        "add_creditmemos",
        "credit_memo",
        "CreditMemo",
        "CM-1",
        "CreditMemoLineRet",
        "TotalAmount",
        ITEM_LINES_ONLY,
    ),
)


def document(ref: str) -> dict[str, Any]:
    return {
        "id": ref,
        "customer": {"name": "Jo Smith"},
        "line_items": [
            {"product_id": "TEE", "quantity": 3, "price": "20.00"},
            # A value but no quantity: a gift-wrap fee FlowLink sends as an amount.
            {"product_id": "WRAP", "amount": "4.50"},
            {"product_id": "WRAP", "quantity": 0, "price": "4.50", "amount": "9.00"},
        ],
        "adjustments": [
            {"name": "Shipping", "value": "7.25"},
            {"name": "Discount", "value": "5.00"},
            {"name": "Tax", "value": "3.10"},
        ],
    }


class AdjustmentAmountFlowTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record("Customer", Name="Jo Smith")
        for name in ("TEE", "WRAP", "Shipping", "Tax"):
            self.quickbooks.add_record(
                "ItemOtherCharge", Name=name, SalesOrPurchase={"AccountRef": "Sales"}
            )
        self.quickbooks.add_record("ItemDiscount", Name="Discount", AccountRef="Discounts Given")

    def assert_booked_at_their_values(self, **params: str) -> None:
        for route, payload_type, _, ref, *_ in FORMS:
            status, data = self.post(
                route, envelope(payload_type, document(ref), **ADJUSTMENT_ITEMS, **params)
            )
            self.assertEqual(status, 200, data)

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        for _, _, kind, ref, line_tag, total_tag, (lines, total) in FORMS:
            with self.subTest(kind=kind):
                record = self.quickbooks.find(kind, ref)
                self.assertIsNotNone(record)
                amounts = [line.findtext("Amount") for line in record.findall(line_tag)]
                self.assertEqual(amounts, lines)
                self.assertEqual(record.findtext("Subtotal"), total)
                self.assertEqual(record.findtext(total_tag), total)

    def test_it_books_adjustments_and_valued_lines_at_their_values(self) -> None:
        self.assert_booked_at_their_values()

    def test_it_books_them_at_their_values_with_use_amount_for_tax(self) -> None:
        self.assert_booked_at_their_values(use_amount_for_tax="1")
