"""The customer, vendor and item fixtures over HTTP into the simulated QuickBooks company."""

from __future__ import annotations

from typing import Any

from objects.models import Phase, QueuedObject
from objects.tests.flows import envelope, fixture
from qbsync.test import LiveTestCase
from qbwc.tests.test_mapper_customers import within_limits


class ListFixtureFlowTestCase(LiveTestCase):
    def seed(self, *records: tuple[str, dict[str, Any]]) -> None:
        for kind, fields in records:
            self.quickbooks.add_record(kind, **fields)

    def assert_processed(self, object_type: str) -> QueuedObject:
        obj = QueuedObject.objects.get(object_type=object_type)
        self.assertEqual(obj.phase, Phase.PROCESSED, obj.last_status_message)
        return obj

    def test_it_refuses_the_raw_customer_fixture_naming_the_over_long_sales_rep(self) -> None:
        status, data = self.post(
            "add_customers", envelope("customer", fixture("add", "customer_from_flowlink.json"))
        )

        self.assertEqual(status, 400)
        self.assertRegex(data["summary"], r"^customer\.(middlename|sales_rep_name): ")

    def test_it_lands_the_customer_fixture_with_every_field(self) -> None:
        self.seed(
            ("Class", {"Name": "class_reference"}),
            ("Customer", {"Name": "parent_reference"}),
            ("CustomerType", {"Name": "customer_type_reference"}),
            ("StandardTerms", {"Name": "terms_reference"}),
            ("Employee", {"Name": "Sal Rep"}),
            ("SalesRep", {"Initial": "SR", "SalesRepEntityRef": "Sal Rep"}),
            ("ItemSalesTax", {"Name": "item_sales_tax_reference", "TaxRate": "5"}),
        )
        customer = within_limits(fixture("add", "customer_from_flowlink.json"))

        status, data = self.post("add_customers", envelope("customer", customer))
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertTrue(result.completed)
        obj = self.assert_processed("customers")
        record = self.quickbooks.find("Customer", obj.qb_id)
        self.assertEqual(record.findtext("FullName"), "parent_reference:First Last")
        self.assertEqual(record.findtext("SalesRepRef/FullName"), "SR")
        self.assertEqual(record.findtext("AltPhone"), "1234567890")
        self.assertEqual(record.findtext("BillAddress/Addr3"), "addr line 3")
        self.assertEqual(record.findtext("ExternalGUID"), "{35CB4E30-54E1-49F9-B5CE-4134799EB2C0}")

    def test_it_lands_the_vendor_fixture_with_every_field(self) -> None:
        self.seed(
            ("Class", {"Name": "class_reference"}),
            ("VendorType", {"Name": "vendor_type_reference"}),
            (
                "Account",
                {"Name": "tax_on_purchases_account_reference", "AccountType": "OtherCurrentAsset"},
            ),
            (
                "Account",
                {"Name": "tax_on_sales_account_reference", "AccountType": "OtherCurrentLiability"},
            ),
            ("StandardTerms", {"Name": "terms_reference"}),
        )
        vendor = within_limits(fixture("add", "vendor_from_flowlink.json"))

        status, data = self.post("add_vendors", envelope("vendor", vendor))
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertTrue(result.completed)
        obj = self.assert_processed("vendors")
        record = self.quickbooks.find("Vendor", obj.qb_id)
        self.assertEqual(record.findtext("NameOnCheck"), "First M Last")
        self.assertEqual(record.findtext("TermsRef/FullName"), "terms_reference")
        self.assertEqual(record.findtext("ExternalGUID"), "{71562455-3E41-42CA-9377-9A26597C1BD0}")

    def test_it_lands_the_inventory_item_fixture_with_its_opening_stock(self) -> None:
        self.seed(
            ("Class", {"Name": "my class"}),
            ("Account", {"Name": "Income Acct", "AccountType": "Income"}),
            (
                "ItemInventory",
                {
                    "Name": "my parent",
                    "IncomeAccountRef": "Sales",
                    "COGSAccountRef": "Cost of Goods Sold",
                    "AssetAccountRef": "Inventory Asset",
                },
            ),
            ("Vendor", {"Name": "Preferred Vendor"}),
        )
        vendor_id = self.quickbooks.find("Vendor", "Preferred Vendor").findtext("ListID")
        item = {
            **fixture("add", "invproduct_from_flowlink.json"),
            # The fixture's tax codes are longer than QuickBooks' 3 characters and its
            # vendor ListID is from another company file.
            "purchase_tax_code_name": "Non",
            "sales_tax_code_name": "Tax",
            "preferred_vendor_name": {"list_id": vendor_id},
            "unit_of_measure": None,
        }
        body = envelope("product", item, quickbooks_cogs_account="Cost of Goods Sold")

        status, data = self.post("add_products", body)
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertTrue(result.completed)
        obj = self.assert_processed("products")
        record = self.quickbooks.find("ItemInventory", obj.qb_id)
        self.assertEqual(record.findtext("FullName"), "my parent:FE1221")
        self.assertEqual(record.findtext("QuantityOnHand"), "1000")
        self.assertEqual(record.findtext("SalesPrice"), "155")
        self.assertEqual(record.findtext("COGSAccountRef/FullName"), "Cost of Goods Sold")
        self.assertEqual(record.findtext("PrefVendorRef/FullName"), "Preferred Vendor")
