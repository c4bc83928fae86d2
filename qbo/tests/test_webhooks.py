"""Signed change notifications from the double (spec §12, §14.24)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

from qbo.double.webhooks import sign
from qbo.tests.helpers import DoubleTestCase

VERIFIER = "verify_me"


def valid(raw_body: bytes, header_value: str, verifier_token: str) -> bool:
    """Spec §12.2's check, as a receiver would write it."""
    mac = hmac.new(verifier_token.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), header_value or "")


class Receiver:
    """A loopback endpoint that records deliveries and answers `statuses` in turn (then 200)."""

    def __init__(self, *statuses: int) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/qbo/webhooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookTestCase(DoubleTestCase):
    def receiver(self, *statuses: int) -> Receiver:
        receiver = Receiver(*statuses)
        self.addCleanup(receiver.close)
        return receiver

    def test_it_signs_the_spec_test_vector(self) -> None:
        self.assertEqual(
            sign(b'{"stuff":"5"}', "verify_me"), "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="
        )

    def test_it_posts_signed_cloudevents_for_writes(self) -> None:
        receiver = self.receiver()
        self.qbo.webhooks.configure(receiver.url, VERIFIER)
        customer = self.create("Customer", {"DisplayName": "Amy"})
        self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"},
        )
        self.assertEqual(self.qbo.webhooks.deliver(), 1)
        headers, body = receiver.received[0]
        self.assertTrue(valid(body, headers["intuit-signature"], VERIFIER))
        self.assertEqual(headers["content-type"], "application/cloudevents+json")
        events = json.loads(body)
        self.assertEqual(
            [e["type"] for e in events], ["qbo.customer.created.v1", "qbo.customer.updated.v1"]
        )
        self.assertEqual(
            {(e["intuitaccountid"], e["intuitentityid"]) for e in events},
            {(self.realm, customer["Id"])},
        )
        self.assertEqual(events[0]["data"], {})

    def test_it_posts_the_legacy_format_grouped_by_realm(self) -> None:
        receiver = self.receiver()
        self.qbo.webhooks.configure(receiver.url, VERIFIER, format="legacy")
        self.create("Vendor", {"DisplayName": "Pump Supply"})
        self.qbo.webhooks.deliver()
        headers, body = receiver.received[0]
        self.assertEqual(headers["content-type"], "application/json")
        notification = json.loads(body)["eventNotifications"][0]
        self.assertEqual(notification["realmId"], self.realm)
        entity = notification["dataChangeEvent"]["entities"][0]
        self.assertEqual((entity["name"], entity["operation"]), ("Vendor", "Create"))

    def test_it_retries_a_refused_delivery_with_the_same_ids_on_schedule(self) -> None:
        receiver = self.receiver(500, 500)
        self.qbo.webhooks.configure(receiver.url, VERIFIER)
        self.create("Customer", {"DisplayName": "Amy"})
        self.qbo.webhooks.deliver()
        self.clock.advance(9)
        self.assertEqual(self.qbo.webhooks.deliver_due(), 0)
        self.clock.advance(1)
        self.assertEqual(self.qbo.webhooks.deliver_due(), 1)  # 10 s after the first attempt
        self.clock.advance(20)
        self.assertEqual(self.qbo.webhooks.deliver_due(), 1)  # then 20 s, answered 200
        self.assertEqual(len(receiver.received), 3)
        bodies = [body for _, body in receiver.received]
        self.assertEqual(len(set(bodies)), 1)
        self.assertEqual(self.qbo.webhooks.deliver_due(), 0)

    def test_it_puts_at_most_100_events_in_a_delivery(self) -> None:
        receiver = self.receiver()
        self.qbo.webhooks.configure(receiver.url, VERIFIER)
        for index in range(101):
            self.qbo.seed(self.realm, "Customer", {"DisplayName": f"C{index}"})
        self.assertEqual(self.qbo.webhooks.deliver(), 2)
        self.assertEqual([len(json.loads(body)) for _, body in receiver.received], [100, 1])

    def test_it_can_send_a_bad_signature(self) -> None:
        receiver = self.receiver()
        self.qbo.webhooks.configure(receiver.url, VERIFIER)
        self.create("Customer", {"DisplayName": "Amy"})
        self.qbo.webhooks.corrupt_next_signature = True
        self.qbo.webhooks.deliver()
        headers, body = receiver.received[0]
        self.assertFalse(valid(body, headers["intuit-signature"], VERIFIER))

    def test_it_can_send_events_out_of_order(self) -> None:
        receiver = self.receiver()
        self.qbo.webhooks.configure(receiver.url, VERIFIER)
        customer = self.create("Customer", {"DisplayName": "Amy"})
        self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"},
        )
        self.qbo.webhooks.reverse_next_delivery = True
        self.qbo.webhooks.deliver()
        events = json.loads(receiver.received[0][1])
        self.assertEqual(
            [e["type"] for e in events], ["qbo.customer.updated.v1", "qbo.customer.created.v1"]
        )
