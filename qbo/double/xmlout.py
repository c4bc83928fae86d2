"""Render a JSON answer as the XML QBO sends when `Accept: application/json` is missing."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

NAMESPACE = "http://schema.intuit.com/finance/v3"
# Keys QBO sends as XML attributes rather than child elements.
ATTRIBUTES = {
    "startPosition",
    "maxResults",
    "totalCount",
    "type",
    "code",
    "element",
    "bId",
    "domain",
    "sparse",
    "status",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_reference(value: dict[str, Any]) -> bool:
    return "value" in value and set(value) <= {"value", "name", "type"}


def _fill(element: ET.Element, key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _fill(element, key, item)
        return
    if not isinstance(value, dict) and key in ATTRIBUTES:
        element.set(key, _text(value))
        return
    child = ET.SubElement(element, key)
    if isinstance(value, dict):
        if _is_reference(value):
            child.text = _text(value["value"])
            for attribute in ("name", "type"):
                if attribute in value:
                    child.set(attribute, _text(value[attribute]))
            return
        for inner_key, inner in value.items():
            _fill(child, inner_key, inner)
    else:
        child.text = _text(value)


def to_xml(body: dict[str, Any]) -> bytes:
    root = ET.Element("IntuitResponse", {"xmlns": NAMESPACE})
    for key, value in body.items():
        if key == "time":
            root.set("time", _text(value))
        elif key == "CDCResponse":
            for item in value:
                cdc = ET.SubElement(root, "CDCResponse")
                for response in item.get("QueryResponse", []):
                    _fill(cdc, "QueryResponse", response)
        else:
            _fill(root, key, value)
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return declaration + ET.tostring(root, encoding="unicode").encode()
