"""The fake Web Connector against a scripted SOAP stub (the real server is tested elsewhere)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import shared_file
from qbwc.simulator.webconnector import (
    OPERATIONS,
    QBWC_NS,
    SOAP11_NS,
    XSI_NS,
    FakeWebConnector,
    ProtocolViolation,
    http_transport,
)

URL = "https://qbsync.example.com/qbwc/?tenant=acme"
TICKET = "8f0c1e3a-5b7d-4c2e-9a11-3d5f7b9c0e21"
PASSWORD = "s3cret-pass-word"
REQUEST_1 = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="continueOnError"><CustomerQueryRq requestID="1"/></QBXMLMsgsRq>'
    "</QBXML>"
)
REQUEST_2 = REQUEST_1.replace('requestID="1"', 'requestID="2"')
HCP = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs requestID="0" statusCode="0" '
    'statusSeverity="Info" statusMessage="Status OK"><HostRet><ProductName>QuickBooks '
    "Enterprise Solutions 18.0</ProductName></HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
)


class Seq:
    """Answers given one after another; the last one repeats."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)

    def next(self) -> object:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Nil:
    """Answer with `<opResult xsi:nil="true"/>`."""


@dataclass
class Raw:
    """Answer with these exact HTTP bytes instead of a generated envelope."""

    body: bytes
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"


@dataclass
class Received:
    url: str
    headers: dict[str, str]
    root: etree._Element
    op: str
    params: dict[str, str]
    names: list[str]


def soap_reply(op: str, result: object) -> bytes:
    """Build a SOAP 1.1 reply the way a correct server would."""
    envelope = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
    body = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Body")
    wrapper = etree.SubElement(body, f"{{{QBWC_NS}}}{op}Response", nsmap={None: QBWC_NS})
    element = etree.SubElement(wrapper, f"{{{QBWC_NS}}}{op}Result", nsmap={"xsi": XSI_NS})
    if isinstance(result, Nil):
        element.set(f"{{{XSI_NS}}}nil", "true")
    elif isinstance(result, list):
        for item in result:
            etree.SubElement(element, f"{{{QBWC_NS}}}string").text = item
    else:
        element.text = str(result)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


class ScriptedServer:
    """A transport that answers each operation from a dict of canned results."""

    def __init__(self, **overrides: object) -> None:
        self.script: dict[str, object] = {
            "serverVersion": "qbsync-test 0.0",
            "clientVersion": "",
            "authenticate": [TICKET, ""],
            "sendRequestXML": Seq(REQUEST_1, REQUEST_2),
            "receiveResponseXML": Seq(50, 100),
            "connectionError": "done",
            "getLastError": "No error",
            "closeConnection": "Complete!",
        }
        self.script.update(overrides)
        self.received: list[Received] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        root = etree.fromstring(body)
        body_node = root.find(f"{{{SOAP11_NS}}}Body")
        assert body_node is not None
        wrapper = body_node[0]
        op = etree.QName(wrapper).localname
        self.received.append(
            Received(
                url=url,
                headers=headers,
                root=root,
                op=op,
                params={etree.QName(child).localname: child.text or "" for child in wrapper},
                names=[etree.QName(child).localname for child in wrapper],
            )
        )
        answer = self.script[op]
        if isinstance(answer, Seq):
            answer = answer.next()
        if isinstance(answer, Raw):
            return answer.status, answer.content_type, answer.body
        return 200, "text/xml; charset=utf-8", soap_reply(op, answer)

    @property
    def ops(self) -> list[str]:
        return [received.op for received in self.received]

    def sent(self, op: str) -> list[Received]:
        return [received for received in self.received if received.op == op]


class StubQuickBooks:
    """Answers every request with one fixed response and counts sessions."""

    def __init__(self, hresult: str = "", message: str = "") -> None:
        self.hresult = hresult
        self.message = message
        self.processed: list[str] = []
        self.hcp_versions: list[str] = []
        self.sessions = 0

    def process(self, request_xml: str) -> tuple[str, str, str]:
        self.processed.append(request_xml)
        if self.hresult:
            return "", self.hresult, self.message
        number = len(self.processed)
        response = (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs '
            f'requestID="{number}" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
            "<CustomerRet><Name>Smith &amp; Sons</Name></CustomerRet></CustomerQueryRs>"
            "</QBXMLMsgsRs></QBXML>"
        )
        return response, "", ""

    def hcp_response(self, version: str = "13.0") -> str:
        self.hcp_versions.append(version)
        return HCP

    def new_session(self) -> None:
        self.sessions += 1


def make_connector(
    server: ScriptedServer, quickbooks: StubQuickBooks | None = None, **options: Any
) -> FakeWebConnector:
    url = options.pop("url", URL)
    quickbooks = quickbooks or StubQuickBooks()
    return FakeWebConnector(url, "acme-qbd", PASSWORD, quickbooks, transport=server, **options)


HAPPY_OPS = [
    "serverVersion",
    "clientVersion",
    "authenticate",
    "sendRequestXML",
    "receiveResponseXML",
    "sendRequestXML",
    "receiveResponseXML",
    "closeConnection",
]


class EnvelopeTestCase(SimpleTestCase):
    def test_it_posts_to_the_app_url_exactly_as_given(self) -> None:
        server = ScriptedServer()
        make_connector(server).run()
        self.assertEqual({received.url for received in server.received}, {URL})

    def test_it_sends_soap_11_envelopes_in_the_intuit_namespace(self) -> None:
        server = ScriptedServer()
        make_connector(server).run()
        for received in server.received:
            with self.subTest(op=received.op):
                self.assertEqual(received.root.tag, f"{{{SOAP11_NS}}}Envelope")
                body = received.root.find(f"{{{SOAP11_NS}}}Body")
                assert body is not None
                wrapper = body[0]
                self.assertEqual(wrapper.tag, f"{{{QBWC_NS}}}{received.op}")
                self.assertTrue(all(etree.QName(c).namespace == QBWC_NS for c in wrapper))

    def test_it_sends_an_empty_server_version_element(self) -> None:
        server = ScriptedServer()
        make_connector(server).run()
        body = server.received[0].root.find(f"{{{SOAP11_NS}}}Body")
        assert body is not None
        wrapper = body[0]
        self.assertEqual(wrapper.tag, f"{{{QBWC_NS}}}serverVersion")
        self.assertEqual(len(wrapper), 0)
        self.assertIsNone(wrapper.text)

    def test_it_names_and_orders_parameters_like_section_4(self) -> None:
        server = ScriptedServer(sendRequestXML=Seq(REQUEST_1, ""), getLastError="Bye")
        make_connector(server, open_failure=None).run()
        make_connector(server, open_failure=("0x80040408", "Could not start QuickBooks.")).run()
        expected = {
            "serverVersion": [],
            "clientVersion": ["strVersion"],
            "authenticate": ["strUserName", "strPassword"],
            "sendRequestXML": [
                "ticket",
                "strHCPResponse",
                "strCompanyFileName",
                "qbXMLCountry",
                "qbXMLMajorVers",
                "qbXMLMinorVers",
            ],
            "receiveResponseXML": ["ticket", "response", "hresult", "message"],
            "connectionError": ["ticket", "hresult", "message"],
            "getLastError": ["ticket"],
            "closeConnection": ["ticket"],
        }
        self.assertEqual(set(server.ops), set(expected))
        for received in server.received:
            with self.subTest(op=received.op):
                self.assertEqual(received.names, expected[received.op])

    def test_it_orders_parameters_like_the_wsdl(self) -> None:
        wsdl = etree.parse(str(shared_file("qbwc.wsdl")))
        xs = "http://www.w3.org/2001/XMLSchema"
        declared = {
            element.get("name"): [
                child.get("name") for child in element.iterdescendants(f"{{{xs}}}element")
            ]
            for element in wsdl.iterfind(f".//{{{xs}}}schema/{{{xs}}}element")
        }
        for op, names in OPERATIONS.items():
            if op in declared:
                with self.subTest(op=op):
                    self.assertEqual(list(names), declared[op])

    def test_it_sets_the_soap_headers_of_a_dotnet_client(self) -> None:
        server = ScriptedServer()
        make_connector(server).run()
        for received in server.received:
            with self.subTest(op=received.op):
                self.assertEqual(
                    received.headers["SOAPAction"], f'"http://developer.intuit.com/{received.op}"'
                )
                self.assertEqual(received.headers["Content-Type"], "text/xml; charset=utf-8")
                self.assertIn("MS Web Services Client Protocol", received.headers["User-Agent"])

    def test_it_sends_credentials_version_and_company_file(self) -> None:
        server = ScriptedServer()
        make_connector(server, qbxml_version=(16, 0), country="CA").run()
        self.assertEqual(server.sent("clientVersion")[0].params, {"strVersion": "2.3.0.215"})
        self.assertEqual(
            server.sent("authenticate")[0].params,
            {"strUserName": "acme-qbd", "strPassword": PASSWORD},
        )
        params = server.sent("sendRequestXML")[0].params
        self.assertEqual(params["ticket"], TICKET)
        self.assertTrue(params["strCompanyFileName"].endswith(r"\qbsync.QBW"))
        self.assertEqual(params["qbXMLCountry"], "CA")
        self.assertEqual((params["qbXMLMajorVers"], params["qbXMLMinorVers"]), ("16", "0"))

    def test_it_escapes_qbxml_inside_the_envelope(self) -> None:
        server = ScriptedServer()
        quickbooks = StubQuickBooks()
        result = make_connector(server, quickbooks).run()
        sent = [received.params["response"] for received in server.sent("receiveResponseXML")]
        # What the server unescapes is exactly what QuickBooks answered, including the
        # qbXML's own `&amp;`, and the requests reached QuickBooks unescaped.
        self.assertEqual(sent, result.responses)
        self.assertIn("Smith &amp; Sons", sent[0])
        self.assertEqual(quickbooks.processed, [REQUEST_1, REQUEST_2])

    def test_it_echoes_the_ticket_on_every_call_after_authenticate(self) -> None:
        server = ScriptedServer()
        make_connector(server).run()
        for received in server.received[3:]:
            self.assertEqual(received.params["ticket"], TICKET)

    def test_it_refuses_unknown_operations_and_parameters(self) -> None:
        connector = make_connector(ScriptedServer())
        with self.assertRaises(ValueError):
            connector.call("getCompanyList")
        with self.assertRaises(TypeError):
            connector.call("getLastError", wcTicket=TICKET)


class HcpTestCase(SimpleTestCase):
    def test_it_sends_hcp_only_on_the_first_send_request_xml(self) -> None:
        server = ScriptedServer()
        make_connector(server).run()
        hcp = [received.params["strHCPResponse"] for received in server.sent("sendRequestXML")]
        self.assertEqual(hcp, [HCP, ""])
        # QBWC sends the element even when it is empty (`<strHCPResponse />` in the 2008 log).
        self.assertIn("strHCPResponse", server.sent("sendRequestXML")[1].names)

    def test_it_asks_quickbooks_for_the_hcp_of_the_qbxml_version(self) -> None:
        quickbooks = StubQuickBooks()
        make_connector(ScriptedServer(), quickbooks, qbxml_version=(16, 0)).run()
        self.assertEqual(quickbooks.hcp_versions, ["16.0"])

    def test_it_keeps_hcp_empty_after_a_noop(self) -> None:
        server = ScriptedServer(
            sendRequestXML=Seq("", REQUEST_1), getLastError="NoOp", receiveResponseXML=100
        )
        make_connector(server).run()
        hcp = [received.params["strHCPResponse"] for received in server.sent("sendRequestXML")]
        self.assertEqual(hcp, [HCP, ""])


class SessionTestCase(SimpleTestCase):
    def test_it_completes_a_session_with_progress_50_then_100(self) -> None:
        server = ScriptedServer()
        quickbooks = StubQuickBooks()
        result = make_connector(server, quickbooks).run()
        self.assertEqual(server.ops, HAPPY_OPS)
        self.assertEqual(result.progress, [50, 100])
        self.assertTrue(result.completed)
        self.assertEqual(result.round_trips, 2)
        self.assertEqual(result.requests, [REQUEST_1, REQUEST_2])
        self.assertEqual(len(result.responses), 2)
        self.assertEqual(result.server_version, "qbsync-test 0.0")
        self.assertEqual(result.auth, [TICKET, ""])
        self.assertEqual(result.close_text, "Complete!")
        self.assertEqual(result.last_error, "")
        self.assertEqual(quickbooks.sessions, 1)
        self.assertEqual([call.op for call in result.calls], HAPPY_OPS)
        self.assertTrue(all(call.http_status == 200 for call in result.calls))

    def test_it_stops_after_authenticate_for_nvu_none_and_busy(self) -> None:
        for status in ("nvu", "none", "busy"):
            with self.subTest(status=status):
                server = ScriptedServer(authenticate=["d41d8cd98f00b204", status, "60", "300"])
                quickbooks = StubQuickBooks()
                result = make_connector(server, quickbooks).run()
                self.assertEqual(server.ops, ["serverVersion", "clientVersion", "authenticate"])
                self.assertEqual(result.auth, ["d41d8cd98f00b204", status, "60", "300"])
                self.assertFalse(result.completed)
                self.assertEqual(quickbooks.sessions, 0)

    def test_it_opens_the_company_file_named_by_authenticate(self) -> None:
        path = r"C:\Company Files\acme.QBW"
        server = ScriptedServer(authenticate=[TICKET, path])
        make_connector(server).run()
        self.assertEqual(server.sent("sendRequestXML")[0].params["strCompanyFileName"], path)

    def test_it_continues_after_a_client_version_warning_by_default(self) -> None:
        server = ScriptedServer(clientVersion="W:Please upgrade soon")
        result = make_connector(server).run()
        self.assertTrue(result.completed)
        self.assertEqual(result.client_version_reply, "W:Please upgrade soon")

    def test_it_stops_on_a_declined_warning_an_error_or_an_upgrade(self) -> None:
        for reply, continue_on_warning in (
            ("W:Please upgrade soon", False),
            ("E:Not supported", True),
            ("O:2.1.0.30", True),
        ):
            with self.subTest(reply=reply):
                server = ScriptedServer(clientVersion=reply)
                connector = make_connector(server, continue_on_warning=continue_on_warning)
                result = connector.run()
                self.assertEqual(server.ops, ["serverVersion", "clientVersion"])
                self.assertEqual(result.client_version_reply, reply)

    def test_it_pauses_on_noop_and_asks_again(self) -> None:
        server = ScriptedServer(
            sendRequestXML=Seq("", "", REQUEST_1), getLastError="NoOp", receiveResponseXML=100
        )
        result = make_connector(server, noop_sleep=0.0).run()
        self.assertEqual(
            server.ops[3:],
            [
                "sendRequestXML",
                "getLastError",
                "sendRequestXML",
                "getLastError",
                "sendRequestXML",
                "receiveResponseXML",
                "closeConnection",
            ],
        )
        self.assertEqual(result.round_trips, 1)
        self.assertTrue(result.completed)

    def test_it_closes_when_get_last_error_returns_a_message(self) -> None:
        server = ScriptedServer(sendRequestXML="", getLastError="Company file changed")
        result = make_connector(server).run()
        self.assertEqual(server.ops[3:], ["sendRequestXML", "getLastError", "closeConnection"])
        self.assertEqual(result.last_error, "Company file changed")
        self.assertFalse(result.completed)

    def test_it_reports_negative_progress_through_get_last_error(self) -> None:
        server = ScriptedServer(receiveResponseXML=-101, getLastError="Session expired")
        result = make_connector(server).run()
        self.assertEqual(
            server.ops[3:],
            ["sendRequestXML", "receiveResponseXML", "getLastError", "closeConnection"],
        )
        self.assertEqual(result.progress, [-101])
        self.assertEqual(result.last_error, "Session expired")
        self.assertEqual(result.close_text, "Complete!")
        self.assertFalse(result.completed)

    def test_it_passes_a_quickbooks_hresult_to_receive_response_xml(self) -> None:
        server = ScriptedServer(receiveResponseXML=100)
        quickbooks = StubQuickBooks("0x80040400", "QuickBooks found an error when parsing")
        make_connector(server, quickbooks).run()
        self.assertEqual(
            server.sent("receiveResponseXML")[0].params,
            {
                "ticket": TICKET,
                "response": "",
                "hresult": "0x80040400",
                "message": "QuickBooks found an error when parsing",
            },
        )

    def test_it_reports_an_open_failure_and_stops_on_done(self) -> None:
        server = ScriptedServer(connectionError="DONE", getLastError="QuickBooks is not running")
        quickbooks = StubQuickBooks()
        result = make_connector(
            server, quickbooks, open_failure=("0x80040408", "Could not start QuickBooks.")
        ).run()
        self.assertEqual(server.ops[3:], ["connectionError", "getLastError", "closeConnection"])
        self.assertEqual(
            server.sent("connectionError")[0].params,
            {"ticket": TICKET, "hresult": "0x80040408", "message": "Could not start QuickBooks."},
        )
        self.assertEqual(result.last_error, "QuickBooks is not running")
        self.assertEqual(quickbooks.processed, [])
        self.assertFalse(result.completed)

    def test_it_caps_open_retries_at_three(self) -> None:
        server = ScriptedServer(connectionError="")
        make_connector(server, open_failure=("0x80040414", "A modal dialog box is showing")).run()
        self.assertEqual(server.ops.count("connectionError"), 4)  # first try + 3 retries
        self.assertEqual(server.ops[-2:], ["getLastError", "closeConnection"])


class ViolationTestCase(SimpleTestCase):
    def assertViolation(self, server: ScriptedServer, *fragments: str, **options: Any) -> None:
        with self.assertRaises(ProtocolViolation) as caught:
            make_connector(server, **options).run()
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))

    def test_it_refuses_a_soap_fault(self) -> None:
        fault = (
            b'<?xml version="1.0" encoding="utf-8"?>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b"<soap:Fault><faultcode>soap:Server</faultcode>"
            b"<faultstring>Ticket lookup failed</faultstring></soap:Fault>"
            b"</soap:Body></soap:Envelope>"
        )
        for status in (200, 500):
            with self.subTest(status=status):
                server = ScriptedServer(sendRequestXML=Raw(fault, status=status))
                self.assertViolation(server, "sendRequestXML", "Fault", "Ticket lookup failed")

    def test_it_refuses_a_soap_12_envelope(self) -> None:
        body = (
            b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
            b'<receiveResponseXMLResponse xmlns="http://developer.intuit.com/">'
            b"<receiveResponseXMLResult>100</receiveResponseXMLResult>"
            b"</receiveResponseXMLResponse></env:Body></env:Envelope>"
        )
        server = ScriptedServer(receiveResponseXML=Raw(body))
        self.assertViolation(server, "receiveResponseXML", "SOAP 1.2")

    def test_it_refuses_an_html_500_page(self) -> None:
        page = b"<!DOCTYPE html><html><head><title>Server Error (500)</title></head></html>"
        server = ScriptedServer(authenticate=Raw(page, status=500, content_type="text/html"))
        self.assertViolation(server, "authenticate", "HTTP 500", "Server Error (500)")

    def test_it_refuses_an_html_page_sent_as_text_xml(self) -> None:
        page = b"<html><body><p>Maintenance<br></p></body></html>"
        server = ScriptedServer(serverVersion=Raw(page))
        self.assertViolation(server, "serverVersion", "HTML")

    def test_it_refuses_a_wrong_content_type_or_an_empty_body(self) -> None:
        for raw, fragment in (
            (Raw(soap_reply("getLastError", "NoOp"), content_type="text/plain"), "content type"),
            (Raw(b""), "empty"),
        ):
            with self.subTest(fragment=fragment):
                server = ScriptedServer(sendRequestXML="", getLastError=raw)
                self.assertViolation(server, "getLastError", fragment)

    def test_it_refuses_a_nil_result(self) -> None:
        server = ScriptedServer(sendRequestXML=Nil())
        self.assertViolation(server, "sendRequestXML", "nil")

    def test_it_accepts_a_nil_server_or_client_version(self) -> None:
        server = ScriptedServer(serverVersion=Nil(), clientVersion=Nil())
        result = make_connector(server).run()
        self.assertEqual((result.server_version, result.client_version_reply), ("", ""))
        self.assertTrue(result.completed)

    def test_it_refuses_a_response_in_the_wrong_namespace(self) -> None:
        body = (
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<closeConnectionResponse xmlns="http://tempuri.org/">'
            b"<closeConnectionResult>OK</closeConnectionResult>"
            b"</closeConnectionResponse></soap:Body></soap:Envelope>"
        )
        server = ScriptedServer(closeConnection=Raw(body))
        self.assertViolation(server, "closeConnection", "namespace", "http://tempuri.org/")

    def test_it_refuses_a_missing_result(self) -> None:
        body = (
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<getLastErrorResponse xmlns="http://developer.intuit.com/"/>'
            b"</soap:Body></soap:Envelope>"
        )
        server = ScriptedServer(sendRequestXML="", getLastError=Raw(body))
        self.assertViolation(server, "getLastError", "no <getLastErrorResult>")

    def test_it_refuses_unescaped_qbxml_in_a_string_result(self) -> None:
        body = (
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<sendRequestXMLResponse xmlns="http://developer.intuit.com/"><sendRequestXMLResult>'
            b"<QBXML><QBXMLMsgsRq/></QBXML></sendRequestXMLResult>"
            b"</sendRequestXMLResponse></soap:Body></soap:Envelope>"
        )
        server = ScriptedServer(sendRequestXML=Raw(body))
        self.assertViolation(server, "sendRequestXML", "escaped text")

    def test_it_refuses_authenticate_strings_outside_the_intuit_namespace(self) -> None:
        body = (
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<ns1:authenticateResponse xmlns:ns1="http://developer.intuit.com/">'
            b"<ns1:authenticateResult><string>abc</string><string></string>"
            b"</ns1:authenticateResult></ns1:authenticateResponse></soap:Body></soap:Envelope>"
        )
        server = ScriptedServer(authenticate=Raw(body))
        self.assertViolation(server, "authenticate", "<string> items")

    def test_it_accepts_prefixed_elements_like_the_php_server_in_the_2008_log(self) -> None:
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?> <SOAP-ENV:Envelope '
            b'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            b'xmlns:ns1="http://developer.intuit.com/"><SOAP-ENV:Body><ns1:authenticateResponse>'
            b"<ns1:authenticateResult><ns1:string>c94c84b3d59fe7a1603b765dd734e481</ns1:string>"
            b"<ns1:string></ns1:string></ns1:authenticateResult></ns1:authenticateResponse>"
            b"</SOAP-ENV:Body></SOAP-ENV:Envelope>"
        )
        connector = make_connector(ScriptedServer(authenticate=Raw(body)))
        self.assertEqual(
            connector.call("authenticate", strUserName="api", strPassword="password"),
            ["c94c84b3d59fe7a1603b765dd734e481", ""],
        )

    def test_it_refuses_a_non_integer_progress(self) -> None:
        server = ScriptedServer(receiveResponseXML="fifty")
        self.assertViolation(server, "receiveResponseXML", "xs:int")

    def test_it_refuses_decreasing_progress(self) -> None:
        server = ScriptedServer(
            sendRequestXML=REQUEST_1, receiveResponseXML=Seq(50, 20), getLastError="x"
        )
        self.assertViolation(server, "went down from 50 to 20")

    def test_it_refuses_progress_above_100(self) -> None:
        server = ScriptedServer(receiveResponseXML=101)
        self.assertViolation(server, "above 100")

    def test_it_refuses_a_session_that_never_reaches_100(self) -> None:
        server = ScriptedServer(sendRequestXML=REQUEST_1, receiveResponseXML=10)
        self.assertViolation(server, "max_round_trips=3", max_round_trips=3)
        self.assertEqual(server.ops.count("sendRequestXML"), 3)

    def test_it_counts_noops_toward_the_round_trip_limit(self) -> None:
        server = ScriptedServer(sendRequestXML="", getLastError="NoOp")
        self.assertViolation(server, "max_round_trips=5", max_round_trips=5)

    def test_it_refuses_interactive_mode(self) -> None:
        server = ScriptedServer(sendRequestXML="", getLastError="Interactive mode")
        self.assertViolation(server, "interactive mode")

    def test_it_refuses_a_status_word_as_ticket(self) -> None:
        server = ScriptedServer(authenticate=["nvu", ""])
        self.assertViolation(server, "as the ticket")

    def test_it_refuses_an_unknown_client_version_reply(self) -> None:
        server = ScriptedServer(clientVersion="OK")
        self.assertViolation(server, "clientVersion")

    def test_it_refuses_plain_http_except_on_localhost(self) -> None:
        with self.assertRaisesMessage(ProtocolViolation, "https://"):
            make_connector(ScriptedServer(), url="http://qbsync.example.com/qbwc/")
        for url in ("http://localhost:8000/qbwc/", "http://127.0.0.1/qbwc/", "http://[::1]/q"):
            with self.subTest(url=url):
                server = ScriptedServer()
                self.assertTrue(make_connector(server, url=url).run().completed)
                self.assertEqual(server.received[0].url, url)

    def test_it_keeps_the_calls_made_before_a_violation(self) -> None:
        connector = make_connector(ScriptedServer(receiveResponseXML=Nil()))
        with self.assertRaises(ProtocolViolation):
            connector.run()
        last = connector.last_run.calls[-1]
        self.assertEqual(last.op, "receiveResponseXML")
        self.assertIn("nil", last.error)
        self.assertIn("!! receiveResponseXML", connector.last_run.transcript())


class TranscriptTestCase(SimpleTestCase):
    def test_it_masks_the_password(self) -> None:
        result = make_connector(ScriptedServer()).run()
        transcript = result.transcript()
        self.assertNotIn(PASSWORD, transcript)
        self.assertIn("strPassword = '***'", transcript)
        self.assertNotIn(PASSWORD, repr(result.calls))

    def test_it_lists_every_call_with_status_and_result(self) -> None:
        result = make_connector(ScriptedServer()).run()
        transcript = result.transcript()
        for number, op in enumerate(HAPPY_OPS, start=1):
            self.assertIn(f"[{number}] {op}  HTTP 200", transcript)
        self.assertIn("-> 'Complete!'", transcript)
        self.assertIn("-> 50", transcript)

    def test_it_truncates_long_values(self) -> None:
        long_request = REQUEST_1.replace("<QBXML>", "<QBXML>" + " " * 2000)
        result = make_connector(
            ScriptedServer(sendRequestXML=long_request, receiveResponseXML=100)
        ).run()
        self.assertTrue(all(len(line) < 400 for line in result.transcript().splitlines()))
        self.assertIn("chars)", result.transcript())


@dataclass
class Posted:
    headers: dict[str, str]
    body: bytes


@contextmanager
def serve(status: int, headers: dict[str, str], body: bytes) -> Iterator[tuple[str, list[Posted]]]:
    """Run an HTTP server on 127.0.0.1 giving one fixed answer; yield its URL and the posts."""
    posted: list[Posted] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            # urllib re-capitalises header names ("Soapaction"); HTTP names are case-blind.
            names = {name.lower(): value for name, value in self.headers.items()}
            posted.append(Posted(names, self.rfile.read(length)))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/qbwc/", posted
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


class HttpTransportTestCase(SimpleTestCase):
    def test_it_posts_the_envelope_with_qbwc_headers(self) -> None:
        reply = soap_reply("serverVersion", "qbsync 1.0")
        with serve(200, {"Content-Type": "text/xml; charset=utf-8"}, reply) as (url, posted):
            connector = FakeWebConnector(url, "acme-qbd", PASSWORD, StubQuickBooks())
            self.assertEqual(connector.call("serverVersion"), "qbsync 1.0")
        self.assertEqual(posted[0].headers["soapaction"], f'"{QBWC_NS}serverVersion"')
        self.assertEqual(posted[0].headers["content-type"], "text/xml; charset=utf-8")
        self.assertTrue(posted[0].body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'))

    def test_it_returns_http_errors_instead_of_raising(self) -> None:
        page = b"<html><body>Internal Server Error</body></html>"
        with serve(500, {"Content-Type": "text/html"}, page) as (url, _):
            answer = http_transport(url, b"<x/>", {})
        self.assertEqual(answer, (500, "text/html", page))

    def test_it_does_not_follow_redirects(self) -> None:
        # .NET's SOAP client does not follow them either, so a redirect fails the update.
        location = {"Location": "https://qbsync.example.com/qbwc/"}
        with serve(301, location, b"") as (url, posted):
            status, _, _ = http_transport(url, b"<x/>", {})
        self.assertEqual(status, 301)
        self.assertEqual(len(posted), 1)
