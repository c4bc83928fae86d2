"""What each get_* route polls, and the qbXML poll queries for it (flowlink §8.3, qbxml §7–§10).

Pure: no models. `qbwc.polls` decides when to send these and stores what comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from objects.types.pulls import PULL_ROUTES, ROUTE_ALIASES
from objects.types.records import GUID_KEY, INVENTORY_KEY
from qbwc.qbxml.readers import entities, items, stock, txns
from qbwc.qbxml.readers.common import Element, Record

# A reader turns one …Ret into a FlowLink record; `grabbed_at` is when it was read.
Reader = Callable[[Element, str], Record]


def _plain(read: Callable[[Element], Record]) -> Reader:
    return lambda ret, grabbed_at: read(ret)


@dataclass(frozen=True)
class Stream:
    """One iterated query of a poll (get_inventories polls two item types)."""

    query_tag: str
    ret_tag: str
    reader: Reader | None
    # A transaction query of a list poll: its lines name items whose quantities moved.
    touches: bool = False
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class PollKind:
    route: str  # one of objects.types.pulls.PULL_ROUTES, which names its records
    streams: tuple[Stream, ...]
    is_txn: bool
    page_size: int
    # ListDelType / TxnDelType values whose deletions are handed out (qbxml §10).
    deleted_types: tuple[str, ...] = ()
    deleted_id_from: str = "qb_id"
    key: Any = None
    include_lines: bool = False
    include_linked: bool = False
    custom_fields: bool = False
    # Item sites have no modified-date filter: every poll is a full scan (flowlink §8.3).
    is_full_scan: bool = False
    # Fields besides EditSequence that make a new version (a quantity moves without one).
    version_fields: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def object_type(self) -> str:
        return PULL_ROUTES[self.route].object_type

    @property
    def response_key(self) -> str:
        return PULL_ROUTES[self.route].response_key

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(s.query_tag for s in self.streams)

    @property
    def has_followup(self) -> bool:
        """Items named by touched transactions are read by name once the streams are done."""
        return any(s.touches for s in self.streams)

    def stream(self, query_tag: str) -> Stream:
        return next(s for s in self.streams if s.query_tag == query_tag)


def _single(
    route: str,
    query: str,
    read: Callable[[Element], Record],
    key: Any,
    id_from: str,
    *,
    is_txn: bool,
    linked: bool = False,
    page_size: int = 100,
) -> PollKind:
    """A poll of one query type, whose deletions are reported under the same type.

    Transactions come with their lines (and linked transactions where the record shows
    them); list records with their custom fields (OwnerID 0).
    """
    return PollKind(
        route=route,
        streams=(Stream(f"{query}QueryRq", f"{query}Ret", _plain(read)),),
        is_txn=is_txn,
        page_size=page_size,
        deleted_types=(query,),
        deleted_id_from=id_from,
        key=key,
        include_lines=is_txn,
        include_linked=linked,
        custom_fields=not is_txn,
    )


# Transactions that move quantities on hand, and their item line elements.
STOCK_TRANSACTIONS: dict[str, tuple[str, ...]] = {
    "Invoice": ("InvoiceLineRet", "InvoiceLineGroupRet"),
    "SalesReceipt": ("SalesReceiptLineRet", "SalesReceiptLineGroupRet"),
    "CreditMemo": ("CreditMemoLineRet", "CreditMemoLineGroupRet"),
    "ItemReceipt": ("ItemLineRet", "ItemGroupLineRet"),
    "Bill": ("ItemLineRet", "ItemGroupLineRet"),
    "Check": ("ItemLineRet", "ItemGroupLineRet"),
    "InventoryAdjustment": ("InventoryAdjustmentLineRet",),
}


def _touching(kind: str, lines: tuple[str, ...]) -> Stream:
    return Stream(
        f"{kind}QueryRq",
        f"{kind}Ret",
        None,
        touches=True,
        include=("TxnID", "TimeModified", *lines),
    )


POLL_KINDS: dict[str, PollKind] = {
    kind.route: kind
    for kind in (
        _single(
            "get_customers", "Customer", entities.read_customer,
            GUID_KEY, "qb_id", is_txn=False,
        ),
        _single(
            "get_vendors", "Vendor", entities.read_vendor, GUID_KEY,
            "qb_id", is_txn=False,
        ),
        _single(
            "get_products", "ItemInventory", items.read_inventory,
            INVENTORY_KEY, "name", is_txn=False,
        ),
        _single(
            "get_inventoryproducts", "ItemInventory",
            items.read_inventory, INVENTORY_KEY, "name", is_txn=False,
        ),
        _single(
            "get_noninventoryproducts", "ItemNonInventory",
            items.read_non_inventory, GUID_KEY, "name", is_txn=False,
        ),
        _single(
            "get_serviceproducts", "ItemService",
            items.read_service, "qbe_id", "name", is_txn=False,
        ),
        _single(
            "get_discountproducts", "ItemDiscount",
            items.read_discount, GUID_KEY, "name", is_txn=False,
        ),
        _single(
            "get_salestaxproducts", "ItemSalesTax",
            items.read_sales_tax, GUID_KEY, "name", is_txn=False,
        ),
        _single(
            "get_otherchargeproducts", "ItemOtherCharge",
            items.read_other_charge, "qbe_id", "name", is_txn=False,
        ),
        _single(
            "get_inventoryassemblyproducts", "ItemInventoryAssembly",
            items.read_assembly, "qbe_id", "name", is_txn=False,
        ),
        _single(
            "get_orders", "SalesOrder",
            txns.read_sales_order, None, "ref_number", linked=True, is_txn=True,
        ),
        _single(
            "get_invoices", "Invoice",
            txns.read_invoice, ["qbe_transaction_id", "qbe_id", "external_guid"],
            "ref_number", linked=True, is_txn=True,
        ),
        _single(
            "get_salesreceipts", "SalesReceipt",
            txns.read_sales_receipt, ["qbe_id", "qbe_transaction_id", "external_guid"],
            "ref_number", linked=False, is_txn=True,
        ),
        _single(
            "get_purchaseorders", "PurchaseOrder",
            txns.read_purchase_order, ["qbe_id", "qbe_transaction_id", "external_guid"],
            "ref_number", linked=True, is_txn=True,
        ),
        _single(
            "get_creditmemos", "CreditMemo",
            txns.read_credit_memo, GUID_KEY, "qb_id", linked=True, page_size=50, is_txn=True,
        ),
        _single(
            "get_payments", "ReceivePayment",
            txns.read_payment, GUID_KEY, "ref_number", linked=False, is_txn=True,
        ),
        PollKind(
            route="get_inventories",
            streams=(
                Stream("ItemInventoryQueryRq", "ItemInventoryRet", stock.read_inventory_level),
                Stream(
                    "ItemInventoryAssemblyQueryRq",
                    "ItemInventoryAssemblyRet",
                    stock.read_inventory_level,
                ),
                # QuickBooks does not touch an item's TimeModified when a transaction moves
                # its quantity: the transactions modified since the cursor name those items.
                *(_touching(kind, lines) for kind, lines in STOCK_TRANSACTIONS.items()),
            ),
            is_txn=False,
            page_size=100,
            deleted_types=("ItemInventory", "ItemInventoryAssembly"),
            deleted_id_from="name",
            version_fields=("QuantityOnHand",),
        ),
        PollKind(
            route="get_inventorywithsites",
            streams=(Stream("ItemSitesQueryRq", "ItemSitesRet", stock.read_item_site),),
            is_txn=False,
            page_size=100,
            is_full_scan=True,
        ),
    )
}  # fmt: skip


def poll_kind(route: str) -> PollKind:
    return POLL_KINDS[ROUTE_ALIASES.get(route, route)]


def qb_datetime(moment: datetime) -> str:
    """DATETIMETYPE with an explicit offset, so QuickBooks never guesses the zone."""
    return moment.isoformat(timespec="seconds")


def _sub(parent: Element, tag: str, value: str) -> Element:
    node = etree.SubElement(parent, tag)
    node.text = value
    return node


def poll_query(
    kind: PollKind,
    stream: Stream,
    *,
    since: datetime | None,
    page_size: int,
    iterator_id: str = "",
    include_inactive: bool = True,
    site: str = "",
) -> Element:
    """One page of an iterated poll: Start without `iterator_id`, else Continue.

    A Continue repeats the original filters (qbxml §8: peers keep them identical).
    """
    rq = etree.Element(stream.query_tag)
    if iterator_id:
        rq.set("iterator", "Continue")
        rq.set("iteratorID", iterator_id)
    else:
        rq.set("iterator", "Start")
    if stream.query_tag == "ItemSitesQueryRq":
        if site:
            _sub(etree.SubElement(etree.SubElement(rq, "ItemSiteFilter"), "SiteFilter"),
                 "FullName", site)  # fmt: skip
        _sub(rq, "MaxReturned", str(page_size))
        _sub(rq, "ActiveStatus", "ActiveOnly")
        return rq
    _sub(rq, "MaxReturned", str(page_size))
    if kind.is_txn or stream.touches:
        if since is not None:
            span = etree.SubElement(rq, "ModifiedDateRangeFilter")
            _sub(span, "FromModifiedDate", qb_datetime(since))
        if kind.include_lines or stream.touches:
            _sub(rq, "IncludeLineItems", "true")
        if kind.include_linked:
            _sub(rq, "IncludeLinkedTxns", "true")
        for name in stream.include:
            _sub(rq, "IncludeRetElement", name)
    else:
        # All: a deactivation is a modification FlowLink must hear about (qbxml §9).
        _sub(rq, "ActiveStatus", "All" if include_inactive else "ActiveOnly")
        if since is not None:
            _sub(rq, "FromModifiedDate", qb_datetime(since))
    if kind.custom_fields:
        _sub(rq, "OwnerID", "0")
    return rq


def items_by_name(names: list[str]) -> Element:
    """ItemQueryRq for named items of any type (a missing name is a 500 warning, not an
    error, so one deleted item never hides the others; qbxml §7.1)."""
    rq = etree.Element("ItemQueryRq")
    for name in names:
        _sub(rq, "FullName", name)
    return rq


def deleted_query(kind: PollKind, since: datetime | None) -> Element:
    """ListDeletedQueryRq / TxnDeletedQueryRq for the kind's types (no iterator allowed)."""
    type_tag = "TxnDelType" if kind.is_txn else "ListDelType"
    rq = etree.Element("TxnDeletedQueryRq" if kind.is_txn else "ListDeletedQueryRq")
    for value in kind.deleted_types:
        _sub(rq, type_tag, value)
    if since is not None:
        span = etree.SubElement(rq, "DeletedDateRangeFilter")
        _sub(span, "FromDeletedDate", qb_datetime(since))
    return rq
