"""Hostile webhook input over real HTTP (issue 16 items 7–11 and 14): each gets a precise
4xx with a JSON summary, stores nothing, and the server keeps answering."""

from __future__ import annotations

import http.client
import io
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from django.test import LiveServerTestCase, RequestFactory, SimpleTestCase, override_settings

from objects import webhook_body
from objects.intake import IntakeError
from objects.models import QueuedObject
from objects.tests.strategies import row_counts
from qbsync.test import WEBHOOK_TOKEN, FixturesMixin

CUSTOMER = {"request_id": "r-1", "parameters": {"payload_type": "customer"}}
DEEP = "[" * 10_000 + "]" * 10_000


def order(**fields: Any) -> dict[str, Any]:
    return {
        "request_id": "r-1",
        "parameters": {"payload_type": "order"},
        "order": {
            "id": "R1001",
            "customer": {"name": "Jo"},
            "line_items": [{"product_id": "SKU-1", "quantity": 1, "price": 5}],
            **fields,
        },
    }


class HostileInputTestCase(FixturesMixin, LiveServerTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.make_fixtures()
        self.rows_before = row_counts()

    def send(
        self,
        route: str,
        body: bytes | str | dict[str, Any],
        content_type: str | None = "application/json",
        token: str = WEBHOOK_TOKEN,
    ) -> tuple[int, Any]:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        address = urlsplit(self.live_server_url)
        connection = http.client.HTTPConnection(address.netloc, timeout=30)
        headers = {"X-Hub-Store": "acme", "X-Hub-Token": token}
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            connection.request("POST", f"/{route}", body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            self.assertEqual(response.getheader("Content-Type"), "application/json")
            return response.status, json.loads(raw)
        finally:
            connection.close()

    def assert_refused(
        self, answer: tuple[int, Any], status: int, summary: str, request_id: Any = None
    ) -> None:
        self.assertEqual(answer, (status, {"request_id": request_id, "summary": summary}))
        self.assertEqual(row_counts(), self.rows_before)
        # Still up: the next ordinary request is served.
        self.assertEqual(self.send("get_health_check", {"request_id": "next"})[0], 200)

    # -- item 7: bodies that are not JSON, whatever the Content-Type ------------------------

    def test_it_refuses_a_body_that_is_not_json_with_406_and_a_summary(self) -> None:
        for content_type in ("text/plain", None, "application/x-www-form-urlencoded"):
            with self.subTest(content_type=content_type):
                answer = self.send("add_customers", "name=Jo&x=1", content_type)

                self.assert_refused(
                    answer, 406, "body: not valid JSON: Expecting value (line 1, column 1)"
                )

    def test_it_reads_json_sent_under_another_content_type_or_none(self) -> None:
        for index, content_type in enumerate(
            ("text/plain", None, "application/x-www-form-urlencoded")
        ):
            with self.subTest(content_type=content_type):
                body = {**CUSTOMER, "customer": {"name": f"Jo {index}"}}

                status, data = self.send("add_customers", body, content_type)

                self.assertEqual(status, 200)
                self.assertTrue(QueuedObject.objects.filter(identity=f"Jo {index}").exists())

    def test_it_says_on_which_line_and_column_the_json_broke(self) -> None:
        answer = self.send("add_orders", '{\n  "request_id": "r",\n  "order": {"id": 1,}\n}')

        self.assert_refused(
            answer,
            406,
            "body: not valid JSON: Expecting property name enclosed in double quotes "
            "(line 3, column 21)",
        )

    def test_it_refuses_an_empty_or_non_utf8_body_with_406(self) -> None:
        self.assert_refused(
            self.send("add_customers", b""), 406, "body: is empty; a JSON object is expected"
        )
        self.assert_refused(
            self.send("add_customers", b'{"request_id": "\xff"}'),
            406,
            "body: not UTF-8 (byte 16 is 0xff)",
        )

    def test_it_answers_401_with_a_summary(self) -> None:
        answer = self.send("add_customers", {**CUSTOMER, "customer": {"name": "Jo"}}, token="x")

        self.assert_refused(
            answer,
            401,
            "X-Hub-Token: does not match the connection named (X-Hub-Store or "
            "parameters.connection_id)",
            "r-1",
        )

    # -- item 8: nesting ----------------------------------------------------------------

    def test_it_refuses_json_nested_10000_deep_wherever_it_is(self) -> None:
        cases = {
            "in the order": ("add_orders", '{"request_id": "r", "order": ' + DEEP + "}"),
            "in parameters": ("add_customers", '{"parameters": {"a": ' + DEEP + "}}"),
            "in a line name": (
                "add_orders",
                '{"order": {"id": "1", "line_items": [{"product_id": "p", "name": ' + DEEP + "}]}}",
            ),
            "in get_notifications": ("get_notifications", '{"request_id": ' + DEEP + "}"),
        }
        for case, (route, body) in cases.items():
            with self.subTest(case):
                answer = self.send(route, body)

                self.assertEqual(answer[0], 400)
                self.assertRegex(
                    answer[1]["summary"],
                    r"^body: nested deeper than 64 levels \(line 1, column \d+\); "
                    r"see WEBHOOK_MAX_DEPTH$",
                )
                self.assert_refused(answer, 400, answer[1]["summary"])

    def test_it_takes_nesting_up_to_the_configured_depth(self) -> None:
        nested = "[" * 8 + "]" * 8
        body = '{"request_id": "r", "parameters": {"a": ' + nested + "}}"
        with override_settings(WEBHOOK_MAX_DEPTH=10):
            self.assertEqual(self.send("get_notifications", body)[0], 200)
        with override_settings(WEBHOOK_MAX_DEPTH=9):
            self.assertEqual(self.send("get_notifications", body)[0], 400)

    # -- item 9: sizes and numbers --------------------------------------------------------

    def test_it_refuses_a_megabyte_request_id_or_object_id_naming_it(self) -> None:
        big = "x" * 1_000_000
        self.assert_refused(
            self.send("add_customers", {**CUSTOMER, "request_id": big, "customer": {"name": "J"}}),
            400,
            "request_id: is 1000000 characters; at most 200",
        )
        self.assert_refused(
            self.send("add_orders", order(id=big)),
            400,
            "order.id: is 1000000 characters; at most 1000",
            "r-1",
        )
        self.assert_refused(
            self.send("add_orders", order(line_items=[{"product_id": big, "quantity": 1}])),
            400,
            "order.line_items[0].product_id: is 1000000 characters; at most 1000",
            "r-1",
        )

    def test_it_refuses_numbers_that_are_not_finite_naming_them(self) -> None:
        self.assert_refused(
            self.send("get_notifications", '{"request_id": "r", "parameters": {"x": 1e400}}'),
            400,
            "parameters.x: 1e400 is not a finite number QuickBooks can take",
            "r",
        )
        self.assert_refused(
            self.send(
                "add_orders",
                '{"request_id": "r", "order": {"id": "1", "line_items": '
                '[{"product_id": "p", "price": -1e999}]}}',
            ),
            400,
            "order.line_items[0].price: -1e999 is not a finite number QuickBooks can take",
            "r",
        )
        self.assert_refused(
            self.send("get_notifications", '{"request_id": NaN}'),
            406,
            "body: not valid JSON: NaN is not a JSON value",
        )

    # -- item 10: lone surrogates ------------------------------------------------------------

    def test_it_refuses_a_lone_surrogate_anywhere_naming_where(self) -> None:
        lone = "\\ud800"
        cases = {
            "a name": (
                "add_customers",
                '{"request_id": "r", "customer": {"name": "Jo' + lone + '"}}',
                "customer.name: contains a lone surrogate ('\\ud800' at character 2), "
                "which is not Unicode text",
                "r",
            ),
            "a key": (
                "add_customers",
                '{"request_id": "r", "customer": {"name": "Jo", "' + lone + '": 1}}',
                "customer.\\ud800 (a key): contains a lone surrogate ('\\ud800' at "
                "character 0), which is not Unicode text",
                "r",
            ),
            "an e-mail": (
                "add_customers",
                '{"request_id": "r", "customer": {"name": "Jo", "email": "a' + lone + '@b.c"}}',
                "customer.email: contains a lone surrogate ('\\ud800' at character 1), "
                "which is not Unicode text",
                "r",
            ),
            "request_id": (
                "add_customers",
                '{"request_id": "' + lone + '", "customer": {"name": "Jo"}}',
                "request_id: contains a lone surrogate ('\\ud800' at character 0), "
                "which is not Unicode text",
                None,
            ),
            "parameters of a get route": (
                "get_customers",
                '{"request_id": "r", "parameters": {"quickbooks_since": "' + lone + '"}}',
                "parameters.quickbooks_since: contains a lone surrogate ('\\ud800' at "
                "character 0), which is not Unicode text",
                "r",
            ),
            "get_notifications": (
                "get_notifications",
                '{"request_id": "r", "parameters": {"x": ["' + lone + '"]}}',
                "parameters.x[0]: contains a lone surrogate ('\\ud800' at character 0), "
                "which is not Unicode text",
                "r",
            ),
        }
        for case, (route, body, summary, request_id) in cases.items():
            with self.subTest(case):
                self.assert_refused(self.send(route, body), 400, summary, request_id)

    # -- item 11: body size ---------------------------------------------------------------

    def test_it_answers_413_to_a_20_mb_body_without_reading_it(self) -> None:
        address = urlsplit(self.live_server_url)
        size = 20_000_000
        with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
            sock.sendall(
                b"POST /add_customers HTTP/1.1\r\nHost: " + address.netloc.encode() + b"\r\n"
                b"Content-Type: application/json\r\n"
                b"X-Hub-Store: acme\r\nX-Hub-Token: " + WEBHOOK_TOKEN.encode() + b"\r\n"
                b"Content-Length: " + str(size).encode() + b"\r\n\r\n" + b'{"request_id": "'
            )
            # The rest is never sent: an answer can only come from a server that did not
            # wait for it.
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            status, data = answer.status, json.loads(answer.read())

        self.assert_refused(
            (status, data),
            413,
            f"body: {size} bytes; this server accepts at most 10485760 (WEBHOOK_MAX_BODY_BYTES)",
        )

    def test_it_takes_bodies_up_to_the_configured_limit(self) -> None:
        body = json.dumps({**CUSTOMER, "customer": {"name": "Jo"}}).encode()
        with override_settings(WEBHOOK_MAX_BODY_BYTES=len(body)):
            self.assertEqual(self.send("add_customers", body)[0], 200)
        with override_settings(WEBHOOK_MAX_BODY_BYTES=len(body) - 1):
            self.assertEqual(
                self.send("add_customers", body),
                (
                    413,
                    {
                        "request_id": None,
                        "summary": f"body: {len(body)} bytes; this server accepts at most "
                        f"{len(body) - 1} (WEBHOOK_MAX_BODY_BYTES)",
                    },
                ),
            )

    def test_it_asks_for_a_content_length_when_it_cannot_read_a_chunked_body(self) -> None:
        address = urlsplit(self.live_server_url)
        with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
            sock.sendall(
                b"POST /add_customers HTTP/1.1\r\nHost: " + address.netloc.encode() + b"\r\n"
                b"Transfer-Encoding: chunked\r\n"
                b"X-Hub-Store: acme\r\nX-Hub-Token: " + WEBHOOK_TOKEN.encode() + b"\r\n\r\n"
                b"2\r\n{}\r\n0\r\n\r\n"
            )
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            status, data = answer.status, json.loads(answer.read())

        self.assert_refused(
            (status, data), 411, "Content-Length: is required by this server (no chunked bodies)"
        )

    # -- item 14: wrong types ---------------------------------------------------------------

    def test_it_refuses_lists_objects_and_booleans_for_ids_and_names(self) -> None:
        cases = {
            "customer.name: must be a string, not a list": (
                "add_customers",
                {**CUSTOMER, "customer": {"name": ["x"]}},
            ),
            "customer.name: must be a string, not a boolean (true)": (
                "add_customers",
                {**CUSTOMER, "customer": {"name": True}},
            ),
            "order.id: must be a string, not an object": ("add_orders", order(id={"a": 1})),
            "order.customer.name: must be a string, not a list": (
                "add_orders",
                order(customer={"name": ["Jo"]}),
            ),
            "order.line_items[0].product_id: must be a string, not a boolean (false)": (
                "add_orders",
                order(line_items=[{"product_id": False, "quantity": 1}]),
            ),
            "order.id: is required (it is only spaces)": ("add_orders", order(id="   ")),
            "order.billing_address: must be an object (address1, city, …), not str": (
                "add_orders",
                order(billing_address="1 Main St, Springfield"),
            ),
            "customer.company: must be a string, not a list": (
                "add_customers",
                {**CUSTOMER, "customer": {"name": "Jo", "company": ["a"]}},
            ),
            "request_id: must be a string, not a list": (
                "add_customers",
                {**CUSTOMER, "request_id": ["r"], "customer": {"name": "Jo"}},
            ),
        }
        for summary, (route, body) in cases.items():
            with self.subTest(summary):
                request_id = body["request_id"] if isinstance(body["request_id"], str) else None
                self.assert_refused(self.send(route, body), 400, summary, request_id)

    def test_it_uses_numbers_sent_for_ids_as_their_decimal_text(self) -> None:
        status, data = self.send("add_orders", order(id=1001.0))

        self.assertEqual(status, 200)
        self.assertTrue(QueuedObject.objects.filter(object_type="orders", identity="1001").exists())


class ChunkedBodyTestCase(SimpleTestCase):
    """A server that ends a chunked body for us (gunicorn): read bounded, never past it."""

    def request(self, body: bytes) -> Any:
        request = RequestFactory().post("/add_customers", data=b"", content_type="text/plain")
        request.META.pop("CONTENT_LENGTH", None)
        request.META.update(
            {
                "HTTP_TRANSFER_ENCODING": "chunked",
                "wsgi.input_terminated": True,
                "wsgi.input": io.BytesIO(body),
            }
        )
        return request

    def test_it_reads_a_chunked_body_up_to_the_limit(self) -> None:
        self.assertEqual(webhook_body.read(self.request(b"x" * 100), limit=100), b"x" * 100)

    def test_it_stops_reading_a_chunked_body_past_the_limit(self) -> None:
        stream = io.BytesIO(b"x" * 1_000_000)
        request = self.request(b"")
        request.META["wsgi.input"] = stream

        with self.assertRaises(IntakeError) as caught:
            webhook_body.read(request, limit=100)

        self.assertEqual(caught.exception.status, 413)
        self.assertEqual(
            caught.exception.summary,
            "body: more than 100 bytes; this server accepts at most 100 (WEBHOOK_MAX_BODY_BYTES)",
        )
        self.assertEqual(stream.tell(), 101)
