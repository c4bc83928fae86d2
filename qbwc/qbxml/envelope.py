"""Wrap request elements into a qbXML message (qbxml.md §2)."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

SUPPORTED_VERSIONS = ("13.0", "14.0", "15.0", "16.0")
MIN_VERSION = "13.0"


def version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def build_message(
    requests: Iterable[etree._Element], version: str, on_error: str = "continueOnError"
) -> str:
    """Return the message as text starting with `<?xml` (nothing before it, no BOM)."""
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq", onError=on_error)
    for request in requests:
        msgs.append(request)
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'
