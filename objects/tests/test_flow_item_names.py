"""One item per name per connection, whatever route created it (issue 16 item 1), over HTTP.

QuickBooks keeps item names unique across every item type and refuses a second one
with 3100. An item FlowLink sent through a non-inventory route is the item the
transactions naming it use, even with quickbooks_auto_create_products; a look-up
finds an item of any type; and a dependency whose Add meets 3100 links the record
QuickBooks has instead of failing the transactions that need it.
"""

from __future__ import annotations

from typing import Any

from objects.models import Mode, Phase, QueuedObject
from objects.tests.flows import ITEM_ACCOUNTS, envelope
from qbsync.test import LiveTestCase

AUTO_CREATE = {"quickbooks_auto_create_products": "1", **ITEM_ACCOUNTS}
SOIL = "SOIL-MIX-10L"


def soil(**fields: Any) -> dict[str, Any]:
    return {
        "product_id": SOIL,
        "description": "Soil mix, 10 litres",
        "price": "12.50",
        "sales_or_purchase": True,
        "account_name": "Sales",
        **fields,
    }


def lines(quantity: int = 2) -> list[dict[str, Any]]:
    return [{"product_id": SOIL, "quantity": quantity, "price": "12.50"}]


def customer() -> dict[str, Any]:
    return {"name": "Jo Smith"}


class ItemNameFlowTestCase(LiveTestCase):
    def failures(self) -> list[str]:
        status, data = self.post("get_notifications", {"request_id": "poll-1", "parameters": {}})
        self.assertEqual(status, 200, data)
        return [entry["message"] for entry in data.get("fail", [])]

    def post_ok(self, route: str, body: dict[str, Any]) -> None:
        status, data = self.post(route, body)
        self.assertEqual(status, 200, data)

    def post_transactions(self) -> None:
        """An order, an invoice paid in the same run, a sales receipt and a credit memo."""
        self.post_ok(
            "add_orders",
            envelope(
                "order",
                {"id": "SO-1", "customer": customer(), "line_items": lines()},
                request_id="req-order",
                **AUTO_CREATE,
            ),
        )
        invoice = {
            "id": "INV-1",
            "customer": customer(),
            "line_items": lines(4),
            "payments": [{"id": "PAY-1", "amount": 20, "payment_method": "Check"}],
        }
        self.post_ok(
            "add_invoices",
            envelope(
                "invoice",
                invoice,
                request_id="req-invoice",
                quickbooks_auto_create_payments="1",
                **AUTO_CREATE,
            ),
        )
        self.post_ok(
            "add_salesreceipts",
            envelope(
                "sales_receipt",
                {"id": "SR-1", "customer": customer(), "line_items": lines()},
                request_id="req-receipt",
                **AUTO_CREATE,
            ),
        )
        self.post_ok(
            "add_creditmemos",
            envelope(
                "credit_memo",
                {"id": "CM-1", "customer": customer(), "line_items": lines(1)},
                request_id="req-memo",
                **AUTO_CREATE,
            ),
        )

    def assert_transactions_landed(self) -> None:
        self.assertEqual(self.failures(), [])
        for kind, ref in (
            ("SalesOrder", "SO-1"),
            ("Invoice", "INV-1"),
            ("SalesReceipt", "SR-1"),
            ("CreditMemo", "CM-1"),
            ("ReceivePayment", "PAY-1"),
        ):
            with self.subTest(kind=kind):
                self.assertIsNotNone(self.quickbooks.find(kind, ref))
        line = self.quickbooks.find("Invoice", "INV-1").find("InvoiceLineRet")
        self.assertEqual(line.findtext("ItemRef/FullName"), SOIL)
        self.assertEqual(
            self.quickbooks.find("Invoice", "INV-1").findtext("BalanceRemaining"), "30.00"
        )

    def test_it_books_transactions_on_the_non_inventory_item_flowlink_sent_in_one_run(self) -> None:
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", soil()))
        self.post_transactions()

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assert_transactions_landed()
        self.assertEqual(
            [r.findtext("Name") for r in self.quickbooks.records("ItemNonInventory")], [SOIL]
        )
        self.assertIsNone(self.quickbooks.find("ItemInventory", SOIL))
        # One queued item for the name, whatever route or dependency named it.
        self.assertEqual(QueuedObject.objects.filter(identity=SOIL).count(), 1)

    def test_it_books_on_the_non_inventory_item_flowlink_sent_after_the_transactions(
        self,
    ) -> None:
        self.post_transactions()
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", soil()))

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assert_transactions_landed()
        self.assertIsNone(self.quickbooks.find("ItemInventory", SOIL))
        sent = QueuedObject.objects.get(object_type="noninventoryproducts")
        guessed = QueuedObject.objects.get(object_type="products", identity=SOIL)
        self.assertEqual((guessed.phase, guessed.qb_id), (Phase.PROCESSED, sent.qb_id))

    def test_it_uses_the_item_of_another_type_quickbooks_already_has(self) -> None:
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", soil()))
        self.run_webconnector()
        self.post_transactions()

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assert_transactions_landed()
        self.assertIsNone(self.quickbooks.find("ItemInventory", SOIL))

    def test_it_leaves_an_item_of_another_type_alone_even_when_updating_dependencies(
        self,
    ) -> None:
        noninventory = self.quickbooks.add_record(
            "ItemNonInventory", Name=SOIL, SalesOrPurchase={"AccountRef": "Sales"}
        )
        order = {"id": "SO-1", "customer": customer(), "line_items": lines()}

        self.post_ok(
            "add_orders",
            envelope("order", order, quickbooks_update_dependencies="1", **AUTO_CREATE),
        )
        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assertEqual(self.failures(), [])
        self.assertIsNotNone(self.quickbooks.find("SalesOrder", "SO-1"))
        stored = self.quickbooks.find("ItemNonInventory", SOIL)
        self.assertEqual(stored.findtext("EditSequence"), noninventory.findtext("EditSequence"))
        self.assertIsNone(self.quickbooks.find("ItemInventory", SOIL))

    def test_it_links_the_record_when_a_dependency_add_meets_3100(self) -> None:
        # An order queued first auto-creates its item; FlowLink's non-inventory item of
        # that name is then added by someone else before the dependency's Add runs.
        self.post_ok(
            "add_orders",
            envelope(
                "order",
                {"id": "SO-1", "customer": customer(), "line_items": lines()},
                **AUTO_CREATE,
            ),
        )
        self.quickbooks.inject_status(
            "ItemQueryRq", 1, "A query request did not find a matching object in QuickBooks"
        )
        self.quickbooks.add_record(
            "ItemNonInventory", Name=SOIL, SalesOrPurchase={"AccountRef": "Sales"}
        )

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assertEqual(self.failures(), [])
        self.assertIsNotNone(self.quickbooks.find("SalesOrder", "SO-1"))
        item = QueuedObject.objects.get(identity=SOIL)
        self.assertEqual((item.phase, item.mode), (Phase.PROCESSED, Mode.ENSURE))
        self.assertEqual(
            item.qb_id, self.quickbooks.find("ItemNonInventory", SOIL).findtext("ListID")
        )

    def test_it_fails_an_upsert_of_a_name_another_item_type_holds_naming_the_type(self) -> None:
        self.quickbooks.add_record(
            "ItemInventory",
            Name=SOIL,
            IncomeAccountRef="Sales",
            COGSAccountRef="Cost of Goods Sold",
            AssetAccountRef="Inventory Asset",
        )
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", soil()))

        self.run_webconnector()

        self.assertEqual(
            self.failures(),
            [f"{SOIL}: item '{SOIL}' already exists in QuickBooks as an inventory item"],
        )
