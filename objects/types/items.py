"""The six item types FlowLink writes (flowlink §6.14–6.16).

Items share one name space in QuickBooks whatever their type, so they share one echo
list and one identity rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ObjectType, first_present
from objects.types.values import identity_text


class ItemType(ObjectType):
    echo_key = "products"

    def identity(self, payload: Mapping[str, Any]) -> str:
        key, value = first_present(payload, "product_id", "sku", "id")
        return identity_text(value, key)


class InventoryItemType(ItemType):
    object_type = "products"
    payload_types = ("product", "inventoryproduct")
    notice_name = "Product"


class NonInventoryItemType(ItemType):
    object_type = "noninventoryproducts"
    payload_types = ("noninventoryproduct",)
    notice_name = "Noninventoryproduct"


class ServiceItemType(ItemType):
    object_type = "serviceproducts"
    payload_types = ("serviceproduct",)
    notice_name = "Serviceproduct"


class OtherChargeItemType(ItemType):
    object_type = "otherchargeproducts"
    payload_types = ("otherchargeproduct",)
    notice_name = "Otherchargeproduct"


class DiscountItemType(ItemType):
    object_type = "discountproducts"
    payload_types = ("discountproduct",)
    notice_name = "Discountproduct"


class SalesTaxItemType(ItemType):
    object_type = "salestaxproducts"
    payload_types = ("salestaxproduct",)
    notice_name = "Salestaxproduct"


ITEM_CLASSES: tuple[type[ItemType], ...] = (
    InventoryItemType,
    NonInventoryItemType,
    ServiceItemType,
    DiscountItemType,
    SalesTaxItemType,
    OtherChargeItemType,
)
# The object types of items: one QuickBooks name space, whatever route created the item.
ITEM_TYPES: frozenset[str] = frozenset(cls.object_type for cls in ITEM_CLASSES)
