"""Purchase orders over HTTP into the simulated QuickBooks company."""

from __future__ import annotations

from typing import Any

from objects.models import Phase, QueuedObject
from objects.tests.flows import ITEM_ACCOUNTS, envelope, line_items
from qbsync.test import LiveTestCase


def purchase_order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "PO-2024-000123",
        "placed_on": "2024-05-02T10:00:00Z",
        "supplier": {"name": "Acme Supply", "email": "orders@acme.example"},
        "vendor_address": {
            "firstname": "Ann",
            "lastname": "Acme",
            "address1": "1 Depot Rd",
            "city": "Reno",
            "state": "NV",
            "zipcode": "89501",
            "country": "US",
        },
        "class_name": "Retail",
        "terms_name": "Net 30",
        "due_date": "2024-06-01",
        "expected_date": "2024-05-20",
        "line_items": [
            {"product_id": "TEE", "name": "T-shirt", "quantity": 24, "price": 4.25},
            {"product_id": "CAP", "quantity": 10, "price": 3},
        ],
        "adjustments": [{"name": "Shipping", "value": 12.5}],
    }
    return {**base, **fields}


class PurchaseOrderFlowTestCase(LiveTestCase):
    params = {
        "quickbooks_auto_create_products": "1",
        "quickbooks_shipping_item": "Freight",
        **ITEM_ACCOUNTS,
    }

    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record(
            "ItemOtherCharge",
            Name="Freight",
            SalesOrPurchase={"Price": "0", "AccountRef": "Shipping Income"},
        )

    def test_it_lands_a_purchase_order_with_a_new_vendor_and_items(self) -> None:
        status, data = self.post(
            "add_purchaseorders", envelope("purchase_order", purchase_order(), **self.params)
        )
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertEqual(data["summary"], "Purchaseorder waiting for Quickbooks Desktop scheduler")
        self.assertEqual(data["purchase_orders"][0]["id"], "PO-2024-000123")
        self.assertTrue(result.completed)
        record = self.quickbooks.find("PurchaseOrder", "2024-000123")
        self.assertIsNotNone(record)
        self.assertEqual(record.findtext("VendorRef/FullName"), "Acme Supply")
        self.assertEqual(record.findtext("TermsRef/FullName"), "Net 30")
        self.assertEqual(record.findtext("ClassRef/FullName"), "Retail")
        self.assertEqual(record.findtext("ExpectedDate"), "2024-05-20")
        self.assertEqual(record.findtext("VendorAddress/Addr1"), "1 Depot Rd")
        self.assertEqual(
            line_items(record, "PurchaseOrderLineRet"),
            [("TEE", "24"), ("CAP", "10"), ("Freight", None)],
        )
        # The shipping adjustment is booked at its value: upstream's Quantity 0 + Rate
        # made it 0.00 (issue 16 item 2).
        self.assertEqual(record.findall("PurchaseOrderLineRet")[2].findtext("Amount"), "12.50")
        self.assertEqual(record.findtext("TotalAmount"), "144.50")
        vendor = self.quickbooks.find("Vendor", "Acme Supply")
        self.assertEqual(vendor.findtext("VendorAddress/Addr1"), "1 Depot Rd")
        tee = self.quickbooks.find("ItemInventory", "TEE")
        self.assertEqual(tee.findtext("QuantityOnOrder"), "24")
        self.assertEqual(
            QueuedObject.objects.get(object_type="purchaseorders").phase, Phase.PROCESSED
        )
        status, data = self.post("get_notifications", {"request_id": "poll-1", "parameters": {}})
        self.assertIn(
            {
                "message": "PO-2024-000123: Purchaseorder successfully sent to Quickbooks Desktop",
                "request_id": "req-1",
            },
            data["success"],
        )

    def test_it_closes_a_cancelled_purchase_order_only_on_modification(self) -> None:
        self.post(
            "add_purchaseorders",
            envelope("purchase_order", purchase_order(status="cancelled"), **self.params),
        )
        self.run_webconnector()
        added = self.quickbooks.find("PurchaseOrder", "2024-000123")
        self.assertEqual(added.findtext("IsManuallyClosed"), "false")

        self.post(
            "add_purchaseorders",
            envelope("purchase_order", purchase_order(status="cancelled"), "req-2", **self.params),
        )
        self.run_webconnector()

        closed = self.quickbooks.find("PurchaseOrder", "2024-000123")
        self.assertEqual(closed.findtext("TxnID"), added.findtext("TxnID"))
        self.assertEqual(closed.findtext("IsManuallyClosed"), "true")
        self.assertEqual(len(self.quickbooks.records("PurchaseOrder")), 1)

    def test_it_leaves_an_existing_vendor_alone_with_do_not_update_vendor(self) -> None:
        self.quickbooks.add_record("Vendor", Name="Acme Supply", Phone="111")
        status, _ = self.post(
            "add_purchaseorders",
            envelope(
                "purchase_order",
                purchase_order(supplier={"name": "Acme Supply", "phone": "999"}),
                quickbooks_do_not_update_vendor="1",
                quickbooks_update_dependencies="1",
                **self.params,
            ),
        )
        self.run_webconnector()

        self.assertEqual(status, 200)
        self.assertEqual(self.quickbooks.find("Vendor", "Acme Supply").findtext("Phone"), "111")
        self.assertIsNotNone(self.quickbooks.find("PurchaseOrder", "2024-000123"))

    def test_it_fails_naming_the_vendor_when_do_not_update_vendor_finds_none(self) -> None:
        self.post(
            "add_purchaseorders",
            envelope(
                "purchase_order",
                purchase_order(),
                quickbooks_do_not_update_vendor="1",
                **self.params,
            ),
        )
        self.run_webconnector()

        obj = QueuedObject.objects.get(object_type="purchaseorders")
        self.assertEqual(obj.phase, Phase.FAILED)
        self.assertIn("Acme Supply", obj.last_status_message)
        self.assertEqual(self.quickbooks.records("PurchaseOrder"), [])

    def test_it_uses_the_supplier_hash_as_the_vendor_with_use_vendor_object(self) -> None:
        supplier = {"name": "Acme Supply", "phone": "555-0101", "company": "Acme Supply Co"}
        self.post(
            "add_purchaseorders",
            envelope(
                "purchase_order",
                purchase_order(supplier=supplier),
                quickbooks_use_vendor_object="1",
                **self.params,
            ),
        )
        self.run_webconnector()

        vendor = self.quickbooks.find("Vendor", "Acme Supply")
        self.assertEqual(vendor.findtext("CompanyName"), "Acme Supply Co")
        self.assertIsNone(vendor.find("VendorAddress"))

    def test_it_sends_adjustments_as_amounts_with_use_amount_for_tax(self) -> None:
        self.post(
            "add_purchaseorders",
            envelope("purchase_order", purchase_order(), use_amount_for_tax="1", **self.params),
        )
        self.run_webconnector()

        record = self.quickbooks.find("PurchaseOrder", "2024-000123")
        freight = record.findall("PurchaseOrderLineRet")[-1]
        self.assertEqual(freight.findtext("Amount"), "12.50")
        self.assertEqual(record.findtext("TotalAmount"), "144.50")

    def test_it_fails_a_purchase_order_whose_item_is_missing_without_auto_create(self) -> None:
        params = {k: v for k, v in self.params.items() if k != "quickbooks_auto_create_products"}
        self.post("add_purchaseorders", envelope("purchase_order", purchase_order(), **params))
        self.run_webconnector()

        item = QueuedObject.objects.get(object_type="products", identity="TEE")
        self.assertEqual(item.phase, Phase.FAILED)
        self.assertIn("quickbooks_auto_create_products", item.last_status_message)
        po = QueuedObject.objects.get(object_type="purchaseorders")
        self.assertEqual(po.phase, Phase.FAILED)
        # Both lines' items are missing; the order names the first one found missing.
        self.assertRegex(po.last_status_message, "TEE|CAP")

    def test_it_names_the_parameter_to_fix_when_the_shipping_item_is_missing(self) -> None:
        params = {**self.params, "quickbooks_shipping_item": "Courier"}
        self.post("add_purchaseorders", envelope("purchase_order", purchase_order(), **params))
        self.run_webconnector()

        item = QueuedObject.objects.get(object_type="products", identity="Courier")
        self.assertEqual(
            item.last_status_message,
            "item 'Courier' not found in QuickBooks; set quickbooks_shipping_item "
            "or enable auto-create with quickbooks_other_charge_shipping_account",
        )
        po = QueuedObject.objects.get(object_type="purchaseorders")
        self.assertEqual(po.phase, Phase.FAILED)
        self.assertIn("quickbooks_shipping_item", po.last_status_message)
        self.assertEqual(self.quickbooks.records("PurchaseOrder"), [])
