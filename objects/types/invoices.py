"""FlowLink invoices (flowlink §6.4): an order with credit memos to apply and payments.

With `quickbooks_auto_create_payments`, one payment per `payments[]` entry is queued after
the invoice (objects.intake queues those "followers").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import Follower, ObjectView
from objects.types.lines import LinesType
from objects.types.sales import customer_name
from objects.types.values import PayloadError, is_blank, is_on


def linked_ids(value: Any) -> set[str]:
    """The qbe_transaction_id of every entry of a `linked_qbe_transactions` list."""
    if not isinstance(value, list):
        return set()
    return {
        str(entry["qbe_transaction_id"])
        for entry in value
        if isinstance(entry, Mapping) and not is_blank(entry.get("qbe_transaction_id"))
    }


def credits_to_apply(obj: ObjectView, own_id: str) -> list[tuple[int, str, Any]]:
    """(index, credit memo TxnID, applied amount) of each `credit_memos[]` entry to apply.

    `own_id` is the invoice's TxnID, stored or sent by FlowLink. An entry is skipped when
    the invoice and the memo already name each other in their `linked_qbe_transactions`
    (FlowLink read them back after an earlier application).
    """
    payload = obj.payload
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


class InvoiceType(LinesType):
    object_type = "invoices"
    payload_types = ("invoice",)
    echo_key = "invoices"
    notice_name = "Invoice"
    closes_on_cancel = False

    def known_qb_id(self, payload: Mapping[str, Any]) -> str:
        """flowlink §6.4: qbe_id, transaction_id or list_id: the TxnID of an existing invoice."""
        for key in ("qbe_id", "transaction_id", "list_id"):
            if not is_blank(payload.get(key)):
                return str(payload[key])
        return ""

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
