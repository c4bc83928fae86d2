"""Invoices and credit memos: every request is valid qbXML."""

from __future__ import annotations

from typing import Any

from qbwc.qbxml.mappers.credit_memos import CreditMemoMapper
from qbwc.qbxml.mappers.invoices import InvoiceMapper
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_sales_helpers import (
    GUID,
    PARAMS,
    SalesMapperTestCase,
    as_mod,
    fixture,
    tags,
    view,
)


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
