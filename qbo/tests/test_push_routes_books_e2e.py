"""The FlowLink routes into QuickBooks Online beyond sales documents, end to end: purchase
orders, journals, shipments (both documented ways) and inventory counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from objects.models import Phase
from objects.tests.flows import envelope, fixture
from qbo.tests.test_push_e2e import ACCOUNTS, customer, order, order_params, product
from qbo.tests.test_push_routes_e2e import SHIPPING, d
from qbo.tests.test_push_routes_sales_e2e import SalesRoutesTestCase, item_lines


def purchase_order(**fields: Any) -> dict[str, Any]:
    return {
        "id": "PO-1",
        "supplier": {"name": "Acme Supplies", "email": "ann@acme.example"},
        "vendor_address": {"address1": "5 Mill Ln", "city": "Akron", "state": "OH"},
        "shipping_address": SHIPPING,
        "placed_on": "2026-12-01",
        "due_date": "2026-12-20",
        "vendor_message": "Rush, please",
        "line_items": [
            {"product_id": "TEE", "name": "T-shirt", "quantity": 24, "cost": "4.25"},
            {"product_id": "CAP", "quantity": 10, "price": 3},
        ],
        "adjustments": [{"name": "Shipping", "value": "12.50"}],
        **fields,
    }


def journal(lines: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"id": "J-1", "journal_date": "2026-12-01T08:00:00", "line_items": lines, **fields}


def journal_lines(record: dict[str, Any]) -> list[tuple[str, str, Decimal, str | None]]:
    """(PostingType, AccountRef value, Amount, customer Id) of each journal line."""
    return [
        (
            line["JournalEntryLineDetail"]["PostingType"],
            str(line["JournalEntryLineDetail"]["AccountRef"]["value"]),
            d(line["Amount"]),
            line["JournalEntryLineDetail"].get("Entity", {}).get("EntityRef", {}).get("value"),
        )
        for line in record["Line"]
    ]


class PurchaseOrderRoutesTestCase(SalesRoutesTestCase):
    def test_it_lands_a_purchase_order_from_its_vendor_with_item_lines(self) -> None:
        params = order_params(
            quickbooks_shipping_item="Freight",
            quickbooks_other_charge_shipping_account="Cost of Goods Sold",
        )
        self.post_ok("add_purchaseorders", envelope("purchase_order", purchase_order(), **params))

        self.push()

        record = self.one("PurchaseOrder", DocNumber="PO-1")
        vendor = self.one("Vendor", DisplayName="Acme Supplies")
        self.assertEqual(record["VendorRef"]["value"], vendor["Id"])
        self.assertEqual(vendor["PrimaryEmailAddr"], {"Address": "ann@acme.example"})
        self.assertEqual(record["APAccountRef"]["value"], self.account_id("Accounts Payable (A/P)"))
        self.assertEqual((record["TxnDate"], record["DueDate"]), ("2026-12-01", "2026-12-20"))
        self.assertEqual(record["Memo"], "Rush, please")
        self.assertEqual(record["PrivateNote"], "FlowLink id: PO-1")
        self.assertEqual(
            (record["VendorAddr"]["Line1"], record["VendorAddr"]["City"]), ("5 Mill Ln", "Akron")
        )
        self.assertEqual(record["ShipAddr"]["PostalCode"], "89501")
        self.assertEqual(
            item_lines(record),
            [
                (self.item_id("TEE"), Decimal(24), Decimal("4.25"), Decimal("102.00")),
                (self.item_id("CAP"), Decimal(10), Decimal(3), Decimal("30.00")),
                (self.item_id("Freight"), None, Decimal("12.50"), Decimal("12.50")),
            ],
        )
        self.assertEqual(record["Line"][0]["Description"], "T-shirt")
        self.assertEqual(d(record["TotalAmt"]), Decimal("144.50"))
        self.assertEqual(self.obj("purchaseorders", "PO-1").qb_id, record["Id"])
        self.succeeded("PO-1: Purchaseorder successfully sent to Quickbooks Online")

    def test_it_closes_a_purchase_order_sent_again_cancelled(self) -> None:
        params = order_params(
            quickbooks_shipping_item="Freight",
            quickbooks_other_charge_shipping_account="Cost of Goods Sold",
        )
        self.post_ok("add_purchaseorders", envelope("purchase_order", purchase_order(), **params))
        self.push()

        self.post_ok(
            "add_purchaseorders",
            envelope("purchase_order", purchase_order(status="cancelled"), "req-2", **params),
        )
        self.push()

        record = self.one("PurchaseOrder", DocNumber="PO-1")
        self.assertEqual((record["POStatus"], record["SyncToken"]), ("Closed", "1"))


class JournalRoutesTestCase(SalesRoutesTestCase):
    def test_it_lands_a_balanced_journal_and_replaces_its_lines_on_update(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.push()
        first = journal(
            [
                {"debit": "200.00", "account_name": "Checking", "description": "Deposit"},
                {
                    "credit": "200.00",
                    "account_name": "Services",
                    "customer": "Jo Smith",
                    "description": "Consulting",
                },
            ],
            memo="Month end",
            is_adjustment=True,
        )
        self.post_ok("add_journals", envelope("journal", first, "req-2"))
        self.push()
        entry = self.one("JournalEntry", DocNumber="J-1")
        checking, services = self.account_id("Checking"), self.account_id("Services")
        jo = self.customer_id()
        self.assertEqual(
            journal_lines(entry),
            [
                ("Debit", checking, Decimal("200.00"), None),
                ("Credit", services, Decimal("200.00"), jo),
            ],
        )
        self.assertEqual(
            [line.get("Description") for line in entry["Line"]], ["Deposit", "Consulting"]
        )
        self.assertEqual(
            (entry["TxnDate"], entry["Adjustment"], entry["PrivateNote"]),
            ("2026-12-01", True, "FlowLink id: J-1\nMonth end"),
        )
        self.succeeded("J-1: Journal successfully sent to Quickbooks Online")

        replaced = journal(
            [
                {"debit": "120.00", "account_name": "Checking"},
                {"debit": "30.00", "account_name": "Undeposited Funds"},
                {"credit": "150.00", "account_name": "Services", "customer_name": "Jo Smith"},
            ],
            action="UPDATE",
        )
        self.post_ok("add_journals", envelope("journal", replaced, "req-3"))
        self.push()

        updated = self.one("JournalEntry", DocNumber="J-1")
        self.assertEqual((updated["Id"], updated["SyncToken"]), (entry["Id"], "1"))
        self.assertEqual(
            journal_lines(updated),
            [
                ("Debit", checking, Decimal("120.00"), None),
                ("Debit", self.account_id("Undeposited Funds"), Decimal("30.00"), None),
                ("Credit", services, Decimal("150.00"), jo),
            ],
        )
        self.assertEqual(self.obj("journals", "J-1").edit_sequence, "1")

    def test_it_lands_flowlinks_sample_journal_on_the_accounts_it_names(self) -> None:
        for name, kind in (
            ("NuRelm Commission Receivable", "Other Current Asset"),
            ("Fees", "Income"),
            ("Marketing Income", "Income"),
        ):
            self.qbo.seed(self.realm, "Account", {"Name": name, "AccountType": kind})
        for name in ("My Customer", "My Customer credit!"):
            self.qbo.seed(self.realm, "Customer", {"DisplayName": name})
        sample = fixture("add", "journal_from_flowlink.json")

        self.post_ok("add_journals", envelope("journal", sample))
        # Its list_id is all digits, so first read as a QBO Id: not found, then by DocNumber.
        self.push()
        self.push()

        entry = self.one("JournalEntry", DocNumber="S00009")
        mine, credit = self.customer_id("My Customer"), self.customer_id("My Customer credit!")
        self.assertEqual(
            journal_lines(entry),
            [
                ("Debit", self.account_id("NuRelm Commission Receivable"), Decimal("200.00"), mine),
                ("Credit", self.account_id("Fees"), Decimal("120.02"), credit),
                ("Credit", self.account_id("Marketing Income"), Decimal("79.98"), credit),
            ],
        )
        self.assertEqual(entry["TxnDate"], "2020-03-18")
        self.assertEqual(self.obj("journals", "S00009").qb_id, entry["Id"])
        self.assertEqual(self.messages("fail"), [])

    def test_it_deletes_a_journal_flowlink_deletes(self) -> None:
        lines = [
            {"debit": "50.00", "account_name": "Checking"},
            {"credit": "50.00", "account_name": "Services"},
        ]
        self.post_ok("add_journals", envelope("journal", journal(lines)))
        self.push()
        entry = self.one("JournalEntry", DocNumber="J-1")

        self.post_ok("add_journals", envelope("journal", {"id": "J-1", "action": "DELETE"}, "r2"))
        self.push()

        self.assertEqual(self.records("JournalEntry"), [])
        self.assertEqual(self.qbo.deleted(self.realm, "JournalEntry"), [entry["Id"]])
        self.assertEqual(self.obj("journals", "J-1").phase, Phase.PROCESSED)


class ShipmentRoutesTestCase(SalesRoutesTestCase):
    def shipment(self, **fields: Any) -> dict[str, Any]:
        return {
            "id": "SHIP-1",
            "order_id": "R1001",
            "email": "jo@example.com",
            "customer": {"name": "Jo Smith"},
            "shipped_at": "2026-12-06T15:00:00Z",
            "tracking_number": "1Z999AA10123456784",
            "shipping_method": "UPS Ground",
            "shipping_address": SHIPPING,
            "items": [{"product_id": "TEE", "quantity": 2, "price": "10.00"}],
            **fields,
        }

    def test_it_marks_an_order_written_as_a_sales_receipt_shipped(self) -> None:
        self.post_ok("add_orders", envelope("order", order(), **order_params()))
        self.push()
        receipt = self.one("SalesReceipt", DocNumber="R1001")

        self.post_ok("add_shipments", envelope("shipment", self.shipment(), "req-2"))
        self.push()

        shipped = self.one("SalesReceipt", Id=receipt["Id"])
        self.assertEqual(shipped["SyncToken"], "1")
        self.assertEqual(
            (shipped["ShipDate"], shipped["TrackingNum"], shipped["ShipMethodRef"]),
            ("2026-12-06", "1Z999AA10123456784", {"value": "UPS Ground", "name": "UPS Ground"}),
        )
        self.assertEqual(shipped["ShipAddr"]["Line1"], "9 Dock Rd")
        # Nothing else moved: the lines and the total are the order's.
        self.assertEqual(item_lines(shipped), item_lines(receipt))
        self.assertEqual(d(shipped["TotalAmt"]), Decimal("27.25"))
        self.assertEqual(self.records("Invoice"), [])
        shipment = self.obj("shipments", "SHIP-1")
        self.assertEqual((shipment.phase, shipment.qb_id), (Phase.PROCESSED, receipt["Id"]))
        self.succeeded("SHIP-1: Shipment successfully sent to Quickbooks Online")

    def test_it_invoices_a_shipment_of_an_order_written_as_an_estimate(self) -> None:
        params = order_params(
            qbo_order_as="estimate",
            quickbooks_shipping_item="Shipping",
            quickbooks_other_charge_shipping_account="Services",
        )
        self.post_ok("add_orders", envelope("order", order(), **params))
        self.push()
        estimate = self.one("Estimate", DocNumber="R1001")

        shipment = self.shipment(totals={"shipping": "4.00"})
        self.post_ok("add_shipments", envelope("shipment", shipment, "req-2", **params))
        self.push()

        invoice = self.one("Invoice", DocNumber="SHIP-1")
        self.assertEqual(invoice["CustomerRef"]["value"], self.customer_id())
        self.assertEqual(invoice["TxnDate"], "2026-12-06")
        self.assertEqual(
            item_lines(invoice),
            [
                (self.item_id("TEE"), Decimal(2), Decimal(10), Decimal("20.00")),
                (self.item_id("Shipping"), None, Decimal("4.00"), Decimal("4.00")),
            ],
        )
        self.assertEqual(invoice["LinkedTxn"], [{"TxnId": estimate["Id"], "TxnType": "Estimate"}])
        self.assertEqual(
            (d(invoice["TotalAmt"]), d(invoice["Balance"])), (Decimal(24), Decimal(24))
        )
        self.assertEqual(self.one("Estimate", Id=estimate["Id"])["SyncToken"], "0")
        self.assertEqual(self.obj("shipments", "SHIP-1").qb_id, invoice["Id"])
        self.succeeded("SHIP-1: Shipment successfully sent to Quickbooks Online")

    def test_it_marks_the_order_it_creates_for_a_shipment_of_items_it_had_in_qbo(self) -> None:
        self.post_ok("add_products", envelope("product", product("TEE"), **ACCOUNTS))
        self.push()
        shipment = self.shipment(order_id="R77")

        self.post_ok("add_shipments", envelope("shipment", shipment, "req-2", **order_params()))
        self.push()

        receipt = self.one("SalesReceipt", DocNumber="R77")
        self.assertEqual(
            item_lines(receipt), [(self.item_id("TEE"), Decimal(2), Decimal(10), Decimal("20.00"))]
        )
        self.assertEqual(
            (receipt["TrackingNum"], receipt["ShipDate"]), ("1Z999AA10123456784", "2026-12-06")
        )
        self.assertEqual(self.obj("shipments", "SHIP-1").qb_id, receipt["Id"])
        self.succeeded("SHIP-1: Shipment successfully sent to Quickbooks Online")

    # The order a shipment creates names the shipment's customer and items: it waits
    # for them (objects.intake.Intake.order_dependencies) instead of failing first.
    def test_it_creates_the_items_before_the_order_it_creates_for_a_shipment(self) -> None:
        shipment = self.shipment(order_id="R77")

        self.post_ok("add_shipments", envelope("shipment", shipment, **order_params()))
        self.push()
        self.push()

        self.assertEqual(self.messages("fail"), [])
        receipt = self.one("SalesReceipt", DocNumber="R77")
        self.assertEqual(receipt["TrackingNum"], "1Z999AA10123456784")
        self.assertEqual(self.obj("shipments", "SHIP-1").phase, Phase.PROCESSED)


class InventoryRoutesTestCase(SalesRoutesTestCase):
    def test_it_sets_the_count_of_an_inventory_item(self) -> None:
        self.post_ok("add_products", envelope("product", product("TEE", quantity=5), **ACCOUNTS))
        self.push()
        tee = self.one("Item", Name="TEE")

        self.post_ok(
            "set_inventory",
            envelope("inventory", {"id": "ADJ-1", "product_id": "TEE", "quantity": 42}, "req-2"),
        )
        self.push()

        item = self.one("Item", Name="TEE")
        self.assertEqual((item["Id"], item["SyncToken"]), (tee["Id"], "1"))
        self.assertEqual(d(item["QtyOnHand"]), Decimal(42))
        self.assertEqual(d(item["UnitPrice"]), Decimal("10.00"))  # the rest is left alone
        self.assertEqual(self.messages("fail"), [])
        self.assertTrue(
            any(
                "Inventory successfully sent to Quickbooks Online" in m
                for m in self.messages("success")
            ),
            self.messages("success"),
        )

    def test_it_refuses_to_count_an_item_that_is_not_inventory(self) -> None:
        service = {"product_id": "SETUP", "price": 45}
        self.post_ok("add_serviceproducts", envelope("serviceproduct", service))
        self.push()

        level = {"id": "ADJ-2", "product_id": "SETUP", "quantity": 3}
        self.post_ok("set_inventory", envelope("inventory", level, "req-2"))
        self.push()

        self.assertEqual(self.one("Item", Name="SETUP")["SyncToken"], "0")
        self.assertEqual(
            self.messages("fail"),
            [
                "ADJ-2: Validation error: product_id: item 'SETUP' is a Service item that does "
                "not track its quantity; QuickBooks Online keeps a count only for inventory items"
            ],
        )
