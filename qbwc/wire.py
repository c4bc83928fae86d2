"""A Web Connector SOAP request as it comes off the wire: read in bounded chunks, parsed as
a stream while it is read, refused early when it is too large, and handed on as UTF-8.

A receiveResponseXML can legitimately carry tens of MB of qbXML (a large pull, a batch of
long orders), so Django's request.body (DATA_UPLOAD_MAX_MEMORY_SIZE) is never used here:
the limit is settings.QBWC_MAX_BODY_BYTES. A body over it is read only as far as its
operation and ticket (the first few hundred bytes) so the answer can stay inside the
protocol, and the rest is discarded without being kept (see `drain`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

CHUNK_BYTES = 64 * 1024
# How far a body over the limit is parsed to find its operation and ticket: both come
# first in every Web Connector call, long before any qbXML.
HEAD_BYTES = 64 * 1024
# Past the limit, at most this much more is read (and thrown away) so that a client that
# sends its whole body before reading the answer (the Web Connector's .NET client, urllib)
# gets the answer instead of a connection reset. Anything larger is left unread.
DRAIN_BYTES = 256 * 1024 * 1024
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_UTF8 = {"utf-8", "utf8"}


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass
class Envelope:
    """What was read of one SOAP request."""

    body: bytes = b""  # the whole request as UTF-8, when it is within the limit and valid
    size: int = 0  # bytes of the body (the declared length when refused up front)
    received: int = 0  # bytes actually read from the stream
    too_large: bool = False
    operation: str = ""  # local name of the Body's first element, once seen
    ticket: str = ""  # text of that element's first child: the ticket of every QBWC call
    operations: int = 0  # children of the Body: a Web Connector call has exactly one
    error: str = ""  # why a body within the limit is refused (malformed, DTD)
    _head_done: bool = field(default=False, repr=False)


def read(stream: Readable, declared: int | None, limit: int) -> Envelope:
    """Read and stream-parse a request body of at most `limit` bytes."""
    envelope = Envelope()
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        # One text node (the qbXML of a large answer) may exceed libxml2's 10 MB default;
        # the size is bounded by `limit` instead, and a DTD is refused outright.
        huge_tree=True,
        remove_comments=True,
    )
    if declared is not None and declared > limit:
        # Refused on the declared length: parse only the head, keep nothing.
        envelope.too_large = True
        envelope.size = declared
        _read_head(stream, parser, envelope, min(declared, HEAD_BYTES))
        return envelope
    chunks: list[bytes] = []
    while envelope.received <= limit:
        chunk = stream.read(min(CHUNK_BYTES, limit + 1 - envelope.received))
        if not chunk:
            break
        envelope.received += len(chunk)
        chunks.append(chunk)
        _feed(parser, envelope, chunk)
    envelope.size = envelope.received
    if envelope.received > limit:
        # No (or a false) Content-Length: the limit was found by reading, chunk by chunk.
        envelope.too_large = True
        return envelope
    if not envelope.error:
        _finish(parser, envelope, b"".join(chunks))
    return envelope


def drain(stream: Readable, envelope: Envelope, declared: int | None) -> None:
    """Read and discard what is left of a refused body, up to DRAIN_BYTES more."""
    left = DRAIN_BYTES if declared is None else min(declared - envelope.received, DRAIN_BYTES)
    while left > 0:
        chunk = stream.read(min(CHUNK_BYTES, left))
        if not chunk:
            return
        left -= len(chunk)


def _read_head(
    stream: Readable, parser: etree.XMLPullParser, envelope: Envelope, budget: int
) -> None:
    while envelope.received < budget and not envelope._head_done and not envelope.error:
        chunk = stream.read(min(CHUNK_BYTES, budget - envelope.received))
        if not chunk:
            break
        envelope.received += len(chunk)
        _feed(parser, envelope, chunk)


def _feed(parser: etree.XMLPullParser, envelope: Envelope, chunk: bytes) -> None:
    if envelope.error:
        return
    try:
        parser.feed(chunk)
        for event, element in parser.read_events():
            _see(envelope, event, element)
    except etree.XMLSyntaxError as exc:
        envelope.error = f"Malformed XML in the SOAP request: {exc}"


def _see(envelope: Envelope, event: str, element: etree._Element) -> None:
    depth = _depth_of(element)
    if event == "start":
        if depth == 0 and element.getroottree().docinfo.doctype:
            # No DTDs: entity expansion ("billion laughs") and external entities are
            # refused before anything else reads the document, whatever its encoding.
            envelope.error = "DOCTYPE and entity declarations are not allowed in SOAP requests"
        elif depth == 2 and _in_body(element):
            envelope.operations += 1
            if not envelope.operation:
                envelope.operation = etree.QName(element).localname
        return
    if depth == 3 and envelope.operation and not envelope._head_done and _in_body(element):
        envelope.ticket = (element.text or "").strip()
        envelope._head_done = True
    elif depth == 2 and envelope.operation:
        envelope._head_done = True
    if depth >= 3:
        # Nothing below the parameters is needed here: keep the streamed tree small
        # (spyne parses the body again to bind the parameters).
        element.clear(keep_tail=False)


def _depth_of(element: etree._Element) -> int:
    depth = 0
    parent = element.getparent()
    while parent is not None and depth < 4:
        depth += 1
        parent = parent.getparent()
    return depth


def _in_body(element: etree._Element) -> bool:
    node: etree._Element | None = element
    while node is not None:
        if node.tag == f"{{{SOAP_ENV}}}Body":
            return True
        node = node.getparent()
    return False


def _finish(parser: etree.XMLPullParser, envelope: Envelope, raw: bytes) -> None:
    try:
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        envelope.error = f"Malformed XML in the SOAP request: {exc}"
        return
    if envelope.operations > 1:
        # spyne would run the first and silently drop the rest (WS-I BP R9981: at most one
        # child of soap:Body).
        envelope.error = (
            f"The SOAP Body holds {envelope.operations} operations; send one per request"
        )
        return
    encoding = (root.getroottree().docinfo.encoding or "utf-8").lower()
    if encoding in _UTF8:
        envelope.body = raw
        return
    try:
        envelope.body = _as_utf8(raw, encoding)
    except (LookupError, UnicodeDecodeError):
        # libxml2 knows a few encodings Python does not (or reads them differently).
        envelope.error = f"Unsupported encoding of the SOAP request: {encoding}"


def _as_utf8(raw: bytes, encoding: str) -> bytes:
    """Re-encode a body lxml read as UTF-16 (BOM or declaration) or another encoding: spyne
    decodes by the Content-Type charset, which such a client need not set to match."""
    text = raw.decode(encoding)
    body = _DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    return b'<?xml version="1.0" encoding="utf-8"?>' + body.encode("utf-8")
