"""The fake Web Connector's HTTP transport against a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import SimpleTestCase

from qbwc.simulator.webconnector import (
    QBWC_NS,
    FakeWebConnector,
    http_transport,
)
from qbwc.tests.webconnector_helpers import PASSWORD, StubQuickBooks, soap_reply


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
