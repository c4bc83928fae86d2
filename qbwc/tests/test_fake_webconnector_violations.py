"""The fake Web Connector reports every protocol rule the real one enforces that a scripted
SOAP stub breaks."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase

from qbwc.simulator.webconnector import (
    ProtocolViolation,
)
from qbwc.tests.webconnector_helpers import (
    REQUEST_1,
    Nil,
    Raw,
    ScriptedServer,
    Seq,
    make_connector,
    soap_reply,
)


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
