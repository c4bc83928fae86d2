"""Hypothesis strategies and the property for the Web Connector SOAP surface (issue 16
item 15). Importable outside the test suite: bench/fuzz.py runs the same property for a
long campaign against a live server.

* `soap_texts()` – any string an XML document can carry (every Unicode character XML 1.0
  allows), markup-like text, lengths up to a few thousand characters.
* `quickbooks_answers()` – (response, hresult, message): qbxml_answers() with no
  HRESULT, or QuickBooks refusing the whole message (0x80040400 …), or any HRESULT text.
* `qbxml_answers()` – what a QuickBooks (or something pretending to be one) may put in
  `receiveResponseXML`'s `response`: qbXML-shaped answers with arbitrary request ids,
  status codes and records, truncated ones, and plain text.
* `well_formed_calls()` – a `SoapCase` for any operation of Intuit's WSDL, built the way
  the Web Connector builds it (`build_envelope`) with arbitrary field values; a ticket is
  arbitrary text or `LIVE_TICKET` (the runner swaps in a ticket of a live session).
* `reencoded_calls()` – a well-formed call sent in another encoding (`ENCODINGS`: UTF-16
  with a BOM, UTF-16LE/BE with a BOM or only a declaration, Latin-1 and windows-1252 with
  a declaration, UTF-8 with a BOM), under a `Content-Type` charset that may disagree.
* `mismatched_app_calls()` – a live ticket used at another connection's AppURL
  (`/qbwc/<OTHER_APP>/`, the runner swaps in a real connection, or an unknown id).
* `oversized_calls(limit)` – a well-formed call (in any of those encodings, at either
  AppURL) over a body limit of `limit` bytes, with an honest `Content-Length`, a false one
  under the limit, or none (chunked).
* `malformed_bodies()` – a `SoapCase` the Web Connector never sends: arbitrary bytes,
  truncated envelopes, wrong namespaces, unknown operations, markup or non-numbers in
  typed fields, DOCTYPEs, SOAP 1.2, empty bodies.
* `soap_cases(limit)` – all of them, mixed.
* `SoapProbe` – not a strategy: posts a case and checks the property: never a 5xx; a
  well-formed call gets a protocol answer the real Web Connector accepts (never a fault);
  a malformed body gets a 4xx SOAP fault that says what was wrong, and nothing is stored.
  Each widened case has its exact answer: a re-encoded call the one its UTF-8 original
  gets (tickets and requestIDs aside, which are random by design); another connection's
  AppURL `""` from sendRequestXML, `-1` from receiveResponseXML, `getLastError` naming
  the mismatch, and neither connection's session or queue touched; a body over the limit
  `-101` for a receiveResponseXML of a live session (then `getLastError` names the size
  and the setting, and nothing of the answer is stored), `-1` for any other ticket, and a
  413 client fault for every other call, storing nothing; a false `Content-Length` a 400
  fault for the truncated body the server reads.

Every case is sized against the probe's `limit`, so with a small limit (the tests use
`override_settings(QBWC_MAX_BODY_BYTES=…)`) an ordinary call with long values is judged as
the oversized call it is.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit

from hypothesis import strategies as st
from lxml import etree

from qbwc.simulator.webconnector import (
    OPERATIONS,
    QBWC_NS,
    SOAP11_NS,
    SOAP12_NS,
    USER_AGENT,
    ProtocolViolation,
    SoapResult,
    Transport,
    build_envelope,
    http_transport,
    parse_reply,
)

# Stands for "a ticket of a session open right now"; SoapProbe swaps in a real one.
LIVE_TICKET = "LIVE-TICKET-7d1f0c9e"
INTEGER_FIELDS = frozenset({"qbXMLMajorVers", "qbXMLMinorVers"})
TICKET_FIELDS = frozenset({"ticket", "wcTicket"})
XS_INT = (-(2**31), 2**31 - 1)

# Every character XML 1.0 allows (Char production); lxml refuses the others outright.
xml_chars = st.one_of(
    st.sampled_from("\t\n\r"),
    st.characters(min_codepoint=0x20, max_codepoint=0xD7FF),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFD),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
)

_SPECIAL = [
    "",
    " ",
    "   ",
    "<",
    ">",
    "&",
    "&amp;",
    "]]>",
    "<![CDATA[x]]>",
    "<?xml version='1.0'?>",
    "<QBXML/>",
    "0x80040400",
    "0x8004041D",
    "-1",
    "99999999999999999999",
    "US",
    "CA",
    "2.3.0.215",
    "2.0.0.116",
    "1.",
    "..",
    "\u202e\u200b\ufeff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "C:\\Company Files\\a.QBW",
]


def soap_texts(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_SPECIAL),
        st.text(xml_chars, max_size=max_size),
        st.text(st.sampled_from("<>&;'\"/=?! x0123456789.-"), max_size=max_size),
        # Long values: a few thousand characters, far below any body limit.
        st.builds(lambda c, n: c * n, st.sampled_from("aé€😀<&"), st.integers(1000, 5000)),
    )


SENT_IDS = ("SENT-REQUEST-0", "SENT-REQUEST-1", "SENT-REQUEST-2")


def with_sent_ids(answer: str, sent: tuple[str, ...]) -> str:
    for number, marker in enumerate(SENT_IDS):
        answer = answer.replace(marker, sent[number % len(sent)] if sent else "")
    return answer


_RS_TAGS = [
    "CustomerQueryRs",
    "CustomerAddRs",
    "CustomerModRs",
    "ItemQueryRs",
    "ItemInventoryAddRs",
    "ItemNonInventoryAddRs",
    "SalesOrderAddRs",
    "SalesOrderQueryRs",
    "InvoiceAddRs",
    "InvoiceQueryRs",
    "ReceivePaymentAddRs",
    "HostQueryRs",
    "CompanyQueryRs",
    "Unknown",
]
_RET_FIELDS = ["ListID", "TxnID", "EditSequence", "Name", "FullName", "RefNumber", "TimeModified"]


@st.composite
def _qbxml_document(draw: st.DrawFn) -> str:
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, draw(st.sampled_from(["QBXMLMsgsRs", "QBXMLMsgsRq", "Other"])))
    if draw(st.booleans()):
        msgs.set("onError", draw(st.sampled_from(["stopOnError", "continueOnError", "x"])))
    for _ in range(draw(st.integers(0, 4))):
        rs_tag = draw(st.sampled_from(_RS_TAGS))
        rs = etree.SubElement(msgs, rs_tag)
        attributes = {
            "requestID": st.one_of(
                st.sampled_from(["0", "1", "2", "noop", "", *SENT_IDS]), soap_texts(40)
            ),
            "statusCode": st.one_of(
                st.sampled_from(["0", "1", "500", "3100", "3120", "3140", "3180", "3200"]),
                st.integers().map(str),
                soap_texts(20),
            ),
            "statusSeverity": st.sampled_from(["Info", "Warn", "Error", ""]),
            "statusMessage": soap_texts(80),
            "iteratorRemainingCount": st.one_of(st.integers().map(str), soap_texts(10)),
            "iteratorID": soap_texts(40),
        }
        for name, strategy in attributes.items():
            if draw(st.booleans()):
                rs.set(name, draw(strategy))
        for _ in range(draw(st.integers(0, 2))):
            ret = etree.SubElement(rs, rs_tag.replace("Rs", "Ret").replace("Query", ""))
            for field in draw(st.lists(st.sampled_from(_RET_FIELDS), max_size=4, unique=True)):
                etree.SubElement(ret, field).text = draw(soap_texts(60))
    declaration = draw(
        st.sampled_from(
            [
                "",
                '<?xml version="1.0" ?>',
                '<?xml version="1.0" encoding="utf-8"?>',
                # Inside the envelope the qbXML is a string: its own declaration, even
                # one naming another encoding, no longer applies to it.
                '<?xml version="1.0" encoding="windows-1252"?>',
                '<?xml version="1.0" ?><?qbxml version="13.0"?>',
            ]
        )
    )
    return declaration + etree.tostring(root, encoding="unicode")


# (response, hresult, message) of one receiveResponseXML.
QuickBooksAnswer = tuple[str, str, str]


def quickbooks_answers() -> st.SearchStrategy[QuickBooksAnswer]:
    """Mostly an answer with no HRESULT; sometimes QuickBooks refusing the whole message
    (0x80040400 and others, with or without a response), or any text as the HRESULT."""
    hresults = st.one_of(
        st.just(""),
        st.just(""),
        st.sampled_from(["0x80040400", "0x80040408", "0x8004041D", "0x80040414", "0X80040400"]),
        soap_texts(20),
    )
    return st.tuples(qbxml_answers(), hresults, st.one_of(st.just(""), soap_texts(120)))


def qbxml_answers() -> st.SearchStrategy[str]:
    """Answers whose requestIDs are sometimes SENT_IDS markers: `with_sent_ids` swaps in
    the ids of the requests really outstanding (drawing them here would make generation
    depend on the server, which hypothesis refuses)."""
    documents = _qbxml_document()
    return st.one_of(
        documents,
        # Cut short anywhere: the Web Connector relays whatever QuickBooks wrote.
        st.tuples(documents, st.integers(0, 400)).map(lambda t: t[0][: t[1]]),
        soap_texts(),
    )


HONEST, SHORT, CHUNKED = "honest Content-Length", "false Content-Length", "chunked"
# Stands for "another connection's id" in an AppURL; SoapProbe swaps in a real one.
OTHER_APP = "OTHER-APP-5c2a"
_DECLARED = '<?xml version="1.0" encoding="utf-8"?>'
# How a UTF-8 envelope is re-encoded: (Python codec, BOM, declared encoding or None for
# no declaration). Characters the codec lacks become character references, as a client
# writing Latin-1 must write them. UTF-32 is left out: libxml2 does not read it, and XML
# processors need not (XML 1.0 §4.3.3).
ENCODINGS: dict[str, tuple[str, bytes, str | None]] = {
    "utf-16 (BOM, declaration)": ("utf-16-le", b"\xff\xfe", "utf-16"),
    "utf-16 (BOM, no declaration)": ("utf-16-le", b"\xff\xfe", None),
    "utf-16-le (BOM)": ("utf-16-le", b"\xff\xfe", "UTF-16LE"),
    "utf-16-be (BOM)": ("utf-16-be", b"\xfe\xff", "utf-16"),
    "utf-16-be (declaration, no BOM)": ("utf-16-be", b"", "UTF-16BE"),
    "utf-16-le (declaration, no BOM)": ("utf-16-le", b"", "utf-16le"),
    "latin-1 (declaration)": ("latin-1", b"", "ISO-8859-1"),
    "windows-1252 (declaration)": ("cp1252", b"", "windows-1252"),
    "utf-8 (BOM, declaration)": ("utf-8", b"\xef\xbb\xbf", "utf-8"),
    "utf-8 (BOM, no declaration)": ("utf-8", b"\xef\xbb\xbf", None),
}


def reencode(body: bytes, encoding: str) -> bytes:
    """A body build_envelope made (UTF-8 with its declaration) in another encoding."""
    if not encoding:
        return body
    codec, bom, declared = ENCODINGS[encoding]
    text = body.decode("utf-8")
    assert text.startswith(_DECLARED), text[:60]
    rest = text[len(_DECLARED) :]
    if declared is not None:
        rest = f'<?xml version="1.0" encoding="{declared}"?>' + rest
    return bom + rest.encode(codec, "xmlcharrefreplace")


@dataclass(frozen=True)
class SoapCase:
    """One POST to /qbwc/: the operation it targets, the body, and whether the Web
    Connector could have sent it (`well_formed`). `body` is UTF-8; `encoding` (a key of
    ENCODINGS) says how it goes on the wire, `app` which AppURL it is posted to, and
    `length` how its size is declared."""

    op: str
    body: bytes
    well_formed: bool
    kind: str  # what the generator did, for the campaign's table
    encoding: str = ""  # "": as built (UTF-8, declaration, no BOM)
    charset: str = "utf-8"  # what the Content-Type header claims ("": no charset)
    app: str = ""  # connection id in the URL (/qbwc/<app>/); OTHER_APP: another connection
    length: str = HONEST  # HONEST, SHORT (a false Content-Length under the limit) or CHUNKED

    def with_ticket(self, ticket: str) -> SoapCase:
        return replace(self, body=self.body.replace(LIVE_TICKET.encode(), ticket.encode()))

    def wire_body(self) -> bytes:
        return reencode(self.body, self.encoding)

    @property
    def live(self) -> bool:
        return LIVE_TICKET.encode() in self.body


def _value(name: str, op: str) -> st.SearchStrategy[object]:
    if name in INTEGER_FIELDS:
        return st.one_of(st.none(), st.integers(*XS_INT), st.sampled_from([13, 16, 0, -1]))
    if name in TICKET_FIELDS:
        return st.one_of(st.just(LIVE_TICKET), st.none(), soap_texts(80))
    if op == "receiveResponseXML" and name == "response":
        return st.one_of(st.none(), qbxml_answers())
    if name == "strHCPResponse":
        return st.one_of(st.none(), qbxml_answers())
    return st.one_of(st.none(), soap_texts())


@st.composite
def well_formed_calls(draw: st.DrawFn, ops: tuple[str, ...] = tuple(OPERATIONS)) -> SoapCase:
    op = draw(st.sampled_from(ops))
    params = {name: draw(_value(name, op)) for name in OPERATIONS[op]}
    live = any(v == LIVE_TICKET for v in params.values())
    return SoapCase(
        op, build_envelope(op, params), True, "envelope, live ticket" if live else "envelope"
    )


def _live_call(op: str, **params: object) -> SoapCase:
    fields = {name: params.get(name) for name in OPERATIONS[op]}
    return SoapCase(op, build_envelope(op, {**fields, "ticket": LIVE_TICKET}), True, "echoing")


def _echoing_calls() -> st.SearchStrategy[SoapCase]:
    """Calls of a live session whose text comes back: getLastError repeats
    connectionError's HRESULT and message and the country sendRequestXML refuses, so a
    value read in the wrong encoding shows."""
    return st.one_of(
        st.builds(
            lambda hresult, message: _live_call(
                "connectionError", hresult=hresult, message=message
            ),
            soap_texts(80),
            soap_texts(),
        ),
        st.builds(
            lambda country: _live_call(
                "sendRequestXML",
                strHCPResponse="",
                strCompanyFileName="C:\\Company Files\\Zoë.QBW",
                qbXMLCountry=country,
                qbXMLMajorVers=13,
                qbXMLMinorVers=0,
            ),
            soap_texts(80),
        ),
    )


@st.composite
def reencoded_calls(draw: st.DrawFn) -> SoapCase:
    case = draw(st.one_of(well_formed_calls(), _echoing_calls()))
    encoding = draw(st.sampled_from(sorted(ENCODINGS)))
    # The Content-Type charset need not agree with the document (docs/architecture.md).
    charset = draw(st.sampled_from(["utf-8", "", ENCODINGS[encoding][2] or "utf-16"]))
    return replace(case, encoding=encoding, charset=charset, kind=f"re-encoded: {encoding}")


# The callbacks a ticket serves; at another connection's AppURL each has its own answer.
TICKET_OPERATIONS = (
    "sendRequestXML",
    "receiveResponseXML",
    "getLastError",
    "connectionError",
    "closeConnection",
)


@st.composite
def mismatched_app_calls(draw: st.DrawFn) -> SoapCase:
    op = draw(st.sampled_from(TICKET_OPERATIONS))
    params = {name: draw(_value(name, op)) for name in OPERATIONS[op]}
    params["ticket"] = LIVE_TICKET
    app = draw(
        st.one_of(
            st.just(OTHER_APP),
            # A connection that does not exist: just as much not the ticket's.
            st.from_regex(r"\Azz[A-Za-z0-9_-]{0,120}\Z"),
        )
    )
    return SoapCase(
        op,
        build_envelope(op, params),
        True,
        "another connection's AppURL" if app == OTHER_APP else "an unknown connection's AppURL",
        app=app,
    )


@st.composite
def oversized_calls(
    draw: st.DrawFn, limit: int, lengths: tuple[str, ...] = (HONEST, SHORT, CHUNKED)
) -> SoapCase:
    """A well-formed call whose last string field makes the body pass `limit` bytes in any
    encoding. Its ticket (the first field, read from the body's head) is always there, so
    the answer is exactly predictable."""
    # receiveResponseXML half the time: the one call over the limit with answers of its own.
    op = draw(
        st.one_of(
            st.just("receiveResponseXML"),
            st.sampled_from([op for op, fields in OPERATIONS.items() if fields]),
        )
    )
    params = {name: draw(_value(name, op)) for name in OPERATIONS[op]}
    if "ticket" in params:
        params["ticket"] = draw(st.sampled_from([LIVE_TICKET, LIVE_TICKET, "", " x "]))
    last = [n for n in OPERATIONS[op] if n not in INTEGER_FIELDS][-1]
    pad = draw(st.sampled_from("xé€😀<&"))
    # At least one byte per character in every encoding: over the limit whatever it is.
    params[last] = str(params[last] or "") + pad * (limit + 1)
    encoding = draw(st.sampled_from(["", *sorted(ENCODINGS)]))
    length = draw(st.sampled_from(lengths))
    app = draw(st.sampled_from(["", OTHER_APP]))
    return SoapCase(
        op,
        build_envelope(op, params),
        True,
        f"over the limit, {length}",
        encoding=encoding,
        app=app,
        length=length,
    )


@st.composite
def _mutated_envelope(draw: st.DrawFn) -> SoapCase:
    op = draw(st.sampled_from(tuple(OPERATIONS)))
    params = {name: draw(_value(name, op)) for name in OPERATIONS[op]}
    params = {k: ("x" if v == LIVE_TICKET else v) for k, v in params.items()}
    good = build_envelope(op, params)
    mutation = draw(
        st.sampled_from(
            [
                "truncated",
                "unknown operation",
                "operation in another namespace",
                "SOAP 1.2 envelope",
                "no Body",
                "markup in a string field",
                "text in an integer field",
                "unknown field",
                "two operations",
                "DOCTYPE",
                "root is not an Envelope",
            ]
        )
    )
    envelope = etree.fromstring(good)
    body = envelope[0]
    wrapper = body[0]
    if mutation == "truncated":
        cut = draw(st.integers(0, max(0, len(good) - 1)))
        return SoapCase(op, good[:cut], False, mutation)
    if mutation == "unknown operation":
        wrapper.tag = (
            f"{{{QBWC_NS}}}{draw(st.sampled_from(['deleteEverything', 'Authenticate', 'x']))}"
        )
    elif mutation == "operation in another namespace":
        wrapper.tag = f"{{urn:not-intuit}}{op}"
    elif mutation == "SOAP 1.2 envelope":
        envelope = etree.Element(f"{{{SOAP12_NS}}}Envelope")
        etree.SubElement(envelope, f"{{{SOAP12_NS}}}Body").append(wrapper)
    elif mutation == "no Body":
        envelope.remove(body)
    elif mutation == "markup in a string field":
        # Unescaped qbXML pasted into the envelope: an element where a string belongs.
        name = draw(
            st.sampled_from([n for n in OPERATIONS[op] if n not in INTEGER_FIELDS] or ["x"])
        )
        field = wrapper.find(f"{{{QBWC_NS}}}{name}")
        if field is None:
            field = etree.SubElement(wrapper, f"{{{QBWC_NS}}}{name}")
        field.text = None
        etree.SubElement(field, "QBXML").text = draw(soap_texts(40))
    elif mutation == "text in an integer field":
        op = "sendRequestXML"
        wrapper = etree.SubElement(etree.Element("x"), f"{{{QBWC_NS}}}{op}")
        for name in OPERATIONS[op]:
            etree.SubElement(wrapper, f"{{{QBWC_NS}}}{name}").text = (
                draw(
                    st.text(st.sampled_from("abc x.,-+e"), min_size=1, max_size=10).filter(
                        lambda s: not s.strip().lstrip("+-").isdigit()
                    )
                )
                if name in INTEGER_FIELDS
                else "x"
            )
        body.clear()
        body.append(wrapper)
    elif mutation == "unknown field":
        etree.SubElement(
            wrapper, f"{{{QBWC_NS}}}{draw(st.sampled_from(['extra', 'Ticket', 'strusername']))}"
        ).text = "x"
    elif mutation == "two operations":
        body.append(etree.fromstring(build_envelope("serverVersion", {}))[0][0])
    elif mutation == "DOCTYPE":
        return SoapCase(
            op,
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>' + good.split(b"?>", 1)[1],
            False,
            mutation,
        )
    elif mutation == "root is not an Envelope":
        envelope = wrapper
    return SoapCase(
        op, etree.tostring(envelope, xml_declaration=True, encoding="utf-8"), False, mutation
    )


def malformed_bodies() -> st.SearchStrategy[SoapCase]:
    return st.one_of(
        _mutated_envelope(),
        # Any bytes, BOMs and NULs included: libxml2 reads those as UTF-16/32.
        st.binary(max_size=2000).map(lambda b: SoapCase("?", b, False, "arbitrary bytes")),
        st.text(xml_chars, max_size=500)
        .filter(lambda t: "<" not in t)
        .map(lambda t: SoapCase("?", t.encode(), False, "text, not XML")),
        st.just(SoapCase("?", b"", False, "empty body")),
    )


def soap_cases(limit: int) -> st.SearchStrategy[SoapCase]:
    return st.one_of(
        well_formed_calls(),
        reencoded_calls(),
        mismatched_app_calls(),
        oversized_calls(limit),
        malformed_bodies(),
    )


# -- the property ----------------------------------------------------------------------
def stored_state() -> tuple[object, ...]:
    """What a refused body must leave alone: the row count of every table, each session's
    status and last call, and each connection's last contact. One query, so checking it
    around every request costs little."""
    from django.apps import apps
    from django.db import connection

    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)})
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    touched = (
        "(SELECT MAX(last_call_at) FROM qbwc_session WHERE status = 'active')",
        "(SELECT COUNT(*) FROM qbwc_session WHERE status = 'active')",
        "(SELECT MAX(last_contact_at) FROM connections_connection)",
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}, {', '.join(touched)}")
        row = cursor.fetchone()
    return tuple(row or ())


@dataclass
class Outcome:
    status: int
    failure: str = ""  # empty when the property held


class SoapProbe:
    """Post cases to a live /qbwc/ and check the property.

    `credentials` log a real connection in, for LIVE_TICKET; `make_work` makes sure
    something is due so that authenticate opens a session; `snapshot` returns what must
    not change when a body is refused (row counts and the like). `other_app` is another
    connection's id (for OTHER_APP), `limit` the server's QBWC_MAX_BODY_BYTES (None: this
    process's setting, for a server in this process).
    """

    def __init__(
        self,
        url: str,
        credentials: tuple[str, str],
        make_work: Callable[[], None],
        snapshot: Callable[[], Any],
        transport: Transport = http_transport,
        *,
        other_app: str = "",
        limit: int | None = None,
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.make_work = make_work
        self.snapshot = snapshot
        self.transport = transport
        self.other_app = other_app
        self.limit = limit
        self.ticket = ""

    @property
    def body_limit(self) -> int:
        if self.limit is not None:
            return self.limit
        from django.conf import settings

        return int(settings.QBWC_MAX_BODY_BYTES)

    def post(
        self,
        op: str,
        body: bytes,
        app: str = "",
        length: str = HONEST,
        charset: str = "utf-8",
    ) -> tuple[int, str, bytes]:
        headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": f"text/xml; charset={charset}" if charset else "text/xml",
            "SOAPAction": f'"{QBWC_NS}{op}"',
        }
        if app == OTHER_APP:
            app = self.other_app
        url = f"{self.url}{quote(app, safe='')}/" if app else self.url
        if length == HONEST:
            return self.transport(url, body, headers)
        # SHORT: half of what the limit allows, so the server reads that much and no more.
        declared = min(self.body_limit, len(body)) // 2 if length == SHORT else None
        return post_with_length(url, body, headers, declared)

    def send(self, case: SoapCase) -> tuple[int, str, bytes]:
        return self.post(case.op, case.wire_body(), case.app, case.length, case.charset)

    def live_ticket(self) -> str:
        """A ticket of a session open right now: the last run is closed and a new one
        begins, as the Web Connector does on its next scheduled update."""
        if self.ticket:
            self.post("closeConnection", build_envelope("closeConnection", {"ticket": self.ticket}))
        self.make_work()
        username, password = self.credentials
        reply = self.post(
            "authenticate",
            build_envelope("authenticate", {"strUserName": username, "strPassword": password}),
        )
        answer = parse_reply("authenticate", *reply)
        assert isinstance(answer, list) and answer[1] not in ("nvu", "none", "busy"), answer
        self.ticket = answer[0]
        return self.ticket

    def open_request(self) -> tuple[str, tuple[str, ...]]:
        """A live ticket with a qbXML message outstanding: (ticket, its requestIDs)."""
        ticket = self.live_ticket()
        params: dict[str, object] = {
            "ticket": ticket,
            "strHCPResponse": "",
            "strCompanyFileName": "C:\\a.QBW",
            "qbXMLCountry": "US",
            "qbXMLMajorVers": 13,
            "qbXMLMinorVers": 0,
        }
        reply = self.post("sendRequestXML", build_envelope("sendRequestXML", params))
        request = parse_reply("sendRequestXML", *reply)
        assert isinstance(request, str) and request, f"no request to answer: {request!r}"
        root = etree.fromstring(request.split("?>", 2)[-1].encode())
        return ticket, tuple(e.get("requestID", "") for e in root.iter() if e.get("requestID"))

    @staticmethod
    def answer_case(ticket: str, answer: QuickBooksAnswer) -> SoapCase:
        response, hresult, message = answer
        params: dict[str, object] = {
            "ticket": ticket,
            "response": response,
            "hresult": hresult,
            "message": message,
        }
        body = build_envelope("receiveResponseXML", params)
        return SoapCase("receiveResponseXML", body, True, "answer to a request sent")

    def check(self, case: SoapCase) -> Outcome:
        if not case.well_formed:
            return self._check_refused(case)
        # Sized as it will be sent: a live ticket is as long as the dummy.
        sized = case.with_ticket(new_ticket_like())
        if len(sized.wire_body()) > self.body_limit or case.length != HONEST:
            return self._check_oversized(case)
        if case.app:
            return self._check_other_app(case)
        # An original over the limit (a re-encoding can be shorter: "€" is 3 bytes in
        # UTF-8, 1 in windows-1252) answers differently by design: then only the call.
        if case.encoding and len(sized.body) <= self.body_limit:
            return self._check_reencoded(case)
        if case.live:
            case = case.with_ticket(self.live_ticket())
        status, content_type, body = self.send(case)
        return _accepted(case.op, status, content_type, body)[0]

    def _check_refused(self, case: SoapCase) -> Outcome:
        before = self.snapshot()
        status, content_type, body = self.send(case)
        after = self.snapshot()
        if status >= 500:
            return Outcome(status, f"HTTP {status} to a malformed body: {body[:300]!r}")
        if not 400 <= status < 500:
            return Outcome(status, f"HTTP {status} to a malformed body ({case.kind}), not a 4xx")
        fault = _fault_string(content_type, body)
        if not fault:
            return Outcome(status, f"HTTP {status} without a SOAP fault saying why: {body[:300]!r}")
        if before != after:
            return Outcome(status, f"a refused body changed stored state: {before} -> {after}")
        return Outcome(status)

    def _check_reencoded(self, case: SoapCase) -> Outcome:
        """The same call in UTF-8, then re-encoded, each with a session of its own when it
        needs a live one: both answers must be the same, and so must what getLastError
        says after each (it repeats what a callback recorded, e.g. connectionError's
        message: a value read wrongly shows there)."""
        outcome, expected = self._answer_of(replace(case, encoding="", charset="utf-8"))
        if outcome.failure:
            return Outcome(outcome.status, f"the UTF-8 original: {outcome.failure}")
        outcome, answer = self._answer_of(case)
        if not outcome.failure and answer != expected:
            return Outcome(
                outcome.status,
                f"{case.op} in {case.encoding} answered {answer!r}, in UTF-8 {expected!r}",
            )
        return outcome

    def _answer_of(self, case: SoapCase) -> tuple[Outcome, object]:
        """The comparable answer to `case` (with a fresh session when it needs a live one)
        and what getLastError says of that session afterwards."""
        ticket = ""
        if case.live:
            ticket = self.live_ticket()
            case = case.with_ticket(ticket)
        outcome, answer = _accepted(case.op, *self.send(case))
        if outcome.failure or not ticket:
            return outcome, _comparable(case.op, answer)
        reply = self.post("getLastError", build_envelope("getLastError", {"ticket": ticket}))
        return outcome, (_comparable(case.op, answer), parse_reply("getLastError", *reply))

    def _check_other_app(self, case: SoapCase) -> Outcome:
        """A live ticket at another connection's AppURL: the documented answers, and neither
        the ticket's session nor either connection's queue touched."""
        ticket = self.live_ticket()
        case = case.with_ticket(ticket)
        app = self.other_app if case.app == OTHER_APP else case.app
        before = ticket_state(ticket, app)
        outcome, answer = _accepted(case.op, *self.send(case))
        if outcome.failure:
            return outcome
        mismatch = f"This Web Connector application's AppURL (/qbwc/{app[:100]}/) does not match"
        if case.op in _AT_OTHER_APP:
            held = answer == _AT_OTHER_APP[case.op]
        else:  # getLastError, closeConnection: why nothing happens
            held = isinstance(answer, str) and answer.startswith(mismatch)
        if not held:
            return Outcome(outcome.status, f"{case.op} at /qbwc/{app}/ answered {answer!r}")
        after = ticket_state(ticket, app)
        if before != after:
            return Outcome(
                outcome.status, f"{case.op} at another AppURL changed state: {before} -> {after}"
            )
        return outcome

    def _check_oversized(self, case: SoapCase) -> Outcome:
        """Over the limit: -101 for a receiveResponseXML of a live session (a message
        outstanding; getLastError then says why, and nothing of the answer is stored), -1
        for any other ticket, a 413 fault for every other call; a false Content-Length
        under the limit makes the server read a truncated body: a 400 fault."""
        if case.live:
            live = self.open_request()[0] if case.op == "receiveResponseXML" else self.live_ticket()
            case = case.with_ticket(live)
        # The ticket the server reads is the first field: LIVE_TICKET's session, or a live
        # one the caller put in (an answer to a request sent), or any text.
        wrapper = etree.fromstring(case.body)[0][0]
        ticket = (wrapper[0].text or "").strip() if len(wrapper) else ""
        mine = bool(ticket) and not case.app and session_is_live(ticket)
        before = self.snapshot()
        status, content_type, body = self.send(case)
        if case.length == SHORT:
            return self._refused_alike(case, before, status, content_type, body, 400)
        if case.op != "receiveResponseXML" or not ticket:
            return self._refused_alike(case, before, status, content_type, body, 413)
        outcome, answer = _accepted(case.op, status, content_type, body)
        if outcome.failure:
            return outcome
        if answer != (-101 if mine else -1):
            return Outcome(status, f"receiveResponseXML over the limit answered {answer!r}")
        if not mine:
            after = self.snapshot()
            if before != after:
                return Outcome(status, f"a refused body changed stored state: {before} -> {after}")
            return outcome
        reply = self.post("getLastError", build_envelope("getLastError", {"ticket": ticket}))
        explained = str(parse_reply("getLastError", *reply))
        if (
            "more than this server accepts" not in explained
            or "QBWC_MAX_BODY_BYTES" not in explained
        ):
            return Outcome(status, f"getLastError after -101 does not say why: {explained!r}")
        unread = answer_unread(ticket)
        if unread:
            return Outcome(status, f"an answer over the limit was stored: {unread}")
        return outcome

    def _refused_alike(
        self,
        case: SoapCase,
        before: object,
        status: int,
        content_type: str,
        body: bytes,
        expected: int,
    ) -> Outcome:
        after = self.snapshot()
        fault = _fault_string(content_type, body)
        if status != expected or not fault:
            return Outcome(
                status,
                f"HTTP {status} to {case.kind} {case.op}, not a {expected} fault: {body[:300]!r}",
            )
        if expected == 413 and not (
            "Request too large" in fault and "QBWC_MAX_BODY_BYTES" in fault
        ):
            return Outcome(status, f"the 413 fault does not say why: {fault!r}")
        if before != after:
            return Outcome(status, f"a refused body changed stored state: {before} -> {after}")
        return Outcome(status)


# What a ticket's callbacks answer at another connection's AppURL (docs/architecture.md).
_AT_OTHER_APP: dict[str, SoapResult] = {
    "sendRequestXML": "",
    "receiveResponseXML": -1,
    "connectionError": "done",
}


def new_ticket_like() -> str:
    """As long as a real ticket (qbwc.models.new_ticket: 32 hex digits)."""
    return "0" * 32


def _accepted(
    op: str, status: int, content_type: str, body: bytes
) -> tuple[Outcome, SoapResult | None]:
    """The reply to a well-formed call, judged as the Web Connector would."""
    if status >= 500:
        return Outcome(status, f"HTTP {status} to a well-formed {op}: {body[:300]!r}"), None
    try:
        result = parse_reply(op, status, content_type, body)
    except ProtocolViolation as violation:
        failure = f"the Web Connector would reject this answer: {violation}"
        return Outcome(status, failure), None
    return Outcome(status), result


_REQUEST_ID = re.compile(r'requestID="[^"]*"')


def _comparable(op: str, result: SoapResult | None) -> object:
    """A result without what is random by design: authenticate's ticket, requestIDs."""
    if op == "authenticate" and isinstance(result, list):
        return result[1:]
    if isinstance(result, str):
        return _REQUEST_ID.sub('requestID=""', result)
    return result


def ticket_state(ticket: str, app: str) -> tuple[object, ...]:
    """What a call at another AppURL must leave alone: the ticket's session and messages,
    and the queue of both its connection and the URL's."""
    from objects.models import QueuedObject
    from qbwc.models import Message, Session

    session = Session.objects.for_ticket(ticket)
    assert session is not None
    queue = QueuedObject.objects.filter(
        connection__connection_id__in=[session.connection.connection_id, app]
    ).order_by("pk")
    return (
        Session.objects.filter(pk=session.pk).values_list(
            "status", "round_trips", "last_error", "requests_answered", "last_call_at"
        )[0],
        list(Message.objects.filter(session=session).values_list("pk", "status")),
        list(queue.values_list("pk", "phase", "claimed_by", "updated_at")),
    )


def session_is_live(ticket: str) -> bool:
    from qbwc.models import Session

    session = Session.objects.for_ticket(ticket)
    return session is not None and session.status == Session.Status.ACTIVE


def answer_unread(ticket: str) -> str:
    """Why the outstanding message of `ticket`'s session looks read ("" if nothing of an
    answer over the limit was stored): it must be `too_large`, with no response and no
    status on any of its requests."""
    from qbwc.models import Message, Request, Session

    session = Session.objects.for_ticket(ticket)
    message = Message.objects.filter(session=session).order_by("-number").first()
    if message is None:
        return "no message"
    if message.status != Message.Status.TOO_LARGE or message.response_xml:
        return f"message {message.status}, response {message.response_xml[:100]!r}"
    statuses = Request.objects.filter(message=message, status_code__isnull=False)
    return f"{statuses.count()} request statuses recorded" if statuses.exists() else ""


def post_with_length(
    url: str, body: bytes, headers: dict[str, str], content_length: int | None
) -> tuple[int, str, bytes]:
    """POST `body` whole under a `Content-Length` of `content_length`, which may be false,
    or with none at all (None: chunked transfer encoding)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
    try:
        connection.putrequest("POST", parts.path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if content_length is not None:
            connection.putheader("Content-Length", str(content_length))
            connection.endheaders()
            connection.send(body)
        else:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for start in range(0, len(body), 64 * 1024):
                chunk = body[start : start + 64 * 1024]
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        reply = connection.getresponse()
        return reply.status, reply.getheader("Content-Type") or "", reply.read()
    finally:
        connection.close()


def _fault_string(content_type: str, body: bytes) -> str:
    if not content_type.lower().startswith("text/xml"):
        return ""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return ""
    fault = root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    return (fault.findtext("faultstring") or "").strip() if fault is not None else ""
