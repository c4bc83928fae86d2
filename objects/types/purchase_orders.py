"""FlowLink purchase orders (flowlink §6.6, §5.6): lines as on orders, from a vendor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ENSURE, REQUIRE, Dependency
from objects.types.lines import LinesType
from objects.types.values import PayloadError, is_blank, is_on


def vendor_ref(payload: Mapping[str, Any]) -> tuple[str, Any]:
    """The VendorRef value (a name, or {list_id}) and the field it came from."""
    supplier = payload.get("supplier")
    if isinstance(supplier, Mapping):
        if not is_blank(supplier.get("list_id")):
            return "supplier.list_id", {"list_id": supplier["list_id"]}
        if not is_blank(supplier.get("name")):
            return "supplier.name", supplier["name"]
    elif not is_blank(supplier):
        return "supplier", supplier
    if not is_blank(payload.get("vendor_name")):
        return "vendor_name", payload["vendor_name"]
    raise PayloadError("supplier.name", "is required (the QuickBooks vendor of the order)")


class PurchaseOrderType(LinesType):
    object_type = "purchaseorders"
    payload_types = ("purchaseorder",)
    echo_key = "purchase_orders"
    notice_name = "Purchaseorder"

    # -- dependencies -------------------------------------------------------------
    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        field, ref = vendor_ref(payload)
        deps: list[Dependency] = []
        if not isinstance(ref, Mapping):
            deps.append(self._vendor_dependency(payload, params, str(ref)))
        return deps + self.item_dependencies(payload, params)

    def _vendor_dependency(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], name: str
    ) -> Dependency:
        if is_on(params.get("quickbooks_do_not_update_vendor")) or is_on(
            payload.get("quickbooks_do_not_update_vendor")
        ):
            return Dependency("vendors", {"name": name}, REQUIRE)
        supplier = payload.get("supplier")
        if is_on(params.get("quickbooks_use_vendor_object")) and isinstance(supplier, Mapping):
            return Dependency("vendors", dict(supplier), ENSURE)
        built: dict[str, Any] = {"name": name}
        if isinstance(supplier, Mapping):
            for key in ("email", "phone", "company", "firstname", "lastname"):
                if not is_blank(supplier.get(key)):
                    built[key] = supplier[key]
        address = payload.get("vendor_address")
        if isinstance(address, Mapping) and any(not is_blank(v) for v in address.values()):
            built["vendor_address"] = dict(address)
            for key in ("firstname", "lastname", "company", "phone"):
                if key not in built and not is_blank(address.get(key)):
                    built[key] = address[key]
        return Dependency("vendors", built, ENSURE)
