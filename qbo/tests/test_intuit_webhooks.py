"""POST /qbo/webhooks over real HTTP: the double signs and sends Intuit's webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any
from unittest import mock

from django.test import SimpleTestCase, override_settings

from qbo.double.webhooks import sign as intuit_sign
from qbo.event_models import IntuitNotification
from qbo.intuit_webhooks import MAX_BODY_BYTES, is_genuine, parse
from qbo.models import QboConnection
from qbo.tasks import push_connection
from qbo.tests.live import QboLiveTestCase

VERIFIER = "verifier-0123456789abcdef"


class SignatureTestCase(SimpleTestCase):
    def test_it_accepts_the_spec_test_vector(self) -> None:
        self.assertTrue(
            is_genuine(
                b'{"stuff":"5"}', "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA=", "verify_me"
            )
        )

    def test_it_refuses_another_body_a_hex_digest_or_no_token(self) -> None:
        vector = "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA="
        hex_digest = hmac.new(b"verify_me", b'{"stuff":"5"}', hashlib.sha256).hexdigest()
        self.assertFalse(is_genuine(b'{"stuff": "5"}', vector, "verify_me"))
        self.assertFalse(is_genuine(b'{"stuff":"5"}', hex_digest, "verify_me"))
        self.assertFalse(is_genuine(b'{"stuff":"5"}', vector, ""))
        self.assertFalse(is_genuine(b'{"stuff":"5"}', "", "verify_me"))

    def test_it_reads_the_bare_void_verb_as_voided(self) -> None:
        [event] = parse(
            [
                {
                    "id": "e1",
                    "type": "qbo.invoice.void.v1",
                    "intuitaccountid": "9",
                    "intuitentityid": "3",
                }
            ]
        )
        self.assertEqual(
            (event.entity, event.operation, event.realm_id), ("invoice", "voided", "9")
        )


@override_settings(QBO_WEBHOOK_VERIFIER_TOKEN=VERIFIER)
class IntuitWebhookTestCase(QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.url = f"{self.live_server_url}/qbo/webhooks"
        self.qbo.webhooks.configure(self.url, VERIFIER)
        # The Celery send is the edge: the nudge's task is recorded, not queued.
        delay = mock.patch.object(push_connection, "delay")
        self.pushes = delay.start()
        self.addCleanup(delay.stop)

    def change_a_customer(self, name: str = "Amy's Bird Sanctuary") -> dict[str, Any]:
        return self.qbo.seed(self.realm, "Customer", {"DisplayName": name})

    def statuses(self) -> list[int | None]:
        return [attempt.status for attempt in self.qbo.webhooks.attempts]

    def push_requested(self) -> bool:
        return QboConnection.objects.get(pk=self.company.pk).push_requested

    def post_raw(self, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(self.url, body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def test_it_stores_a_cloudevent_and_nudges_the_connection(self) -> None:
        customer = self.change_a_customer()
        self.assertEqual(self.qbo.webhooks.deliver(), 1)
        self.assertEqual(self.statuses(), [200])
        note = IntuitNotification.objects.get()
        self.assertEqual(
            (note.format, note.realm_id, note.entity, note.entity_id, note.operation),
            ("cloudevents", self.realm, "customer", customer["Id"], "created"),
        )
        self.assertEqual(note.connection_id, self.connection.pk)
        self.assertTrue(self.push_requested())
        self.pushes.assert_called_once_with(self.connection.pk)

    def test_it_stores_a_redelivery_with_the_same_ids_once(self) -> None:
        self.change_a_customer()
        self.qbo.webhooks.deliver()
        first = self.qbo.webhooks.attempts[-1]
        # Intuit resends the same body when our 200 did not reach it in time.
        self.assertEqual(self.post_raw(first.body, first.headers), 200)
        self.assertEqual(IntuitNotification.objects.count(), 1)
        self.pushes.assert_called_once_with(self.connection.pk)

    def test_it_stores_the_legacy_format(self) -> None:
        self.qbo.webhooks.configure(self.url, VERIFIER, format="legacy")
        customer = self.change_a_customer()
        self.qbo.webhooks.deliver()
        self.assertEqual(self.statuses(), [200])
        note = IntuitNotification.objects.get()
        self.assertEqual(
            (note.format, note.entity, note.entity_id, note.operation),
            ("legacy", "Customer", customer["Id"], "created"),
        )
        self.assertTrue(note.key.startswith(f"legacy:{self.realm}:Customer:{customer['Id']}:"))
        self.assertTrue(self.push_requested())

    def test_it_refuses_a_forged_signature_and_changes_nothing(self) -> None:
        self.change_a_customer()
        self.qbo.webhooks.corrupt_next_signature = True
        self.qbo.webhooks.deliver()
        self.assertEqual(self.statuses(), [401])
        self.assertFalse(IntuitNotification.objects.exists())
        self.assertFalse(self.push_requested())
        self.pushes.assert_not_called()

    def test_it_takes_intuits_retry_after_a_refusal(self) -> None:
        self.change_a_customer()
        self.qbo.webhooks.corrupt_next_signature = True
        self.qbo.webhooks.deliver()
        self.clock.advance(10)
        self.qbo.webhooks.deliver_due()
        self.assertEqual(self.statuses(), [401, 200])
        self.assertEqual(IntuitNotification.objects.count(), 1)

    def test_it_refuses_an_unsigned_delivery(self) -> None:
        status = self.post_raw(b"[]", {"Content-Type": "application/json"})
        self.assertEqual(status, 401)

    def test_it_keeps_every_event_of_a_delivery_out_of_order(self) -> None:
        for name in ("One", "Two", "Three"):
            self.change_a_customer(name)
        self.qbo.webhooks.reverse_next_delivery = True
        self.qbo.webhooks.deliver()
        self.assertEqual(IntuitNotification.objects.count(), 3)
        self.pushes.assert_called_once_with(self.connection.pk)

    def test_it_answers_200_for_an_unknown_realm_and_nudges_no_one(self) -> None:
        self.qbo.add_company("4620816365000000001", "Someone Else")
        self.qbo.seed("4620816365000000001", "Customer", {"DisplayName": "Stranger"})
        with self.assertLogs("qbo.intuit_webhooks", "WARNING") as logs:
            self.qbo.webhooks.deliver()
        self.assertEqual(self.statuses(), [200])
        self.assertIsNone(IntuitNotification.objects.get().connection)
        self.assertIn("4620816365000000001", logs.output[0])
        self.pushes.assert_not_called()

    def test_it_answers_200_to_signed_nonsense_and_stores_nothing(self) -> None:
        body = b"{not json"
        headers = {"intuit-signature": intuit_sign(body, VERIFIER)}
        with self.assertLogs("qbo.intuit_webhooks", "WARNING"):
            status = self.post_raw(body, {"Content-Type": "application/json", **headers})
        self.assertEqual(status, 200)
        self.assertFalse(IntuitNotification.objects.exists())

    def test_it_refuses_a_body_over_the_limit(self) -> None:
        body = json.dumps([{"id": "x", "pad": "x" * MAX_BODY_BYTES}]).encode()
        headers = {"intuit-signature": intuit_sign(body, VERIFIER)}
        self.assertEqual(self.post_raw(body, headers), 413)
        self.assertFalse(IntuitNotification.objects.exists())

    def test_it_refuses_everything_without_a_verifier_token(self) -> None:
        self.change_a_customer()
        with override_settings(QBO_WEBHOOK_VERIFIER_TOKEN=""):
            self.qbo.webhooks.deliver()
        self.assertEqual(self.statuses(), [401])
        self.assertFalse(IntuitNotification.objects.exists())
