"""Triggers: change events from the feed's signal, signed deliveries to a real local
HTTP receiver, backoff from rows, de-duplication by event id."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.test import RequestFactory, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from connections.deliveries import verify
from connections.models import Connection
from qbo import events
from qbo.admin_events import EventDeliveryAdmin, EventSubscriptionForm
from qbo.event_models import ChangeEvent, EventDelivery, EventSubscription, parse_event_types
from qbo.event_tasks import deliver_event, purge_old_events, send_due_events
from qbo.signals import record_changed
from qbo.tests.test_webhooks import Receiver
from qbsync.test import make_connection

SECRET = "subscriber-secret-0123456789"


class EventsTestCase(TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.connection = make_connection("shop", backend=Connection.Backend.QBO)
        self.now = timezone.now()
        # The Celery send is the edge: what gets enqueued is recorded, not queued.
        delay = mock.patch.object(deliver_event, "delay")
        self.sent = delay.start()
        self.addCleanup(delay.stop)

    def receiver(self, *statuses: int) -> Receiver:
        receiver = Receiver(*statuses)
        self.addCleanup(receiver.close)
        return receiver

    def subscribe(self, url: str, event_types: str = "*") -> EventSubscription:
        return EventSubscription.objects.create(
            connection=self.connection, url=url, secret=SECRET, event_types=event_types
        )

    def change(
        self, entity: str, qb_id: str, change: str, version: str, **record: Any
    ) -> list[int]:
        """Send the feed's signal as qbo.feed does; return the deliveries enqueued."""
        self.sent.reset_mock()
        with self.captureOnCommitCallbacks(execute=True):
            record_changed.send(
                sender=None,
                connection=self.connection,
                entity=entity,
                qb_id=qb_id,
                change=change,
                record={"Id": qb_id, "SyncToken": version, **record},
                version=version,
            )
        self.now = timezone.now()  # the deliveries are due from here
        return [call.args[0] for call in self.sent.call_args_list]

    def run_due(self, now: datetime) -> int:
        return sum(events.deliver(pk, now) for pk in events.due_deliveries(now))

    def test_it_keeps_one_event_per_version_and_change(self) -> None:
        self.change("Customer", "7", "created", "0", DisplayName="Amy")
        self.change("Customer", "7", "updated", "1", DisplayName="Amy B")
        again = self.change("Customer", "7", "updated", "1", DisplayName="Amy B")
        self.assertEqual(again, [])
        self.assertEqual(
            sorted(ChangeEvent.objects.values_list("event_type", "version")),
            [("customer.created", "0"), ("customer.updated", "1")],
        )

    def test_it_sends_a_delivery_on_commit_per_wanting_subscription(self) -> None:
        everything = self.subscribe("http://127.0.0.1:9/all")
        invoices = self.subscribe("http://127.0.0.1:9/invoices", "invoice.*")
        EventSubscription.objects.create(
            connection=self.connection, url="http://127.0.0.1:9/off", secret=SECRET, is_active=False
        )
        enqueued = self.change("Invoice", "130", "created", "0")
        self.assertEqual(
            sorted(
                EventDelivery.objects.filter(pk__in=enqueued).values_list("subscription", flat=True)
            ),
            sorted([everything.pk, invoices.pk]),
        )
        self.assertEqual(
            self.change("Customer", "7", "deleted", ""),
            [EventDelivery.objects.get(subscription=everything, event__entity="Customer").pk],
        )

    def test_it_signs_deliveries_like_alert_webhooks(self) -> None:
        receiver = self.receiver()
        self.subscribe(receiver.url)
        [delivery_id] = self.change("Invoice", "130", "created", "0", TotalAmt=12.5)
        self.assertTrue(events.deliver(delivery_id, self.now))
        [(headers, body)] = receiver.received
        self.assertTrue(verify(SECRET, headers["x-qbsync-signature"], body, self.now))
        payload = json.loads(body)
        event = ChangeEvent.objects.get()
        self.assertEqual(payload["event_id"], str(event.event_id))
        self.assertEqual(headers["x-qbsync-event-id"], str(event.event_id))
        self.assertEqual(headers["x-qbsync-event"], "invoice.created")
        self.assertEqual(payload["record"], {"Id": "130", "SyncToken": "0", "TotalAmt": 12.5})
        self.assertEqual(payload["connection"]["id"], "shop")

    def test_it_gets_every_event_once_to_a_subscriber_that_fails_then_recovers(self) -> None:
        receiver = self.receiver(500, 503, 500)
        self.subscribe(receiver.url)
        enqueued = self.change("Customer", "7", "created", "0")
        enqueued += self.change("Invoice", "130", "created", "0")
        enqueued += self.change("Invoice", "130", "updated", "1")
        for delivery_id in enqueued:
            events.deliver(delivery_id, self.now)
        at = self.now
        for _ in range(5):  # backoff 1, 2, 4 … minutes
            at += timedelta(minutes=4)
            self.run_due(at)
        self.assertEqual(
            set(EventDelivery.objects.values_list("status", flat=True)), {EventDelivery.Status.SENT}
        )
        accepted = receiver.received[3:]  # the first three attempts were refused
        ids = [json.loads(body)["event_id"] for _, body in accepted]
        self.assertCountEqual(
            ids, [str(e) for e in ChangeEvent.objects.values_list("event_id", flat=True)]
        )
        sent_at = {
            str(event_id): at
            for event_id, at in EventDelivery.objects.values_list("event__event_id", "sent_at")
        }
        for headers, body in accepted:
            when = sent_at[json.loads(body)["event_id"]]
            assert when is not None
            self.assertTrue(verify(SECRET, headers["x-qbsync-signature"], body, when))
        retried = EventDelivery.objects.filter(attempts=2)
        self.assertEqual(list(retried.values_list("last_error", flat=True)), ["", "", ""])

    def test_it_sends_a_claimed_delivery_only_once(self) -> None:
        receiver = self.receiver()
        self.subscribe(receiver.url)
        [delivery_id] = self.change("Item", "3", "created", "0")
        delivery = EventDelivery.objects.get(pk=delivery_id)
        self.assertTrue(delivery.claim(self.now, timedelta(minutes=2)))  # another worker
        self.assertFalse(events.deliver(delivery_id, self.now))
        self.assertEqual(receiver.received, [])

    def test_it_backs_off_exponentially_and_gives_up(self) -> None:
        receiver = self.receiver(*[500] * 3)
        self.subscribe(receiver.url)
        [delivery_id] = self.change("Item", "3", "created", "0")
        with override_settings(QBO_EVENT_MAX_ATTEMPTS=3):
            self.assertFalse(events.deliver(delivery_id, self.now))
            delivery = EventDelivery.objects.get(pk=delivery_id)
            self.assertEqual(delivery.next_attempt_at, self.now + timedelta(minutes=1))
            self.assertIn("HTTP 500", delivery.last_error)
            self.assertFalse(events.deliver(delivery_id, self.now + timedelta(seconds=30)))
            self.assertEqual(self.run_due(self.now + timedelta(minutes=1)), 0)
            self.assertEqual(self.run_due(self.now + timedelta(minutes=3)), 0)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts), (EventDelivery.Status.FAILED, 3))

    def test_it_retries_given_up_deliveries_when_an_operator_asks(self) -> None:
        receiver = self.receiver(500)
        self.subscribe(receiver.url)
        [delivery_id] = self.change("Item", "3", "created", "0")
        with override_settings(QBO_EVENT_MAX_ATTEMPTS=1):
            events.deliver(delivery_id, self.now)
        request = RequestFactory().post("/")
        request.session = {}  # type: ignore[assignment]
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        model_admin = EventDeliveryAdmin(EventDelivery, admin.site)
        self.sent.reset_mock()
        with self.captureOnCommitCallbacks(execute=True):
            model_admin.retry_now(request, EventDelivery.objects.all())
        self.sent.assert_called_once_with(delivery_id)
        self.assertTrue(events.deliver(delivery_id))
        self.assertEqual(len(receiver.received), 2)

    def test_it_refuses_unknown_event_type_patterns(self) -> None:
        self.assertEqual(
            parse_event_types("invoice.created, customer.* *.deleted"),
            ["invoice.created", "customer.*", "*.deleted"],
        )
        for bad in ("invoice", "invoice.voided", "in-voice.created"):
            with self.subTest(bad), self.assertRaises(ValidationError):
                parse_event_types(bad)

    def test_it_keeps_the_secret_encrypted_and_shows_only_its_end(self) -> None:
        form = EventSubscriptionForm(
            data={
                "connection": self.connection.pk,
                "url": "https://hooks.example.com/qbo",
                "event_types": "invoice.created",
                "is_active": "on",
                "new_secret": SECRET,
                "created_at": self.now,
            }
        )
        self.assertTrue(form.is_valid(), form.errors)
        subscription = form.save()
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT secret FROM qbo_eventsubscription WHERE id = %s", [subscription.pk]
            )
            stored = cursor.fetchone()[0]
        self.assertNotIn(SECRET, stored)
        self.assertEqual(EventSubscription.objects.get().masked_secret, "…6789")

    def test_it_refuses_a_subscription_without_a_secret(self) -> None:
        form = EventSubscriptionForm(
            data={
                "connection": self.connection.pk,
                "url": "https://hooks.example.com/qbo",
                "event_types": "*",
                "created_at": self.now,
            }
        )
        self.assertFalse(form.is_valid())
        self.assertIn("new_secret", form.errors)

    def test_it_wires_the_delivery_tasks(self) -> None:
        receiver = self.receiver(500)
        self.subscribe(receiver.url)
        [delivery_id] = self.change("Item", "3", "created", "0")
        self.assertFalse(deliver_event(delivery_id))
        EventDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=self.now)
        self.assertEqual(send_due_events(), 1)

    def test_it_purges_old_events_with_nothing_left_to_deliver(self) -> None:
        receiver = self.receiver(500)
        self.subscribe(receiver.url)
        self.change("Item", "3", "created", "0")
        [pending] = self.change("Item", "3", "updated", "1")
        sent = EventDelivery.objects.exclude(pk=pending).get()
        EventDelivery.objects.filter(pk=sent.pk).update(status=EventDelivery.Status.SENT)
        ChangeEvent.objects.update(occurred_at=self.now - timedelta(days=40))
        self.assertEqual(purge_old_events(), {"events": 1, "notifications": 0})
        self.assertEqual(list(ChangeEvent.objects.values_list("version", flat=True)), ["1"])

    def test_it_shows_events_deliveries_and_subscriptions_in_the_admin(self) -> None:
        self.subscribe("https://hooks.example.com/qbo")
        self.change("Invoice", "130", "created", "0")
        operator = get_user_model().objects.create_superuser("operator", "", "password")
        self.client.force_login(operator)
        event = ChangeEvent.objects.get()
        for page in (
            reverse("admin:qbo_eventsubscription_changelist"),
            reverse(
                "admin:qbo_eventsubscription_change", args=[EventSubscription.objects.get().pk]
            ),
            reverse("admin:qbo_changeevent_changelist"),
            reverse("admin:qbo_changeevent_change", args=[event.pk]),
            reverse("admin:qbo_eventdelivery_changelist"),
            reverse("admin:qbo_intuitnotification_changelist"),
            reverse("admin:qbo_companyprofile_changelist"),
        ):
            with self.subTest(page):
                answer = self.client.get(page)
                self.assertEqual(answer.status_code, 200)
                self.assertNotIn(SECRET, answer.content.decode())
