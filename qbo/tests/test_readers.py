"""QBO records, created in the double and read back over HTTP, as FlowLink records
(qbo.readers): the Desktop readers' keys and shapes, field by field."""

from __future__ import annotations

import itertools
from typing import Any

from qbo.pulls import QBO_ROUTES
from qbo.readers import lists, txns
from qbo.tests.feedkit import FeedTestCase

_ids = itertools.count(1)
ADDRESS = {
    "Line1": "4581 Finch St.",
    "Line2": "Suite 2",
    "City": "Bayshore",
    "CountrySubDivisionCode": "CA",
    "PostalCode": "94326",
    "Country": "USA",
}
FLOWLINK_ADDRESS = {
    "address1": "4581 Finch St.",
    "address2": "Suite 2",
    "city": "Bayshore",
    "state": "CA",
    "zip_code": "94326",
    "country": "USA",
}


class ReadersTestCase(FeedTestCase):
    maxDiff = None

    def setUp(self) -> None:
        super().setUp()
        self.client_ = self.api()
        self.accounts_ = self.accounts()

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create over HTTP, then read it back as a query would (what the feed reads)."""
        created = self.client_.create(entity, body, f"reader-{next(_ids)}")
        page = self.client_.query(
            f"SELECT * FROM {entity} WHERE Id = '{created['Id']}'"
            + (" AND Active IN (true, false)" if entity in ("Customer", "Vendor", "Item") else "")
        )
        [found] = page[entity]
        assert isinstance(found, dict)
        return found

    def amy(self) -> dict[str, Any]:
        return self.create(
            "Customer",
            {
                "DisplayName": "Amy's Bird Sanctuary",
                "GivenName": "Amy",
                "MiddleName": "B",
                "FamilyName": "Lauterbach",
                "Title": "Ms",
                "CompanyName": "Amy's Bird Sanctuary",
                "PrimaryEmailAddr": {"Address": "birds@example.com"},
                "PrimaryPhone": {"FreeFormNumber": "(650) 555-3311"},
                "AlternatePhone": {"FreeFormNumber": "(650) 555-3312"},
                "Mobile": {"FreeFormNumber": "(650) 555-3313"},
                "Fax": {"FreeFormNumber": "(650) 555-3314"},
                "WebAddr": {"URI": "https://birds.example.com"},
                "BillAddr": ADDRESS,
                "ShipAddr": {"Line1": "1 Dock Rd", "City": "Bayshore"},
                "Notes": "Feeds the birds",
                "ResaleNum": "R-77",
                "Taxable": True,
            },
        )

    def service(self, name: str = "Design", **fields: Any) -> dict[str, Any]:
        return self.create(
            "Item",
            {
                "Name": name,
                "Type": "Service",
                "Description": "Custom design",
                "UnitPrice": 75,
                "IncomeAccountRef": self.accounts_["Services"],
                **fields,
            },
        )

    def line(self, item: dict[str, Any], qty: int = 2, price: str = "75") -> dict[str, Any]:
        return {
            "DetailType": "SalesItemLineDetail",
            "Description": f"{item['Name']} work",
            "SalesItemLineDetail": {
                "ItemRef": {"value": item["Id"]},
                "Qty": qty,
                "UnitPrice": price,
                "ServiceDate": "2026-03-01",
            },
        }

    # -- lists ---------------------------------------------------------------------------

    def test_it_reads_a_customer(self) -> None:
        qbo = self.amy()
        record = lists.read_customer(qbo)
        qb_id = qbo["Id"]
        self.assertEqual(
            record,
            {
                "id": qb_id,
                "list_id": qb_id,
                "qbe_id": qb_id,
                "key": ["qbe_id", "external_guid"],
                "external_id": qb_id,
                "created_at": "2026-03-02T09:00:00-08:00",
                "modified_at": "2026-03-02T09:00:00-08:00",
                "name": "Amy's Bird Sanctuary",
                "full_name": "Amy's Bird Sanctuary",
                "email": "birds@example.com",
                "billing_address": FLOWLINK_ADDRESS,
                "balance": "0.00",
                "total_balance": "0.00",
                "shipping_address": {"address1": "1 Dock Rd", "city": "Bayshore"},
                "ship_to_addresses": [],
                "is_active": True,
                "phone": "(650) 555-3311",
                "alternative_phone": "(650) 555-3312",
                "fax": "(650) 555-3314",
                "first_name": "Amy",
                "middle_name": "B",
                "last_name": "Lauterbach",
                "company": "Amy's Bird Sanctuary",
                "salutation": "Ms",
                "resale_number": "R-77",
                "notes": "Feeds the birds",
                "additional_notes": [],
                "additional_contacts": [],
                "contacts": [],
                "qbo_sync_token": "0",
                "qbo_display_name": "Amy's Bird Sanctuary",
                "qbo_mobile": "(650) 555-3313",
                "qbo_print_on_check_name": "Amy's Bird Sanctuary",
                "qbo_web_address": "https://birds.example.com",
                "qbo_taxable": True,
            },
        )

    def test_it_reads_a_sub_customer_with_its_parent(self) -> None:
        parent = self.amy()
        qbo = self.create(
            "Customer", {"DisplayName": "Aviary", "ParentRef": {"value": parent["Id"]}, "Job": True}
        )
        record = lists.read_customer(qbo)
        self.assertEqual(record["full_name"], "Amy's Bird Sanctuary:Aviary")
        self.assertEqual(record["parent_name"], "Amy's Bird Sanctuary")
        self.assertEqual((record["qbo_parent_id"], record["qbo_is_job"]), (parent["Id"], True))

    def test_it_reads_a_vendor(self) -> None:
        qbo = self.create(
            "Vendor",
            {
                "DisplayName": "Norton Lumber",
                "CompanyName": "Norton Lumber and Building Materials",
                "GivenName": "Nora",
                "FamilyName": "Norton",
                "PrimaryEmailAddr": {"Address": "nora@example.com"},
                "PrimaryPhone": {"FreeFormNumber": "555-0101"},
                "BillAddr": ADDRESS,
                "AcctNum": "N-1",
                "TaxIdentifier": "12-3456789",
                "Vendor1099": True,
                "PrintOnCheckName": "Norton Lumber Co",
            },
        )
        record = lists.read_vendor(qbo)
        qb_id = qbo["Id"]
        self.assertEqual(
            record,
            {
                "id": qb_id,
                "qbe_id": qb_id,
                "key": ["qbe_id", "external_guid"],
                "name": "Norton Lumber",
                "created_at": "2026-03-02T09:00:00-08:00",
                "modified_at": "2026-03-02T09:00:00-08:00",
                "is_active": True,
                "vendor_address": FLOWLINK_ADDRESS,
                "shipping_address": {},
                "vendor_tax_ident": "12-3456789",
                "name_on_check": "Norton Lumber Co",
                "is_vendor_eligible_for_1099": True,
                "balance": "0.00",
                "phone": "555-0101",
                "email": "nora@example.com",
                "account_number": "N-1",
                "additional_notes": [],
                "additional_contacts": [],
                "contacts": [],
                "qbo_sync_token": "0",
                "qbo_display_name": "Norton Lumber",
                "qbo_print_on_check_name": "Norton Lumber Co",
                "qbo_company_name": "Norton Lumber and Building Materials",
                "qbo_first_name": "Nora",
                "qbo_last_name": "Norton",
            },
        )

    def test_it_reads_an_inventory_item_as_a_product(self) -> None:
        vendor = self.create("Vendor", {"DisplayName": "Pumps Inc"})
        qbo = self.create(
            "Item",
            {
                "Name": "Pump",
                "Type": "Inventory",
                "Sku": "P461-17",
                "Description": "Garden pump",
                "PurchaseDesc": "Pump from Pumps Inc",
                "UnitPrice": 15,
                "PurchaseCost": "10.50",
                "TrackQtyOnHand": True,
                "QtyOnHand": 25,
                "InvStartDate": "2026-01-01",
                "ReorderPoint": 5,
                "Taxable": True,
                "PrefVendorRef": {"value": vendor["Id"], "name": "Pumps Inc"},
                "IncomeAccountRef": self.accounts_["Sales of Product Income"],
                "ExpenseAccountRef": self.accounts_["Cost of Goods Sold"],
                "AssetAccountRef": self.accounts_["Inventory Asset"],
            },
        )
        record = QBO_ROUTES["get_products"].read(qbo, "")
        self.assertEqual(
            record,
            {
                "id": "Pump",
                "sku": "Pump",
                "product_id": "Pump",
                "qbe_id": qbo["Id"],
                "key": ["qbe_id", "product_id", "sku"],
                "name": "Pump",
                "fullname": "Pump",
                "is_active": True,
                "created_at": "2026-03-02T09:00:00-08:00",
                "modified_at": "2026-03-02T09:00:00-08:00",
                "qbe_item_type": "qbe_inventory",
                "qbo_sync_token": "0",
                "qbo_type": "Inventory",
                "qbo_sku": "P461-17",
                "qbo_taxable": True,
                "quantity": "25",
                "sales_price": "15.00",
                "sales_description": "Garden pump",
                "purchase_description": "Pump from Pumps Inc",
                "purchase_cost": "10.50",
                "vendor": {
                    "name": "Pumps Inc",
                    "external_id": vendor["Id"],
                    "qbe_id": vendor["Id"],
                },
                "income_account_name": "Sales of Product Income",
                "cogs_account_name": "Cost of Goods Sold",
                "asset_account_name": "Inventory Asset",
                "reorder_point": "5",
                "relationships": [{"object": "vendor", "key": "qbe_id"}],
                "qbo_track_qty_on_hand": True,
                "qbo_inv_start_date": "2026-01-01",
            },
        )
        self.assertEqual(
            QBO_ROUTES["get_inventories"].read(qbo, "2026-03-02T09:00:00-08:00"),
            {
                "id": "Pump",
                "sku": "Pump",
                "product_id": "Pump",
                "quantity": "25",
                "grabbed_at": "2026-03-02T09:00:00-08:00",
                "fullname": "Pump",
                "qbe_id": qbo["Id"],
            },
        )

    def test_it_reads_a_service_sold_only_as_sales_or_purchase(self) -> None:
        qbo = self.service()
        record = QBO_ROUTES["get_serviceproducts"].read(qbo, "")
        self.assertEqual(record["key"], "qbe_id")
        self.assertEqual(record["qbe_item_type"], "service")
        self.assertEqual(
            {k: record[k] for k in ("sales_or_purchase", "price", "description", "account_name")},
            {
                "sales_or_purchase": True,
                "price": "75.00",
                "description": "Custom design",
                "account_name": "Services",
            },
        )
        self.assertNotIn("sales_and_purchase", record)

    def test_it_reads_a_non_inventory_item_bought_and_sold_as_sales_and_purchase(self) -> None:
        qbo = self.create(
            "Item",
            {
                "Name": "Bag",
                "Type": "NonInventory",
                "Description": "Paper bag",
                "UnitPrice": 2,
                "PurchaseDesc": "Bags by the gross",
                "PurchaseCost": 1,
                "IncomeAccountRef": self.accounts_["Sales of Product Income"],
                "ExpenseAccountRef": self.accounts_["Cost of Goods Sold"],
            },
        )
        record = QBO_ROUTES["get_noninventoryproducts"].read(qbo, "")
        self.assertEqual(record["key"], ["qbe_id", "external_guid"])
        self.assertEqual(
            {
                k: record[k]
                for k in (
                    "sales_and_purchase",
                    "sales_description",
                    "sales_price",
                    "price",
                    "purchase_description",
                    "purchase_cost",
                    "cost",
                    "income_account_name",
                    "expense_account_name",
                    "qbe_item_type",
                )
            },
            {
                "sales_and_purchase": True,
                "sales_description": "Paper bag",
                "sales_price": "2.00",
                "price": "2.00",
                "purchase_description": "Bags by the gross",
                "purchase_cost": "1.00",
                "cost": "1.00",
                "income_account_name": "Sales of Product Income",
                "expense_account_name": "Cost of Goods Sold",
                "qbe_item_type": "non_inventory",
            },
        )

    def test_it_reads_a_sub_item_with_its_parent_and_level(self) -> None:
        parent = self.create("Item", {"Name": "Landscaping", "Type": "Category"})
        qbo = self.service("Gardening", ParentRef={"value": parent["Id"]})
        record = QBO_ROUTES["get_serviceproducts"].read(qbo, "")
        self.assertEqual(
            (record["id"], record["fullname"], record["parent_name"]),
            ("Gardening", "Landscaping:Gardening", "Landscaping"),
        )

    def test_it_reads_an_inactive_item_as_inactive(self) -> None:
        qbo = self.service(Active=False)
        self.assertIs(QBO_ROUTES["get_serviceproducts"].read(qbo, "")["is_active"], False)

    # -- transactions --------------------------------------------------------------------

    def test_it_reads_an_invoice(self) -> None:
        amy, design = self.amy(), self.service()
        qbo = self.create(
            "Invoice",
            {
                "DocNumber": "1037",
                "TxnDate": "2026-03-01",
                "DueDate": "2026-03-31",
                "CustomerRef": {"value": amy["Id"]},
                "BillAddr": ADDRESS,
                "CustomerMemo": {"value": "Thank you"},
                "PrivateNote": "call first",
                "BillEmail": {"Address": "birds@example.com"},
                "Line": [
                    self.line(design),
                    {"DetailType": "DescriptionOnly", "Description": "Thanks for your business"},
                ],
                "TxnTaxDetail": {"TotalTax": "12.00"},
            },
        )
        record = txns.read_invoice(qbo)
        qb_id = qbo["Id"]
        line = {
            "product_id": "Design",
            "name": "Design",
            "sku": "Design",
            "qbe_id": design["Id"],
            "line_id": qbo["Line"][0]["Id"],
            "description": "Design work",
            "quantity": "2",
            "line_item_quantity": "2",
            "unit_of_measure": None,
            "rate": "75.00",
            "line_item_rate": "75.00",
            "rate_percent": None,
            "amount": "150.00",
            "line_item_amount": "150.00",
            "class_ref": None,
            "warehouse": None,
            "inventory_site_location_name": None,
            "sales_tax_code": None,
            "override_uom_set_name": None,
            "serial_number": None,
            "lot_number": None,
            "invoiced": None,
            "is_manually_closed": None,
            "service_date": "2026-03-01",
            "other_one": None,
            "other_two": None,
            "class_name": None,
        }
        self.assertEqual(record["line_items"][0], line)
        self.assertEqual(record["line_items"][1]["description"], "Thanks for your business")
        self.assertIsNone(record["line_items"][1]["product_id"])
        header = {k: v for k, v in record.items() if k not in ("line_items", "sub_total", "total")}
        self.assertEqual(
            header,
            {
                "id": "1037",
                "transaction_id": qb_id,
                "qbe_transaction_id": qb_id,
                "qbe_id": qb_id,
                "key": ["qbe_transaction_id", "qbe_id", "external_guid"],
                "relationships": [
                    {"object": "customer", "key": "qbe_id"},
                    {"object": "product", "key": "qbe_id", "location": "line_items"},
                    {"object": "order", "key": "purchase_order_number", "location": "sales_order"},
                ],
                "created_at": "2026-03-02T09:00:00-08:00",
                "modified_at": "2026-03-02T09:00:00-08:00",
                "transaction_date": "2026-03-01",
                "due_date": "2026-03-31",
                "customer": {
                    "name": "Amy's Bird Sanctuary",
                    "external_id": amy["Id"],
                    "qbe_id": amy["Id"],
                },
                "billing_address": FLOWLINK_ADDRESS,
                "shipping_address": {},
                "sales_rep": {"name": None},
                "shipping_date": "",
                "sales_tax_total": "12.00",
                "memo": "Thank you",
                "linked_qbe_transactions": [],
                "qbo_sync_token": "0",
                "qbo_doc_number": "1037",
                "qbo_private_note": "call first",
                "qbo_bill_email": "birds@example.com",
                "qbo_balance": record["total"],
                "is_paid": False,
                "balance_remaining": record["total"],
                "sales_order": {"purchase_order_number": None},
                "grouped_line_items": [],
            },
        )
        self.assertEqual(record["sub_total"], "150.00")

    def test_it_reads_a_paid_invoice_and_the_payment_applied_to_it(self) -> None:
        amy, design = self.amy(), self.service()
        invoice = self.create(
            "Invoice", {"CustomerRef": {"value": amy["Id"]}, "Line": [self.line(design, 1)]}
        )
        payment = self.create(
            "Payment",
            {
                "CustomerRef": {"value": amy["Id"]},
                "TotalAmt": 75,
                "PaymentRefNum": "CHK-9",
                "PrivateNote": "paid in full",
                "Line": [
                    {"Amount": 75, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )
        paid = self.client_.get("Invoice", invoice["Id"])
        self.assertIs(txns.read_invoice(paid)["is_paid"], True)
        record = txns.read_payment(payment)
        self.assertEqual(
            {k: v for k, v in record.items() if k not in ("created_at", "modified_at")},
            {
                "id": "CHK-9",
                "transaction_id": payment["Id"],
                "qbe_transaction_id": payment["Id"],
                "qbe_id": payment["Id"],
                "key": ["qbe_id", "external_guid"],
                "relationships": [
                    {"object": "customer", "key": "qbe_id", "location": "customer"},
                    {
                        "object": "invoice",
                        "key": "qbe_transaction_id",
                        "location": "applied_invoices",
                    },
                ],
                "ref_number": "CHK-9",
                "customer": {"name": "Amy's Bird Sanctuary", "qbe_id": amy["Id"]},
                "amount": "75.00",
                "memo": "paid in full",
                "unused_payment": "0.00",
                "applied_invoices": [
                    {
                        "id": None,
                        "qbe_transaction_id": invoice["Id"],
                        "transaction_type": "Invoice",
                        "transaction_date": None,
                        "balance_remaining": None,
                        "amount": "75.00",
                        "discount_amount": None,
                    }
                ],
                "qbo_sync_token": "0",
            },
        )

    def test_it_reads_a_sales_receipt(self) -> None:
        amy, design = self.amy(), self.service()
        qbo = self.create(
            "SalesReceipt",
            {
                "DocNumber": "SR-1",
                "CustomerRef": {"value": amy["Id"]},
                "PaymentRefNum": "1234",
                "Line": [self.line(design, 1)],
            },
        )
        record = txns.read_sales_receipt(qbo)
        self.assertEqual(
            (record["id"], record["qbe_id"], record["check_number"], record["total"]),
            ("SR-1", qbo["Id"], "1234", "75.00"),
        )
        self.assertEqual(record["key"], ["qbe_id", "qbe_transaction_id", "external_guid"])
        self.assertEqual(record["customer"]["qbe_id"], amy["Id"])
        self.assertEqual([line["sku"] for line in record["line_items"]], ["Design"])

    def test_it_reads_an_estimate_for_get_orders(self) -> None:
        amy, design = self.amy(), self.service()
        qbo = self.create(
            "Estimate",
            {
                "DocNumber": "E-7",
                "CustomerRef": {"value": amy["Id"]},
                "ExpirationDate": "2026-04-01",
                "TxnStatus": "Pending",
                "Line": [self.line(design, 3)],
            },
        )
        record = QBO_ROUTES["get_orders"].read(qbo, "")
        self.assertEqual(
            {
                k: record.get(k)
                for k in (
                    "id",
                    "transaction_id",
                    "qbe_id",
                    "total",
                    "is_manually_closed",
                    "is_fully_invoiced",
                    "qbo_entity",
                    "qbo_txn_status",
                    "qbo_expiration_date",
                )
            },
            {
                "id": "E-7",
                "transaction_id": qbo["Id"],
                "qbe_id": qbo["Id"],
                "total": "225.00",
                "is_manually_closed": False,
                "is_fully_invoiced": False,
                "qbo_entity": "Estimate",
                "qbo_txn_status": "Pending",
                "qbo_expiration_date": "2026-04-01",
            },
        )
        self.assertEqual(record["line_items"][0]["quantity"], "3")

    def test_it_reads_a_credit_memo(self) -> None:
        amy, design = self.amy(), self.service()
        qbo = self.create(
            "CreditMemo",
            {
                "DocNumber": "CM-1",
                "CustomerRef": {"value": amy["Id"]},
                "CustomerMemo": {"value": "Refund for damage"},
                "Line": [self.line(design, 1)],
            },
        )
        record = txns.read_credit_memo(qbo)
        self.assertEqual(
            {
                k: record.get(k)
                for k in (
                    "id",
                    "list_id",
                    "qbe_id",
                    "ref_number",
                    "key",
                    "customer_name",
                    "customer",
                    "memo",
                    "total",
                    "credit_remaining",
                    "applied_invoices",
                )
            },
            {
                "id": qbo["Id"],
                "list_id": qbo["Id"],
                "qbe_id": qbo["Id"],
                "ref_number": "CM-1",
                "key": ["qbe_id", "external_guid"],
                "customer_name": "Amy's Bird Sanctuary",
                "customer": {"name": "Amy's Bird Sanctuary"},
                "memo": "Refund for damage",
                "total": "75.00",
                "credit_remaining": "75.00",
                "applied_invoices": [],
            },
        )

    def test_it_reads_a_purchase_order_with_item_and_account_lines(self) -> None:
        vendor = self.create("Vendor", {"DisplayName": "Pumps Inc"})
        design = self.service()
        qbo = self.create(
            "PurchaseOrder",
            {
                "DocNumber": "PO-5",
                "VendorRef": {"value": vendor["Id"]},
                "Memo": "rush",
                "POStatus": "Open",
                "Line": [
                    {
                        "DetailType": "ItemBasedExpenseLineDetail",
                        "Amount": 30,
                        "Description": "Design hours",
                        "ItemBasedExpenseLineDetail": {
                            "ItemRef": {"value": design["Id"]},
                            "Qty": 3,
                            "UnitPrice": 10,
                        },
                    },
                    {
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "Amount": 5,
                        "AccountBasedExpenseLineDetail": {
                            "AccountRef": self.accounts_["Cost of Goods Sold"]
                        },
                    },
                ],
            },
        )
        record = txns.read_purchase_order(qbo)
        self.assertEqual(
            (record["id"], record["ref_number"], record["qbe_id"], record["memo"]),
            ("PO-5", "PO-5", qbo["Id"], "rush"),
        )
        self.assertEqual(record["vendor"], {"name": "Pumps Inc", "external_id": vendor["Id"]})
        self.assertIs(record["is_manually_closed"], False)
        item_line, account_line = record["line_items"]
        self.assertEqual(
            (item_line["sku"], item_line["quantity"], item_line["value"]),
            ("Design", "3", "30.00"),
        )
        self.assertEqual(
            (account_line["sku"], account_line["qbo_account_name"], account_line["value"]),
            (None, "Cost of Goods Sold", "5.00"),
        )
