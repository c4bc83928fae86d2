"""What each get_* route reads from QuickBooks Online (docs/qbo-pulls.md).

The core (objects.pulls) registers polls and hands records out whatever the backend;
this table says which QBO entity feeds a route, which of its records belong to it and
how one becomes a FlowLink record. qbo.feed reads the entities and stores the records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from objects.types.pulls import ROUTE_ALIASES
from objects.types.records import GUID_KEY, INVENTORY_KEY
from qbo.readers import lists, txns
from qbo.readers.common import Record, string

__all__ = ["QBO_ROUTES", "QboRoute", "refusal", "route_for", "serves", "tombstone"]


@dataclass(frozen=True)
class QboRoute:
    route: str
    entity: str  # QBO's entity name, as CDC and queries name it
    read: Callable[[Record, str], Record]  # (QBO record, grabbed-at stamp) → FlowLink
    key: Any  # the record's `key`, repeated on its tombstones
    id_from: str  # where a tombstone's id comes from: "qb_id", "name" or "ref_number"
    item_type: str | None = None  # Item: only this Type
    # get_inventories: quantities move without a new SyncToken, so the version includes
    # QtyOnHand and every run reads the inventory items again (docs/qbo-pulls.md).
    is_quantity: bool = False

    def wants(self, record: Record) -> bool:
        return self.item_type is None or record.get("Type") == self.item_type

    def version(self, record: Record) -> str:
        token = string(record, "SyncToken") or ""
        if self.is_quantity:
            return f"{token}:{string(record, 'QtyOnHand') or ''}"
        return token


def _plain(reader: Callable[[Record], Record]) -> Callable[[Record, str], Record]:
    def read(record: Record, grabbed_at: str) -> Record:
        return reader(record)

    return read


QBO_ROUTES: dict[str, QboRoute] = {
    r.route: r
    for r in (
        QboRoute("get_customers", "Customer", _plain(lists.read_customer), GUID_KEY, "qb_id"),
        QboRoute("get_vendors", "Vendor", _plain(lists.read_vendor), GUID_KEY, "qb_id"),
        QboRoute(
            "get_products", "Item", _plain(lists.read_inventory), INVENTORY_KEY, "name",
            item_type="Inventory",
        ),
        QboRoute(
            "get_inventoryproducts", "Item", _plain(lists.read_inventory), INVENTORY_KEY,
            "name", item_type="Inventory",
        ),
        QboRoute(
            "get_noninventoryproducts", "Item", _plain(lists.read_non_inventory), GUID_KEY,
            "name", item_type="NonInventory",
        ),
        QboRoute(
            "get_serviceproducts", "Item", _plain(lists.read_service), "qbe_id", "name",
            item_type="Service",
        ),
        QboRoute("get_orders", "Estimate", _plain(txns.read_estimate), None, "ref_number"),
        QboRoute(
            "get_invoices", "Invoice", _plain(txns.read_invoice),
            ["qbe_transaction_id", "qbe_id", "external_guid"], "ref_number",
        ),
        QboRoute(
            "get_salesreceipts", "SalesReceipt", _plain(txns.read_sales_receipt),
            ["qbe_id", "qbe_transaction_id", "external_guid"], "ref_number",
        ),
        QboRoute(
            "get_purchaseorders", "PurchaseOrder", _plain(txns.read_purchase_order),
            ["qbe_id", "qbe_transaction_id", "external_guid"], "ref_number",
        ),
        QboRoute(
            "get_creditmemos", "CreditMemo", _plain(txns.read_credit_memo), GUID_KEY, "qb_id"
        ),
        QboRoute("get_payments", "Payment", _plain(txns.read_payment), GUID_KEY, "ref_number"),
        QboRoute(
            "get_inventories", "Item", lists.read_inventory_level, None, "name",
            item_type="Inventory", is_quantity=True,
        ),
    )
}  # fmt: skip

# Why QuickBooks Online cannot serve the other routes (the 4xx names the reason).
_REFUSED = {
    "get_discountproducts": "QuickBooks Online has no discount items (discounts are a line"
    " of the transaction)",
    "get_salestaxproducts": "QuickBooks Online has no sales tax items (tax codes and rates"
    " are not items)",
    "get_otherchargeproducts": "QuickBooks Online has no other-charge items",
    "get_inventoryassemblyproducts": "QuickBooks Online has no inventory assemblies",
    "get_inventorywithsites": "QuickBooks Online has no inventory sites",
}


def route_for(route: str) -> QboRoute | None:
    return QBO_ROUTES.get(ROUTE_ALIASES.get(route, route))


def serves(route: str) -> bool:
    """Whether a QBO connection can answer this get_* route (QboBackend asks it)."""
    return route_for(route) is not None


def refusal(route: str) -> str:
    """Why a route is refused for a QBO connection, for the 4xx answer."""
    name = ROUTE_ALIASES.get(route, route)
    return _REFUSED.get(name, f"{route} is not available for a QuickBooks Online connection")


def tombstone(route: QboRoute, marker: Record, previous: Record | None) -> Record:
    """A CDC deletion marker as the route's tombstone (docs/pulls.md "Deletions").

    QBO's marker carries only Id and LastUpdatedTime; the id rule (DocNumber, Name) is
    taken from the version FlowLink last received when there is one.
    """
    qb_id = string(marker, "Id") or ""
    record: Record = {
        "id": qb_id,
        "qbe_id": qb_id,
        "key": route.key,
        "is_deleted": True,
        "deleted_at": string(marker, "MetaData.LastUpdatedTime"),
        "qbe_object_type": route.entity,
    }
    if previous is not None:
        if route.id_from != "qb_id" and previous.get("id") is not None:
            record["id"] = previous["id"]
        if previous.get("created_at") is not None:
            record["created_at"] = previous["created_at"]
        if route.id_from == "name" and previous.get("fullname") is not None:
            record["full_name"] = previous["fullname"]
        if route.id_from == "ref_number" and previous.get("id") is not None:
            record["ref_number"] = previous["id"]
    return {k: v for k, v in record.items() if v is not None}
