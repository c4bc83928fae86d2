"""Invoices, payments, returns, memos, purchase orders, journals, shipments and
set_inventory written to the QBO double through their mappers, over real HTTP."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from objects.types.values import PayloadError
from qbo.mappers import mapper_for
from qbo.mappers.base import DELETE, UPDATE
from qbo.tests.test_mappers_transactions import Pushing


class InvoicePaymentTestCase(Pushing):
    def invoice(self) -> tuple[str, dict[str, Any]]:
        view = self.view(
            "invoices", self.order(id="INV-7", due_date="2026-04-01"), {}, **self.ids()
        )
        return self.written("invoices", view)

    def test_it_writes_an_invoice_with_its_due_date(self) -> None:
        qb_id, invoice = self.invoice()
        self.assertEqual(
            (invoice["DocNumber"], invoice["DueDate"], invoice["TotalAmt"], invoice["Balance"]),
            ("INV-7", "2026-04-01", Decimal("30.77"), Decimal("30.77")),
        )

    def test_it_applies_a_payment_to_the_invoice_it_depends_on(self) -> None:
        invoice_id, _ = self.invoice()
        payment = {
            "id": "PAY-1",
            "customer": {"name": "Jo O'Neil"},
            "amount": "30.77",
            "payment_method": "Check",
            "deposit_account": "Undeposited Funds",
            "invoice_id": "INV-7",
        }
        view = self.view("payments", payment, {}, **{"invoices:INV-7": invoice_id}, **self.ids())
        payment_id, stored = self.written("payments", view)
        self.assertEqual(
            stored["Line"][0]["LinkedTxn"], [{"TxnId": invoice_id, "TxnType": "Invoice"}]
        )
        self.assertEqual((stored["TotalAmt"], stored["UnappliedAmt"]), (Decimal("30.77"), 0))
        self.assertEqual(stored["PaymentRefNum"], "PAY-1")
        self.assertEqual(stored["PaymentMethodRef"]["name"], "Check")
        self.assertEqual(self.call("GET", f"invoice/{invoice_id}").body["Invoice"]["Balance"], 0)
        # Found again by PaymentRefNum, it is updated rather than paid twice.
        again = self.view("payments", payment, {}, **{"invoices:INV-7": invoice_id})
        kind, again = self.push(mapper_for("payments"), again)
        self.assertEqual((kind, again.qb_id), (UPDATE, payment_id))

    def test_it_finds_the_invoice_of_a_payment_by_doc_number(self) -> None:
        invoice_id, _ = self.invoice()
        payment = {
            "id": "PAY-2",
            "customer": {"name": "Jo O'Neil"},
            "amount": 10,
            "invoice_id": "INV-7",
        }
        _, stored = self.written("payments", self.view("payments", payment))
        self.assertEqual(stored["Line"][0]["LinkedTxn"][0]["TxnId"], invoice_id)
        balance = self.call("GET", f"invoice/{invoice_id}").body["Invoice"]["Balance"]
        self.assertEqual(Decimal(str(balance)), Decimal("20.77"))


class ReceiptsTestCase(Pushing):
    def test_it_writes_a_sales_receipt_with_its_payment_method_and_deposit_account(self) -> None:
        payload = {
            "id": "SR-1",
            "customer_name": "Jo O'Neil",
            "payment_method_name": "Cash",
            "check_number": "1234",
            "line_items": [{"product_id": "MUG", "quantity": 2, "price": 3}],
        }
        view = self.view("salesreceipts", payload, {"deposit_to_account_name": "Checking"})
        _, receipt = self.written("salesreceipts", view)
        self.assertEqual(receipt["PaymentMethodRef"]["name"], "Cash")
        self.assertEqual(receipt["DepositToAccountRef"]["value"], self.accounts()["Checking"])
        self.assertEqual((receipt["PaymentRefNum"], receipt["TotalAmt"]), ("1234", 6))

    def test_it_writes_a_return_as_a_refund_receipt_from_checking(self) -> None:
        payload = {
            "id": "RET-1",
            "email": "Jo O'Neil",
            "refunds": [{"payment_method": "Check"}],
            "items": [{"product_id": "TEE", "return_authorized": 2, "price": 7.5}],
        }
        _, refund = self.written("returns", self.view("returns", payload))
        self.assertEqual(refund["DepositToAccountRef"]["value"], self.accounts()["Checking"])
        self.assertEqual(refund["CustomerRef"]["value"], self.customer["Id"])
        self.assertEqual((refund["DocNumber"], refund["TotalAmt"]), ("RET-1", 15))
        self.assertEqual(self.call("GET", f"item/{self.tee['Id']}").body["Item"]["QtyOnHand"], 22)

    def test_it_writes_a_credit_memo(self) -> None:
        payload = {
            "id": "CM-1",
            "customer": {"name": "Jo O'Neil"},
            "memo": "damaged",
            "line_items": [{"product_id": "MUG", "quantity": 1, "price": "4.5"}],
        }
        _, memo = self.written("creditmemos", self.view("creditmemos", payload))
        self.assertEqual((memo["TotalAmt"], memo["Balance"]), (Decimal("4.50"), Decimal("4.50")))
        self.assertEqual(memo["PrivateNote"], "FlowLink id: CM-1\ndamaged")


class PurchaseOrderTestCase(Pushing):
    def test_it_writes_a_purchase_order_on_the_payables_account(self) -> None:
        vendor = self.create("Vendor", {"DisplayName": "Tees Inc"})
        payload = {
            "id": "PO-1",
            "supplier": {"name": "Tees Inc"},
            "vendor_address": {"address1": "5 Mill Ln"},
            "line_items": [{"product_id": "TEE", "quantity": 10, "cost": "2.125", "price": 9}],
            "adjustments": [{"name": "shipping", "value": 4}],
        }
        view = self.view("purchaseorders", payload, {"quickbooks_shipping_item": "Shipping"})
        _, order = self.written("purchaseorders", view)
        self.assertEqual(order["VendorRef"]["value"], vendor["Id"])
        self.assertEqual(order["APAccountRef"]["value"], self.accounts()["Accounts Payable (A/P)"])
        self.assertEqual(
            [line["Amount"] for line in order["Line"]], [Decimal("21.25"), Decimal("4.00")]
        )
        self.assertEqual(
            order["Line"][0]["ItemBasedExpenseLineDetail"]["UnitPrice"], Decimal("2.125")
        )
        self.assertEqual((order["TotalAmt"], order["POStatus"]), (Decimal("25.25"), "Open"))
        self.assertEqual(order["VendorAddr"], {"Line1": "5 Mill Ln"})


class JournalTestCase(Pushing):
    def journal(self, action: str = "", debit: Any = 200) -> dict[str, Any]:
        return {
            "id": "J-1",
            "action": action,
            "journal_date": "2026-03-01T08:00:00",
            "is_adjustment": True,
            "line_items": [
                {"debit": debit, "credit": 0, "account_name": "Checking", "description": "in"},
                {
                    "debit": 0,
                    "credit": debit,
                    "account_name": "Sales of Product Income",
                    "customer": "Jo O'Neil",
                },
            ],
        }

    def test_it_writes_a_balanced_journal_entry(self) -> None:
        _, entry = self.written("journals", self.view("journals", self.journal("ADD")))
        accounts = self.accounts()
        self.assertEqual(
            [
                (
                    line["JournalEntryLineDetail"]["PostingType"],
                    line["JournalEntryLineDetail"]["AccountRef"]["value"],
                    line["Amount"],
                )
                for line in entry["Line"]
            ],
            [
                ("Debit", accounts["Checking"], 200),
                ("Credit", accounts["Sales of Product Income"], 200),
            ],
        )
        self.assertEqual(
            (entry["TotalAmt"], entry["Adjustment"], entry["TxnDate"]), (200, True, "2026-03-01")
        )
        entity = entry["Line"][1]["JournalEntryLineDetail"]["Entity"]
        self.assertEqual(entity["EntityRef"]["value"], self.customer["Id"])

    def test_it_updates_an_existing_journal_for_add_and_deletes_it_for_delete(self) -> None:
        _, view = self.push(mapper_for("journals"), self.view("journals", self.journal("ADD")))
        again = self.view("journals", self.journal("UPDATE", debit="75.5"))
        kind, again = self.push(mapper_for("journals"), again)
        self.assertEqual((kind, again.qb_id), (UPDATE, view.qb_id))
        self.assertEqual(self.stored("JournalEntry", view.qb_id)["TotalAmt"], Decimal("75.50"))
        gone = self.view("journals", {"id": "J-1", "action": "DELETE"})
        self.assertEqual(self.push(mapper_for("journals"), gone)[0], DELETE)
        self.assertIsNone(self.qbo.entity(self.realm, "JournalEntry", view.qb_id))
        self.assertEqual(self.push(mapper_for("journals"), gone)[0], None)


class ShipmentTestCase(Pushing):
    def shipment(self) -> dict[str, Any]:
        return {
            "id": "SHP-1",
            "order_id": "R1001",
            "email": "Jo O'Neil",
            "shipped_at": "2026-03-03T12:00:00Z",
            "tracking_number": "1Z999",
            "shipping_method": "UPS",
            "items": [{"product_id": "TEE", "quantity": 1, "price": "7.255"}],
        }

    def test_it_marks_an_order_written_as_a_sales_receipt_shipped(self) -> None:
        _, order = self.push(mapper_for("orders"), self.view("orders", self.order(), {}))
        view = self.view("shipments", self.shipment(), {}, **{"orders:R1001": order.qb_id})
        view.dependency_states = {"orders:R1001": order.qb_state}
        kind, shipped = self.push(mapper_for("shipments"), view)
        self.assertEqual((kind, shipped.qb_id), (UPDATE, order.qb_id))
        receipt = self.stored("SalesReceipt", order.qb_id)
        self.assertEqual(
            (receipt["ShipDate"], receipt["TrackingNum"], receipt["ShipMethodRef"]["value"]),
            ("2026-03-03", "1Z999", "UPS"),
        )
        self.assertEqual(receipt["TotalAmt"], Decimal("30.77"))  # billed once, unchanged
        self.assertEqual(len(self.qbo.entities(self.realm, "Invoice")), 0)

    def test_it_invoices_a_shipment_of_an_estimate(self) -> None:
        params = {"qbo_order_as": "estimate"}
        _, order = self.push(mapper_for("orders"), self.view("orders", self.order(), params))
        view = self.view("shipments", self.shipment(), {}, **{"orders:R1001": order.qb_id})
        view.dependency_states = {"orders:R1001": order.qb_state}
        _, invoice = self.written("shipments", view)
        self.assertEqual(invoice["LinkedTxn"], [{"TxnId": order.qb_id, "TxnType": "Estimate"}])
        self.assertEqual((invoice["DocNumber"], invoice["TotalAmt"]), ("SHP-1", Decimal("7.26")))
        self.assertEqual(invoice["TxnDate"], "2026-03-03")


class SetInventoryTestCase(Pushing):
    def test_it_sets_the_count_of_an_inventory_item(self) -> None:
        view = self.view("inventories", {"id": "ADJ-1", "product_id": "TEE", "quantity": 42})
        kind, view = self.push(mapper_for("inventories"), view)
        self.assertEqual((kind, view.qb_id), (UPDATE, self.tee["Id"]))
        self.assertEqual(self.call("GET", f"item/{self.tee['Id']}").body["Item"]["QtyOnHand"], 42)
        # A retry of the same call sets the same count: nothing is adjusted twice.
        self.push(mapper_for("inventories"), replace(view, qb_id=""))
        self.assertEqual(self.call("GET", f"item/{self.tee['Id']}").body["Item"]["QtyOnHand"], 42)

    def test_it_refuses_a_count_for_a_service_item(self) -> None:
        view = self.look(
            mapper_for("inventories"),
            self.view("inventories", {"id": "ADJ-2", "product_id": "MUG", "quantity": 3}),
        )
        current = self.call("GET", f"item/{self.mug['Id']}").body["Item"]
        with self.assertRaises(PayloadError) as caught:
            mapper_for("inventories").update(view, current)
        self.assertEqual(caught.exception.field, "product_id")
        self.assertIn("Service item", caught.exception.reason)
