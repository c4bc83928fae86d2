"""FlowLink inventory levels (`set_inventory`, flowlink §6.11) on QuickBooks Online.

The Desktop adds an InventoryAdjustment per call; QBO's API sets an inventory item's
count with a sparse Item update of `QtyOnHand` (QBO books the difference). Setting a
count is idempotent, so a retried call cannot adjust twice. The adjustment account of
the Desktop (`quickbooks_income_account`) is not needed.

Only an item of Type Inventory tracking its quantity has a count: any other item is
refused naming `product_id`, and so is an item QBO does not have (set_inventory never
creates items itself: `quickbooks_auto_create_products` does, as a dependency).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ObjectView, require
from objects.types.inventories import InventoryType
from objects.types.items import ITEM_TYPES
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import fine
from qbo.mappers.base import Found, Lookup, QboMapper, q
from qbo.mappers.documents import known_id


class InventoryMapper(QboMapper, InventoryType):
    entity = "Item"
    natural_key = "FullyQualifiedName"

    def product(self, view: ObjectView) -> str:
        return str(require(view.payload, "product_id"))

    def key_value(self, view: ObjectView) -> str:
        return self.product(view)

    def lookup(self, view: ObjectView) -> Lookup:
        qb_id = view.qb_id or known_id(view, ITEM_TYPES, self.product(view))
        if qb_id:
            return Lookup("Item", qb_id=qb_id)
        return Lookup(
            "Item",
            statement=f"SELECT * FROM Item WHERE FullyQualifiedName = {q(self.product(view))}",
        )

    def read_lookup(self, view: ObjectView, records: list[dict[str, Any]]) -> Found:
        found = super().read_lookup(view, records)
        if records:
            # Not ours to rewrite: the item is the products route's; only its count is set.
            found.details["item_type"] = records[0].get("Type")
        return found

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        view = self.view(payload, params)
        self.product(view)
        self.update(
            view, {"Id": "1", "SyncToken": "0", "Type": "Inventory", "TrackQtyOnHand": True}
        )

    def create(self, view: ObjectView) -> dict[str, Any]:
        raise PayloadError(
            "product_id",
            f"item '{self.product(view)}' is not in QuickBooks Online; send it to qbsync "
            "first (or enable quickbooks_auto_create_products)",
        )

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        payload = view.payload
        if not is_blank(payload.get("value")):
            raise PayloadError(
                "value",
                "QuickBooks Online's API cannot set an item's value; send quantity only "
                "and revalue in QuickBooks Online",
            )
        kind = current.get("Type")
        if kind != "Inventory" or current.get("TrackQtyOnHand") is False:
            raise PayloadError(
                "product_id",
                f"item '{self.product(view)}' is a {kind} item that does not track its "
                "quantity; QuickBooks Online keeps a count only for inventory items",
            )
        quantity = fine(require(payload, "quantity"), "quantity")
        return {
            "Id": current["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
            "QtyOnHand": quantity,
        }
