"""Read a QuickBooks query response incrementally, one `…Ret` at a time (qbxml §12).

A poll page is small, but a response is never trusted to be: the document is fed to
lxml's iterparse from the bytes and every `…Ret` is cleared (with the siblings before
it) as soon as it has been handed over, so memory stays bounded by one record whatever
the response size. Same safety rules as `qbwc.qbxml.parse`: no DTD, no entities,
no network.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TypeAlias

from lxml import etree

from qbwc.qbxml.parse import QbxmlParseError, tag_of

Element: TypeAlias = etree._Element
_PROLOG_LIMIT = 1 << 20


@dataclass
class StreamedRs:
    """The status attributes of one `…Rs`, known from its start tag."""

    tag: str
    request_id: str
    status_code: int
    severity: str
    message: str
    iterator_remaining: int | None
    iterator_id: str

    @property
    def is_error(self) -> bool:
        return self.status_code >= 1000


@dataclass
class RsEnd:
    """Marks the end of an `…Rs`: every Ret of it has been yielded."""

    rs: StreamedRs


def _status(rs: Element) -> StreamedRs:
    try:
        code = int(rs.get("statusCode", "0"))
    except ValueError:
        code = 1000
    remaining = rs.get("iteratorRemainingCount")
    return StreamedRs(
        tag=tag_of(rs),
        request_id=rs.get("requestID", ""),
        status_code=code,
        severity=rs.get("statusSeverity", ""),
        message=rs.get("statusMessage", ""),
        iterator_remaining=int(remaining) if remaining and remaining.isdigit() else None,
        iterator_id=rs.get("iteratorID", ""),
    )


class _Guarded(io.RawIOBase):
    """Refuse a DOCTYPE/ENTITY before lxml sees it; pass everything else through.

    The prolog (everything before the root element) is where a DOCTYPE has to be, so it
    is checked whole, however many comments pad it; a document whose root does not
    start within the first megabyte is not a QuickBooks answer.
    """

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.prolog = b""
        self.checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.source.read(len(buffer))
        if not self.checked:
            self.prolog += chunk
            root = self.prolog.find(b"<QBXML")
            head = self.prolog if root < 0 else self.prolog[:root]
            upper = head.upper()
            if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
                raise QbxmlParseError("DOCTYPE and entity declarations are not allowed")
            if root >= 0:
                self.checked, self.prolog = True, b""
            elif not chunk or len(self.prolog) > _PROLOG_LIMIT:
                raise QbxmlParseError("no <QBXML> root element")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def iter_rets(
    source: bytes | str | IO[bytes], ret_tags: Iterable[str], rs_tags: Iterable[str]
) -> Iterator[tuple[StreamedRs, Element] | RsEnd]:
    """Yield (rs, ret) for every `ret_tags` element directly under an `rs_tags` element,
    and one RsEnd per `…Rs` (also for an empty one: status 1 or an error).

    lxml filters by tag in C, so Python only sees the elements that matter. `ret` is
    valid only until the next item is requested: it is cleared afterwards.
    """
    if isinstance(source, str):
        source = source.encode("utf-8")
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    rets = set(ret_tags)
    responses = set(rs_tags)
    events = etree.iterparse(
        io.BufferedReader(_Guarded(stream), buffer_size=1 << 16),
        events=("end",),
        tag=sorted(rets | responses),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,  # long text is fine; entity expansion stays off
        remove_comments=True,
    )
    current: StreamedRs | None = None
    current_rs: Element | None = None
    try:
        for _event, element in events:
            parent = element.getparent()
            if element.tag in responses and (parent is None or parent.tag == "QBXMLMsgsRs"):
                yield RsEnd(current if current_rs is element and current else _status(element))
                current, current_rs = None, None
                element.clear(keep_tail=False)
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
                continue
            if parent is None or parent.tag not in responses:
                continue  # a same-named element nested deeper (never a poll result)
            if current_rs is not parent:
                # The Rs start tag (and its status attributes) was parsed before its Rets.
                current, current_rs = _status(parent), parent
            assert current is not None
            yield current, element
            element.clear(keep_tail=False)
            # Drop the cleared siblings too, or the Rs keeps one empty node per Ret.
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise QbxmlParseError(f"not well-formed XML: {exc}") from exc
