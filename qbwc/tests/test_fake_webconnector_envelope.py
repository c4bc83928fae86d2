"""The fake Web Connector's envelopes and HCP answers against a scripted SOAP stub (the real
server is tested elsewhere)."""

from __future__ import annotations

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import shared_file
from qbwc.simulator.webconnector import (
    OPERATIONS,
    QBWC_NS,
    SOAP11_NS,
)
from qbwc.tests.webconnector_helpers import (
    HCP,
    PASSWORD,
    REQUEST_1,
    REQUEST_2,
    TICKET,
    URL,
    ScriptedServer,
    Seq,
    StubQuickBooks,
    make_connector,
)


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
