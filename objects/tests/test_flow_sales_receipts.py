"""Sales receipts and returns over HTTP into the simulated QuickBooks company."""

from __future__ import annotations

from objects.models import Notification, Phase, QueuedObject
from objects.tests.flows import ITEM_ACCOUNTS, envelope, fixture, line_items
from qbsync.test import LiveTestCase


class SalesReceiptFlowTestCase(LiveTestCase):
    def seed_receipt_lists(self) -> None:
        qb = self.quickbooks
        qb.add_record("ItemSalesTax", Name="sales tax 10", TaxRate="10")
        qb.add_record("CustomerMsg", Name="Thanks")
        qb.add_record("ShipMethod", Name="Fedex")
        qb.add_record("SalesTaxCode", Name="555", IsTaxable="true")
        qb.add_record("Template", Name="my template 1", TemplateType="SalesReceipt")

    def test_it_refuses_the_fixture_sales_rep_that_is_not_quickbooks_initials(self) -> None:
        receipt = fixture("add", "salesreceipt_from_flowlink.json")

        status, data = self.post("add_salesreceipts", envelope("sales_receipt", receipt))

        self.assertEqual(status, 400)
        self.assertIn("sales_receipt.sales_rep_name", data["summary"])
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_lands_the_fixture_sales_receipt_with_a_new_customer_and_items(self) -> None:
        self.seed_receipt_lists()
        receipt = {**fixture("add", "salesreceipt_from_flowlink.json"), "sales_rep_name": "SS"}
        body = envelope(
            "sales_receipt", receipt, quickbooks_auto_create_products="1", **ITEM_ACCOUNTS
        )

        status, data = self.post("add_salesreceipts", body)
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertEqual(data["summary"], "Salesreceipt waiting for Quickbooks Desktop scheduler")
        self.assertTrue(result.completed)
        record = self.quickbooks.find("SalesReceipt", "1999")
        self.assertIsNotNone(record)
        self.assertEqual(record.findtext("CustomerRef/FullName"), "Mr Rich Guy")
        self.assertEqual(
            line_items(record, "SalesReceiptLineRet"),
            [("ABC Product", "10"), ("XYZ Product", "1")],
        )
        self.assertEqual(record.findtext("ExternalGUID"), "{35CB4E30-54E1-49F9-B5CE-4134799EB2C0}")
        self.assertEqual(record.findtext("DepositToAccountRef/FullName"), "Undeposited Funds")
        self.assertEqual(record.findtext("PaymentMethodRef/FullName"), "Cash")
        self.assertEqual(record.findtext("Subtotal"), "1149.00")
        self.assertEqual(record.findtext("BillAddress/Addr5"), "addr line 5")
        obj = QueuedObject.objects.get(object_type="salesreceipts")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(obj.qb_id, record.findtext("TxnID"))
        messages = [n.message for n in Notification.objects.filter(object_type="salesreceipts")]
        self.assertEqual(messages, ["1999: Salesreceipt successfully sent to Quickbooks Desktop"])

    def test_it_lands_a_legacy_return_as_a_positive_sales_receipt(self) -> None:
        self.quickbooks.add_record(
            "ItemInventory",
            Name="SPREE-T-SHIRT",
            IncomeAccountRef="Sales",
            COGSAccountRef="Cost of Goods Sold",
            AssetAccountRef="Inventory Asset",
        )
        returned = fixture("legacy", "returns.json")["returns"][0]
        body = envelope("return", returned, quickbooks_deposit_account="Checking")

        status, data = self.post("add_returns", body)
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertEqual(data["summary"], "Return waiting for Quickbooks Desktop scheduler")
        self.assertEqual(data["returns"][0]["id"], "RMA42671148")
        self.assertTrue(result.completed)
        record = self.quickbooks.find("SalesReceipt", "RMA42671148")
        self.assertEqual(record.findtext("CustomerRef/FullName"), "reinaldo+1@example.com")
        self.assertEqual(record.findtext("PaymentMethodRef/FullName"), "Check")
        self.assertEqual(record.findtext("DepositToAccountRef/FullName"), "Checking")
        self.assertEqual(line_items(record, "SalesReceiptLineRet"), [("SPREE-T-SHIRT", "1")])
        self.assertEqual(record.findtext("TotalAmount"), "19.99")
        self.assertIsNotNone(self.quickbooks.find("Customer", "reinaldo+1@example.com"))
        self.assertEqual(QueuedObject.objects.get(object_type="returns").phase, Phase.PROCESSED)
        self.assertEqual(
            [n.message for n in Notification.objects.filter(object_type="returns")],
            ["RMA42671148: Return successfully sent to Quickbooks Desktop"],
        )

    def test_it_creates_items_from_the_products_array_with_use_product_objects(self) -> None:
        receipt = {
            "id": "SR-7",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "MUG", "quantity": 3, "price": 8}],
            "products": [
                {"product_id": "MUG", "description": "Stoneware mug", "price": 9, "cost": 3}
            ],
        }
        body = envelope(
            "sales_receipt", receipt, quickbooks_use_product_objects="1", **ITEM_ACCOUNTS
        )

        self.post("add_salesreceipts", body)
        self.run_webconnector()

        mug = self.quickbooks.find("ItemInventory", "MUG")
        self.assertEqual(mug.findtext("SalesDesc"), "Stoneware mug")
        self.assertEqual(mug.findtext("PurchaseCost"), "3")
        self.assertEqual(mug.findtext("QuantityOnHand"), "-3")
        self.assertIsNotNone(self.quickbooks.find("SalesReceipt", "SR-7"))

    def test_it_books_every_receipt_on_the_customer_email_parameter(self) -> None:
        self.quickbooks.add_record("Customer", Name="web@example.com")
        self.quickbooks.add_record(
            "ItemService", Name="SETUP", SalesOrPurchase={"Price": "5", "AccountRef": "Sales"}
        )
        receipt = {
            "id": "SR-8",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "SETUP", "quantity": 1}],
        }
        body = envelope("sales_receipt", receipt, quickbooks_customer_email="web@example.com")

        self.post("add_salesreceipts", body)
        self.run_webconnector()

        record = self.quickbooks.find("SalesReceipt", "SR-8")
        self.assertEqual(record.findtext("CustomerRef/FullName"), "web@example.com")
        self.assertIsNone(self.quickbooks.find("Customer", "Jo Smith"))
