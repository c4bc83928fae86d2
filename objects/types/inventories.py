"""FlowLink inventory levels (flowlink §6.11): every call is a new adjustment of one item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ENSURE, REQUIRE, Dependency, TransactionType, require
from objects.types.values import is_blank, is_on


class InventoryType(TransactionType):
    object_type = "inventories"
    payload_types = ("inventory",)
    echo_key = ""  # flowlink §5.3: no echo list, pending notifications instead
    notice_name = "Inventory"
    # Each call is a new adjustment: intake assigns a new ExternalGUID on every call.
    adds_on_every_call = True
    answers_with_notifications = True

    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        product_id = str(require(payload, "product_id"))
        if not is_on(params.get("quickbooks_auto_create_products")):
            return [Dependency("products", {"product_id": product_id}, REQUIRE)]
        item: dict[str, Any] = {"product_id": product_id}
        for key in ("description", "price", "cost", "unit_of_measure"):
            if not is_blank(payload.get(key)):
                item[key] = payload[key]
        for account in ("income_account", "cogs_account", "inventory_account"):
            value = payload.get(account) or params.get(f"quickbooks_{account}")
            if not is_blank(value):
                item[account] = value
        return [Dependency("products", item, ENSURE)]
