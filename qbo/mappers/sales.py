"""FlowLink sales documents → QuickBooks Online Invoice, SalesReceipt, Estimate,
CreditMemo and RefundReceipt (flowlink §6.2–§6.5, §6.7, §6.9; qbo-api §5).

Every one is a header (customer, DocNumber, date, addresses, a PrivateNote carrying the
FlowLink id) and lines (qbo.mappers.lines). The customer and the items are dependencies
intake queues first (objects.types.lines); the mapper references them by the Id they
got when known, else by name (a `Ref` the push pass resolves).

An update is sparse: QBO replaces the whole `Line` array when one is sent, so the lines
FlowLink sends become the document's lines, as a Desktop Mod does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from objects.types.base import ObjectView, param_source
from objects.types.credit_memos import CreditMemoType
from objects.types.invoices import InvoiceType, credits_to_apply
from objects.types.lines import LinesType
from objects.types.sales import customer_name
from objects.types.sales_receipts import ReturnType, SalesReceiptType
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import address, put_date, put_text, text
from qbo.mappers.base import Ref
from qbo.mappers.documents import DocumentMapper, party_ref, private_note
from qbo.mappers.lines import SALES_DETAIL, adjustment_lines, item_line

# RefundReceipt needs the account the refund is paid from; a bank account of the
# double's (and a new QBO company's) starter chart. Undeposited Funds cannot pay out.
DEFAULT_REFUND_ACCOUNT = "Checking"
PAYMENT_REF_MAX = 21
TRACKING_MAX = 31


class SalesDocumentMapper(DocumentMapper, LinesType):
    """Base of the sales documents: a customer, item lines and adjustments."""

    # The header fields this entity has besides the common ones.
    ships: ClassVar[bool] = True  # ShipDate, TrackingNum
    is_receipt: ClassVar[bool] = False  # PaymentMethodRef, DepositToAccountRef, PaymentRefNum
    rate_keys: ClassVar[tuple[str, ...]] = ("line_item_price", "price")

    def as_order(self, view: ObjectView) -> ObjectView:
        """The object with its payload read as an order (LinesType.normalise)."""
        payload = self.normalise(view.payload, view.params)
        return view if payload is view.payload else replace(view, payload=dict(payload))

    # -- body -------------------------------------------------------------------
    def create(self, view: ObjectView) -> dict[str, Any]:
        view = self.as_order(view)
        payload = view.payload
        field, ref = customer_name(payload, view.params)
        body: dict[str, Any] = {
            "CustomerRef": party_ref(view, "customers", "Customer", ref, field),
            "DocNumber": self.ref_number(view),
        }
        put_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        for key, name in (("BillAddr", "billing_address"), ("ShipAddr", "shipping_address")):
            found = address(payload.get(name), name)
            if found is not None:
                body[key] = found
        if self.ships:
            put_date(body, "ShipDate", payload.get("ship_date"), "ship_date")
            tracking = payload.get("tracking_number", payload.get("tracking"))
            put_text(body, "TrackingNum", tracking, "tracking_number", TRACKING_MAX)
        self.header(body, view)
        body["PrivateNote"] = private_note(view, payload.get("memo"))
        self.lines(body, view)
        return body

    def header(self, body: dict[str, Any], view: ObjectView) -> None:
        """The entity's own header fields."""
        if self.is_receipt:
            self.receipt_header(body, view)

    def receipt_header(self, body: dict[str, Any], view: ObjectView) -> None:
        payload = view.payload
        method, where = payload.get("payment_method_name"), "payment_method_name"
        if is_blank(method) and isinstance(payload.get("payment_method"), Mapping):
            method, where = payload["payment_method"].get("name"), "payment_method.name"
        elif is_blank(method):
            method, where = payload.get("payment_method"), "payment_method"
        if not is_blank(method):
            body["PaymentMethodRef"] = Ref("PaymentMethod", text(method, where, 31), "Name", where)
        put_text(body, "PaymentRefNum", payload.get("check_number"), "check_number", 21)
        account, source = self.deposit_account(view)
        if not is_blank(account):
            body["DepositToAccountRef"] = Ref(
                "Account", text(account, source, 100), "FullyQualifiedName", source
            )

    def deposit_account(self, view: ObjectView) -> tuple[Any, str]:
        """The first of the type's `deposit_fields` the object or the flow sets."""
        # Read, not declared here: a default on this base would shadow the sales receipt
        # and return types' own `deposit_fields`, which come later in the MRO.
        fields: tuple[str, ...] = getattr(self, "deposit_fields", ())
        for name in fields:
            value, source = param_source(view, name)
            if value is not None:
                return value, source
        return None, fields[-1] if fields else ""

    def lines(self, body: dict[str, Any], view: ObjectView) -> None:
        payload = view.payload
        items = payload.get("line_items") or []
        if not isinstance(items, list):
            raise PayloadError("line_items", "must be a list of objects")
        lines = [
            item_line(view, line, index, SALES_DETAIL, self.rate_keys)
            for index, line in enumerate(items)
        ]
        adjusted = adjustment_lines(
            view, self.adjustment_lines(payload, view.params), is_sales=True
        )
        lines += adjusted.lines
        if not lines:
            raise PayloadError("line_items", f"a {self.label} needs at least one line")
        body["Line"] = lines
        if adjusted.total_tax is not None:
            body["TxnTaxDetail"] = {"TotalTax": adjusted.total_tax}

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        body = super().update(view, current)
        old_tax = current.get("TxnTaxDetail")
        if "TxnTaxDetail" not in body and isinstance(old_tax, Mapping) and old_tax.get("TotalTax"):
            # A sparse update keeps fields left out: the tax FlowLink no longer sends goes.
            body["TxnTaxDetail"] = {"TotalTax": 0}
        return body


class InvoiceMapper(SalesDocumentMapper, InvoiceType):
    entity = "Invoice"
    label = "invoice"

    def header(self, body: dict[str, Any], view: ObjectView) -> None:
        put_date(body, "DueDate", view.payload.get("due_date"), "due_date")
        own_id = view.qb_id or self.known_qb_id(view.payload)
        credits = credits_to_apply(view, own_id)
        if credits:
            # QBO applies a credit memo through a Payment linking both documents, not on
            # the invoice; sending the invoice without them would drop them silently.
            index = credits[0][0]
            raise PayloadError(
                f"credit_memos[{index}]",
                "QuickBooks Online applies credit memos through a payment, not on the "
                "invoice; send the invoice without credit_memos",
            )


class SalesReceiptMapper(SalesDocumentMapper, SalesReceiptType):
    entity = "SalesReceipt"
    label = "sales receipt"
    is_receipt = True


class CreditMemoMapper(SalesDocumentMapper, CreditMemoType):
    entity = "CreditMemo"
    label = "credit memo"
    ships = False


class ReturnMapper(SalesDocumentMapper, ReturnType):
    """A FlowLink return (§6.9) as a RefundReceipt: the goods come back (QtyOnHand goes
    up) and the money goes out of the deposit account.

    The Desktop books returns as positive sales receipts to keep upstream's accounting
    for existing company files; a QBO company has no such history, and a positive
    SalesReceipt would count a refund as a sale.
    """

    entity = "RefundReceipt"
    label = "refund receipt"
    ships = False
    is_receipt = True

    def deposit_account(self, view: ObjectView) -> tuple[Any, str]:
        account, source = super().deposit_account(view)
        if is_blank(account):
            return DEFAULT_REFUND_ACCOUNT, "parameters.quickbooks_deposit_account"
        return account, source

    def create(self, view: ObjectView) -> dict[str, Any]:
        with self.fields_of_the_return(view.payload):
            return super().create(view)
