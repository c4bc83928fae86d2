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
