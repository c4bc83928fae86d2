"""FlowLink payments → a QuickBooks Online Payment (flowlink §6.8).

QBO Payments have no DocNumber: the FlowLink id is the `PaymentRefNum` (max 21, the
last 21 characters of a longer id) and the lookup finds it there.

The payment is applied (a `Line` with a `LinkedTxn`) to the invoice qbsync holds under
`invoice_id` (its Id once that invoice is written, else a reference by DocNumber), or to
`invoice_txn_id`, a QBO invoice Id FlowLink knows. Without either it is left unapplied
on the customer's account: QBO's API has no IsAutoApply (the Desktop's choice of the
oldest open invoices).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ObjectView, param_source, require
from objects.types.payments import PaymentType, invoice_key
from objects.types.sales import customer_name
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import money, put_date, text
from qbo.mappers.base import Ref
from qbo.mappers.documents import DocumentMapper, doc_number, party_ref, private_note

PAYMENT_REF_MAX = 21


class PaymentMapper(DocumentMapper, PaymentType):
    entity = "Payment"
    label = "payment"
    natural_key = "PaymentRefNum"

    def create(self, view: ObjectView) -> dict[str, Any]:
        payload = view.payload
        if not is_blank(payload.get("credit_txn_id")):
            raise PayloadError(
                "credit_txn_id",
                "QuickBooks Online applies a credit memo as a line of its own, which qbsync "
                "does not send; apply the credit in QuickBooks Online",
            )
        field, ref = customer_name(payload, view.params)
        amount = self.amount(payload)
        body: dict[str, Any] = {
            "CustomerRef": party_ref(view, "customers", "Customer", ref, field),
            "TotalAmt": amount,
            "PaymentRefNum": self.ref_number(view),
        }
        put_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        method, where = payload.get("payment_method"), "payment_method"
        if isinstance(method, Mapping):
            method, where = method.get("name"), "payment_method.name"
        if not is_blank(method):
            body["PaymentMethodRef"] = Ref("PaymentMethod", text(method, where, 31), "Name", where)
        account, source = param_source(view, "deposit_account")
        if not is_blank(account):
            body["DepositToAccountRef"] = Ref(
                "Account", text(account, source, 100), "FullyQualifiedName", source
            )
        if not is_blank(payload.get("ar_account")):
            body["ARAccountRef"] = Ref(
                "Account",
                text(payload["ar_account"], "ar_account", 100),
                "FullyQualifiedName",
                "ar_account",
            )
        body["PrivateNote"] = private_note(view, payload.get("memo"))
        invoice = self.invoice_id(view)
        if invoice is not None:
            body["Line"] = [
                {"Amount": amount, "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}]}
            ]
        return body

    def amount(self, payload: Mapping[str, Any]) -> Any:
        raw = require(payload, "amount")
        amount = money(raw, "amount")
        if amount < 0:
            raise PayloadError(
                "amount", f"{raw!r} is negative; QuickBooks cannot receive a negative payment"
            )
        return amount

    def invoice_id(self, view: ObjectView) -> str | Ref | None:
        """The invoice the payment is applied to: an Id, a reference by DocNumber, or None."""
        payload = view.payload
        invoice_id = payload.get("invoice_id")
        if not is_blank(invoice_id):
            known = view.dependency_ids.get(invoice_key(invoice_id), "")
            if known:
                return known
            return Ref("Invoice", doc_number(str(invoice_id)), "DocNumber", "invoice_id")
        # Upstream tested only that the key existed: null is "not applied" (flowlink §6.8).
        txn_id = payload.get("invoice_txn_id")
        return None if is_blank(txn_id) else text(txn_id, "invoice_txn_id", 40)

    def ref_number(self, view: ObjectView) -> str:
        return view.identity[-PAYMENT_REF_MAX:]
