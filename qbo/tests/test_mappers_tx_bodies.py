"""The bodies of the QBO transaction mappers, field by field, and what they refuse."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.test import SimpleTestCase

from objects.types.base import ObjectView
from objects.types.values import PayloadError
from qbo.mappers import mapper_for
from qbo.mappers.base import CREATE, DELETE, VOID, Ref
from qbo.mappers.lines import priced
from qbo.mappers.transactions import TRANSACTION_MAPPERS


def order(**fields: Any) -> dict[str, Any]:
    return {
        "id": "R1001",
        "customer": {"name": "Jo"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": "4.5"}],
        **fields,
    }


def view_of(object_type: str, payload: dict[str, Any], **params: Any) -> ObjectView:
    return mapper_for(object_type).view(payload, params)


def build(object_type: str, payload: dict[str, Any], **params: Any) -> dict[str, Any]:
    return mapper_for(object_type).create(view_of(object_type, payload, **params))


def refusal(object_type: str, payload: dict[str, Any], **params: Any) -> PayloadError:
    try:
        mapper_for(object_type).validate(payload, params)
    except PayloadError as exc:
        return exc
    raise AssertionError("validate accepted the payload")


class RegistryTestCase(SimpleTestCase):
    def test_it_maps_every_flowlink_transaction_type(self) -> None:
        self.assertEqual(
            {k: m.entity for k, m in TRANSACTION_MAPPERS.items()},
            {
                "orders": "SalesReceipt",
                "invoices": "Invoice",
                "salesreceipts": "SalesReceipt",
                "returns": "RefundReceipt",
                "creditmemos": "CreditMemo",
                "payments": "Payment",
                "purchaseorders": "PurchaseOrder",
                "journals": "JournalEntry",
                "shipments": "Invoice",
                "inventories": "Item",
            },
        )


class OrderBodyTestCase(SimpleTestCase):
    def test_it_chooses_the_entity_from_qbo_order_as(self) -> None:
        mapper = mapper_for("orders")
        for value, entity in (
            (None, "SalesReceipt"),
            ("invoice", "Invoice"),
            (" Estimate ", "Estimate"),
        ):
            self.assertEqual(
                mapper.entity_for(view_of("orders", order(), qbo_order_as=value)), entity
            )

    def test_it_keeps_the_entity_an_order_was_written_as(self) -> None:
        view = replace(
            view_of("orders", order(), qbo_order_as="estimate"), qb_state={"entity": "Invoice"}
        )
        self.assertEqual(mapper_for("orders").entity_for(view), "Invoice")
        self.assertEqual(mapper_for("orders").lookup(replace(view, qb_id="")).entity, "Invoice")

    def test_it_refuses_an_unknown_qbo_order_as(self) -> None:
        exc = refusal("orders", order(), qbo_order_as="sales_order")
        self.assertEqual(exc.field, "parameters.qbo_order_as")
        self.assertIn("sales_receipt, invoice, estimate", exc.reason)

    def test_it_references_the_customer_and_items_by_their_ids_when_known(self) -> None:
        view = view_of("orders", order())
        view.dependency_ids = {"customers:Jo": "58", "products:tee": "7"}
        body = mapper_for("orders").create(view)
        self.assertEqual(body["CustomerRef"], {"value": "58", "name": "Jo"})
        self.assertEqual(
            body["Line"][0]["SalesItemLineDetail"]["ItemRef"], {"value": "7", "name": "TEE"}
        )

    def test_it_references_them_by_name_otherwise(self) -> None:
        body = build("orders", order())
        self.assertEqual(body["CustomerRef"], Ref("Customer", "Jo", "DisplayName", "customer.name"))
        self.assertEqual(
            body["Line"][0]["SalesItemLineDetail"]["ItemRef"],
            Ref("Item", "TEE", "FullyQualifiedName", "line_items[0].product_id"),
        )

    def test_it_takes_a_customer_list_id_as_its_qbo_id(self) -> None:
        body = build("orders", order(customer={"list_id": "12", "name": "Jo"}))
        self.assertEqual(body["CustomerRef"], {"value": "12"})

    def test_it_builds_an_item_line_with_decimal_amounts(self) -> None:
        line = build("orders", order())["Line"][0]
        self.assertEqual(line["Amount"], Decimal("9.00"))
        detail = line["SalesItemLineDetail"]
        self.assertEqual((detail["Qty"], detail["UnitPrice"]), (Decimal("2"), Decimal("4.5")))
        self.assertIsInstance(line["Amount"], Decimal)

    def test_it_keeps_the_last_21_characters_of_a_long_id(self) -> None:
        long_id = "shop-1-order-0000000012345"
        view = view_of("orders", order(id=long_id))
        self.assertEqual(mapper_for("orders").ref_number(view), long_id[-21:])
        self.assertEqual(mapper_for("orders").create(view)["DocNumber"], long_id[-21:])
        self.assertEqual(
            mapper_for("orders").create(view)["PrivateNote"], f"FlowLink id: {long_id}"
        )

    def test_it_models_discount_tax_and_shipping_adjustments_the_qbo_way(self) -> None:
        params = {
            "quickbooks_shipping_item": "Ship",
            "quickbooks_discount_item": "Disc",
            "quickbooks_tax_item": "Tax",
            "quickbooks_other_charge_discount_account": "Discounts given",
        }
        adjustments = [
            {"name": "Shipping", "value": "5"},
            {"name": "discount", "value": 2},
            {"name": "Tax", "value": 1.25},
            {"name": "tax (state)", "amount": 0.25, "value": 0.25},
        ]
        body = build("orders", order(adjustments=adjustments), **params)
        shipping, discount = body["Line"][1:]
        self.assertEqual(shipping["Amount"], Decimal("5.00"))
        self.assertEqual(shipping["SalesItemLineDetail"]["UnitPrice"], Decimal("5.00"))
        self.assertNotIn("Qty", shipping["SalesItemLineDetail"])
        self.assertEqual(
            discount,
            {
                "DetailType": "DiscountLineDetail",
                "Amount": Decimal("2.00"),
                "Description": "discount",
                "DiscountLineDetail": {
                    "PercentBased": False,
                    "DiscountAccountRef": Ref(
                        "Account",
                        "Discounts given",
                        "FullyQualifiedName",
                        "parameters.quickbooks_other_charge_discount_account",
                    ),
                },
            },
        )
        self.assertEqual(body["TxnTaxDetail"], {"TotalTax": Decimal("1.50")})

    def test_it_sends_adjustments_as_amount_only_with_use_amount_for_tax(self) -> None:
        body = build(
            "orders",
            order(adjustments=[{"name": "shipping", "value": 5}]),
            quickbooks_shipping_item="Ship",
            use_amount_for_tax="1",
        )
        self.assertEqual(
            body["Line"][1]["SalesItemLineDetail"],
            {"ItemRef": Ref("Item", "Ship", "FullyQualifiedName", "adjustments[0].item")},
        )

    def test_it_books_a_negative_discount_as_a_line_on_the_discount_item(self) -> None:
        body = build(
            "orders",
            order(adjustments=[{"name": "discount", "value": -3}]),
            quickbooks_discount_item="Disc",
        )
        self.assertEqual(body["Line"][1]["DetailType"], "SalesItemLineDetail")
        self.assertEqual(body["Line"][1]["Amount"], Decimal("3.00"))

    def test_it_refuses_a_negative_tax(self) -> None:
        exc = refusal(
            "orders", order(adjustments=[{"name": "tax", "value": -1}]), quickbooks_tax_item="Tax"
        )
        self.assertEqual(exc.field, "adjustments[0]")

    def test_it_sums_tax_lines_with_use_tax_line_items(self) -> None:
        body = build(
            "orders",
            order(
                adjustments=[{"name": "tax", "value": 9}],
                tax_line_items=[{"name": "state", "value": 1}, {"name": "city", "amount": "0.5"}],
            ),
            quickbooks_tax_item="Tax",
            quickbooks_use_tax_line_items="1",
        )
        self.assertEqual(body["TxnTaxDetail"], {"TotalTax": Decimal("1.50")})
        self.assertEqual(len(body["Line"]), 1)

    def test_it_clears_a_tax_flowlink_no_longer_sends_on_update(self) -> None:
        view = replace(view_of("orders", order()), qb_id="5", qb_state={"entity": "SalesReceipt"})
        body = mapper_for("orders").update(
            view, {"Id": "5", "SyncToken": "3", "TxnTaxDetail": {"TotalTax": 2}}
        )
        self.assertEqual(
            {k: body[k] for k in ("Id", "SyncToken", "sparse", "TxnTaxDetail")},
            {"Id": "5", "SyncToken": "3", "sparse": True, "TxnTaxDetail": {"TotalTax": 0}},
        )

    def test_it_writes_addresses_date_and_receipt_fields(self) -> None:
        body = build(
            "orders",
            order(
                placed_on="03/01/2026",
                billing_address={"address1": "1 Main", "country": "US", "firstname": "Jo"},
                shipping_address={},
                payment_method={"name": "Visa"},
                memo="gift",
            ),
            quickbooks_deposit_account="Checking",
        )
        self.assertEqual(body["TxnDate"], "2026-03-01")
        self.assertEqual(body["BillAddr"], {"Line1": "1 Main", "Country": "US"})
        self.assertNotIn("ShipAddr", body)
        self.assertEqual(
            body["PaymentMethodRef"], Ref("PaymentMethod", "Visa", "Name", "payment_method.name")
        )
        self.assertEqual(
            body["DepositToAccountRef"],
            Ref(
                "Account", "Checking", "FullyQualifiedName", "parameters.quickbooks_deposit_account"
            ),
        )
        self.assertEqual(body["PrivateNote"], "FlowLink id: R1001\ngift")

    def test_it_refuses_an_address_line_longer_than_qbo_allows(self) -> None:
        exc = refusal("orders", order(shipping_address={"zipcode": "9" * 31}))
        self.assertEqual(exc.field, "shipping_address.zipcode")

    def test_it_refuses_a_line_without_price_or_amount(self) -> None:
        exc = refusal("orders", order(line_items=[{"product_id": "TEE", "quantity": 1}]))
        self.assertEqual(exc.field, "line_items[0].price")

    def test_it_refuses_group_lines(self) -> None:
        lines = [{"product_id": "KIT", "quantity": 1, "price": 1, "is_group": True}]
        self.assertEqual(refusal("orders", order(line_items=lines)).field, "line_items[0].is_group")


class CancelOrderTestCase(SimpleTestCase):
    def cancelled(self, entity: str, qb_id: str = "9", **state: Any) -> ObjectView:
        view = view_of("orders", {"id": "R1001", "status": "cancelled"})
        return replace(view, qb_id=qb_id, qb_state={"entity": entity, **state})

    def test_it_voids_a_sales_receipt_and_an_invoice(self) -> None:
        for entity in ("SalesReceipt", "Invoice"):
            self.assertEqual(mapper_for("orders").write_kind(self.cancelled(entity)), VOID)

    def test_it_deletes_an_estimate(self) -> None:
        self.assertEqual(mapper_for("orders").write_kind(self.cancelled("Estimate")), DELETE)

    def test_it_voids_a_sales_receipt_with_a_sparse_body(self) -> None:
        view = self.cancelled("SalesReceipt")
        body = mapper_for("orders").delete(view, {"Id": "9", "SyncToken": "2"})
        self.assertEqual(body, {"Id": "9", "SyncToken": "2", "sparse": True})
        invoice = mapper_for("orders").delete(
            self.cancelled("Invoice"), {"Id": "9", "SyncToken": "2"}
        )
        self.assertEqual(invoice, {"Id": "9", "SyncToken": "2"})

    def test_it_leaves_a_voided_order_alone(self) -> None:
        self.assertIsNone(mapper_for("orders").write_kind(self.cancelled("Invoice", voided=True)))

    def test_it_accepts_a_bare_cancel_at_intake(self) -> None:
        mapper_for("orders").validate({"id": "R1001", "status": "cancelled"}, {})

    def test_it_refuses_a_bare_cancel_of_an_order_quickbooks_does_not_have(self) -> None:
        view = self.cancelled("SalesReceipt", qb_id="")
        self.assertEqual(mapper_for("orders").write_kind(view), CREATE)
        with self.assertRaises(PayloadError) as caught:
            mapper_for("orders").create(view)
        self.assertEqual(caught.exception.field, "line_items")
        self.assertIn("nothing to cancel", caught.exception.reason)


class PricedTestCase(SimpleTestCase):
    def test_it_follows_the_desktop_line_rules(self) -> None:
        keys = ("line_item_price", "price")
        cases: list[tuple[dict[str, Any], tuple[Decimal | None, ...]]] = [
            ({"quantity": 3, "price": "7.255"}, (Decimal(3), Decimal("7.255"), Decimal("21.77"))),
            ({"quantity": 3, "price": 2, "amount": 99}, (Decimal(3), Decimal(2), Decimal("6.00"))),
            ({"amount": "5.005"}, (None, None, Decimal("5.01"))),
            ({"quantity": 0, "price": 2, "amount": 4}, (None, None, Decimal("4.00"))),
            ({"quantity": 4, "amount": 10}, (Decimal(4), None, Decimal("10.00"))),
            ({"price": "2.5"}, (None, Decimal("2.5"), Decimal("2.50"))),
            ({"quantity": 0, "price": 2}, (Decimal(0), Decimal(2), Decimal("0.00"))),
            (
                {"quantity": 1, "price": 9, "line_item_price": 3},
                (Decimal(1), Decimal(3), Decimal("3.00")),
            ),
        ]
        for line, expected in cases:
            value = priced(line, keys, "line_items[0]")
            self.assertEqual((value.quantity, value.unit_price, value.amount), expected, line)

    def test_it_names_a_value_that_is_no_number(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            priced({"quantity": "two", "price": 1}, ("price",), "line_items[3]")
        self.assertEqual(caught.exception.field, "line_items[3].quantity")


class DocumentBodyTestCase(SimpleTestCase):
    def test_it_refuses_credit_memos_on_an_invoice(self) -> None:
        memos = [{"qbe_id": "44", "applied_amount": 5}]
        self.assertEqual(refusal("invoices", order(credit_memos=memos)).field, "credit_memos[0]")

    def test_it_names_the_return_fields_in_a_refusal(self) -> None:
        payload = {
            "id": "RET-1",
            "email": "jo@example.com",
            "items": [{"product_id": "TEE", "return_authorized": "x"}],
        }
        self.assertEqual(refusal("returns", payload).field, "items[0].return_authorized")

    def test_it_pays_a_refund_from_the_deposit_account_parameter(self) -> None:
        payload = {
            "id": "RET-1",
            "email": "Jo",
            "items": [{"product_id": "TEE", "quantity": 1, "price": 2}],
        }
        body = build("returns", payload, quickbooks_deposit_account="Petty Cash")
        self.assertEqual(body["DepositToAccountRef"].value, "Petty Cash")
        self.assertEqual(body["DepositToAccountRef"].where, "parameters.quickbooks_deposit_account")

    def test_it_builds_a_payment_applied_to_an_invoice_id(self) -> None:
        body = build(
            "payments",
            {"id": "P-1", "customer": {"name": "Jo"}, "amount": "10.005", "invoice_txn_id": "130"},
        )
        self.assertEqual(body["TotalAmt"], Decimal("10.01"))
        self.assertEqual(
            body["Line"],
            [{"Amount": Decimal("10.01"), "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
        )
        self.assertEqual(body["PaymentRefNum"], "P-1")

    def test_it_refers_to_the_invoice_of_a_payment_by_doc_number_until_its_id_is_known(
        self,
    ) -> None:
        payload = {"id": "P-1", "customer": {"name": "Jo"}, "amount": 1, "invoice_id": "INV-1"}
        body = build("payments", payload)
        self.assertEqual(
            body["Line"][0]["LinkedTxn"][0]["TxnId"],
            Ref("Invoice", "INV-1", "DocNumber", "invoice_id"),
        )
        view = view_of("payments", payload)
        view.dependency_ids = {"invoices:INV-1": "77"}
        self.assertEqual(
            mapper_for("payments").create(view)["Line"][0]["LinkedTxn"][0]["TxnId"], "77"
        )

    def test_it_leaves_a_payment_without_invoice_unapplied(self) -> None:
        body = build(
            "payments",
            {"id": "P-1", "customer": {"name": "Jo"}, "amount": 1, "invoice_txn_id": None},
        )
        self.assertNotIn("Line", body)

    def test_it_refuses_a_negative_payment_and_a_credit_to_apply(self) -> None:
        base = {"id": "P-1", "customer": {"name": "Jo"}, "amount": -1}
        self.assertEqual(refusal("payments", base).field, "amount")
        credit = {**base, "amount": 1, "credit_txn_id": "5", "credit_amount": 1}
        self.assertEqual(refusal("payments", credit).field, "credit_txn_id")

    def test_it_finds_a_payment_by_its_ref_num(self) -> None:
        view = view_of("payments", {"id": "P'1", "customer": {"name": "Jo"}, "amount": 1})
        self.assertEqual(
            mapper_for("payments").lookup(view).statement,
            "SELECT * FROM Payment WHERE PaymentRefNum = 'P\\'1'",
        )

    def test_it_closes_a_cancelled_purchase_order(self) -> None:
        payload = {
            "id": "PO-1",
            "supplier": "Tees Inc",
            "status": "cancelled",
            "line_items": [{"product_id": "TEE", "quantity": 1, "cost": 2}],
        }
        body = build("purchaseorders", payload)
        self.assertEqual(body["POStatus"], "Closed")
        self.assertEqual(body["VendorRef"], Ref("Vendor", "Tees Inc", "DisplayName", "supplier"))
        self.assertEqual(body["Line"][0]["ItemBasedExpenseLineDetail"]["UnitPrice"], Decimal(2))

    def test_it_refuses_a_journal_out_of_balance(self) -> None:
        lines = [{"debit": 10, "account_name": "A"}, {"credit": "9.99", "account_name": "B"}]
        exc = refusal("journals", {"id": "J-1", "line_items": lines})
        self.assertEqual(exc.field, "line_items")
        self.assertIn("must balance", exc.reason)

    def test_it_refuses_a_journal_line_with_both_sides(self) -> None:
        lines = [{"debit": 10, "credit": 10, "account_name": "A"}]
        self.assertEqual(
            refusal("journals", {"id": "J-1", "line_items": lines}).field, "line_items[0]"
        )

    def test_it_accepts_a_journal_delete_by_id_alone(self) -> None:
        mapper_for("journals").validate({"id": "J-1", "action": "delete"}, {})

    def test_it_refuses_an_inventory_value(self) -> None:
        exc = refusal("inventories", {"id": "A-1", "product_id": "TEE", "quantity": 1, "value": 5})
        self.assertEqual(exc.field, "value")

    def test_it_sets_the_count_with_a_sparse_item_update(self) -> None:
        view = replace(
            view_of("inventories", {"id": "A-1", "product_id": "TEE", "quantity": "4.5"}), qb_id="3"
        )
        current = {"Id": "3", "SyncToken": "6", "Type": "Inventory", "TrackQtyOnHand": True}
        self.assertEqual(
            mapper_for("inventories").update(view, current),
            {"Id": "3", "SyncToken": "6", "sparse": True, "QtyOnHand": Decimal("4.5")},
        )
        self.assertEqual(mapper_for("inventories").ref_number(view), "")

    def test_it_refuses_a_shipment_without_its_order(self) -> None:
        self.assertEqual(refusal("shipments", {"id": "S-1", "items": []}).field, "order_id")
