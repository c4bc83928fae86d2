"""FlowLink payments → QuickBooks ReceivePayment (flowlink §6.8; qbxml §18).

A payment is applied to `invoice_txn_id` when given, to the invoice qbsync wrote for
`invoice_id` (payments derived from an invoice wait for its TxnID), and otherwise
auto-applied by QuickBooks (IsAutoApply) to the customer's oldest open invoices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.payments import PaymentType, invoice_key
from objects.types.sales import customer_name
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    Element,
    ObjectView,
    as_found,
    param,
    require,
)
from qbwc.qbxml.mappers.transactions import TransactionMapper
from qbwc.qbxml.values import PayloadError, is_blank

PAYMENT_REF_NUMBER_MAX = 20


class PaymentMapper(TransactionMapper, PaymentType):
    qb_type = "ReceivePayment"
    qb_label = "payment"
    ref_number_max = PAYMENT_REF_NUMBER_MAX
    # The payment's lines are its invoice applications, which a Mod restates in full.
    include_line_items = False

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        view = self.view(payload, params)
        if not is_blank(payload.get("invoice_id")):
            # The invoice's TxnID is only known once it is in QuickBooks; check the shape.
            view.dependency_ids = {invoice_key(payload["invoice_id"]): "0-0"}
        self.add(view)
        if not adds_only:
            self.mod(as_found(view))

    # -- requests -------------------------------------------------------------
    def invoice_txn_id(self, obj: ObjectView) -> str:
        """The invoice TxnID to apply the payment to; empty means IsAutoApply."""
        invoice_id = obj.payload.get("invoice_id")
        if not is_blank(invoice_id):
            txn_id = obj.dependency_ids.get(invoice_key(invoice_id), "")
            if not txn_id:
                raise PayloadError(
                    "invoice_id",
                    f"invoice '{invoice_id}' is not in QuickBooks yet; "
                    "the payment is sent once it is",
                )
            return txn_id
        # Upstream tested only that the key existed: null gave an empty TxnID (flowlink §6.8).
        value = obj.payload.get("invoice_txn_id")
        return "" if is_blank(value) else values.text(value, "invoice_txn_id", 36)

    def _amount(self, obj: ObjectView) -> str:
        raw = require(obj.payload, "amount")
        amount = values.amount(raw, "amount")
        if values.to_decimal(amount, "amount") < 0:
            raise PayloadError(
                "amount", f"{raw!r} is negative; QuickBooks cannot receive a negative payment"
            )
        return amount

    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        field, ref = customer_name(payload, obj.params)
        E.add_ref(body, "CustomerRef", ref, field)
        E.add_ref(body, "ARAccountRef", payload.get("ar_account"), "ar_account")
        E.add_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        E.child(
            body,
            "RefNumber",
            values.text(self.ref_number(obj), "id", PAYMENT_REF_NUMBER_MAX),
        )
        E.child(body, "TotalAmount", self._amount(obj))
        E.add_ref(body, "PaymentMethodRef", payload.get("payment_method"), "payment_method", 31)
        E.add_text(body, "Memo", payload.get("memo"), "memo", 4095)
        E.add_ref(
            body, "DepositToAccountRef", param(obj, "deposit_account"), "deposit_account", 159
        )
        if is_add:
            guid = values.guid(obj.external_guid or payload.get("external_guid"))
            if guid:
                E.child(body, "ExternalGUID", guid)

    def _application(self, body: Element, obj: ObjectView, tag: str, txn_id: str) -> None:
        applied = E.child(body, tag)
        E.child(applied, "TxnID", txn_id)
        E.child(applied, "PaymentAmount", self._amount(obj))
        credit_id = obj.payload.get("credit_txn_id")
        if not is_blank(credit_id):
            credit = E.child(applied, "SetCredit")
            E.child(credit, "CreditTxnID", values.text(credit_id, "credit_txn_id", 36))
            E.child(
                credit,
                "AppliedAmount",
                values.amount(require(obj.payload, "credit_amount"), "credit_amount"),
            )

    def add(self, obj: ObjectView) -> Element:
        rq = E.element("ReceivePaymentAddRq")
        body = E.child(rq, "ReceivePaymentAdd")
        self._header(body, obj, is_add=True)
        txn_id = self.invoice_txn_id(obj)
        if txn_id:
            self._application(body, obj, "AppliedToTxnAdd", txn_id)
        else:
            E.child(body, "IsAutoApply", "true")
        return rq

    def mod(self, obj: ObjectView) -> Element:
        rq, body = self._mod_request(obj)
        self._header(body, obj, is_add=False)
        txn_id = self.invoice_txn_id(obj)
        # An auto-applied payment keeps the applications QuickBooks chose.
        if txn_id:
            self._application(body, obj, "AppliedToTxnMod", txn_id)
        return rq
