"""Legacy shipments over real HTTP: FlowLink posts a shipment, the fake Web Connector runs,
and the simulated company holds the invoice drawn from the shipped sales order."""

from __future__ import annotations

import json

from qbsync.test import LiveTestCase
from qbwc.tests.sales_e2e_helpers import ADJUSTMENT_ITEMS, fixture_text
from qbwc.tests.test_session_e2e import envelope


class ShipmentFlowTestCase(LiveTestCase):
    """Legacy shipments: an invoice whose lines are drawn from the shipped sales order."""

    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record(
            "ItemNonInventory", Name="SPREE-T-SHIRT", SalesOrPurchase={"AccountRef": "Sales"}
        )
        self.quickbooks.add_record("ItemDiscount", Name="Discount", AccountRef="Discounts Given")
        self.quickbooks.add_record(
            "ItemOtherCharge", Name="Tax", SalesOrPurchase={"AccountRef": "Sales"}
        )

    def test_it_invoices_a_shipment_from_the_sales_order_it_creates(self) -> None:
        shipment = json.loads(fixture_text("legacy", "shipment.json"))["shipment"]

        status, data = self.post(
            "add_shipments",
            envelope("shipment", shipment, use_amount_for_tax="1", **ADJUSTMENT_ITEMS),
        )
        result = self.run_webconnector()

        self.assertEqual(
            (status, data["summary"]), (200, "Shipment waiting for Quickbooks Desktop scheduler")
        )
        self.assertTrue(result.completed)
        order = self.quickbooks.find("SalesOrder", "R154085346")
        invoice = self.quickbooks.find("Invoice", "12836266231")
        self.assertEqual(invoice.findtext("CustomerRef/FullName"), "spree@example.com")
        self.assertEqual(
            [
                (line.findtext("ItemRef/FullName"), line.findtext("Amount"))
                for line in invoice.findall("InvoiceLineRet")
            ],
            [("SPREE-T-SHIRT", "30.00"), ("Discount", "-10.00"), ("Tax", "10.00")],
        )
        self.assertEqual(order.findtext("SalesOrderLineRet/Invoiced"), "1")
        self.assertEqual(order.findtext("IsFullyInvoiced"), "true")
        self.assertEqual(invoice.findtext("LinkedTxn/TxnID"), order.findtext("TxnID"))
        messages = [
            m["message"]
            for m in self.post("get_notifications", {"request_id": "n", "parameters": {}})[1][
                "success"
            ]
        ]
        self.assertIn("12836266231: Shipment successfully sent to Quickbooks Desktop", messages)

    def test_it_draws_shipped_lines_from_an_order_flowlink_sent_before(self) -> None:
        legacy = json.loads(fixture_text("legacy", "orders.json"))["orders"][0]
        legacy["id"] = "R154085346"
        self.post("add_orders", envelope("order", legacy, **ADJUSTMENT_ITEMS))
        self.run_webconnector()
        shipments = json.loads(fixture_text("legacy", "shipments.json"))["shipments"]

        self.post("add_shipments", envelope("shipment", shipments, "req-s", **ADJUSTMENT_ITEMS))
        self.run_webconnector()

        (order,) = self.quickbooks.records("SalesOrder")
        lines = order.findall("SalesOrderLineRet")
        self.assertEqual([line.findtext("Invoiced") for line in lines], ["1", None])
        self.assertEqual(order.findtext("IsFullyInvoiced"), "false")
        invoice = self.quickbooks.find("Invoice", "12836266231")
        self.assertEqual(invoice.findtext("LinkedTxn/RefNumber"), "R154085346")

    def test_it_adds_the_items_before_the_sales_order_it_creates_for_a_shipment(self) -> None:
        shipment = json.loads(fixture_text("legacy", "shipment.json"))["shipment"]
        for line in shipment.get("line_items") or []:
            line["product_id"] = "NEW-" + str(line["product_id"])

        self.post(
            "add_shipments",
            envelope(
                "shipment",
                shipment,
                use_amount_for_tax="1",
                quickbooks_auto_create_products="1",
                quickbooks_income_account="Sales",
                quickbooks_cogs_account="Cost of Goods Sold",
                quickbooks_inventory_account="Inventory Asset",
                **ADJUSTMENT_ITEMS,
            ),
        )
        self.run_webconnector()

        self.assertIsNotNone(self.quickbooks.find("SalesOrder", "R154085346"))
        self.assertIsNotNone(self.quickbooks.find("Invoice", "12836266231"))
        status, data = self.post("get_notifications", {"request_id": "n", "parameters": {}})
        self.assertEqual(data.get("fail", []), [])
