"""FlowLink customers and vendors (flowlink §6.12, §6.13)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ObjectType, first_present
from objects.types.values import identity_text, is_blank


def fallback(payload: Mapping[str, Any], key: str, address_key: str) -> tuple[Any, str]:
    """A top-level field, else the same field of the main address (flowlink §6.1), with
    the field it came from."""
    value = payload.get(key)
    if not is_blank(value):
        return value, key
    address = payload.get(address_key)
    if isinstance(address, Mapping) and not is_blank(address.get(key)):
        return address[key], f"{address_key}.{key}"
    return None, key


class CustomerType(ObjectType):
    object_type = "customers"
    payload_types = ("customer",)
    echo_key = "customers"
    notice_name = "Customer"

    def identity(self, payload: Mapping[str, Any]) -> str:
        return identity_text(payload.get("name"), "name")


class VendorType(ObjectType):
    object_type = "vendors"
    payload_types = ("vendor",)
    echo_key = "vendors"
    notice_name = "Vendor"

    def identity(self, payload: Mapping[str, Any]) -> str:
        return identity_text(*reversed(first_present(payload, "name", "id")))
