"""Helpers that turn a QuickBooks `…Ret` element into FlowLink output values (flowlink §9).

Values stay the strings QuickBooks returned (amounts, quantities); booleans become
JSON booleans; date-times keep the offset QuickBooks wrote.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from lxml import etree

from qbwc.qbxml.parse import tag_of

Element: TypeAlias = etree._Element
Record: TypeAlias = dict[str, Any]


class Node:
    """An element with its children indexed by tag, read once.

    A reader looks up dozens of fields per record; a dict look-up per field instead of
    a walk over the children makes reading a record several times cheaper.
    """

    __slots__ = ("element", "tag", "text", "_first")

    def __init__(self, element: Element) -> None:
        self.element = element
        self.tag = element.tag
        self.text = element.text
        first: dict[str, Element] = {}
        for item in element:
            first.setdefault(tag_of(item), item)
        self._first = first

    def find(self, tag: str) -> Element | None:
        return self._first.get(tag)

    def findall(self, tag: str) -> list[Element]:
        return self.element.findall(tag)


Elementish: TypeAlias = Element | Node


def child(node: Elementish | None, path: str) -> Element | None:
    """The first element at a simple `A/B` path; iterchildren stays in C, unlike find()."""
    found: Element | None
    first, _, rest = path.partition("/")
    if node is None:
        return None
    if isinstance(node, Node):
        found = node.find(first)
    else:
        found = next(node.iterchildren(first), None)
    for tag in rest.split("/") if rest else ():
        if found is None:
            return None
        found = next(found.iterchildren(tag), None)
    return found


def text(node: Elementish | None, path: str) -> str | None:
    """The text at `path` under `node`, or None when the element is absent."""
    found = child(node, path)
    if found is None:
        return None
    return found.text or ""


def flag(node: Elementish | None, path: str) -> bool | None:
    value = text(node, path)
    if value is None:
        return None
    return value.strip().lower() == "true"


def integer(node: Elementish | None, path: str) -> int | None:
    value = text(node, path)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def ref_name(node: Elementish | None, tag: str) -> str | None:
    """FullName of a `…Ref` child."""
    return text(node, f"{tag}/FullName")


def ref_id(node: Elementish | None, tag: str) -> str | None:
    return text(node, f"{tag}/ListID")


def blank(node: Elementish | None, path: str) -> str:
    """Upstream stringified missing dates to "" (flowlink §9): keep that."""
    return text(node, path) or ""


ADDRESS_FIELDS = (
    ("Addr1", "address1"),
    ("Addr2", "address2"),
    ("Addr3", "address3"),
    ("Addr4", "address4"),
    ("Addr5", "address5"),
    ("City", "city"),
    ("State", "state"),
    ("Country", "country"),
    ("PostalCode", "zip_code"),
    ("Note", "note"),
)


def address(node: Elementish | None) -> Record:
    """Address sub-object with only the keys QuickBooks returned (may be {})."""
    out: Record = {}
    if node is None:
        return out
    for tag, key in ADDRESS_FIELDS:
        value = text(node, tag)
        if value is not None:
            out[key] = value
    return out


def custom_fields(ret: Elementish) -> Record:
    """Public custom fields (DataExtRet, OwnerID 0) flattened into name → value."""
    out: Record = {}
    for ext in ret.findall("DataExtRet"):
        if (text(ext, "OwnerID") or "0").strip() != "0":
            continue
        name = text(ext, "DataExtName")
        if name:
            out[name] = text(ext, "DataExtValue") or ""
    return out


def additional_contacts(node: Elementish) -> list[Record]:
    return [
        {"contact_name": text(ref, "ContactName"), "contact_value": text(ref, "ContactValue")}
        for ref in node.findall("AdditionalContactRef")
    ]


def linked_txns(ret: Elementish) -> list[Record]:
    out = []
    for link in ret.findall("LinkedTxn"):
        amount = text(link, "Amount")
        out.append(
            {
                "qbe_transaction_id": text(link, "TxnID"),
                "qbe_reference_number": text(link, "RefNumber"),
                "transaction_type": text(link, "TxnType"),
                "transaction_date": text(link, "TxnDate"),
                "link_type": text(link, "LinkType"),
                "amount": amount,
                "line_item_amount": amount,
            }
        )
    return out
