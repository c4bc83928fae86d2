"""Payments: every request is valid qbXML."""

from __future__ import annotations

from typing import Any

from qbwc.qbxml.mappers.base import ENSURE, REQUIRE
from qbwc.qbxml.mappers.payments import PaymentMapper
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_sales_helpers import GUID, SalesMapperTestCase, as_mod, tags, view


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
