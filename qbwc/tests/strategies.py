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
* `malformed_bodies()` – a `SoapCase` the Web Connector never sends: arbitrary bytes,
  truncated envelopes, wrong namespaces, unknown operations, markup or non-numbers in
  typed fields, DOCTYPEs, SOAP 1.2, empty bodies.
* `soap_cases()` – both, mixed.
* `SoapProbe` – not a strategy: posts a case and checks the property: never a 5xx; a
  well-formed call gets a protocol answer the real Web Connector accepts (never a fault);
  a malformed body gets a 4xx SOAP fault that says what was wrong, and nothing is stored.

Kept out on purpose (issue 16 items 12, 13 and the UTF-16 envelope, owned elsewhere):
bodies over Django's 2.5 MB upload limit, tickets used at another connection's AppURL
(every case is posted to `/qbwc/`), and envelopes in any encoding but UTF-8 (no BOMs, no
NUL bytes that libxml2 would read as UTF-16, no `encoding=` other than utf-8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from lxml import etree

from qbwc.simulator.webconnector import (
    OPERATIONS,
    QBWC_NS,
    SOAP11_NS,
    SOAP12_NS,
    USER_AGENT,
    ProtocolViolation,
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


@dataclass(frozen=True)
class SoapCase:
    """One POST to /qbwc/: the operation it targets, the body, and whether the Web
    Connector could have sent it (`well_formed`)."""

    op: str
    body: bytes
    well_formed: bool
    kind: str  # what the generator did, for the campaign's table

    def with_ticket(self, ticket: str) -> SoapCase:
        body = self.body.replace(LIVE_TICKET.encode(), ticket.encode())
        return SoapCase(self.op, body, self.well_formed, self.kind)


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


def _plain_bytes(body: bytes) -> bool:
    # libxml2 reads a BOM or NULs among the first bytes as UTF-16/32 (owned elsewhere).
    return not body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) and b"\x00" not in body[:4]


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
        st.binary(max_size=2000)
        .filter(_plain_bytes)
        .map(lambda b: SoapCase("?", b, False, "arbitrary bytes")),
        st.text(xml_chars, max_size=500)
        .filter(lambda t: "<" not in t)
        .map(lambda t: SoapCase("?", t.encode(), False, "text, not XML")),
        st.just(SoapCase("?", b"", False, "empty body")),
    )


def soap_cases() -> st.SearchStrategy[SoapCase]:
    return st.one_of(well_formed_calls(), malformed_bodies())


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

    `credentials` log a real connection in, for LIVE_TICKET; `make_work` queues something
    so that authenticate opens a session; `snapshot` returns what must not change when a
    body is refused (row counts and the like).
    """

    def __init__(
        self,
        url: str,
        credentials: tuple[str, str],
        make_work: Callable[[], None],
        snapshot: Callable[[], Any],
        transport: Transport = http_transport,
    ) -> None:
        self.url = url
        self.credentials = credentials
        self.make_work = make_work
        self.snapshot = snapshot
        self.transport = transport
        self.ticket = ""

    def post(self, op: str, body: bytes) -> tuple[int, str, bytes]:
        headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{QBWC_NS}{op}"',
        }
        return self.transport(self.url, body, headers)

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
        if case.well_formed:
            if LIVE_TICKET.encode() in case.body:
                case = case.with_ticket(self.live_ticket())
            status, content_type, body = self.post(case.op, case.body)
            if status >= 500:
                return Outcome(status, f"HTTP {status} to a well-formed {case.op}: {body[:300]!r}")
            try:
                parse_reply(case.op, status, content_type, body)
            except ProtocolViolation as violation:
                return Outcome(status, f"the Web Connector would reject this answer: {violation}")
            return Outcome(status)
        before = self.snapshot()
        status, content_type, body = self.post(case.op, case.body)
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


def _fault_string(content_type: str, body: bytes) -> str:
    if not content_type.lower().startswith("text/xml"):
        return ""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return ""
    fault = root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    return (fault.findtext("faultstring") or "").strip() if fault is not None else ""
