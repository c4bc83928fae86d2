"""The operations API on QuickBooks Desktop: an API query as one qbXML `…QueryRq`, and its
answer as the API's records (docs/api.md, qbxml §7).

Pure: no models. qbwc.operations sends these in Web Connector sessions. The filters
qbXML can express: the id (ListID / TxnID), the name (FullName, NameFilter for a
`like` that starts, ends or contains), ActiveStatus, FromModifiedDate /
ModifiedDateRangeFilter, TxnDateRangeFilter, EntityFilter, RefNumber and an account's
AccountType. qbXML makes an id, a FullName and a RefNumber each exclusive of every other
filter, has no filter on creation time, e-mail, balance or due date, and no ordering:
such a query is refused (`refusal`) instead of answered with records it did not ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lxml import etree

from objects.api.queries import EQ, LIKE, EntityQuery, Filter
from qbwc.qbxml.parse import Response
from qbwc.qbxml.queries import qb_datetime
from qbwc.qbxml.readers import entities, items, ledger, txns
from qbwc.qbxml.readers.common import Element, Record

PRODUCT = "QuickBooks Desktop"
# Records one answer may carry (offset + limit): a larger answer risks the Web
# Connector body limit, and a narrower filter serves the caller better anyway.
MAX_RECORDS = 5000
# Answers that mean "nothing matched" (a missing ListID/TxnID answers 500 or 3120).
_NOT_FOUND = (1, 500, 3120)


@dataclass(frozen=True)
class DesktopEntity:
    query: str  # the …QueryRq's object name
    read: Callable[[Element], Record] | None  # None: by the Ret's tag (ITEM_READERS)
    is_txn: bool
    linked: bool = False  # IncludeLinkedTxns, as its get_* poll asks


ITEM_TYPES: dict[str, str] = {
    # API `type` value (QuickBooks Online's names where they exist) -> qbXML item type.
    "Inventory": "ItemInventory",
    "NonInventory": "ItemNonInventory",
    "Service": "ItemService",
    "OtherCharge": "ItemOtherCharge",
    "Discount": "ItemDiscount",
    "SalesTax": "ItemSalesTax",
    "InventoryAssembly": "ItemInventoryAssembly",
}
ITEM_READERS: dict[str, Callable[[Element], Record]] = {
    "ItemInventoryRet": items.read_inventory,
    "ItemNonInventoryRet": items.read_non_inventory,
    "ItemServiceRet": items.read_service,
    "ItemOtherChargeRet": items.read_other_charge,
    "ItemDiscountRet": items.read_discount,
    "ItemSalesTaxRet": items.read_sales_tax,
    "ItemInventoryAssemblyRet": items.read_assembly,
}
ENTITIES: dict[str, DesktopEntity] = {
    "Customer": DesktopEntity("Customer", entities.read_customer, is_txn=False),
    "Vendor": DesktopEntity("Vendor", entities.read_vendor, is_txn=False),
    "Item": DesktopEntity("Item", None, is_txn=False),
    "Invoice": DesktopEntity("Invoice", txns.read_invoice, is_txn=True, linked=True),
    "SalesReceipt": DesktopEntity("SalesReceipt", txns.read_sales_receipt, is_txn=True),
    "SalesOrder": DesktopEntity("SalesOrder", txns.read_sales_order, is_txn=True, linked=True),
    "CreditMemo": DesktopEntity("CreditMemo", txns.read_credit_memo, is_txn=True, linked=True),
    "Payment": DesktopEntity("ReceivePayment", txns.read_payment, is_txn=True),
    "PurchaseOrder": DesktopEntity(
        "PurchaseOrder", txns.read_purchase_order, is_txn=True, linked=True
    ),
    "JournalEntry": DesktopEntity("JournalEntry", ledger.read_journal_entry, is_txn=True),
    "Account": DesktopEntity("Account", ledger.read_account, is_txn=False),
}
_MISSING = {
    "Estimate": "qbsync reads no Estimate from QuickBooks Desktop; its pre-invoice document"
    " is the SalesOrder",
}
# API fields qbXML can filter on, per kind of entity (the others are refused).
_LIST_FIELDS = {"id", "display_name", "name", "is_active", "updated_at", "type"}
_TXN_FIELDS = {"id", "ref_number", "customer_id", "vendor_id", "updated_at", "transaction_date"}
# Each of these is the whole filter of a qbXML query (an xsd:choice against the rest).
_EXCLUSIVE = {"id": "ListID/TxnID", "ref_number": "RefNumber"}


def _is_full_name(flt: Filter) -> bool:
    """A name equality (or a `like` without a wildcard, which means the same) is FullName."""
    return flt.field in ("display_name", "name") and (
        flt.op == EQ or (flt.op == LIKE and "%" not in str(flt.value))
    )


def _match(pattern: str) -> tuple[str, str] | None:
    """NameFilter's (MatchCriterion, Name) for a `like` pattern, None if it has none."""
    inner = pattern.strip("%")
    if not inner or "%" in inner:
        return None
    starts, ends = pattern.startswith("%"), pattern.endswith("%")
    if starts and ends:
        return "Contains", inner
    if ends:
        return "StartsWith", inner
    if starts:
        return "EndsWith", inner
    return None


def refusal(query: EntityQuery) -> str:
    """Why qbXML cannot express `query` ("" when it can), naming the filter."""
    spec = ENTITIES.get(query.entity)
    if spec is None:
        return _MISSING.get(query.entity, f"{PRODUCT} has no {query.entity} in this API")
    if query.order_by:
        return f"order_by: {PRODUCT} cannot order a query (qbXML has no ordering)"
    if query.offset + query.limit > MAX_RECORDS:
        return f"offset + limit: at most {MAX_RECORDS} on {PRODUCT}; narrow the filters"
    fields = _TXN_FIELDS if spec.is_txn else _LIST_FIELDS
    for flt in query.filters:
        if flt.field not in fields:
            return f"{flt.label}: {PRODUCT} cannot filter {query.entity} by {flt.field}"
        if flt.op == LIKE and not _is_full_name(flt) and _match(str(flt.value)) is None:
            return (
                f"{flt.label}: {PRODUCT} matches a name that starts (abc%), ends (%abc) "
                "or contains (%abc%) a text, not the pattern "
                f"{flt.value!r}"
            )
        if query.entity == "Item" and flt.field == "type" and flt.value not in ITEM_TYPES:
            return f"type: {PRODUCT} item types are {', '.join(ITEM_TYPES)}"
        alone = _EXCLUSIVE.get(flt.field) or ("FullName" if _is_full_name(flt) else "")
        if alone and len(query.filters) > 1 and not query.is_get:
            return f"{flt.label}: on {PRODUCT} ({alone}) it cannot be combined with other filters"
    names = {f.field for f in query.filters}
    if spec.is_txn and {"updated_at", "transaction_date"} <= names:
        return (
            f"updated_at__gte: {PRODUCT} filters a transaction by its modification date or "
            "its transaction date, not both"
        )
    if query.value("customer_id") and query.value("vendor_id"):
        return f"vendor_id: {PRODUCT} filters by one customer or vendor (EntityFilter)"
    return ""


def query_tag(query: EntityQuery) -> str:
    spec = ENTITIES[query.entity]
    item_type = query.value("type")
    name = ITEM_TYPES[item_type] if query.entity == "Item" and item_type else spec.query
    return f"{name}QueryRq"


def _sub(parent: Element, tag: str, value: str) -> Element:
    node = etree.SubElement(parent, tag)
    node.text = value
    return node


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def build(query: EntityQuery) -> Element:
    """The …QueryRq of a query `refusal` accepted (in XSD order)."""
    spec = ENTITIES[query.entity]
    rq = etree.Element(query_tag(query))
    qb_id = query.value("id")
    if qb_id is not None:
        _sub(rq, "TxnID" if spec.is_txn else "ListID", str(qb_id))
    elif query.value("ref_number") is not None:
        _sub(rq, "RefNumber", str(query.value("ref_number")))
    elif (name := next((f for f in query.filters if _is_full_name(f)), None)) is not None:
        _sub(rq, "FullName", str(name.value))
    else:
        _filters(rq, spec, query)
    if spec.is_txn:
        _sub(rq, "IncludeLineItems", "true")
        if spec.linked:
            _sub(rq, "IncludeLinkedTxns", "true")
    elif query.entity in ("Customer", "Vendor"):
        _sub(rq, "OwnerID", "0")  # custom fields, as the get_* polls read them
    return rq


def _filters(rq: Element, spec: DesktopEntity, query: EntityQuery) -> None:
    _sub(rq, "MaxReturned", str(query.offset + query.limit))
    modified = query.value("updated_at", "gte")
    if spec.is_txn:
        if isinstance(modified, datetime):
            span = etree.SubElement(rq, "ModifiedDateRangeFilter")
            _sub(span, "FromModifiedDate", qb_datetime(modified))
        txn_date = query.value("transaction_date", "gte")
        if txn_date is not None:
            span = etree.SubElement(rq, "TxnDateRangeFilter")
            _sub(span, "FromTxnDate", _day(txn_date))
        entity_id = query.value("customer_id") or query.value("vendor_id")
        if entity_id is not None:
            _sub(etree.SubElement(rq, "EntityFilter"), "ListID", str(entity_id))
        return
    active = query.value("is_active")
    _sub(rq, "ActiveStatus", "ActiveOnly" if active in (None, True) else "InactiveOnly")
    if isinstance(modified, datetime):
        _sub(rq, "FromModifiedDate", qb_datetime(modified))
    pattern = next((f for f in query.filters if f.op == LIKE and not _is_full_name(f)), None)
    if pattern is not None:
        criterion, name = _match(str(pattern.value)) or ("Contains", "")
        node = etree.SubElement(rq, "NameFilter")
        _sub(node, "MatchCriterion", criterion)
        _sub(node, "Name", name)
    if query.entity == "Account" and query.value("type") is not None:
        _sub(rq, "AccountType", str(query.value("type")))


class AnswerError(Exception):
    """QuickBooks refused the query: its status code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read(query: EntityQuery, rs: Response) -> list[Record]:
    """The records of one answer, past the query's offset."""
    if rs.status_code in _NOT_FOUND:
        return []
    if rs.is_error:
        raise AnswerError(rs.status_code, rs.message)
    spec = ENTITIES[query.entity]
    records = []
    for ret in rs.rets:
        reader = spec.read or ITEM_READERS.get(str(ret.tag))
        if reader is not None:  # e.g. an item group, which the API has no shape for
            record = reader(ret)
            # Every API record names its QuickBooks id so (a sales order's get_* shape
            # has only its RefNumber and transaction_id).
            record.setdefault("qbe_id", ret.findtext("ListID") or ret.findtext("TxnID"))
            records.append(record)
    return records[query.offset : query.offset + query.limit]
