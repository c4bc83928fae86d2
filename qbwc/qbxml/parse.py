"""Parse qbXML leniently but safely (qbxml.md §12): no entities, no network, no DTDs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from lxml import etree

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


class QbxmlParseError(ValueError):
    """The text is not a well-formed qbXML document."""


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def parse_document(text: str | bytes) -> etree._Element:
    """Parse qbXML text; a DOCTYPE (entity declarations) is refused outright."""
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    # The declaration may name an encoding that no longer applies to a str.
    body = _DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    if "<!DOCTYPE" in body.upper() or "<!ENTITY" in body.upper():
        raise QbxmlParseError("DOCTYPE and entity declarations are not allowed")
    try:
        return etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise QbxmlParseError(f"not well-formed XML: {exc}") from exc


@dataclass
class Response:
    """One `…Rs` of a QuickBooks answer."""

    tag: str
    request_id: str
    status_code: int
    severity: str
    message: str
    element: etree._Element
    rets: list[etree._Element] = field(default_factory=list)
    iterator_remaining: int | None = None
    iterator_id: str = ""

    @property
    def is_error(self) -> bool:
        return self.status_code >= 1000

    @property
    def kind(self) -> str:
        """The request family, e.g. 'CustomerAdd' for a CustomerAddRs."""
        return self.tag[:-2] if self.tag.endswith("Rs") else self.tag


def read_responses(text: str | bytes) -> list[Response]:
    """Return every `…Rs` of a QBXMLMsgsRs document, in document order."""
    root = parse_document(text)
    if root.tag != "QBXML":
        raise QbxmlParseError(f"root element is <{tag_of(root)}>, expected <QBXML>")
    msgs = root.find("QBXMLMsgsRs")
    if msgs is None:
        raise QbxmlParseError("no <QBXMLMsgsRs> in the response")
    out = []
    for rs in msgs:
        if not isinstance(rs.tag, str):
            continue
        try:
            code = int(rs.get("statusCode", "0"))
        except ValueError:
            code = 1000
        remaining = rs.get("iteratorRemainingCount")
        out.append(
            Response(
                tag=rs.tag,
                request_id=rs.get("requestID", ""),
                status_code=code,
                severity=rs.get("statusSeverity", ""),
                message=rs.get("statusMessage", ""),
                element=rs,
                rets=[c for c in rs if isinstance(c.tag, str) and c.tag.endswith("Ret")],
                iterator_remaining=int(remaining) if remaining and remaining.isdigit() else None,
                iterator_id=rs.get("iteratorID", ""),
            )
        )
    return out


def text_of(node: etree._Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "") if found is not None else ""


def tag_of(node: etree._Element) -> str:
    """Return the tag of an element we parsed or built, typed as the str it is.

    The lxml stubs type `.tag` as str | bytes | bytearray | QName because a tag assigned by
    hand is stored as given; ours are all parsed or built from str, so this only narrows.
    """
    return cast(str, node.tag)
