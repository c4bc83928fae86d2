"""Invoices, credit memos, payments and cancelled orders: every request is valid qbXML."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from qbsync.test import require_xsd_dir, shared_file
from qbwc.qbxml.mappers.base import ENSURE, NOT_FOUND_HINT, REQUIRE, Mapper, ObjectView
from qbwc.qbxml.mappers.credit_memos import CreditMemoMapper
from qbwc.qbxml.mappers.invoices import InvoiceMapper
from qbwc.qbxml.mappers.orders import OrderMapper
from qbwc.qbxml.mappers.payments import PaymentMapper
from qbwc.qbxml.mappers.shipments import ShipmentMapper
from qbwc.qbxml.parse import tag_of
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError

PARAMS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "PA Sales Tax",
}
GUID = "{77C2BA76-7F41-463D-9063-57D5022BDBED}"


def fixture(*parts: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_file("flowlink-payloads", *parts).read_text())
    return data


def view(mapper: Mapper, payload: dict[str, Any], params: Any = None, **fields: Any) -> ObjectView:
    return ObjectView(
        mapper.object_type,
        mapper.identity(payload),
        payload,
        PARAMS if params is None else params,
        **fields,
    )


def as_mod(obj: ObjectView, **fields: Any) -> ObjectView:
    return ObjectView(**{**obj.__dict__, "qb_id": "1A-1700000000", "edit_sequence": "17", **fields})


def tags(node: etree._Element | None) -> list[str]:
    assert node is not None
    return [tag_of(child) for child in node]


class SalesMapperTestCase(SimpleTestCase):
    def assert_valid(self, *requests: etree._Element | None) -> None:
        xsd = require_xsd_dir()
        for request in requests:
            assert request is not None
            for version in ("13.0", "16.0"):
                self.assertEqual(errors_in_request(request, version, xsd), [], version)


def invoice(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "INV-1001",
        "customer": {"name": "Jo Smith"},
        "placed_on": "2024-03-01T10:00:00Z",
        "line_items": [
            {"product_id": "TEE", "quantity": 2, "price": 10, "class_name": "Retail"},
            {"product_id": "CAP", "quantity": 1, "price": 5, "inventory_site_name": "ATL"},
        ],
        "adjustments": [{"name": "Shipping", "value": 4}],
    }
    return {**base, **fields}


class InvoiceMapperTestCase(SalesMapperTestCase):
    mapper = InvoiceMapper()

    def test_it_builds_valid_requests_from_the_flowlink_invoice_fixture(self) -> None:
        obj = view(self.mapper, fixture("add", "invoice_from_flowlink.json"), external_guid=GUID)

        self.assert_valid(
            self.mapper.add(obj), self.mapper.mod(as_mod(obj)), self.mapper.lookup(obj)
        )

    def test_it_sends_set_credit_after_external_guid_and_skips_the_memo_already_linked(
        self,
    ) -> None:
        obj = view(self.mapper, fixture("add", "invoice_from_flowlink.json"), external_guid=GUID)

        body = self.mapper.add(obj).find("InvoiceAdd")

        order = tags(body)
        self.assertLess(order.index("ExternalGUID"), order.index("SetCredit"))
        self.assertLess(order.index("SetCredit"), order.index("InvoiceLineAdd"))
        credits = [
            (c.findtext("CreditTxnID"), c.findtext("AppliedAmount"), c.findtext("Override"))
            for c in body.findall("SetCredit")
        ]
        self.assertEqual(
            credits,
            [("B7D3B-1595450716", "5.00", "false"), ("B7CA8-1595449464", "100.00", "false")],
        )

    def test_it_applies_credit_memos_on_a_mod_too(self) -> None:
        memo = fixture("add", "credit_memo_one.json")
        obj = as_mod(view(self.mapper, invoice(credit_memos=[memo])))

        rq = self.mapper.mod(obj)

        self.assert_valid(rq)
        self.assertEqual(rq.findtext("InvoiceMod/SetCredit/CreditTxnID"), "B7D3B-1595450716")

    def test_it_does_not_apply_again_a_memo_quickbooks_shows_linked_to_the_invoice(self) -> None:
        memo = fixture("add", "credit_memo_one.json")
        obj = as_mod(
            view(self.mapper, invoice(credit_memos=[memo])),
            qb_state={"lines": [], "linked": ["B7D3B-1595450716"]},
        )

        rq = self.mapper.mod(obj)

        self.assertIsNone(rq.find("InvoiceMod/SetCredit"))
        self.assert_valid(self.mapper.lookup(obj))
        self.assertEqual(self.mapper.lookup(obj).findtext("IncludeLinkedTxns"), "true")

    def test_it_treats_qbe_id_transaction_id_or_list_id_as_the_existing_txn_id(self) -> None:
        for key in ("qbe_id", "transaction_id", "list_id"):
            with self.subTest(key):
                self.assertEqual(
                    self.mapper.known_qb_id(invoice(**{key: "A9-1592413975"})), "A9-1592413975"
                )

    def test_it_sends_sales_rep_ship_method_memo_terms_and_flags(self) -> None:
        payload = invoice(
            sales_rep={"name": "SS"},
            shipping_method={"name": "UPS"},
            memo="Thanks & <bye>",
            terms_name="Net 30",
            is_pending=False,
            is_to_be_printed="1",
            is_to_be_emailed=True,
        )

        body = self.mapper.add(view(self.mapper, payload)).find("InvoiceAdd")

        self.assert_valid(body.getparent())
        self.assertEqual(
            [
                body.findtext(tag)
                for tag in (
                    "SalesRepRef/FullName",
                    "ShipMethodRef/FullName",
                    "Memo",
                    "TermsRef/FullName",
                    "IsPending",
                    "IsToBePrinted",
                    "IsToBeEmailed",
                )
            ],
            ["SS", "UPS", "Thanks & <bye>", "Net 30", "false", "true", "true"],
        )

    def test_it_sends_line_class_and_inventory_site(self) -> None:
        lines = self.mapper.add(view(self.mapper, invoice())).findall("InvoiceAdd/InvoiceLineAdd")

        self.assertEqual(lines[0].findtext("ClassRef/FullName"), "Retail")
        self.assertEqual(lines[1].findtext("InventorySiteRef/FullName"), "ATL")

    def test_it_refuses_a_sales_rep_longer_than_quickbooks_initials(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(invoice(sales_rep={"name": "Sam Seller"}), PARAMS)

        self.assertEqual(caught.exception.field, "sales_rep.name")

    def test_it_names_a_credit_memo_entry_without_its_txn_id(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(invoice(credit_memos=[{"applied_amount": 5}]), PARAMS)

        self.assertEqual(caught.exception.field, "credit_memos[0].qbe_id")

    def test_it_queues_one_payment_per_entry_only_with_auto_create_payments(self) -> None:
        payments = [
            {"id": "P-1", "amount": 10, "payment_method": "Check"},
            {"id": "P-2", "amount": 5.5, "deposit_account": "Checking"},
            {"amount": 1},  # no id: nothing FlowLink could match, skipped as upstream did
        ]
        payload = invoice(payments=payments)

        off = self.mapper.followers(payload, PARAMS)
        on = self.mapper.followers(payload, {**PARAMS, "quickbooks_auto_create_payments": "1"})

        self.assertEqual(off, [])
        self.assertEqual(
            [(f.object_type, f.payload["id"]) for f in on],
            [("payments", "P-1"), ("payments", "P-2")],
        )
        self.assertEqual(on[0].payload["invoice_id"], "INV-1001")
        self.assertEqual(on[0].payload["customer"], {"name": "Jo Smith"})
        self.assertEqual(on[1].payload["deposit_account"], "Checking")


class CreditMemoMapperTestCase(SalesMapperTestCase):
    mapper = CreditMemoMapper()

    def test_it_builds_valid_requests_from_the_flowlink_memo_fixture(self) -> None:
        obj = view(self.mapper, fixture("add", "memo_from_flowlink.json"), {})

        self.assert_valid(
            self.mapper.add(obj), self.mapper.mod(as_mod(obj)), self.mapper.lookup(obj)
        )
        self.assertEqual(self.mapper.known_qb_id(obj.payload), "list-1234")

    def test_it_sends_no_adjustment_lines(self) -> None:
        payload = {**invoice(), "id": "CM-1"}

        lines = self.mapper.add(view(self.mapper, payload, {})).findall(
            "CreditMemoAdd/CreditMemoLineAdd"
        )

        self.assertEqual([line.findtext("ItemRef/FullName") for line in lines], ["TEE", "CAP"])

    def test_it_sends_other_as_the_other_field_and_the_memo_header_spellings(self) -> None:
        payload = {
            **invoice(),
            "other": "12345:::Check",
            "template_name": "Custom Credit Memo",
            "po_number": "PO-9",
            "terms": "Net 30",
            "ar_account": "Accounts Receivable",
            "sales_rep_name": "SS",
            "ship_method_name": "UPS",
            "customer_msg_name": "Thank you for your business.",
            "is_tax_included": "false",
            "due_date": "2024-04-01",
        }

        rq = self.mapper.add(view(self.mapper, payload, {}))

        self.assert_valid(rq)
        body = rq.find("CreditMemoAdd")
        self.assertEqual(body.findtext("Other"), "12345:::Check")
        self.assertEqual(body.findtext("TemplateRef/FullName"), "Custom Credit Memo")
        self.assertEqual(body.findtext("PONumber"), "PO-9")
        self.assertEqual(body.findtext("ARAccountRef/FullName"), "Accounts Receivable")
        self.assertIsNone(body.find("SetCredit"))

    def test_it_takes_customer_name_when_there_is_no_customer_hash(self) -> None:
        payload = {"id": "CM-2", "customer_name": "ABC Test", "line_items": [{"product_id": "X"}]}

        rq = self.mapper.add(view(self.mapper, payload, {}))

        self.assertEqual(rq.findtext("CreditMemoAdd/CustomerRef/FullName"), "ABC Test")


def payment(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "PAY-1",
        "customer": {"name": "Jo Smith"},
        "amount": 25.5,
        "payment_method": "Check",
        "deposit_account": "Undeposited Funds",
        "invoice_txn_id": "C5-1417118624",
        "credit_txn_id": "B7D37-1595450715",
        "credit_amount": 5,
        "external_guid": GUID,
    }
    return {**base, **fields}


class PaymentMapperTestCase(SalesMapperTestCase):
    mapper = PaymentMapper()

    def test_it_applies_the_spec_example_to_its_invoice_with_the_credit_inside(self) -> None:
        obj = view(self.mapper, payment(), {}, external_guid=GUID)

        rq = self.mapper.add(obj)

        self.assert_valid(rq, self.mapper.mod(as_mod(obj)), self.mapper.lookup(obj))
        body = rq.find("ReceivePaymentAdd")
        self.assertEqual(body.findtext("TotalAmount"), "25.50")
        self.assertEqual(body.findtext("AppliedToTxnAdd/TxnID"), "C5-1417118624")
        self.assertEqual(body.findtext("AppliedToTxnAdd/PaymentAmount"), "25.50")
        self.assertEqual(body.findtext("AppliedToTxnAdd/SetCredit/CreditTxnID"), "B7D37-1595450715")
        self.assertEqual(body.findtext("AppliedToTxnAdd/SetCredit/AppliedAmount"), "5.00")
        self.assertEqual(tags(body)[-2:], ["ExternalGUID", "AppliedToTxnAdd"])

    def test_it_auto_applies_when_invoice_txn_id_is_null_empty_or_absent(self) -> None:
        for payload in (payment(invoice_txn_id=None), payment(invoice_txn_id=""), payment()):
            payload.pop("invoice_txn_id", None) if payload[
                "invoice_txn_id"
            ] == "C5-1417118624" else None
            with self.subTest(payload.get("invoice_txn_id", "absent")):
                rq = self.mapper.add(view(self.mapper, payload, {}))

                self.assert_valid(rq)
                self.assertEqual(rq.findtext("ReceivePaymentAdd/IsAutoApply"), "true")
                self.assertIsNone(rq.find("ReceivePaymentAdd/AppliedToTxnAdd"))

    def test_it_keeps_the_last_twenty_characters_as_refnumber(self) -> None:
        obj = view(self.mapper, payment(id="PAYMENT-000000000000012345"), {})

        self.assertEqual(
            self.mapper.add(obj).findtext("ReceivePaymentAdd/RefNumber"), "T-000000000000012345"
        )

    def test_it_applies_to_the_txn_id_of_the_invoice_it_waits_for(self) -> None:
        payload = payment(invoice_id="INV-1001")
        del payload["invoice_txn_id"]
        obj = view(self.mapper, payload, {}, dependency_ids={"invoices:INV-1001": "9F-1700000000"})

        rq = self.mapper.add(obj)

        self.assertEqual(rq.findtext("ReceivePaymentAdd/AppliedToTxnAdd/TxnID"), "9F-1700000000")
        deps = self.mapper.dependencies(payload, {})
        self.assertIn(
            ("invoices", {"id": "INV-1001"}, REQUIRE),
            [(d.object_type, d.payload, d.mode) for d in deps],
        )

    def test_it_never_sends_an_empty_txn_id_while_the_invoice_is_missing(self) -> None:
        payload = payment(invoice_id="INV-1001")

        with self.assertRaises(PayloadError) as caught:
            self.mapper.add(view(self.mapper, payload, {}))

        self.assertEqual(caught.exception.field, "invoice_id")
        self.mapper.validate(payload, {})  # the shape itself is accepted at intake

    def test_it_refuses_a_negative_amount(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(payment(amount=-1), {})

        self.assertEqual(caught.exception.field, "amount")

    def test_it_builds_the_payment_customer_unless_told_not_to(self) -> None:
        built = self.mapper.dependencies(payment(), {})[0]
        kept = self.mapper.dependencies(payment(quickbooks_do_not_update_customer="1"), {})[0]

        self.assertEqual((built.mode, built.payload["name"]), (ENSURE, "Jo Smith"))
        self.assertEqual((kept.mode, kept.payload), (REQUIRE, {"name": "Jo Smith"}))


def order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "R1001",
        "customer": {"name": "Jo Smith", "email": "jo@example.com"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10, "cost": 4}],
        "adjustments": [{"name": "Shipping", "value": 5}, {"name": "Tax", "value": 1}],
        "tax_line_items": [{"name": "PA State", "value": 0.6}, {"name": "City", "value": 0.4}],
    }
    return {**base, **fields}


class OrderParametersTestCase(SalesMapperTestCase):
    mapper = OrderMapper()

    def test_it_only_closes_an_order_cancelled_by_id(self) -> None:
        bare = {"id": "R1001", "status": "cancelled"}
        obj = as_mod(view(self.mapper, bare, {}))

        rq = self.mapper.mod(obj)

        self.assert_valid(rq)
        self.assertEqual(
            tags(rq.find("SalesOrderMod")), ["TxnID", "EditSequence", "IsManuallyClosed"]
        )
        self.assertEqual(self.mapper.dependencies(bare, {}), [])
        self.mapper.validate(bare, {})

    def test_it_explains_that_an_order_missing_from_quickbooks_cannot_be_cancelled_by_id(
        self,
    ) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.add(view(self.mapper, {"id": "R1001", "status": "cancelled"}, {}))

        self.assertEqual(caught.exception.field, "line_items")

    def test_it_sends_class_template_terms_po_number_and_ship_date(self) -> None:
        payload = order(
            class_name="Retail",
            template="Custom Sales Order",
            terms_name="Net 30",
            purchase_order_number="PO-77",
            ship_date="2024-03-05",
        )

        body = self.mapper.add(view(self.mapper, payload)).find("SalesOrderAdd")

        self.assert_valid(body.getparent())
        self.assertEqual(
            [
                body.findtext(t)
                for t in (
                    "ClassRef/FullName",
                    "TemplateRef/FullName",
                    "TermsRef/FullName",
                    "PONumber",
                    "ShipDate",
                )
            ],
            ["Retail", "Custom Sales Order", "Net 30", "PO-77", "2024-03-05"],
        )

    def test_it_prefers_the_order_s_own_adjustment_item(self) -> None:
        lines = self.mapper.add(view(self.mapper, order(shipping_item="Freight"))).findall(
            "SalesOrderAdd/SalesOrderLineAdd"
        )

        self.assertEqual(lines[1].findtext("ItemRef/FullName"), "Freight")

    def test_it_uses_tax_lines_instead_of_tax_adjustments_when_asked(self) -> None:
        params = {**PARAMS, "quickbooks_use_tax_line_items": "1"}

        lines = self.mapper.add(view(self.mapper, order(), params)).findall(
            "SalesOrderAdd/SalesOrderLineAdd"
        )

        self.assertEqual(
            [
                (line.findtext("ItemRef/FullName"), line.findtext("Desc"), line.findtext("Rate"))
                for line in lines
            ],
            [
                ("TEE", None, "10"),
                ("Shipping", "Shipping", "5"),
                ("PA Sales Tax", "PA State", "0.6"),
                ("PA Sales Tax", "City", "0.4"),
            ],
        )

    def test_it_uses_the_customer_object_as_sent_when_asked(self) -> None:
        deps = self.mapper.dependencies(order(), {**PARAMS, "quickbooks_use_customer_object": "1"})

        self.assertEqual(
            (deps[0].payload, deps[0].mode),
            ({"name": "Jo Smith", "email": "jo@example.com"}, ENSURE),
        )

    def test_it_leaves_the_customer_alone_by_parameter_or_by_field(self) -> None:
        by_param = self.mapper.dependencies(
            order(), {**PARAMS, "quickbooks_do_not_update_customer": "true"}
        )
        by_field = self.mapper.dependencies(order(quickbooks_do_not_update_customer="1"), PARAMS)

        for deps in (by_param, by_field):
            self.assertEqual((deps[0].payload, deps[0].mode), ({"name": "Jo Smith"}, REQUIRE))

    def test_it_sends_the_customer_email_parameter_as_the_customer(self) -> None:
        params = {**PARAMS, "quickbooks_customer_email": "shop@example.com"}

        rq = self.mapper.add(view(self.mapper, order(), params))

        self.assertEqual(rq.findtext("SalesOrderAdd/CustomerRef/FullName"), "shop@example.com")

    def test_it_creates_the_order_s_products_as_sent_when_asked(self) -> None:
        products = [{"product_id": "TEE", "price": 12, "description": "T-Shirt"}]
        params = {**PARAMS, "quickbooks_use_product_objects": "1"}

        deps = self.mapper.dependencies(order(products=products), params)

        items = [(d.payload, d.mode) for d in deps if d.object_type == "products"]
        self.assertEqual(
            items[0], ({"product_id": "TEE", "price": 12, "description": "T-Shirt"}, ENSURE)
        )
        self.assertEqual([p["product_id"] for p, _ in items], ["TEE", "Shipping", "PA Sales Tax"])

    def test_it_gives_auto_created_items_the_flow_s_accounts(self) -> None:
        params = {
            **PARAMS,
            "quickbooks_auto_create_products": "1",
            "quickbooks_income_account": "Sales",
            "quickbooks_cogs_account": "Cost of Goods Sold",
            "quickbooks_inventory_account": "Inventory Asset",
        }

        item = self.mapper.dependencies(order(), params)[1]

        self.assertEqual(
            (item.mode, item.payload),
            (
                ENSURE,
                {
                    "product_id": "TEE",
                    "price": 10,
                    "cost": 4,
                    "income_account": "Sales",
                    "cogs_account": "Cost of Goods Sold",
                    "inventory_account": "Inventory Asset",
                },
            ),
        )

    def test_it_tells_which_parameter_names_a_missing_adjustment_item(self) -> None:
        shipping = self.mapper.dependencies(order(), PARAMS)[2]

        self.assertEqual(shipping.payload["product_id"], "Shipping")
        self.assertEqual(
            shipping.payload[NOT_FOUND_HINT],
            "set quickbooks_shipping_item or enable auto-create with "
            "quickbooks_other_charge_shipping_account",
        )

    def test_it_names_the_order_field_that_chose_a_missing_tax_line_item(self) -> None:
        params = {**PARAMS, "quickbooks_use_tax_line_items": "1"}
        deps = self.mapper.dependencies(order(tax_item="County Tax"), params)

        tax = next(d for d in deps if d.payload.get("product_id") == "County Tax")

        self.assertEqual(
            tax.payload[NOT_FOUND_HINT],
            "set tax_item or enable auto-create with quickbooks_other_charge_tax_account",
        )

    def test_it_wraps_a_bare_uuid_guid_and_omits_one_quickbooks_cannot_take(self) -> None:
        wrapped = self.mapper.add(
            view(self.mapper, order(), external_guid="77c2ba76-7f41-463d-9063-57d5022bdbed")
        )
        dropped = self.mapper.add(view(self.mapper, order(), external_guid="12345"))

        self.assertEqual(wrapped.findtext("SalesOrderAdd/ExternalGUID"), GUID)
        self.assertIsNone(dropped.find("SalesOrderAdd/ExternalGUID"))


# -- property tests: random payloads give valid qbXML or a PayloadError -------------------

_text = st.text(min_size=0, max_size=60)
_names = st.one_of(
    st.text(min_size=1, max_size=40), st.sampled_from(["Jo & <Co>", "São Paulo", "O'Neil"])
)
_amounts = st.one_of(
    st.decimals(min_value=Decimal("-99999"), max_value=Decimal("99999"), places=3),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from([0, "0", "0.00", -0.01]),
)
_ids = st.one_of(st.text(min_size=1, max_size=300), st.integers(min_value=0, max_value=10**30))
_lines = st.lists(
    st.fixed_dictionaries(
        {"product_id": _names, "quantity": _amounts, "price": _amounts},
        optional={
            "description": _text,
            "amount": _amounts,
            "class_name": _names,
            "inventory_site_name": _names,
            "tax_code_id": st.sampled_from(["Tax", "Non"]),
        },
    ),
    min_size=0,
    max_size=4,
)
_sales = st.fixed_dictionaries(
    {"id": _ids, "customer": st.fixed_dictionaries({"name": _names}), "line_items": _lines},
    optional={
        "adjustments": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(
                        ["Shipping", "Discount", "Tax", "Shipping_discount", "Other"]
                    ),
                    "value": _amounts,
                }
            ),
            max_size=3,
        ),
        "memo": _text,
        "placed_on": st.sampled_from(["2024-02-29T23:59:59Z", "02/03/2014", "2014-02-03"]),
        "status": st.sampled_from(["cancelled", "complete", ""]),
        "credit_memos": st.lists(
            st.fixed_dictionaries(
                {"qbe_id": st.text(min_size=1, max_size=40), "applied_amount": _amounts}
            ),
            max_size=2,
        ),
        "external_guid": st.one_of(st.uuids().map(str), _text),
        "other": _text,
        "purchase_order_number": _text,
    },
)
_payments = st.fixed_dictionaries(
    {"id": _ids, "customer": st.fixed_dictionaries({"name": _names}), "amount": _amounts},
    optional={
        "invoice_txn_id": st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=40)),
        "credit_txn_id": st.text(min_size=1, max_size=40),
        "credit_amount": _amounts,
        "payment_method": _names,
        "memo": _text,
    },
)


class SalesPropertyTestCase(SimpleTestCase):
    # ShipmentPropertyTestCase borrows this method: any SimpleTestCase may run it.
    def check(
        self: SimpleTestCase, mapper: Mapper, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        try:
            mapper.validate(payload, params)
            obj = view(mapper, payload, params, external_guid=str(payload.get("external_guid", "")))
            requests = [mapper.add(obj), mapper.mod(as_mod(obj)), mapper.lookup(obj)]
        except PayloadError:
            return
        for request in requests:
            for version in ("13.0", "16.0"):
                self.assertEqual(
                    errors_in_request(request, version, require_xsd_dir()),
                    [],
                    etree.tostring(request),
                )

    @settings(max_examples=60, deadline=None)
    @given(
        mapper=st.sampled_from([OrderMapper(), InvoiceMapper(), CreditMemoMapper()]),
        payload=_sales,
        params=st.sampled_from([{}, PARAMS, {**PARAMS, "use_amount_for_tax": "1"}]),
    )
    def test_it_builds_valid_sales_transactions_or_names_the_field(
        self, mapper: Mapper, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(mapper, payload, params)

    @settings(max_examples=60, deadline=None)
    @given(payload=_payments)
    def test_it_builds_valid_payments_or_names_the_field(self, payload: dict[str, Any]) -> None:
        self.check(PaymentMapper(), payload, {})


class ShipmentMapperTestCase(SalesMapperTestCase):
    mapper = ShipmentMapper()
    order_state = {"lines": [{"txn_line_id": "L-1", "item": "spree-t-shirt"}]}

    def shipment(self, **fields: Any) -> dict[str, Any]:
        return {**fixture("legacy", "shipment.json")["shipment"], **fields}

    def test_it_links_each_shipped_line_to_the_order_line_of_its_item(self) -> None:
        obj = view(
            self.mapper,
            self.shipment(),
            dependency_ids={"orders:R154085346": "5-1700000000"},
            dependency_states={"orders:R154085346": self.order_state},
        )

        rq = self.mapper.add(obj)

        self.assert_valid(rq, self.mapper.mod(as_mod(obj)), self.mapper.lookup(obj))
        line = rq.find("InvoiceAdd/InvoiceLineAdd")
        self.assertEqual(
            (line.findtext("LinkToTxn/TxnID"), line.findtext("LinkToTxn/TxnLineID")),
            ("5-1700000000", "L-1"),
        )
        self.assertIsNone(self.mapper.mod(as_mod(obj)).find(".//LinkToTxn"))

    def test_it_ensures_the_sales_order_and_keys_the_customer_by_email(self) -> None:
        deps = self.mapper.dependencies(self.shipment(), PARAMS)

        self.assertEqual(
            (deps[0].object_type, deps[0].payload["name"]), ("customers", "spree@example.com")
        )
        order = deps[-1]
        self.assertEqual(
            (order.object_type, order.mode, order.payload["id"]), ("orders", ENSURE, "R154085346")
        )
        self.assertEqual(order.payload["line_items"][0]["product_id"], "SPREE-T-SHIRT")

    def test_it_falls_back_to_id_when_there_is_no_name(self) -> None:
        self.assertEqual(self.mapper.identity(self.shipment()), "12836266231")
        self.assertEqual(self.mapper.identity(self.shipment(name="S-1")), "S-1")

    def test_it_names_the_missing_order_id(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(self.shipment(order_id=None), PARAMS)

        self.assertEqual(caught.exception.field, "order_id")


_shipments = st.fixed_dictionaries(
    {
        "id": _ids,
        "order_id": _ids,
        "email": _names,
        "items": st.lists(
            st.fixed_dictionaries({"product_id": _names, "quantity": _amounts, "price": _amounts}),
            max_size=3,
        ),
    },
    optional={
        "totals": st.fixed_dictionaries(
            {},
            optional={
                "discount": _amounts,
                "adjustment": _amounts,
                "shipping": _amounts,
                "tax": _amounts,
            },
        ),
        "shipped_at": st.sampled_from(["2014-02-03T17:33:55.343Z", "bad date"]),
    },
)


class ShipmentPropertyTestCase(SimpleTestCase):
    check = SalesPropertyTestCase.check

    @settings(max_examples=40, deadline=None)
    @given(payload=_shipments)
    def test_it_builds_valid_shipment_invoices_or_names_the_field(
        self, payload: dict[str, Any]
    ) -> None:
        self.check(ShipmentMapper(), payload, PARAMS)


class AdjustmentItemCreationTestCase(SimpleTestCase):
    def test_it_creates_adjustment_items_as_other_charges_when_their_account_is_set(self) -> None:
        params = {
            **PARAMS,
            "quickbooks_other_charge_shipping_account": "Shipping Income",
            "quickbooks_other_charge_tax_account": "Sales Tax Payable",
        }

        deps = OrderMapper().dependencies(order(), params)

        created = [(d.object_type, d.payload, d.mode) for d in deps[2:]]
        self.assertEqual(
            created,
            [
                (
                    "otherchargeproducts",
                    {
                        "product_id": "Shipping",
                        "description": "Shipping",
                        "sales_or_purchase": True,
                        "account_name": "Shipping Income",
                    },
                    ENSURE,
                ),
                (
                    "otherchargeproducts",
                    {
                        "product_id": "PA Sales Tax",
                        "description": "PA Sales Tax",
                        "sales_or_purchase": True,
                        "account_name": "Sales Tax Payable",
                    },
                    ENSURE,
                ),
            ],
        )
