"""Build qbXML elements child by child, in the order the caller (the schema) dictates.

Mappers list children in XSD order (qbxml.md §18); these helpers only skip empty
values so optional elements are omitted rather than sent empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from qbwc.qbxml import values
from qbwc.qbxml.values import PayloadError

Element = etree._Element


def element(tag: str, **attrs: str) -> Element:
    return etree.Element(tag, {k: v for k, v in attrs.items() if v is not None})


def child(parent: Element, tag: str, value: str | None = None) -> Element:
    node = etree.SubElement(parent, tag)
    if value is not None:
        node.text = value
    return node


def add_text(
    parent: Element, tag: str, value: Any, field: str, max_length: int | None = None
) -> None:
    if values.is_blank(value):
        return
    child(parent, tag, values.text(value, field, max_length))


def add_amount(parent: Element, tag: str, value: Any, field: str) -> None:
    if values.is_blank(value):
        return
    child(parent, tag, values.amount(value, field))


def add_price(parent: Element, tag: str, value: Any, field: str) -> None:
    if values.is_blank(value):
        return
    child(parent, tag, values.price(value, field))


def add_bool(parent: Element, tag: str, value: Any) -> None:
    if value is None or value == "":
        return
    child(parent, tag, values.boolean(value))


def add_date(parent: Element, tag: str, value: Any, field: str) -> None:
    if values.is_blank(value):
        return
    child(parent, tag, values.qb_date(value, field))


def add_ref(parent: Element, tag: str, value: Any, field: str, max_length: int = 209) -> None:
    """Add a `…Ref`: a string is a FullName, a hash with `list_id` a ListID (flowlink §6.1)."""
    if values.is_blank(value):
        return
    ref = child(parent, tag)
    if isinstance(value, Mapping):
        list_id = value.get("list_id") or value.get("qbe_id")
        name = value.get("name") or value.get("full_name")
        if not values.is_blank(list_id):
            child(ref, "ListID", values.text(list_id, f"{field}.list_id", 36))
        elif not values.is_blank(name):
            child(ref, "FullName", values.text(name, f"{field}.name", max_length))
        else:
            raise PayloadError(field, "a reference needs list_id or name")
        return
    child(ref, "FullName", values.text(value, field, max_length))


ADDRESS_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("address1", "Addr1", 41),
    ("address2", "Addr2", 41),
    ("address3", "Addr3", 41),
    ("address4", "Addr4", 41),
    ("address5", "Addr5", 41),
    ("city", "City", 31),
    ("state", "State", 21),
    ("zipcode", "PostalCode", 13),
    ("country", "Country", 31),
    ("note", "Note", 41),
)


def add_address(parent: Element, tag: str, value: Any, field: str) -> None:
    """Add an address aggregate (Addr1..5 City State PostalCode Country Note)."""
    if values.is_blank(value):
        return
    if not isinstance(value, Mapping):
        # Dropping it would send the record without the address FlowLink gave.
        raise PayloadError(
            field, f"must be an object (address1, city, …), not {values.kind_of(value)}"
        )
    present = [(k, t, m) for k, t, m in ADDRESS_FIELDS if not values.is_blank(value.get(k))]
    if not present:
        return
    node = child(parent, tag)
    for key, sub, max_length in present:
        child(node, sub, values.text(value[key], f"{field}.{key}", max_length))


def to_string(node: Element) -> str:
    return etree.tostring(node, encoding="unicode")
