"""Pretty-print qbXML for operators: whole messages or the one request an object sent."""

from __future__ import annotations

import re

from lxml import etree

from qbwc.qbxml.parse import QbxmlParseError, parse_document

_QBXML_PI = re.compile(r"<\?qbxml\s+version=\"[0-9.]+\"\s*\?>")


def pretty(xml: str) -> str:
    """Indent a qbXML document; text that does not parse is shown as it came."""
    if not xml.strip():
        return ""
    try:
        root = parse_document(xml)
    except QbxmlParseError:
        return xml
    etree.indent(root, space="  ")
    # The <?qbxml version?> instruction sits before the root; operators need to see it.
    version = _QBXML_PI.search(xml[:300])
    prefix = version.group(0) + "\n" if version else ""
    return prefix + etree.tostring(root, encoding="unicode")


def fragment(xml: str, request_id: str) -> str:
    """The one `…Rq`/`…Rs` element of a message carrying `requestID`, indented."""
    if not xml.strip() or not request_id:
        return ""
    try:
        root = parse_document(xml)
    except QbxmlParseError:
        return ""
    for element in root.iter():
        if element.get("requestID") == request_id:
            etree.indent(element, space="  ")
            return etree.tostring(element, encoding="unicode", with_tail=False)
    return ""
