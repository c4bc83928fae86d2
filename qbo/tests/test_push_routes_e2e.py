"""Every FlowLink list route into QuickBooks Online, end to end: the webhook over HTTP,
a push pass, and the record in the double read back field by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from objects.models import Phase, QueuedObject
from objects.tests.flows import envelope
from qbo.tests.live import QboLiveTestCase
from qbo.tests.test_push_e2e import ACCOUNTS, customer, product

BILLING = {
    "firstname": "Jo",
    "lastname": "Smith",
    "address1": "1 Main St",
    "address2": "Suite 4",
    "city": "Erie",
    "state": "PA",
    "zipcode": "16501",
    "country": "US",
}
SHIPPING = {
    "address1": "9 Dock Rd",
    "city": "Reno",
    "state": "NV",
    "zipcode": "89501",
    "country": "US",
}


def d(value: Any) -> Decimal:
    """A number of the double's records as a Decimal (it keeps JSON numbers as they came)."""
    return Decimal(str(value))


class RoutesTestCase(QboLiveTestCase):
    """Shared reads of the double's starter chart."""

    def account_id(self, name: str) -> str:
        return str(self.one("Account", Name=name)["Id"])

    def succeeded(self, message: str) -> None:
        self.assertIn(message, self.messages("success"), self.messages("fail"))


class ListRoutesTestCase(RoutesTestCase):
    def test_it_lands_a_customer_with_both_addresses_phone_and_email(self) -> None:
        jo = customer(
            company="Smith & Co",
            phone="814-555-0100",
            mobile="814-555-0199",
            billing_address=BILLING,
            shipping_address=SHIPPING,
            notes="Prefers mornings",
        )
        self.post_ok("add_customers", envelope("customer", jo))

        self.push()

        record = self.one("Customer", DisplayName="Jo Smith")
        self.assertEqual(
            (record["GivenName"], record["FamilyName"], record["CompanyName"]),
            ("Jo", "Smith", "Smith & Co"),
        )
        self.assertEqual(record["PrimaryEmailAddr"], {"Address": "jo@example.com"})
        self.assertEqual(record["PrimaryPhone"], {"FreeFormNumber": "814-555-0100"})
        self.assertEqual(record["Mobile"], {"FreeFormNumber": "814-555-0199"})
        self.assertEqual(record["Notes"], "Prefers mornings")
        self.assertEqual(
            {k: v for k, v in record["BillAddr"].items() if k != "Id"},
            {
                "Line1": "1 Main St",
                "Line2": "Suite 4",
                "City": "Erie",
                "CountrySubDivisionCode": "PA",
                "PostalCode": "16501",
                "Country": "US",
            },
        )
        self.assertEqual(
            {k: v for k, v in record["ShipAddr"].items() if k != "Id"},
            {
                "Line1": "9 Dock Rd",
                "City": "Reno",
                "CountrySubDivisionCode": "NV",
                "PostalCode": "89501",
                "Country": "US",
            },
        )
        obj = self.obj("customers", "Jo Smith")
        self.assertEqual((obj.phase, obj.qb_id), (Phase.PROCESSED, record["Id"]))
        self.succeeded("Jo Smith: Customer successfully sent to Quickbooks Online")

    def test_it_lands_a_vendor_with_its_address_and_tax_fields(self) -> None:
        vendor = {
            "name": "Acme Supplies",
            "firstname": "Ann",
            "lastname": "Acme",
            "company": "Acme Supplies Inc",
            "email": "ann@acme.example",
            "phone": "555-0101",
            "account_number": "ACME-77",
            "vendor_tax_ident": "12-3456789",
            "is_vendor_eligible_for_1099": "true",
            "name_on_check": "Acme Supplies Incorporated",
            "vendor_address": {"address1": "5 Mill Ln", "city": "Akron", "state": "OH"},
        }
        self.post_ok("add_vendors", envelope("vendor", vendor))

        self.push()

        record = self.one("Vendor", DisplayName="Acme Supplies")
        self.assertEqual(
            (
                record["GivenName"],
                record["FamilyName"],
                record["CompanyName"],
                record["AcctNum"],
                record["TaxIdentifier"],
                record["Vendor1099"],
                record["PrintOnCheckName"],
            ),
            (
                "Ann",
                "Acme",
                "Acme Supplies Inc",
                "ACME-77",
                "12-3456789",
                True,
                "Acme Supplies Incorporated",
            ),
        )
        self.assertEqual(record["PrimaryEmailAddr"], {"Address": "ann@acme.example"})
        self.assertEqual(record["PrimaryPhone"], {"FreeFormNumber": "555-0101"})
        self.assertEqual(
            {k: v for k, v in record["BillAddr"].items() if k != "Id"},
            {"Line1": "5 Mill Ln", "City": "Akron", "CountrySubDivisionCode": "OH"},
        )
        self.assertEqual(self.obj("vendors", "Acme Supplies").qb_id, record["Id"])
        self.succeeded("Acme Supplies: Vendor successfully sent to Quickbooks Online")

    def test_it_lands_an_inventory_product_with_its_count_accounts_and_start_date(self) -> None:
        tee = product(
            "TEE",
            sku="TEE-001",
            quantity=12,
            inventory_date="2026-11-01T09:30:00Z",
            purchase_description="Blank tee",
            reorder_point=3,
        )
        self.post_ok("add_products", envelope("product", tee, **ACCOUNTS))

        self.push()

        item = self.one("Item", Name="TEE")
        self.assertEqual(
            (item["Type"], item["TrackQtyOnHand"], item["Sku"], item["Description"]),
            ("Inventory", True, "TEE-001", "TEE description"),
        )
        self.assertEqual(d(item["QtyOnHand"]), Decimal(12))
        self.assertEqual(item["InvStartDate"], "2026-11-01")
        self.assertEqual(
            (d(item["UnitPrice"]), d(item["PurchaseCost"]), d(item["ReorderPoint"])),
            (Decimal("10.00"), Decimal("4.00"), Decimal(3)),
        )
        self.assertEqual(item["PurchaseDesc"], "Blank tee")
        self.assertEqual(
            (
                item["IncomeAccountRef"]["value"],
                item["ExpenseAccountRef"]["value"],
                item["AssetAccountRef"]["value"],
            ),
            (
                self.account_id("Sales of Product Income"),
                self.account_id("Cost of Goods Sold"),
                self.account_id("Inventory Asset"),
            ),
        )
        self.assertEqual(self.obj("products", "TEE").qb_id, item["Id"])
        self.succeeded("TEE: Product successfully sent to Quickbooks Online")

    def test_it_lands_a_non_inventory_product_on_its_income_and_expense_accounts(self) -> None:
        mug = {
            "product_id": "MUG",
            "description": "Mug",
            "price": "7.25",
            "cost": "2.50",
            "purchase_description": "Plain mug",
            "expense_account": "Cost of Goods Sold",
        }
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", mug))

        self.push()

        item = self.one("Item", Name="MUG")
        self.assertEqual((item["Type"], item["Description"]), ("NonInventory", "Mug"))
        self.assertEqual(
            (d(item["UnitPrice"]), d(item["PurchaseCost"])), (Decimal("7.25"), Decimal("2.50"))
        )
        self.assertEqual(
            item["IncomeAccountRef"]["value"], self.account_id("Sales of Product Income")
        )
        self.assertEqual(item["ExpenseAccountRef"]["value"], self.account_id("Cost of Goods Sold"))
        self.assertNotIn("QtyOnHand", item)
        self.succeeded("MUG: Noninventoryproduct successfully sent to Quickbooks Online")

    def test_it_lands_a_service_product_on_the_services_account(self) -> None:
        service = {"product_id": "SETUP", "description": "Set-up", "price": 45}
        self.post_ok("add_serviceproducts", envelope("serviceproduct", service))

        self.push()

        item = self.one("Item", Name="SETUP")
        self.assertEqual((item["Type"], item["Description"]), ("Service", "Set-up"))
        self.assertEqual(d(item["UnitPrice"]), Decimal(45))
        self.assertEqual(item["IncomeAccountRef"]["value"], self.account_id("Services"))
        self.succeeded("SETUP: Serviceproduct successfully sent to Quickbooks Online")

    def test_it_lands_an_other_charge_product_as_a_service_item(self) -> None:
        charge = {
            "product_id": "Handling",
            "description": "Handling fee",
            "price": "2.00",
            "sales_or_purchase": True,
            "account_name": "Sales of Product Income",
        }
        self.post_ok("add_otherchargeproducts", envelope("otherchargeproduct", charge))

        self.push()

        item = self.one("Item", Name="Handling")
        self.assertEqual((item["Type"], item["Description"]), ("Service", "Handling fee"))
        self.assertEqual(d(item["UnitPrice"]), Decimal("2.00"))
        self.assertEqual(
            item["IncomeAccountRef"]["value"], self.account_id("Sales of Product Income")
        )
        self.succeeded("Handling: Otherchargeproduct successfully sent to Quickbooks Online")

    def test_it_lands_a_discount_product_as_a_service_item_with_a_negative_price(self) -> None:
        discount = {
            "product_id": "Loyalty",
            "description": "Loyalty discount",
            "discount_rate": "5.00",
        }
        self.post_ok("add_discountproducts", envelope("discountproduct", discount))

        self.push()

        item = self.one("Item", Name="Loyalty")
        self.assertEqual((item["Type"], item["Description"]), ("Service", "Loyalty discount"))
        self.assertEqual(d(item["UnitPrice"]), Decimal("-5.00"))
        self.assertEqual(
            item["IncomeAccountRef"]["value"], self.account_id("Sales of Product Income")
        )
        self.succeeded("Loyalty: Discountproduct successfully sent to Quickbooks Online")

    def test_it_refuses_a_sales_tax_product_naming_the_field_and_stores_nothing(self) -> None:
        tax = {"product_id": "PA Tax", "tax_rate": 6, "tax_vendor": "PA Revenue"}

        status, data = self.post("add_salestaxproducts", envelope("salestaxproduct", tax))

        self.assertEqual(status, 400, data)
        self.assertEqual(
            data["summary"],
            "salestaxproduct.product_id: QuickBooks Online has no sales-tax items (it "
            "calculates sales tax itself); set up the tax rate in QuickBooks Online instead "
            "of sending a salestaxproduct",
        )
        self.assertFalse(QueuedObject.objects.filter(connection=self.connection).exists())
        self.push()
        self.assertEqual(self.records("Item", Name="PA Tax"), [])
