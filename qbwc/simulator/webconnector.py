"""A fake QuickBooks Web Connector: the SOAP 1.1 client side of the QBWC protocol.

It drives our endpoint over HTTP exactly like the Windows QBWC (see
`shared/spec/qbwc-protocol.md` §3, §12) and hands each qbXML request to an in-memory
QuickBooks. Anything the real QBWC would choke on raises `ProtocolViolation`, so tests fail
where a customer's Web Connector would show a QBWC10xx error.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast
from urllib.parse import urlsplit

from lxml import etree

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
QBWC_NS = "http://developer.intuit.com/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

# Copied from the 2008 log (QBWC 2.0 on .NET 2.0): QBWC is a .NET SoapHttpClientProtocol.
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 2.0.50727.1433)"
HTTP_TIMEOUT_S = 120  # reports say QBWC gives up after about 2 minutes (spec §1, unverified)

# Parameter names and order are part of the contract (spec §4, ../qbwc.wsdl); the server
# binds by element name, so a typo here would hide a server bug instead of exposing it.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "serverVersion": (),
    "getServerVersion": ("ticket",),
    "clientVersion": ("strVersion",),
    "authenticate": ("strUserName", "strPassword"),
    "sendRequestXML": (
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ),
    "receiveResponseXML": ("ticket", "response", "hresult", "message"),
    "connectionError": ("ticket", "hresult", "message"),
    "getLastError": ("ticket",),
    "closeConnection": ("ticket",),
    "getInteractiveURL": ("wcTicket", "sessionID"),
    "interactiveDone": ("wcTicket",),
    "interactiveRejected": ("wcTicket", "reason"),
}
# .NET reads a nil/missing string as null; QBWC copes with null only for these two and
# shows "Not provided by service" (spec §4.1, Intuit guide on clientVersion).
NULLABLE_RESULTS = frozenset({"serverVersion", "clientVersion"})
AUTH_STOP_STATUSES = ("nvu", "none", "busy")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_OPEN_RETRIES = 3  # spec §12.2: cap connectionError retries at 3
XS_INT_MIN, XS_INT_MAX = -(2**31), 2**31 - 1
BODY_EXCERPT_CHARS = 300
TRANSCRIPT_VALUE_CHARS = 300

Transport = Callable[[str, bytes, dict[str, str]], tuple[int, str, bytes]]
SoapResult = str | int | list[str]


class ProtocolViolation(AssertionError):
    """The server did something the real Web Connector would not accept."""


class QuickBooksLike(Protocol):
    def process(self, request_xml: str) -> tuple[str, str, str]: ...

    def hcp_response(self, version: str = "13.0") -> str: ...

    def new_session(self) -> None: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # .NET's SoapHttpClientProtocol has AllowAutoRedirect=false, so QBWC fails on a 301/302
    # (e.g. APPEND_SLASH or an http->https redirect); urllib would silently turn the POST into
    # a GET instead. Returning None makes urllib raise HTTPError with the 3xx status.
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_transport(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """POST one SOAP envelope and return (status, content type, body), also for HTTP errors."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=HTTP_TIMEOUT_S) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read()
    except urllib.error.HTTPError as error:
        # An error status is an answer to judge (HTML 500 page, redirect), not a crash.
        with error:
            content_type = error.headers.get("Content-Type", "") if error.headers else ""
            return error.code, content_type, error.read()


@dataclass
class Call:
    op: str
    params: dict[str, object]
    result: object
    http_status: int
    elapsed_ms: float
    error: str = ""  # the ProtocolViolation this reply raised, if any


@dataclass
class RunResult:
    calls: list[Call] = field(default_factory=list)
    server_version: str = ""
    client_version_reply: str = ""
    auth: list[str] = field(default_factory=list)
    progress: list[int] = field(default_factory=list)
    last_error: str = ""
    close_text: str = ""
    round_trips: int = 0
    requests: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def completed(self) -> bool:
        closed = any(call.op == "closeConnection" for call in self.calls)
        return bool(self.progress) and self.progress[-1] == 100 and closed

    def transcript(self) -> str:
        blocks = []
        for number, call in enumerate(self.calls, start=1):
            lines = [f"[{number}] {call.op}  HTTP {call.http_status}  {call.elapsed_ms:.1f} ms"]
            lines += [f"    {name} = {_clip(repr(value))}" for name, value in call.params.items()]
            if call.error:
                lines.append(f"    !! {_clip(call.error)}")
            else:
                lines.append(f"    -> {_clip(repr(call.result))}")
            blocks.append("\n".join(lines))
        if self.stop_reason:
            blocks.append(f"stopped: {self.stop_reason}")
        return "\n".join(blocks)


def _clip(text: str, limit: int = TRANSCRIPT_VALUE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} chars)"


def check_app_url(url: str) -> None:
    """Refuse an AppURL the real QBWC would refuse: plain http only for localhost."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme == "https" and host:
        return
    if scheme == "http" and host in LOCAL_HOSTS:
        return
    raise ProtocolViolation(
        f"AppURL {url!r} must be https:// (plain http:// is accepted only for localhost, "
        "127.0.0.1 and [::1])"
    )


def build_envelope(op: str, params: dict[str, object]) -> bytes:
    """Serialise one request the way QBWC does (SOAP 1.1, Intuit namespace, WSDL order)."""
    envelope = etree.Element(
        f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS, "xsi": XSI_NS, "xsd": XSD_NS}
    )
    body = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Body")
    wrapper = etree.SubElement(body, f"{{{QBWC_NS}}}{op}", nsmap={None: QBWC_NS})
    for name in OPERATIONS[op]:
        value = params[name]
        if value is None:
            # .NET omits a null string (minOccurs="0"); lets tests send a missing element.
            continue
        child = etree.SubElement(wrapper, f"{{{QBWC_NS}}}{name}")
        text = str(value)
        # QBWC writes empty strings as an empty element (`<strHCPResponse />` in the log).
        child.text = text or None
    # lxml would write the declaration with single quotes; QBWC sends this exact line.
    return b'<?xml version="1.0" encoding="utf-8"?>' + etree.tostring(envelope, encoding="utf-8")


def _hardened_parser() -> etree.XMLParser:
    # A reply is untrusted input: no entity expansion, no DTD or network fetches. lxml parsers
    # are not safe to share between threads, so build one per reply.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _excerpt(body: bytes) -> str:
    return repr(body[:BODY_EXCERPT_CHARS].decode("utf-8", "replace"))


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _is_nil(element: etree._Element) -> bool:
    return element.get(f"{{{XSI_NS}}}nil") in ("true", "1")


def _fault_text(root: etree._Element) -> str | None:
    fault = root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    if fault is None:
        return None
    code = fault.findtext("faultcode") or "?"
    reason = fault.findtext("faultstring") or ""
    return f"SOAP Fault {code}: {reason}"


def _try_parse(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(body, _hardened_parser())
    except etree.XMLSyntaxError:
        return None


def parse_reply(op: str, status: int, content_type: str, body: bytes) -> SoapResult:
    """Check one reply as strictly as QBWC's .NET client would and return its result."""
    if status != 200:
        root = _try_parse(body) if body else None
        fault = _fault_text(root) if root is not None else None
        detail = fault or f"body starts: {_excerpt(body)}"
        raise ProtocolViolation(f"{op}: HTTP {status} instead of 200; {detail}")
    if not body.strip():
        raise ProtocolViolation(f"{op}: empty response body (QBWC: 'empty response')")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "text/xml":
        raise ProtocolViolation(
            f"{op}: content type {content_type!r}, QBWC expects 'text/xml'; "
            f"body starts: {_excerpt(body)}"
        )
    try:
        root = etree.fromstring(body, _hardened_parser())
    except etree.XMLSyntaxError as error:
        if b"<html" in body[:1000].lower():
            raise ProtocolViolation(
                f"{op}: HTML page instead of a SOAP envelope; body starts: {_excerpt(body)}"
            ) from error
        raise ProtocolViolation(
            f"{op}: reply is not well-formed XML ({error}); body starts: {_excerpt(body)}"
        ) from error
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise ProtocolViolation(f"{op}: reply carries a DOCTYPE, which SOAP forbids")
    qname = etree.QName(root)
    if qname.localname.lower() == "html":
        raise ProtocolViolation(f"{op}: HTML page instead of a SOAP envelope")
    if qname.namespace == SOAP12_NS:
        raise ProtocolViolation(
            f"{op}: SOAP 1.2 envelope ({SOAP12_NS}); QBWC is a SOAP 1.1 client and needs "
            f"{SOAP11_NS}"
        )
    if qname.text != f"{{{SOAP11_NS}}}Envelope":
        raise ProtocolViolation(f"{op}: root element is {qname.text}, not a SOAP 1.1 Envelope")
    fault = _fault_text(root)
    if fault is not None:
        raise ProtocolViolation(f"{op}: {fault}")
    soap_body = root.find(f"{{{SOAP11_NS}}}Body")
    if soap_body is None:
        raise ProtocolViolation(f"{op}: SOAP envelope without a Body")
    children = _elements(soap_body)
    if not children:
        raise ProtocolViolation(f"{op}: empty SOAP Body")
    wrapper = etree.QName(children[0])
    if wrapper.localname != f"{op}Response":
        raise ProtocolViolation(f"{op}: expected <{op}Response>, got <{wrapper.localname}>")
    if wrapper.namespace != QBWC_NS:
        raise ProtocolViolation(
            f"{op}: <{op}Response> is in namespace {wrapper.namespace!r}, not {QBWC_NS!r}"
        )
    return _read_result(op, children[0])


def _read_result(op: str, wrapper: etree._Element) -> SoapResult:
    name = f"{op}Result"
    result = wrapper.find(f"{{{QBWC_NS}}}{name}")
    if result is None:
        stray = [etree.QName(child) for child in _elements(wrapper)]
        if any(child.localname == name for child in stray):
            raise ProtocolViolation(f"{op}: <{name}> is not in namespace {QBWC_NS!r}")
        if op in NULLABLE_RESULTS:
            return ""
        raise ProtocolViolation(f"{op}: <{op}Response> has no <{name}>")
    if _is_nil(result):
        if op in NULLABLE_RESULTS:
            return ""
        # QBWC crashes in its logger on a null result ("Object reference not set…", spec §4.5).
        raise ProtocolViolation(f'{op}: <{name} xsi:nil="true"> (QBWC cannot handle null)')
    if op == "authenticate":
        return _read_string_array(op, result)
    text = _read_text(op, result)
    if op == "receiveResponseXML":
        return _read_int(op, text)
    return text


def _read_text(op: str, element: etree._Element) -> str:
    if _elements(element):
        # Typically qbXML pasted into the envelope unescaped; .NET's reader refuses markup
        # inside a string element.
        raise ProtocolViolation(
            f"{op}: <{etree.QName(element).localname}> contains XML elements instead of "
            "escaped text"
        )
    return element.text or ""


def _read_string_array(op: str, result: etree._Element) -> list[str]:
    items: list[str] = []
    for item in _elements(result):
        qname = etree.QName(item)
        if qname.text != f"{{{QBWC_NS}}}string":
            raise ProtocolViolation(
                f"{op}: authenticateResult holds <{qname.text}>; expected <string> items in "
                f"namespace {QBWC_NS!r}"
            )
        if _is_nil(item):
            raise ProtocolViolation(f"{op}: authenticateResult item {len(items)} is nil")
        items.append(_read_text(op, item))
    if not 2 <= len(items) <= 4:
        raise ProtocolViolation(f"{op}: authenticateResult has {len(items)} items, expected 2-4")
    return items


def _read_int(op: str, text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
        raise ProtocolViolation(f"{op}: result {text!r} is not an xs:int")
    value = int(text)
    if not XS_INT_MIN <= value <= XS_INT_MAX:
        raise ProtocolViolation(f"{op}: result {value} is outside the xs:int range")
    return value


class FakeWebConnector:
    """Run Web Connector updates against `url`, with `quickbooks` answering the qbXML."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        quickbooks: QuickBooksLike,
        *,
        transport: Transport | None = None,
        qbwc_version: str = "2.3.0.215",
        qbxml_version: tuple[int, int] = (13, 0),
        country: str = "US",
        company_file: str = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\qbsync.QBW",
        max_round_trips: int = 200,
        noop_sleep: float = 0.0,
        open_failure: tuple[str, str] | None = None,
        continue_on_warning: bool = True,
        abandon_after: int = 0,
    ) -> None:
        # QBWC refuses such a .qwc when it is added, before any call is made.
        check_app_url(url)
        self.url = url
        self.username = username
        self.password = password
        self.quickbooks = quickbooks
        self.transport: Transport = transport or http_transport
        self.qbwc_version = qbwc_version
        self.qbxml_version = qbxml_version
        self.country = country
        self.company_file = company_file
        self.max_round_trips = max_round_trips
        self.noop_sleep = noop_sleep
        self.open_failure = open_failure
        self.continue_on_warning = continue_on_warning
        # The Windows machine dies after QuickBooks ran the n-th request (0 = never): the
        # answer never reaches the server and no further call of the run is made.
        self.abandon_after = abandon_after
        # The run in progress (or the last one), kept so a test can print its transcript
        # after a ProtocolViolation ended run() early.
        self.last_run = RunResult()

    def call(self, op: str, **params: object) -> object:
        """Make one SOAP call, record it in `last_run.calls` and return the checked result."""
        names = OPERATIONS.get(op)
        if names is None:
            raise ValueError(f"unknown QBWC operation {op!r}")
        if set(params) != set(names):
            raise TypeError(f"{op} takes exactly {list(names)}, got {sorted(params)}")
        body = build_envelope(op, params)
        headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{QBWC_NS}{op}"',
        }
        started = time.perf_counter()
        status, content_type, reply = self.transport(self.url, body, headers)
        elapsed_ms = (time.perf_counter() - started) * 1000
        shown = {name: "***" if name == "strPassword" else params[name] for name in names}
        record = Call(op, shown, None, status, elapsed_ms)
        self.last_run.calls.append(record)
        try:
            record.result = parse_reply(op, status, content_type, reply)
        except ProtocolViolation as violation:
            record.error = str(violation)
            raise
        return record.result

    def _text(self, op: str, **params: object) -> str:
        # parse_reply returns a str for every operation but authenticate/receiveResponseXML.
        return cast(str, self.call(op, **params))

    def run(self) -> RunResult:
        """Run one complete update, as QBWC does on "Update Selected" (spec §3)."""
        result = self.last_run = RunResult()
        result.server_version = self._text("serverVersion")
        if not self._accept_client_version(result):
            return result
        auth = cast(
            list[str],
            self.call("authenticate", strUserName=self.username, strPassword=self.password),
        )
        result.auth = auth
        ticket, status = self._check_auth(auth)
        if status in AUTH_STOP_STATUSES:
            result.stop_reason = f"authenticate {status}"
            return result
        # A new QBWC session opens a new QuickBooks session: iterators etc. start afresh.
        self.quickbooks.new_session()
        # authenticate may name the company file QuickBooks has to open (spec §4.3).
        company_file = status or self.company_file
        if self.open_failure is not None:
            self._fail_open(result, ticket)
            return result
        self._exchange(result, ticket, company_file)
        return result

    def _accept_client_version(self, result: RunResult) -> bool:
        reply = self._text("clientVersion", strVersion=self.qbwc_version)
        result.client_version_reply = reply
        if reply == "":
            return True
        if reply.startswith("W:"):
            # A warning dialog: the user chooses; continue_on_warning plays that user.
            if self.continue_on_warning:
                return True
            result.stop_reason = "clientVersion warning declined"
            return False
        if reply.startswith("E:"):
            result.stop_reason = "clientVersion error"
            return False
        if reply.startswith("O:"):
            result.stop_reason = "clientVersion requires a newer QBWC"
            return False
        raise ProtocolViolation(
            f"clientVersion returned {reply!r}; expected '', 'W:<text>', 'E:<text>' or "
            "'O:<version>'"
        )

    def _check_auth(self, auth: list[str]) -> tuple[str, str]:
        ticket, status = auth[0], auth[1]
        if not ticket or ticket in AUTH_STOP_STATUSES:
            # QBWC echoes [0] on every later call; a status word there means the server mixed
            # up the slots (spec §4.3: always a throwaway random value).
            raise ProtocolViolation(f"authenticate returned {ticket!r} as the ticket")
        for slot, value in enumerate(auth[2:], start=2):
            if value and not value.isdigit():
                raise ProtocolViolation(
                    f"authenticate slot [{slot}] is {value!r}; expected a number of seconds"
                )
        return ticket, status

    def _fail_open(self, result: RunResult, ticket: str) -> None:
        assert self.open_failure is not None
        hresult, message = self.open_failure
        # The injected failure is persistent (QuickBooks is not running), so a retry the
        # server asks for fails again until it says "done" or the retry cap is reached.
        for _ in range(1 + MAX_OPEN_RETRIES):
            answer = self._text("connectionError", ticket=ticket, hresult=hresult, message=message)
            if answer.lower() == "done":
                result.stop_reason = "connectionError done"
                break
        else:
            result.stop_reason = f"connectionError retried {MAX_OPEN_RETRIES} times"
        result.last_error = self._text("getLastError", ticket=ticket)
        result.close_text = self._text("closeConnection", ticket=ticket)

    def _exchange(self, result: RunResult, ticket: str, company_file: str) -> None:
        major, minor = self.qbxml_version
        sends = 0
        while True:
            if sends >= self.max_round_trips:
                result.stop_reason = f"no progress 100 after {sends} round trips"
                raise ProtocolViolation(
                    f"session did not reach 100 within max_round_trips={self.max_round_trips} "
                    f"sendRequestXML calls (progress so far: {result.progress[-5:]})"
                )
            # HCP (HostQuery/CompanyQuery/PreferencesQuery) travels only on the first call.
            hcp = self.quickbooks.hcp_response(f"{major}.{minor}") if sends == 0 else ""
            sends += 1
            request = self._text(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse=hcp,
                strCompanyFileName=company_file,
                qbXMLCountry=self.country,
                qbXMLMajorVers=major,
                qbXMLMinorVers=minor,
            )
            if request == "":
                if self._wait_or_stop(result, ticket):
                    continue
                return
            result.round_trips += 1
            result.requests.append(request)
            response, hresult, message = self.quickbooks.process(request)
            result.responses.append(response)
            if result.round_trips == self.abandon_after:
                result.stop_reason = "abandoned after sendRequestXML"
                return
            progress = cast(
                int,
                self.call(
                    "receiveResponseXML",
                    ticket=ticket,
                    response=response,
                    hresult=hresult,
                    message=message,
                ),
            )
            earlier = [value for value in result.progress if value >= 0]
            result.progress.append(progress)  # recorded first so last_run shows a bad value
            self._check_progress(earlier, progress)
            if progress < 0:
                result.stop_reason = "receiveResponseXML negative"
                result.last_error = self._text("getLastError", ticket=ticket)
                result.close_text = self._text("closeConnection", ticket=ticket)
                return
            if progress == 100:
                result.stop_reason = "completed"
                result.close_text = self._text("closeConnection", ticket=ticket)
                return

    def _wait_or_stop(self, result: RunResult, ticket: str) -> bool:
        """Handle sendRequestXML "": True = ask again after a pause, False = session closed."""
        error = result.last_error = self._text("getLastError", ticket=ticket)
        if error == "NoOp":
            # QBWC waits 5 s; tests scale that down through noop_sleep.
            if self.noop_sleep > 0:
                time.sleep(self.noop_sleep)
            return True
        if error == "Interactive mode":
            raise ProtocolViolation(
                "getLastError asked for interactive mode; qbsync must never trigger it"
            )
        result.stop_reason = f"getLastError: {error}"
        result.close_text = self._text("closeConnection", ticket=ticket)
        return False

    @staticmethod
    def _check_progress(earlier: list[int], progress: int) -> None:
        # Negative values are the error channel, not progress, so they are left out of
        # `earlier` and never compared.
        if progress > 100:
            raise ProtocolViolation(f"receiveResponseXML returned {progress}, above 100")
        if progress >= 0 and earlier and progress < earlier[-1]:
            raise ProtocolViolation(
                f"receiveResponseXML progress went down from {earlier[-1]} to {progress}"
            )
