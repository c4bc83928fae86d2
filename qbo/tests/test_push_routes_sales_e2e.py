"""The FlowLink sales routes into QuickBooks Online, end to end: orders (each entity,
adjustments, cancellations, a re-send), invoices with their payments, payments, sales
receipts, returns and credit memos, read back from the double field by field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from objects.models import Phase, QueuedObject
from objects.tests.flows import envelope, fixture
from qbo.tests.test_push_e2e import ACCOUNTS, customer, order, order_params
from qbo.tests.test_push_routes_e2e import BILLING, SHIPPING, RoutesTestCase, d

# The adjustment items of flowlink §6.2, created as other-charge items on first use.
ADJUSTMENTS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "Tax",
    "quickbooks_other_charge_shipping_account": "Services",
    "quickbooks_other_charge_discount_account": "Sales of Product Income",
    "quickbooks_other_charge_tax_account": "Services",
}


def adjusted_order(order_id: str = "R1001", **fields: Any) -> dict[str, Any]:
    return order(
        order_id,
        placed_on="2026-12-01T10:00:00Z",
        billing_address=BILLING,
        shipping_address=SHIPPING,
        memo="Leave at the door",
        adjustments=[
            {"name": "Shipping", "value": "5.00"},
            {"name": "Discount", "value": "3.00"},
            {"name": "Tax", "value": "2.10"},
        ],
        **fields,
    )


def item_lines(record: dict[str, Any]) -> list[tuple[str, Decimal | None, Decimal | None, Decimal]]:
    """(ItemRef value, Qty, UnitPrice, Amount) of each item line."""
    out = []
    for line in record["Line"]:
        for kind in ("SalesItemLineDetail", "ItemBasedExpenseLineDetail"):
            if line.get("DetailType") == kind:
                detail = line[kind]
                qty, price = detail.get("Qty"), detail.get("UnitPrice")
                out.append(
                    (
                        str(detail["ItemRef"]["value"]),
                        None if qty is None else d(qty),
                        None if price is None else d(price),
                        d(line["Amount"]),
                    )
                )
    return out


class SalesRoutesTestCase(RoutesTestCase):
    def order_successes(self, order_id: str = "R1001") -> int:
        return self.messages("success").count(
            f"{order_id}: Order successfully sent to Quickbooks Online"
        )

    def make_due(self) -> None:
        QueuedObject.objects.filter(connection=self.connection).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )

    def item_id(self, name: str) -> str:
        return str(self.one("Item", Name=name)["Id"])

    def customer_id(self, name: str = "Jo Smith") -> str:
        return str(self.one("Customer", DisplayName=name)["Id"])

    def assert_adjusted(self, record: dict[str, Any]) -> None:
        """The lines, references and totals of `adjusted_order()` in any sales entity."""
        self.assertEqual(record["CustomerRef"]["value"], self.customer_id())
        self.assertEqual(record["DocNumber"], "R1001")
        self.assertEqual(record["TxnDate"], "2026-12-01")
        self.assertEqual(record["PrivateNote"], "FlowLink id: R1001\nLeave at the door")
        self.assertEqual(record["BillAddr"]["Line1"], "1 Main St")
        self.assertEqual(record["BillAddr"]["PostalCode"], "16501")
        self.assertEqual(record["ShipAddr"]["City"], "Reno")
        self.assertEqual(
            item_lines(record),
            [
                (self.item_id("TEE"), Decimal(2), Decimal(10), Decimal("20.00")),
                (self.item_id("MUG"), Decimal(1), Decimal("7.25"), Decimal("7.25")),
                (self.item_id("Shipping"), None, Decimal("5.00"), Decimal("5.00")),
            ],
        )
        (discount,) = [
            line for line in record["Line"] if line.get("DetailType") == "DiscountLineDetail"
        ]
        self.assertEqual(d(discount["Amount"]), Decimal("3.00"))
        self.assertEqual(
            discount["DiscountLineDetail"]["DiscountAccountRef"]["value"],
            self.account_id("Sales of Product Income"),
        )
        self.assertEqual(d(record["TxnTaxDetail"]["TotalTax"]), Decimal("2.10"))
        # 20 + 7.25 + 5 shipping - 3 discount + 2.10 tax
        self.assertEqual(d(record["TotalAmt"]), Decimal("31.35"))


class OrderRoutesTestCase(SalesRoutesTestCase):
    def test_it_lands_an_order_with_shipping_discount_and_tax_as_a_sales_receipt(self) -> None:
        body = adjusted_order(payment_method_name="Check", check_number="1042")
        self.post_ok("add_orders", envelope("order", body, **order_params(**ADJUSTMENTS)))

        self.push()

        receipt = self.one("SalesReceipt", DocNumber="R1001")
        self.assert_adjusted(receipt)
        self.assertEqual(
            receipt["PaymentMethodRef"]["value"], self.one("PaymentMethod", Name="Check")["Id"]
        )
        self.assertEqual(receipt["PaymentRefNum"], "1042")
        self.assertEqual(self.obj("orders", "R1001").qb_id, receipt["Id"])
        self.assertEqual(self.records("Invoice") + self.records("Estimate"), [])
        self.succeeded("R1001: Order successfully sent to Quickbooks Online")

    def test_it_lands_an_adjusted_order_as_an_invoice_with_its_due_date(self) -> None:
        body = adjusted_order(due_date="2026-12-31")
        params = order_params(qbo_order_as="invoice", **ADJUSTMENTS)
        self.post_ok("add_orders", envelope("order", body, **params))

        self.push()

        invoice = self.one("Invoice", DocNumber="R1001")
        self.assert_adjusted(invoice)
        self.assertEqual(invoice["DueDate"], "2026-12-31")
        self.assertEqual(d(invoice["Balance"]), Decimal("31.35"))
        self.assertEqual(self.records("SalesReceipt"), [])
        self.succeeded("R1001: Order successfully sent to Quickbooks Online")

    def test_it_lands_an_adjusted_order_as_an_estimate_with_its_expiration(self) -> None:
        body = adjusted_order(due_date="2026-12-31")
        params = order_params(qbo_order_as="estimate", **ADJUSTMENTS)
        self.post_ok("add_orders", envelope("order", body, **params))

        self.push()

        estimate = self.one("Estimate", DocNumber="R1001")
        self.assert_adjusted(estimate)
        self.assertEqual(estimate["ExpirationDate"], "2026-12-31")
        self.assertEqual(self.obj("orders", "R1001").qb_state["entity"], "Estimate")
        self.succeeded("R1001: Order successfully sent to Quickbooks Online")

    def test_it_voids_a_cancelled_sales_receipt(self) -> None:
        self.post_ok("add_orders", envelope("order", order(), **order_params()))
        self.push()
        receipt = self.one("SalesReceipt", DocNumber="R1001")

        self.post_ok("cancel_order", envelope("order", {"id": "R1001"}, "req-2"))
        self.push()

        voided = self.one("SalesReceipt", Id=receipt["Id"])
        self.assertTrue(voided["PrivateNote"].startswith("Voided"), voided["PrivateNote"])
        self.assertEqual(d(voided["TotalAmt"]), Decimal(0))
        self.assertEqual(voided["SyncToken"], "1")
        obj = self.obj("orders", "R1001")
        self.assertEqual((obj.phase, obj.qb_id), (Phase.PROCESSED, receipt["Id"]))
        self.assertEqual(self.messages("fail"), [])
        self.assertEqual(self.order_successes(), 2)

    def test_it_voids_a_cancelled_invoice(self) -> None:
        params = order_params(qbo_order_as="invoice")
        self.post_ok("add_orders", envelope("order", order(), **params))
        self.push()
        invoice = self.one("Invoice", DocNumber="R1001")

        # FlowLink names the order only: it stays the invoice it was written as.
        self.post_ok("cancel_order", envelope("order", {"id": "R1001"}, "req-2"))
        self.push()

        voided = self.one("Invoice", Id=invoice["Id"])
        self.assertTrue(voided["PrivateNote"].startswith("Voided"), voided["PrivateNote"])
        self.assertEqual((d(voided["TotalAmt"]), d(voided["Balance"])), (Decimal(0), Decimal(0)))
        self.assertEqual(self.obj("orders", "R1001").phase, Phase.PROCESSED)
        self.assertEqual(self.messages("fail"), [])
        self.assertEqual(self.order_successes(), 2)

    def test_it_deletes_a_cancelled_estimate(self) -> None:
        params = order_params(qbo_order_as="estimate")
        self.post_ok("add_orders", envelope("order", order(), **params))
        self.push()
        estimate = self.one("Estimate", DocNumber="R1001")

        self.post_ok("cancel_order", envelope("order", {"id": "R1001"}, "req-2", **params))
        self.push()

        self.assertEqual(self.records("Estimate"), [])
        self.assertEqual(self.qbo.deleted(self.realm, "Estimate"), [estimate["Id"]])
        self.assertEqual(self.obj("orders", "R1001").phase, Phase.PROCESSED)
        self.assertEqual(self.messages("fail"), [])
        self.assertEqual(self.order_successes(), 2)

    def test_it_writes_nothing_for_an_order_cancelled_before_it_was_sent(self) -> None:
        self.post_ok("add_orders", envelope("order", order(), **order_params()))
        self.post_ok("cancel_order", envelope("order", {"id": "R1001"}, "req-2"))

        self.push()

        self.assertEqual(self.records("SalesReceipt"), [])
        obj = self.obj("orders", "R1001")
        self.assertEqual((obj.phase, obj.qb_id), (Phase.PROCESSED, ""))
        self.assertEqual(self.messages("fail"), [])

    def test_it_never_writes_an_order_twice_when_the_answer_was_lost(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        for name in ("TEE", "MUG"):
            self.post_ok("add_products", envelope("product", {"product_id": name}, name))
        self.push()
        self.post_ok("add_orders", envelope("order", order(), "req-2", **order_params()))
        self.qbo.inject_server_error(1, after_write=True, drop=True)

        self.push()
        self.assertEqual(self.obj("orders", "R1001").phase, Phase.PENDING)
        self.qbo.forget_request_ids()  # the look-up by DocNumber and PrivateNote decides
        self.make_due()
        self.push()

        receipt = self.one("SalesReceipt", DocNumber="R1001")
        obj = self.obj("orders", "R1001")
        self.assertEqual((obj.phase, obj.qb_id), (Phase.PROCESSED, receipt["Id"]))

    def test_it_sums_tax_line_items_into_the_receipt_tax(self) -> None:
        body = order(
            tax_line_items=[{"name": "State", "value": "1.10"}, {"name": "County", "value": "0.40"}]
        )
        params = order_params(quickbooks_use_tax_line_items="1", **ADJUSTMENTS)
        self.post_ok("add_orders", envelope("order", body, **params))

        self.push()

        receipt = self.one("SalesReceipt", DocNumber="R1001")
        self.assertEqual(d(receipt["TxnTaxDetail"]["TotalTax"]), Decimal("1.50"))
        self.assertEqual(d(receipt["TotalAmt"]), Decimal("28.75"))
        self.assertEqual(len(item_lines(receipt)), 2)  # no tax item line

    def test_it_replaces_the_lines_of_an_order_sent_again(self) -> None:
        self.post_ok("add_orders", envelope("order", order(), **order_params()))
        self.push()
        first = self.one("SalesReceipt", DocNumber="R1001")
        changed = order(
            line_items=[
                {"product_id": "TEE", "quantity": 3, "price": "10.00"},
                {"product_id": "CAP", "quantity": 2, "price": "4.50"},
            ]
        )

        self.post_ok("add_orders", envelope("order", changed, "req-2", **order_params()))
        self.push()

        receipt = self.one("SalesReceipt", DocNumber="R1001")
        self.assertEqual(receipt["Id"], first["Id"])
        self.assertEqual(receipt["SyncToken"], "1")
        self.assertEqual(
            item_lines(receipt),
            [
                (self.item_id("TEE"), Decimal(3), Decimal(10), Decimal("30.00")),
                (self.item_id("CAP"), Decimal(2), Decimal("4.50"), Decimal("9.00")),
            ],
        )
        self.assertEqual(d(receipt["TotalAmt"]), Decimal("39.00"))
        obj = self.obj("orders", "R1001")
        self.assertEqual((obj.qb_id, obj.edit_sequence), (first["Id"], "1"))
        self.assertEqual(
            self.messages("success").count("R1001: Order successfully sent to Quickbooks Online"),
            2,
        )

    def test_it_fails_only_the_order_quickbooks_refuses_in_a_request_of_three(self) -> None:
        self.post_ok(
            "add_products", envelope("product", {"product_id": "TEE", "price": 10}, **ACCOUNTS)
        )
        self.push()
        orders = [
            order("R1"),
            # An inventory item sold without a quantity: QBO answers 6520.
            order("R2", line_items=[{"product_id": "TEE", "amount": "5.00"}]),
            order("R3"),
        ]
        self.post_ok(
            "add_orders",
            {
                "request_id": "req-2",
                "parameters": {"payload_type": "order", **order_params()},
                "order": orders,
            },
        )

        self.push()
        self.push()

        self.assertEqual(self.obj("orders", "R2").phase, Phase.FAILED)
        self.assertEqual(self.records("SalesReceipt", DocNumber="R2"), [])
        for landed in ("R1", "R3"):
            self.assertEqual(self.obj("orders", landed).phase, Phase.PROCESSED)
            self.one("SalesReceipt", DocNumber=landed)
        failures = self.messages("fail")
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("R2", failures[0])
        self.assertIn("6520", failures[0])

    def test_it_sells_sub_items_named_by_their_full_name(self) -> None:
        apparel = {"product_id": "Apparel", "price": 1}
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", apparel))
        shirt = {"product_id": "Shirt", "parent_name": "Apparel", "price": 12}
        self.post_ok("add_noninventoryproducts", envelope("noninventoryproduct", shirt, "r2"))
        self.push()
        lines = [
            # Known to QBO already: looked up by its path.
            {"product_id": "Apparel:Shirt", "quantity": 1, "price": "12.00"},
            # Not yet: auto-created under its parent.
            {"product_id": "Apparel:Cap", "quantity": 2, "price": "8.00"},
        ]

        self.post_ok(
            "add_orders", envelope("order", order(line_items=lines), "r3", **order_params())
        )
        self.push()

        parent = self.one("Item", Name="Apparel")
        shirt_item = self.one("Item", FullyQualifiedName="Apparel:Shirt")
        cap = self.one("Item", FullyQualifiedName="Apparel:Cap")
        self.assertEqual((cap["Name"], cap["ParentRef"]["value"]), ("Cap", parent["Id"]))
        receipt = self.one("SalesReceipt", DocNumber="R1001")
        self.assertEqual(
            item_lines(receipt),
            [
                (shirt_item["Id"], Decimal(1), Decimal(12), Decimal("12.00")),
                (cap["Id"], Decimal(2), Decimal(8), Decimal("16.00")),
            ],
        )
        self.assertEqual(len(self.records("Item")), 3)
        self.succeeded("R1001: Order successfully sent to Quickbooks Online")


class DocumentRoutesTestCase(SalesRoutesTestCase):
    def test_it_pays_an_invoice_with_the_payments_it_carries(self) -> None:
        invoice = {
            "id": "INV-2001",
            "customer": customer(),
            "placed_on": "2026-12-02",
            "due_date": "2026-12-30",
            "billing_address": BILLING,
            "line_items": [{"product_id": "TEE", "quantity": 3, "price": 20}],
            "payments": [
                {"id": "PAY-2001-A", "amount": 25, "payment_method": "Check"},
                {"id": "PAY-2001-B", "amount": 35, "payment_method": "Cash"},
            ],
        }
        params = order_params(quickbooks_auto_create_payments="1")
        self.post_ok("add_invoices", envelope("invoice", invoice, **params))

        self.push()
        self.push()

        stored = self.one("Invoice", DocNumber="INV-2001")
        self.assertEqual(stored["CustomerRef"]["value"], self.customer_id())
        self.assertEqual((stored["TxnDate"], stored["DueDate"]), ("2026-12-02", "2026-12-30"))
        self.assertEqual(
            item_lines(stored), [(self.item_id("TEE"), Decimal(3), Decimal(20), Decimal("60.00"))]
        )
        self.assertEqual(d(stored["TotalAmt"]), Decimal("60.00"))
        self.assertEqual(d(stored["Balance"]), Decimal(0))
        payments = {p["PaymentRefNum"]: p for p in self.records("Payment")}
        self.assertEqual(set(payments), {"PAY-2001-A", "PAY-2001-B"})
        for ref, amount, method in (("PAY-2001-A", "25", "Check"), ("PAY-2001-B", "35", "Cash")):
            payment = payments[ref]
            self.assertEqual(d(payment["TotalAmt"]), Decimal(amount))
            self.assertEqual(payment["CustomerRef"]["value"], self.customer_id())
            self.assertEqual(payment["TxnDate"], "2026-12-02")
            self.assertEqual(
                payment["PaymentMethodRef"]["value"], self.one("PaymentMethod", Name=method)["Id"]
            )
            (line,) = payment["Line"]
            self.assertEqual(d(line["Amount"]), Decimal(amount))
            self.assertEqual(line["LinkedTxn"], [{"TxnId": stored["Id"], "TxnType": "Invoice"}])
            self.assertEqual(self.obj("payments", ref).qb_id, payment["Id"])
        success = self.messages("success")
        self.assertIn("INV-2001: Invoice successfully sent to Quickbooks Online", success)
        self.assertIn("PAY-2001-A: Payment successfully sent to Quickbooks Online", success)
        self.assertIn("PAY-2001-B: Payment successfully sent to Quickbooks Online", success)

    def test_it_fails_only_the_payment_that_overpays_the_invoice(self) -> None:
        invoice = {
            "id": "INV-4001",
            "customer": customer(),
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": 20}],
            "payments": [{"id": "PAY-A", "amount": 15}, {"id": "PAY-B", "amount": 15}],
        }
        params = order_params(quickbooks_auto_create_payments="1")
        self.post_ok("add_invoices", envelope("invoice", invoice, **params))

        self.push()
        self.push()

        self.assertEqual(self.obj("payments", "PAY-A").phase, Phase.PROCESSED)
        self.assertEqual(self.obj("payments", "PAY-B").phase, Phase.FAILED)
        self.assertEqual([p["PaymentRefNum"] for p in self.records("Payment")], ["PAY-A"])
        self.assertEqual(d(self.one("Invoice", DocNumber="INV-4001")["Balance"]), Decimal(5))
        (failure,) = self.messages("fail")
        self.assertTrue(failure.startswith("PAY-B: 6000"), failure)

    def test_it_applies_a_payment_to_an_invoice_sent_earlier(self) -> None:
        invoice = {
            "id": "INV-3001",
            "customer": customer(),
            "line_items": [{"product_id": "TEE", "quantity": 2, "price": "15.00"}],
        }
        self.post_ok("add_invoices", envelope("invoice", invoice, **order_params()))
        self.push()
        stored = self.one("Invoice", DocNumber="INV-3001")
        payment = {
            "id": "PAY-3001",
            "customer": {"name": "Jo Smith"},
            "amount": "30.00",
            "placed_on": "2026-12-03",
            "payment_method": "Check",
            "deposit_account": "Undeposited Funds",
            "invoice_id": "INV-3001",
            "memo": "Paid at the counter",
        }

        self.post_ok("add_payments", envelope("payment", payment, "req-2"))
        self.push()

        record = self.one("Payment", PaymentRefNum="PAY-3001")
        self.assertEqual(record["CustomerRef"]["value"], self.customer_id())
        self.assertEqual(d(record["TotalAmt"]), Decimal("30.00"))
        self.assertEqual(record["TxnDate"], "2026-12-03")
        self.assertEqual(record["PrivateNote"], "FlowLink id: PAY-3001\nPaid at the counter")
        self.assertEqual(
            record["DepositToAccountRef"]["value"], self.account_id("Undeposited Funds")
        )
        (line,) = record["Line"]
        self.assertEqual(line["LinkedTxn"], [{"TxnId": stored["Id"], "TxnType": "Invoice"}])
        self.assertEqual(d(self.one("Invoice", Id=stored["Id"])["Balance"]), Decimal(0))
        self.assertEqual(self.obj("payments", "PAY-3001").qb_id, record["Id"])
        self.succeeded("PAY-3001: Payment successfully sent to Quickbooks Online")

    def test_it_lands_a_sales_receipt_with_its_payment_and_deposit_fields(self) -> None:
        receipt = fixture("add", "salesreceipt_from_flowlink.json")
        params = order_params()
        self.post_ok("add_salesreceipts", envelope("sales_receipt", receipt, **params))

        self.push()

        record = self.one("SalesReceipt", DocNumber="1999")
        self.assertEqual(record["CustomerRef"]["value"], self.customer_id("Mr Rich Guy"))
        self.assertEqual((record["TxnDate"], record["ShipDate"]), ("2019-12-26", "2020-01-20"))
        self.assertEqual(record["PrivateNote"], "FlowLink id: 1999\nHi")
        self.assertEqual(
            record["PaymentMethodRef"]["value"], self.one("PaymentMethod", Name="Cash")["Id"]
        )
        self.assertEqual(record["PaymentRefNum"], "90")
        self.assertEqual(
            record["DepositToAccountRef"]["value"], self.account_id("Undeposited Funds")
        )
        self.assertEqual(
            {k: v for k, v in record["BillAddr"].items() if k != "Id"},
            {
                "Line1": "75 example dr",
                "Line2": "addr line 2",
                "Line3": "addr line 3",
                "Line4": "addr line 4",
                "Line5": "addr line 5",
                "City": "Some City",
                "CountrySubDivisionCode": "California",
                "PostalCode": "78456",
                "Country": "United States",
            },
        )
        self.assertEqual(
            item_lines(record),
            [
                (self.item_id("ABC Product"), Decimal(10), Decimal(110), Decimal("1100.00")),
                (self.item_id("XYZ Product"), Decimal(1), Decimal(49), Decimal("49.00")),
            ],
        )
        self.assertEqual(
            [line.get("Description") for line in record["Line"][:2]],
            ["description for ABC", "description for XYZ"],
        )
        self.assertEqual(d(record["TotalAmt"]), Decimal("1149.00"))
        # Auto-created inventory items start at 0 and the receipt sells from them.
        self.assertEqual(d(self.one("Item", Name="ABC Product")["QtyOnHand"]), Decimal(-10))
        self.succeeded("1999: Salesreceipt successfully sent to Quickbooks Online")

    def test_it_lands_a_return_as_a_refund_receipt_paid_from_checking(self) -> None:
        self.post_ok(
            "add_products",
            envelope("product", {"product_id": "TEE", "price": 10, "quantity": 5}, **ACCOUNTS),
        )
        self.push()
        returned = {
            "id": "RET-1",
            "email": "jo@example.com",
            "placed_on": "2026-12-04",
            "items": [{"product_id": "TEE", "return_authorized": 2, "price": "10.00"}],
            "refunds": [{"payment_method": "Check"}],
        }

        self.post_ok("add_returns", envelope("return", returned, "req-2", **order_params()))
        self.push()

        refund = self.one("RefundReceipt", DocNumber="RET-1")
        self.assertEqual(refund["CustomerRef"]["value"], self.customer_id("jo@example.com"))
        self.assertEqual(refund["DepositToAccountRef"]["value"], self.account_id("Checking"))
        self.assertEqual(
            refund["PaymentMethodRef"]["value"], self.one("PaymentMethod", Name="Check")["Id"]
        )
        self.assertEqual(refund["TxnDate"], "2026-12-04")
        self.assertEqual(
            item_lines(refund), [(self.item_id("TEE"), Decimal(2), Decimal(10), Decimal("20.00"))]
        )
        self.assertEqual(d(refund["TotalAmt"]), Decimal("20.00"))
        self.assertEqual(d(self.one("Item", Name="TEE")["QtyOnHand"]), Decimal(7))
        self.assertEqual(self.records("SalesReceipt"), [])
        self.succeeded("RET-1: Return successfully sent to Quickbooks Online")

    def test_it_lands_a_credit_memo_for_the_customer(self) -> None:
        memo = {
            "id": "CM-1",
            "customer": customer(),
            "placed_on": "2026-12-05",
            "memo": "Damaged in transit",
            "line_items": [
                {"product_id": "TEE", "quantity": 1, "price": "10.00", "name": "Torn tee"}
            ],
        }
        self.post_ok("add_creditmemos", envelope("credit_memo", memo, **order_params()))

        self.push()

        record = self.one("CreditMemo", DocNumber="CM-1")
        self.assertEqual(record["CustomerRef"]["value"], self.customer_id())
        self.assertEqual(record["TxnDate"], "2026-12-05")
        self.assertEqual(record["PrivateNote"], "FlowLink id: CM-1\nDamaged in transit")
        self.assertEqual(
            item_lines(record), [(self.item_id("TEE"), Decimal(1), Decimal(10), Decimal("10.00"))]
        )
        self.assertEqual(record["Line"][0]["Description"], "Torn tee")
        self.assertEqual(d(record["TotalAmt"]), Decimal("10.00"))
        self.assertEqual(self.obj("creditmemos", "CM-1").qb_id, record["Id"])
        self.succeeded("CM-1: Creditmemo successfully sent to Quickbooks Online")
