"""What a FlowLink get_* record says of itself, whichever QuickBooks it was read from
(flowlink §9).

Both backends' readers (qbwc.qbxml.readers for Desktop, qbo.readers for Online) build
the same record shapes. The parts that do not depend on QuickBooks' answer — each
record's `key` and `relationships` — are written once here. The lists are shared by
every record read and never changed in place: a record is stored as JSON.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Record: TypeAlias = dict[str, Any]

# `key`: the fields FlowLink matches a record on.
GUID_KEY = ["qbe_id", "external_guid"]
TXN_KEY = ["qbe_id", "qbe_transaction_id", "external_guid"]
INVOICE_KEY = ["qbe_transaction_id", "qbe_id", "external_guid"]
INVENTORY_KEY = ["qbe_id", "product_id", "sku"]

# `relationships`: the records a record names, and where.
VENDOR_RELATIONSHIP = {"object": "vendor", "key": "qbe_id"}
SALES_RECEIPT_RELATIONSHIPS = [
    {"object": "customer", "key": "qbe_id"},
    {"object": "product", "key": "qbe_id", "location": "line_items"},
]
INVOICE_RELATIONSHIPS = [
    *SALES_RECEIPT_RELATIONSHIPS,
    {"object": "order", "key": "purchase_order_number", "location": "sales_order"},
]
CREDIT_MEMO_RELATIONSHIPS = [
    {"object": "customer", "key": "name", "location": "customer"},
    {"object": "invoice", "key": "po_number", "location": "invoice"},
    {"object": "product", "key": "sku", "location": "line_items"},
    {"object": "invoice", "key": "id", "location": "applied_invoices"},
    {"object": "order", "key": "purchase_order_number", "location": "order"},
]
PAYMENT_RELATIONSHIPS = [
    {"object": "customer", "key": "qbe_id", "location": "customer"},
    {"object": "invoice", "key": "qbe_transaction_id", "location": "applied_invoices"},
]


def compact(record: Record) -> Record:
    """Drop top-level keys whose value is None (upstream compacted each record)."""
    return {key: value for key, value in record.items() if value is not None}


def txn_ids(txn_id: str | None, ref_number: str | None) -> Record:
    """How a transaction record names itself: its RefNumber as `id`, QuickBooks' id as
    `transaction_id`, `qbe_transaction_id` and `qbe_id`."""
    return {
        "id": ref_number,
        "ref_number": ref_number,
        "transaction_id": txn_id,
        "qbe_transaction_id": txn_id,
        "qbe_id": txn_id,
        "key": TXN_KEY,
    }


def journal_sides(is_debit: bool, amount: str | None) -> Record:
    """A journal line's `debit` and `credit`; the side it does not post to is 0.00, as a
    FlowLink add_journals line sends it (flowlink §6.10)."""
    zero = "0.00"
    return {"debit": amount if is_debit else zero, "credit": zero if is_debit else amount}
