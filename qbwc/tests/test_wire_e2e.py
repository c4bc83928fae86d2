"""The SOAP body over real HTTP: large answers, the size limit, and encodings."""

from __future__ import annotations

import http.client
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.test import SimpleTestCase, override_settings
from lxml import etree

from objects.models import Phase, QueuedObject
from objects.tests.flows import envelope
from qbsync.processes import Gunicorn
from qbsync.test import QBWC_PASSWORD, LiveTestCase
from qbwc.models import Message, Session
from qbwc.simulator.quickbooks import FakeQuickBooks
from qbwc.simulator.webconnector import SOAP11_NS, build_envelope
from qbwc.tests.strategies import post_with_length

NS = "http://developer.intuit.com/"
DJANGO_UPLOAD_LIMIT = 2_621_440  # DATA_UPLOAD_MAX_MEMORY_SIZE's default, which refused answers


def long_orders(count: int, lines: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"LONG-{number}",
            "customer": {"name": "Jo"},
            "line_items": [
                {"product_id": "SETUP", "quantity": 1, "price": 5} for _ in range(lines)
            ],
        }
        for number in range(count)
    ]


class HugeAnswerQuickBooks(FakeQuickBooks):
    """A company whose answer to the first message is `size` bytes of qbXML."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size
        self.answered = 0

    def process(self, request_xml: str) -> tuple[str, str, str]:
        response, hresult, message = super().process(request_xml)
        self.answered += 1
        if self.answered > 1:
            return response, hresult, message
        filler = "x" * (self.size - len(response))
        return response.replace("</QBXML>", f"<Padding>{filler}</Padding></QBXML>"), "", ""


class LargeAnswerTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record("Customer", Name="Jo")
        self.quickbooks.add_record("ItemService", Name="SETUP")

    def test_it_lands_fifty_orders_of_160_lines_in_one_run(self) -> None:
        status, data = self.post("add_orders", envelope("order", long_orders(50, 160)))
        self.assertEqual(status, 200, data)

        result = self.run_webconnector()

        self.assertTrue(result.completed, result.transcript())
        orders = self.quickbooks.records("SalesOrder")
        self.assertEqual(len(orders), 50)
        self.assertEqual({len(o.findall("SalesOrderLineRet")) for o in orders}, {160})
        largest = max(result.responses, key=len)
        body = build_envelope(
            "receiveResponseXML", {"ticket": "t", "response": largest, "hresult": "", "message": ""}
        )
        self.assertGreater(len(body), DJANGO_UPLOAD_LIMIT)
        self.assertFalse(QueuedObject.objects.exclude(phase=Phase.PROCESSED).exists())

    @override_settings(QBWC_BATCH_ANSWER_BYTES=400_000)
    def test_it_cuts_messages_by_the_answer_size_they_ask_for(self) -> None:
        self.post("add_orders", envelope("order", long_orders(6, 160)))

        result = self.run_webconnector()

        self.assertTrue(result.completed, result.transcript())
        self.assertEqual(len(self.quickbooks.records("SalesOrder")), 6)
        adds = [r.count("<SalesOrderAddRq") for r in result.requests if "<SalesOrderAddRq" in r]
        # 4,000 + 160 x 1,000 expected bytes each: two orders per message fit 400,000.
        self.assertEqual(adds, [2, 2, 2])

    @override_settings(QBWC_MAX_BODY_BYTES=1_000_000)
    def test_it_answers_an_answer_over_the_limit_inside_the_protocol(self) -> None:
        self.post("add_orders", envelope("order", long_orders(2, 20)))
        quickbooks = HugeAnswerQuickBooks(1_500_000, xsd_dir=self.quickbooks.xsd_dir)
        quickbooks.add_record("Customer", Name="Jo")
        quickbooks.add_record("ItemService", Name="SETUP")

        result = self.run_webconnector(quickbooks)

        self.assertEqual(result.progress[-1], -101)
        self.assertIn("more than this server accepts (1,000,000 bytes", result.last_error)
        self.assertIn("QBWC_MAX_BODY_BYTES", result.last_error)
        self.assertEqual(Session.objects.get().status, Session.Status.CLOSED)
        self.assertEqual(Message.objects.get().status, Message.Status.TOO_LARGE)
        # What the refused answer was about is verified by look-up in the next run.
        self.assertFalse(QueuedObject.objects.filter(phase=Phase.IN_PROGRESS).exists())
        released = QueuedObject.objects.filter(
            events__reason__contains="ended before QuickBooks answered"
        )
        self.assertTrue(released.exists())

        again = self.run_webconnector(quickbooks)

        self.assertTrue(again.completed, again.transcript())
        self.assertEqual(len(quickbooks.records("SalesOrder")), 2)


@contextmanager
def gunicorn() -> Iterator[str]:
    """The production web server (qbsync/gunicorn.py) on a free local port; yields its URL.

    Only requests that never reach the database are sent to it: it cannot see the test
    database.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as var_dir:
        env = {"VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "qbsync.settings"}
        server = Gunicorn(port, Path(var_dir) / "gunicorn.log", workers=1, env=env)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


def post_raw(
    server: str, body: bytes, content_type: str = "text/xml; charset=utf-8"
) -> tuple[int, str, bytes]:
    """POST bytes to /qbwc/ as they are; a connection reset fails the test with its error."""
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
    try:
        connection.request("POST", "/qbwc/", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


class BulkyQuickBooks(FakeQuickBooks):
    """A company whose answers take `per_request` bytes for each request of a message."""

    def __init__(self, per_request: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.per_request = per_request

    def process(self, request_xml: str) -> tuple[str, str, str]:
        response, hresult, message = super().process(request_xml)
        filler = "x" * (self.per_request * request_xml.count("requestID="))
        return (
            response.replace("</QBXML>", f"<Padding>{filler}</Padding></QBXML>"),
            hresult,
            message,
        )


@override_settings(QBWC_MAX_BODY_BYTES=1_000_000, QBWC_BATCH_ANSWER_BYTES=800_000)
class RefusedAnswerTestCase(LiveTestCase):
    def test_it_asks_for_less_at_a_time_after_an_answer_was_refused(self) -> None:
        for name in ["Ann", "Bob", "Cy", "Di", "Ed"]:
            self.post("add_customers", envelope("customer", {"name": name}, f"req-{name}"))
        quickbooks = BulkyQuickBooks(300_000, xsd_dir=self.quickbooks.xsd_dir)

        refused = self.run_webconnector(quickbooks)
        again = self.run_webconnector(quickbooks)

        self.assertEqual(refused.progress, [-101])
        self.assertIn("The next run asks for less at a time", refused.last_error)
        self.assertTrue(again.completed, again.transcript())
        # 1.5 MB for five look-ups taught 300,000 bytes each: two per message fit 800,000.
        self.assertEqual(max(r.count("requestID=") for r in again.requests), 2)
        self.assertEqual(len(quickbooks.records("Customer")), 5)

    def test_it_fails_an_object_whose_answer_alone_is_over_the_limit(self) -> None:
        self.post("add_customers", envelope("customer", {"name": "Jo"}))
        quickbooks = BulkyQuickBooks(1_200_000, xsd_dir=self.quickbooks.xsd_dir)

        refused = self.run_webconnector(quickbooks)
        after = self.run_webconnector(quickbooks)

        self.assertEqual(refused.progress, [-101])
        obj = QueuedObject.objects.get()
        self.assertEqual(obj.phase, Phase.FAILED)
        self.assertIn("answer about this object alone was", obj.last_status_message)
        self.assertEqual(after.auth[1], "none")  # the company is not locked out


class BodyLimitTestCase(LiveTestCase):
    def test_it_answers_a_60_mb_soap_body_with_a_413_fault_and_stays_up(self) -> None:
        body = build_envelope(
            "authenticate", {"strUserName": "acme-qbd", "strPassword": "x" * 60_000_000}
        )

        status, content_type, reply = post_raw(self.live_server_url, body)

        self.assertEqual((status, content_type), (413, "text/xml; charset=utf-8"))
        fault = etree.fromstring(reply).find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
        self.assertEqual(fault.findtext("faultcode"), "soap:Client")
        reason = fault.findtext("faultstring") or ""
        self.assertIn("Request too large: 60,000,", reason)
        self.assertIn("up to 52,428,800 bytes (QBWC_MAX_BODY_BYTES)", reason)
        self.assertEqual(self.run_webconnector().auth[1], "none")

    def test_it_answers_a_60_mb_receive_response_xml_with_a_negative_value(self) -> None:
        self.post("add_customers", envelope("customer", [{"name": "Jo"}, {"name": "Al"}]))
        quickbooks = HugeAnswerQuickBooks(60_000_000, xsd_dir=self.quickbooks.xsd_dir)

        result = self.run_webconnector(quickbooks)

        self.assertEqual(result.progress, [-101])
        self.assertIn("more than this server accepts (52,428,800 bytes", result.last_error)
        again = self.run_webconnector(quickbooks)
        self.assertTrue(again.completed, again.transcript())
        self.assertEqual(len(quickbooks.records("Customer")), 2)


class GunicornBodyLimitTestCase(SimpleTestCase):
    def test_it_answers_a_60_mb_soap_body_under_gunicorn_without_a_connection_reset(
        self,
    ) -> None:
        body = build_envelope(
            "authenticate", {"strUserName": "acme-qbd", "strPassword": "x" * 60_000_000}
        )
        with gunicorn() as server:
            # The client sends all 60 MB before it reads; unless the server reads (and
            # throws away) the rest, the kernel resets the connection under the client.
            status, content_type, reply = post_raw(server, body)
            parts = urlsplit(server)
            connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
            connection.request("GET", "/qbwc/")
            still_up = connection.getresponse().status
            connection.close()

        self.assertEqual((status, content_type), (413, "text/xml; charset=utf-8"))
        self.assertIn(b"Request too large: 60,000,", reply)
        self.assertEqual(still_up, 200)


class GunicornChunkedBodyTestCase(SimpleTestCase):
    def test_it_reads_a_chunked_body_to_its_end_and_finds_one_over_the_limit(self) -> None:
        # Found while widening the over-the-limit property to bodies with no length:
        # Django reads a request without a Content-Length as empty, so a chunked call was
        # refused as malformed ("no element found") and one over the limit never counted.
        over = build_envelope(
            "authenticate", {"strUserName": "acme-qbd", "strPassword": "x" * 60_000_000}
        )
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        with gunicorn() as server:
            url = f"{server}/qbwc/"
            # None: no Content-Length, the body goes chunked.
            version = post_with_length(url, build_envelope("serverVersion", {}), headers, None)
            too_large = post_with_length(url, over, headers, None)

        self.assertEqual(version[0], 200, version[2][:300])
        self.assertIn(b"<tns:serverVersionResult>qbsync ", version[2])
        self.assertEqual(too_large[:2], (413, "text/xml; charset=utf-8"), too_large[2][:300])
        self.assertIn(b"bytes or more; this server accepts", too_large[2])


class EncodingTestCase(LiveTestCase):
    def utf16(self, op: str, params: dict[str, object]) -> bytes:
        text = build_envelope(op, params).decode("utf-8")
        return text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")

    def test_it_reads_a_utf_16_envelope_whatever_the_content_type_says(self) -> None:
        self.post("add_customers", envelope("customer", {"name": "Zoë"}))
        body = self.utf16("authenticate", {"strUserName": "acme-qbd", "strPassword": QBWC_PASSWORD})

        # The charset the header names is not the body's: the document's BOM and
        # declaration say what it is.
        status, _, reply = post_raw(self.live_server_url, body, "text/xml; charset=utf-8")

        self.assertEqual(status, 200, reply[:300])
        strings = etree.fromstring(reply).findall(f".//{{{NS}}}authenticateResult/{{{NS}}}string")
        ticket = strings[0].text
        self.assertEqual(strings[1].text, None)  # "": the company file open in QuickBooks
        send = self.utf16(
            "sendRequestXML",
            {
                "ticket": ticket,
                "strHCPResponse": "",
                "strCompanyFileName": "",
                "qbXMLCountry": "US",
                "qbXMLMajorVers": 13,
                "qbXMLMinorVers": 0,
            },
        )
        status, _, reply = post_raw(self.live_server_url, send)
        request = etree.fromstring(reply).findtext(f".//{{{NS}}}sendRequestXMLResult") or ""
        self.assertEqual(status, 200)
        self.assertIn("<FullName>Zoë</FullName>", request)

    def test_it_refuses_a_doctype_in_a_utf_16_envelope(self) -> None:
        bomb = (
            '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>'
            f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body>'
            f'<authenticate xmlns="{NS}"><strUserName>&a;</strUserName><strPassword>x'
            "</strPassword></authenticate></soap:Body></soap:Envelope>"
        ).encode("utf-16")

        status, _, reply = post_raw(self.live_server_url, bomb)

        self.assertEqual(status, 400)
        self.assertIn(b"DOCTYPE and entity declarations are not allowed", reply)
