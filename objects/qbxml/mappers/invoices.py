"""FlowLink invoices → QuickBooks invoices (flowlink §6.4; qbxml §18).

An invoice is a sales order with more header fields, credit memos applied through
`SetCredit` and, with `quickbooks_auto_create_payments`, one ReceivePayment per
`payments[]` entry queued after it (objects.intake queues those "followers").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import Element, Follower, LookupResult, ObjectView
from objects.qbxml.mappers.orders import OrderMapper
from objects.qbxml.mappers.sales import HEADER_FIELDS, customer_name
from objects.qbxml.parse import text_of
from objects.qbxml.values import PayloadError, is_blank, is_on

# Every sales-form header element except the sales order's IsManuallyClosed.
INVOICE_HEADER_TAGS = frozenset(tag for tag, *_ in HEADER_FIELDS if tag != "IsManuallyClosed")


def linked_ids(value: Any) -> set[str]:
    """The qbe_transaction_id of every entry of a `linked_qbe_transactions` list."""
    if not isinstance(value, list):
        return set()
    return {
        str(entry["qbe_transaction_id"])
        for entry in value
        if isinstance(entry, Mapping) and not is_blank(entry.get("qbe_transaction_id"))
    }


class InvoiceMapper(OrderMapper):
    object_type = "invoices"
    payload_types = ("invoice",)
    echo_key = "invoices"
    notice_name = "Invoice"
    qb_type = "Invoice"
    qb_label = "invoice"
    header_tags: ClassVar[frozenset[str]] = INVOICE_HEADER_TAGS

    def known_qb_id(self, payload: Mapping[str, Any]) -> str:
        """flowlink §6.4: qbe_id, transaction_id or list_id: the TxnID of an existing invoice."""
        for key in ("qbe_id", "transaction_id", "list_id"):
            if not is_blank(payload.get(key)):
                return str(payload[key])
        return ""

    # -- credit memos ---------------------------------------------------------
    def credits_to_apply(self, obj: ObjectView) -> list[tuple[int, str, Any]]:
        """(index, credit memo TxnID, applied amount) of each `credit_memos[]` entry to apply.

        An entry is skipped when the invoice and the memo already name each other in their
        `linked_qbe_transactions` (FlowLink read them back after an earlier application).
        """
        payload = obj.payload
        own_id = obj.qb_id or self.known_qb_id(payload)
        invoice_links = linked_ids(payload.get("linked_qbe_transactions"))
        # What QuickBooks itself said at the lookup: a memo already linked to this invoice
        # was applied by an earlier send, and applying it again would count it twice.
        applied_in_quickbooks = set(obj.qb_state.get("linked", [])) if obj.qb_id else set()
        out: list[tuple[int, str, Any]] = []
        memos = payload.get("credit_memos") or []
        if not isinstance(memos, list):
            raise PayloadError("credit_memos", "must be a list")
        for index, memo in enumerate(memos):
            if not isinstance(memo, Mapping):
                raise PayloadError(f"credit_memos[{index}]", "must be an object")
            memo_id = memo.get("qbe_id")
            if is_blank(memo_id):
                raise PayloadError(
                    f"credit_memos[{index}].qbe_id", "is required (the credit memo's TxnID)"
                )
            if is_blank(memo.get("applied_amount")):
                raise PayloadError(f"credit_memos[{index}].applied_amount", "is required")
            memo_links = linked_ids(memo.get("linked_qbe_transactions"))
            if str(memo_id) in invoice_links and own_id and own_id in memo_links:
                continue
            if str(memo_id) in applied_in_quickbooks:
                continue
            out.append((index, str(memo_id), memo["applied_amount"]))
        return out

    def _after_guid(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        # Schema order: ExternalGUID, LinkToTxnID*, SetCredit*, lines (upstream put
        # SetCredit before ExternalGUID and QuickBooks refused the whole message).
        for index, memo_id, applied in self.credits_to_apply(obj):
            credit = E.child(body, "SetCredit")
            E.child(
                credit, "CreditTxnID", values.text(memo_id, f"credit_memos[{index}].qbe_id", 36)
            )
            E.child(
                credit,
                "AppliedAmount",
                values.amount(applied, f"credit_memos[{index}].applied_amount"),
            )
            E.child(credit, "Override", "false")

    # -- lookup -----------------------------------------------------------------
    def lookup(self, obj: ObjectView) -> Element:
        rq = super().lookup(obj)
        E.child(rq, "IncludeLinkedTxns", "true")  # schema order: after IncludeLineItems
        return rq

    def _found(self, chosen: Element) -> LookupResult:
        found = super()._found(chosen)
        found.details["linked"] = [
            text_of(link, "TxnID")
            for link in chosen.findall("LinkedTxn")
            if text_of(link, "TxnType") == "CreditMemo"
        ]
        return found

    # -- payments -------------------------------------------------------------
    def followers(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> list[Follower]:
        """quickbooks_auto_create_payments: one payment per payments[] entry, after the invoice.

        As upstream, entries without an id or an amount are not payments FlowLink can
        match and are skipped; each payment waits for the invoice's TxnID.
        """
        if not is_on(params.get("quickbooks_auto_create_payments")):
            return []
        entries = payload.get("payments") or []
        if not isinstance(entries, list):
            raise PayloadError("payments", "must be a list")
        field, customer = customer_name(payload, params)
        out: list[Follower] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise PayloadError(f"payments[{index}]", "must be an object")
            if is_blank(entry.get("id")) or is_blank(entry.get("amount")):
                continue
            built: dict[str, Any] = {
                key: entry[key]
                for key in (
                    "id",
                    "amount",
                    "payment_method",
                    "deposit_account",
                    "credit_txn_id",
                    "credit_amount",
                    "memo",
                    "external_guid",
                )
                if not is_blank(entry.get(key))
            }
            built["customer"] = entry.get("customer") or (
                customer if isinstance(customer, Mapping) else {"name": customer}
            )
            built["placed_on"] = entry.get("placed_on") or payload.get("placed_on")
            built["invoice_id"] = self.identity(payload)
            # The invoice writes (or requires) the customer; its payments only use it.
            built["quickbooks_do_not_update_customer"] = True
            out.append(Follower("payments", built, f"payments[{index}]"))
        return out
