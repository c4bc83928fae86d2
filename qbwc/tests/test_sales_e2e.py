"""Sales-side transactions over real HTTP: FlowLink posts invoices, credit memos, payments
and order cancellations, the fake Web Connector runs, and the simulated company holds the
records, lines, links and applications FlowLink meant."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from objects.models import Phase, QueuedObject
from qbsync.test import require_xsd_dir
from qbwc.simulator.quickbooks import FakeQuickBooks
from qbwc.tests.sales_e2e_helpers import ADJUSTMENT_ITEMS, SalesLiveTestCase, fixture_text
from qbwc.tests.test_session_e2e import envelope


class SalesFlowTestCase(SalesLiveTestCase):
    # -- invoices ----------------------------------------------------------------------
    def test_it_lands_the_flowlink_invoice_with_its_credit_memos_applied(self) -> None:
        customer = self.customer("My Customer")
        self.quickbooks.add_record("Employee", Name="Hal Seller")
        self.quickbooks.add_record("SalesRep", Initial="HSE", SalesRepEntityRef="Hal Seller")
        for site in ("DFW", "ATL"):
            self.quickbooks.add_record("InventorySite", Name=site)
        first = self.credit_memo("16A", "5.00")
        linked = self.credit_memo("16", "120.00")
        third = self.credit_memo("17", "100.00")
        text = fixture_text("add", "invoice_from_flowlink.json")
        for old, new in (
            ("8000113A-1590500864", customer.findtext("ListID")),
            ("B7D3B-1595450716", first.findtext("TxnID")),
            ("B7D37-1595450715", linked.findtext("TxnID")),
            ("B7CA8-1595449464", third.findtext("TxnID")),
        ):
            text = text.replace(old, new)
        # use_amount_for_tax: adjustments without "amount" go out as Amount alone, no Rate.
        status, data = self.post(
            "add_invoices",
            envelope("invoice", json.loads(text), use_amount_for_tax="1", **ADJUSTMENT_ITEMS),
        )
        self.assertEqual(
            (status, data["summary"]), (200, "Invoice waiting for Quickbooks Desktop scheduler")
        )

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        invoice = self.quickbooks.find("Invoice", "103")
        self.assertIsNotNone(invoice)
        lines = [
            (
                line.findtext("ItemRef/FullName"),
                line.findtext("Amount"),
                line.findtext("InventorySiteRef/FullName"),
            )
            for line in invoice.findall("InvoiceLineRet")
        ]
        self.assertEqual(
            lines,
            [
                ("Some Product", "10.00", None),
                ("Inv Part B", "900.00", "DFW"),
                ("Inv Part A", "800.00", "ATL"),
                ("Tax", "97.80", None),
                ("Discount", "-80.00", None),
                ("Shipping", "50.00", None),
            ],
        )
        self.assertEqual(invoice.findtext("SalesRepRef/FullName"), "HSE")
        self.assertEqual(invoice.findtext("PONumber"), "456123")
        self.assertEqual(invoice.findtext("ExternalGUID"), "{77C2BA76-7F41-463D-9063-57D5022BDBED}")
        # 1777.80 less the 5 and 100 credits; the memo already linked (120) is skipped.
        self.assertEqual(invoice.findtext("AppliedAmount"), "-105.00")
        self.assertEqual(invoice.findtext("BalanceRemaining"), "1672.80")
        remaining = [
            self.quickbooks.find("CreditMemo", ref).findtext("CreditRemaining")
            for ref in ("16A", "16", "17")
        ]
        self.assertEqual(remaining, ["0.00", "120.00", "0.00"])
        obj = QueuedObject.objects.get(object_type="invoices")
        self.assertEqual((obj.phase, obj.qb_id), (Phase.PROCESSED, invoice.findtext("TxnID")))
        self.assertEqual(
            self.notifications()["success"],
            [
                {
                    # flowlink §10.1: the list_id FlowLink sent starts the message.
                    "message": "A9FB3-1592413975: Invoice successfully sent to Quickbooks Desktop",
                    "request_id": "req-1",
                }
            ],
        )

    def test_it_pays_an_invoice_with_the_payments_it_carries_in_the_same_run(self) -> None:
        invoice = {
            "id": "INV-2001",
            "customer": {"name": "Jo Smith"},
            "billing_address": {"address1": "1 Main St", "city": "Erie", "state": "PA"},
            "line_items": [{"product_id": "TEE", "quantity": 3, "price": 20}],
            "payments": [
                {"id": "PAY-2001-A", "amount": 25, "payment_method": "Check"},
                {"id": "PAY-2001-B", "amount": 10, "payment_method": "Visa"},
            ],
        }
        self.post(
            "add_invoices",
            envelope("invoice", invoice, quickbooks_auto_create_payments="1"),
        )

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        stored = self.quickbooks.find("Invoice", "INV-2001")
        self.assertEqual(stored.findtext("BalanceRemaining"), "25.00")
        self.assertIsNotNone(self.quickbooks.find("Customer", "Jo Smith"))
        payments = {p.findtext("RefNumber"): p for p in self.quickbooks.records("ReceivePayment")}
        self.assertEqual(set(payments), {"PAY-2001-A", "PAY-2001-B"})
        applied = payments["PAY-2001-A"].find("AppliedToTxnRet")
        self.assertEqual(
            (applied.findtext("TxnID"), applied.findtext("Amount")),
            (stored.findtext("TxnID"), "25.00"),
        )
        self.assertEqual(payments["PAY-2001-B"].findtext("PaymentMethodRef/FullName"), "Visa")
        messages = {m["message"] for m in self.notifications()["success"]}
        self.assertIn("PAY-2001-A: Payment successfully sent to Quickbooks Desktop", messages)
        self.assertIn("INV-2001: Invoice successfully sent to Quickbooks Desktop", messages)

    def test_it_modifies_a_resent_invoice_instead_of_adding_a_second_one(self) -> None:
        self.customer()
        invoice: dict[str, Any] = {
            "id": "INV-3001",
            "customer": {"name": "Jo Smith"},
            "line_items": [
                {"product_id": "TEE", "quantity": 1, "price": 20},
                {"product_id": "TEE", "quantity": 2, "price": 15},
            ],
        }
        self.post("add_invoices", envelope("invoice", invoice))
        self.run_webconnector()
        invoice["line_items"][1]["quantity"] = 4
        self.post("add_invoices", envelope("invoice", invoice, "req-2"))

        self.run_webconnector()

        (stored,) = self.quickbooks.records("Invoice")
        self.assertEqual(
            [line.findtext("Quantity") for line in stored.findall("InvoiceLineRet")], ["1", "4"]
        )
        self.assertEqual(QueuedObject.objects.get(object_type="invoices").phase, Phase.PROCESSED)

    def test_it_never_adds_an_invoice_twice_when_quickbooks_answer_was_lost(self) -> None:
        class LostAnswer(FakeQuickBooks):
            lost = False

            def process(self, request_xml: str) -> tuple[str, str, str]:
                response = super().process(request_xml)
                if "<InvoiceAddRq" in request_xml and not self.lost:
                    self.lost = True  # QuickBooks wrote the invoice; its answer never came
                    return "", "0x80040408", "Could not start QuickBooks."
                return response

        office = LostAnswer(xsd_dir=require_xsd_dir())
        office.add_record("ItemNonInventory", Name="TEE", SalesOrPurchase={"AccountRef": "Sales"})
        office.add_record("Customer", Name="Jo Smith")
        invoice = {
            "id": "INV-6001",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": 20}],
        }
        self.post("add_invoices", envelope("invoice", invoice))

        self.run_webconnector(office)
        # The lost message is retried after its backoff; the lookup then finds the invoice.
        with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):
            self.run_webconnector(office)

        self.assertEqual(len(office.records("Invoice")), 1)
        obj = QueuedObject.objects.get(object_type="invoices")
        self.assertEqual(
            (obj.phase, obj.qb_id),
            (Phase.PROCESSED, office.records("Invoice")[0].findtext("TxnID")),
        )

    def test_it_applies_a_credit_memo_once_when_the_invoice_is_sent_again(self) -> None:
        self.customer()
        memo = self.credit_memo("CM-7", "30.00", customer="Jo Smith")
        invoice = {
            "id": "INV-7001",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 2, "price": 50}],
            "credit_memos": [{"qbe_id": memo.findtext("TxnID"), "applied_amount": 20}],
        }
        self.post("add_invoices", envelope("invoice", invoice))
        self.run_webconnector()

        self.post("add_invoices", envelope("invoice", {**invoice, "memo": "re-sent"}, "req-2"))
        self.run_webconnector()

        stored = self.quickbooks.find("Invoice", "INV-7001")
        self.assertEqual(
            (stored.findtext("Memo"), stored.findtext("BalanceRemaining")), ("re-sent", "80.00")
        )
        self.assertEqual(
            self.quickbooks.find("CreditMemo", "CM-7").findtext("CreditRemaining"), "10.00"
        )

    def test_it_fails_the_second_of_two_invoices_sharing_a_refnumber(self) -> None:
        self.customer()
        line = [{"product_id": "TEE", "quantity": 1, "price": 20}]
        first = {"id": "SHOP-A-00000000001", "customer": {"name": "Jo Smith"}, "line_items": line}
        second = {**first, "id": "SHOP-B-00000000001"}
        self.post("add_invoices", envelope("invoice", [first, second]))

        self.run_webconnector()

        self.assertEqual(len(self.quickbooks.records("Invoice")), 1)
        failed = QueuedObject.objects.get(identity="SHOP-B-00000000001")
        self.assertEqual(failed.phase, Phase.FAILED)
        self.assertEqual(
            self.notifications()["fail"][0]["message"],
            "SHOP-B-00000000001: RefNumber 00000000001 collides with SHOP-A-00000000001",
        )

    def test_it_refuses_a_credit_memo_entry_without_its_txn_id_and_stores_nothing(self) -> None:
        invoice = {
            "id": "INV-4001",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 1}],
            "credit_memos": [{"applied_amount": 5}],
        }

        status, data = self.post("add_invoices", envelope("invoice", invoice))

        self.assertEqual(status, 400)
        self.assertEqual(
            data["summary"], "invoice.credit_memos[0].qbe_id: is required (the credit memo's TxnID)"
        )
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_updates_an_existing_customer_only_with_update_dependencies(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo Smith", BillAddress={"Addr1": "Old St"})
        invoice = {
            "id": "INV-5001",
            "customer": {"name": "Jo Smith"},
            "billing_address": {"address1": "New Rd", "city": "Erie"},
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": 20}],
        }
        self.post("add_invoices", envelope("invoice", invoice))
        self.run_webconnector()
        kept = self.quickbooks.find("Customer", "Jo Smith").findtext("BillAddress/Addr1")

        invoice["id"] = "INV-5002"
        self.post(
            "add_invoices",
            envelope("invoice", invoice, "req-2", quickbooks_update_dependencies="1"),
        )
        self.run_webconnector()

        self.assertEqual(kept, "Old St")
        self.assertEqual(
            self.quickbooks.find("Customer", "Jo Smith").findtext("BillAddress/Addr1"), "New Rd"
        )
        self.assertEqual(len(self.quickbooks.records("Invoice")), 2)

    # -- credit memos ----------------------------------------------------------------------
    def test_it_lands_the_flowlink_credit_memo_and_echoes_return_to_fl(self) -> None:
        self.quickbooks.add_record(
            "ItemNonInventory", Name="cold-brew", SalesOrPurchase={"AccountRef": "Sales"}
        )
        memo = json.loads(fixture_text("add", "memo_from_flowlink.json"))

        status, data = self.post("add_creditmemos", envelope("credit_memo", memo))
        result = self.run_webconnector()

        self.assertEqual(status, 200)
        self.assertEqual(data["summary"], "Creditmemo waiting for Quickbooks Desktop scheduler")
        self.assertEqual(data["credit_memos"], [{"systum_id": 46, "key": ["systum_id"], "id": 46}])
        self.assertTrue(result.completed)
        stored = self.quickbooks.find("CreditMemo", "46")
        self.assertEqual(stored.findtext("CustomerRef/FullName"), "ABC Test")
        self.assertEqual(
            [
                (line.findtext("ItemRef/FullName"), line.findtext("Quantity"))
                for line in stored.findall("CreditMemoLineRet")
            ],
            [("cold-brew", "2")],
        )
        self.assertEqual(stored.findtext("ShipAddress/Addr1"), "No Address")
        self.assertIsNotNone(self.quickbooks.find("Customer", "ABC Test"))
        self.assertEqual(
            self.notifications()["success"][-1]["message"],
            "list-1234: Creditmemo successfully sent to Quickbooks Desktop",
        )

    # -- payments --------------------------------------------------------------------------
    def test_it_applies_a_payment_and_a_credit_to_the_invoice_it_names(self) -> None:
        self.customer()
        invoice = self.quickbooks.add_record(
            "Invoice",
            CustomerRef="Jo Smith",
            RefNumber="C5",
            InvoiceLineAdd=[{"ItemRef": "TEE", "Quantity": "2", "Rate": "20.00"}],
        )
        memo = self.credit_memo("CM-5", "8.00", customer="Jo Smith")
        payment = {
            "id": "PAY-1",
            "customer": {"name": "Jo Smith"},
            "amount": 25.5,
            "payment_method": "Check",
            "deposit_account": "Undeposited Funds",
            "invoice_txn_id": invoice.findtext("TxnID"),
            "credit_txn_id": memo.findtext("TxnID"),
            "credit_amount": 5,
        }

        status, _ = self.post("add_payments", envelope("payment", payment))
        self.run_webconnector()

        self.assertEqual(status, 200)
        stored = self.quickbooks.find("ReceivePayment", "PAY-1")
        self.assertEqual(stored.findtext("TotalAmount"), "25.50")
        self.assertEqual(stored.findtext("AppliedToTxnRet/TxnID"), invoice.findtext("TxnID"))
        self.assertEqual(self.quickbooks.find("Invoice", "C5").findtext("BalanceRemaining"), "9.50")
        self.assertEqual(
            self.quickbooks.find("CreditMemo", "CM-5").findtext("CreditRemaining"), "3.00"
        )

    def test_it_lets_quickbooks_apply_a_payment_whose_invoice_txn_id_is_null(self) -> None:
        self.customer()
        self.quickbooks.add_record(
            "Invoice",
            CustomerRef="Jo Smith",
            RefNumber="OPEN-1",
            InvoiceLineAdd=[{"ItemRef": "TEE", "Quantity": "1", "Rate": "30.00"}],
        )
        payment = {
            "id": "PAY-2",
            "customer": {"name": "Jo Smith"},
            "amount": 30,
            "invoice_txn_id": None,
        }

        self.post("add_payments", envelope("payment", payment))
        self.run_webconnector()

        self.assertEqual(
            self.quickbooks.find("Invoice", "OPEN-1").findtext("BalanceRemaining"), "0.00"
        )
        self.assertEqual(QueuedObject.objects.get(identity="PAY-2").phase, Phase.PROCESSED)

    # -- orders ----------------------------------------------------------------------------
    def test_it_closes_an_order_that_cancel_order_names_by_id(self) -> None:
        self.customer()
        order = {
            "id": "R2001",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10}],
        }
        self.post("add_orders", envelope("order", order))
        self.run_webconnector()

        status, data = self.post("cancel_order", envelope("order", {"id": "R2001"}, "req-c"))
        self.run_webconnector()

        self.assertEqual(
            (status, data["summary"]), (200, "Order waiting for Quickbooks Desktop scheduler")
        )
        stored = self.quickbooks.find("SalesOrder", "R2001")
        self.assertEqual(stored.findtext("IsManuallyClosed"), "true")
        self.assertEqual(stored.findtext("SalesOrderLineRet/Quantity"), "2")
        self.assertEqual(len(self.quickbooks.records("SalesOrder")), 1)
        success = self.notifications()["success"]
        self.assertEqual(
            success[-1],
            {
                "message": "R2001: Order successfully sent to Quickbooks Desktop",
                "request_id": "req-c",
            },
        )

    def test_it_adds_a_queued_order_closed_when_it_is_cancelled_before_it_was_sent(self) -> None:
        legacy = json.loads(fixture_text("legacy", "orders.json"))["orders"][0]
        self.quickbooks.add_record(
            "ItemNonInventory", Name="SPREE-T-SHIRT", SalesOrPurchase={"AccountRef": "Sales"}
        )
        self.post("add_orders", envelope("order", legacy, **ADJUSTMENT_ITEMS))
        self.post(
            "cancel_order", envelope("order", {"id": legacy["id"]}, "req-c", **ADJUSTMENT_ITEMS)
        )

        self.run_webconnector()

        stored = self.quickbooks.find("SalesOrder", legacy["id"][-11:])
        self.assertEqual(stored.findtext("IsManuallyClosed"), "true")
        self.assertEqual(
            [line.findtext("ItemRef/FullName") for line in stored.findall("SalesOrderLineRet")],
            ["SPREE-T-SHIRT", "Tax"],
        )

    def test_it_fails_a_cancel_for_an_order_neither_qbsync_nor_quickbooks_knows(self) -> None:
        self.post("cancel_order", envelope("order", {"id": "R-GHOST"}))

        self.run_webconnector()

        failed = QueuedObject.objects.get(identity="R-GHOST")
        self.assertEqual(failed.phase, Phase.FAILED)
        self.assertIn("nothing to cancel", self.notifications()["fail"][0]["message"])

    def test_it_creates_a_missing_shipping_item_as_an_other_charge_with_its_account(self) -> None:
        self.customer()
        order = {
            "id": "R3002",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": 10}],
            "adjustments": [{"name": "Shipping", "value": 5, "amount": 5}],
        }
        self.post(
            "add_orders",
            envelope(
                "order",
                order,
                quickbooks_shipping_item="Freight",
                quickbooks_other_charge_shipping_account="Shipping Income",
            ),
        )

        self.run_webconnector()

        freight = self.quickbooks.find("ItemOtherCharge", "Freight")
        self.assertEqual(freight.findtext("SalesOrPurchase/AccountRef/FullName"), "Shipping Income")
        stored = self.quickbooks.find("SalesOrder", "R3002")
        self.assertEqual(stored.findall("SalesOrderLineRet")[1].findtext("Amount"), "5.00")

    def test_it_names_the_parameter_to_set_when_the_shipping_item_is_missing(self) -> None:
        self.customer()
        order = {
            "id": "R3001",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": 10}],
            "adjustments": [{"name": "Shipping", "value": 5}],
        }
        self.post("add_orders", envelope("order", order, quickbooks_shipping_item="Freight"))

        self.run_webconnector()

        self.assertEqual(self.quickbooks.records("SalesOrder"), [])
        messages = [m["message"] for m in self.notifications()["fail"]]
        self.assertIn(
            "Freight: item 'Freight' not found in QuickBooks; set quickbooks_shipping_item "
            "or enable auto-create with quickbooks_other_charge_shipping_account",
            messages,
        )
        self.assertTrue(any(m.startswith("R3001: Product 'Freight' failed") for m in messages))
