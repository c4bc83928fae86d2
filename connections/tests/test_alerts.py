"""The health monitor: incidents, e-mail and signed webhook alerts, retries with backoff."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any
from unittest import mock

import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from connections import alerts, deliveries
from connections.models import AlertDelivery, Connection, Incident
from connections.tasks import check_health, deliver_alert
from qbsync.test import WEBHOOK_TOKEN, BaseTestCase

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "alert-secret-0123456789abcdef"


class Receiver:
    """A real local HTTP server that answers the first `failures` alerts with 503."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.failure_status = 503
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                failing = len(receiver.received) <= receiver.failures
                self.send_response(receiver.failure_status if failing else 204)
                if failing and receiver.failure_status == 302:
                    self.send_header("Location", "/elsewhere")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/qbsync"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HealthMonitorTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=T0,
            health_threshold_minutes=15,
            alert_emails="ops@example.com, owner@example.com",
            alert_url="https://hooks.example.com/qbsync",
            alert_secret=SECRET,
        )

    def test_it_leaves_a_connection_alone_within_its_threshold(self) -> None:
        self.assertEqual(alerts.check_health(T0 + timedelta(minutes=15)), [])
        self.assertFalse(Incident.objects.exists())

    def test_it_opens_an_incident_with_an_alert_per_channel_past_the_threshold(self) -> None:
        created = alerts.check_health(T0 + timedelta(minutes=16))

        incident = Incident.objects.get()
        self.assertIsNone(incident.resolved_at)
        self.assertIn("has not called for 16 minutes (threshold 15)", incident.summary)
        channels = sorted(
            AlertDelivery.objects.filter(pk__in=created).values_list("channel", flat=True)
        )
        self.assertEqual(channels, ["email", "webhook"])

    def test_it_opens_only_one_incident_however_often_it_runs(self) -> None:
        alerts.check_health(T0 + timedelta(minutes=16))
        self.assertEqual(alerts.check_health(T0 + timedelta(minutes=17)), [])
        self.assertEqual(Incident.objects.count(), 1)

    def test_it_refuses_a_second_open_incident_from_another_worker(self) -> None:
        self.connection.refresh_from_db()
        first = Incident.open_for(self.connection, T0, "first worker")
        second = Incident.open_for(self.connection, T0, "second worker")
        self.assertIsNotNone(first)
        self.assertIsNone(second)

    def test_it_resolves_the_incident_and_alerts_recovered_when_contact_resumes(self) -> None:
        alerts.check_health(T0 + timedelta(minutes=16))
        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=T0 + timedelta(minutes=30)
        )

        created = alerts.check_health(T0 + timedelta(minutes=31))

        incident = Incident.objects.get()
        self.assertEqual(incident.resolved_at, T0 + timedelta(minutes=31))
        events = set(AlertDelivery.objects.filter(pk__in=created).values_list("event", flat=True))
        self.assertEqual(events, {"connection.recovered"})

    def test_it_skips_paused_and_never_contacted_connections(self) -> None:
        self.connection.pause()
        Connection.objects.create(connection_id="new", qbwc_username="new-qbd")
        self.assertEqual(alerts.check_health(T0 + timedelta(days=1)), [])

    def test_it_resolves_an_incident_of_a_connection_paused_meanwhile(self) -> None:
        alerts.check_health(T0 + timedelta(minutes=16))
        self.connection.pause()
        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=T0 + timedelta(minutes=20)
        )

        alerts.check_health(T0 + timedelta(minutes=21))

        self.assertFalse(Incident.objects.open().exists())

    def test_it_e_mails_the_connections_contacts(self) -> None:
        [email_id] = [
            pk
            for pk in alerts.check_health(T0 + timedelta(minutes=16))
            if AlertDelivery.objects.get(pk=pk).channel == "email"
        ]
        self.assertTrue(alerts.deliver(email_id, T0 + timedelta(minutes=16)))

        [message] = mail.outbox
        self.assertEqual(message.to, ["ops@example.com", "owner@example.com"])
        self.assertIn("acme is unhealthy", message.subject)
        self.assertIn("has not called for 16 minutes", message.body)

    def test_the_task_sends_the_new_alerts_once_the_transaction_commits(self) -> None:
        with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
            with mock.patch.object(deliver_alert, "delay") as delay:
                with self.captureOnCommitCallbacks(execute=True):
                    created = check_health()
        self.assertEqual(created, 2)
        self.assertEqual(delay.call_count, 2)


class AlertWebhookTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.receiver = Receiver(failures=2)
        self.receiver.__enter__()
        self.addCleanup(self.receiver.__exit__)
        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=T0, alert_url=self.receiver.url, alert_secret=SECRET
        )

    def open_incident(self) -> int:
        [delivery_id] = alerts.check_health(T0 + timedelta(minutes=6))
        return delivery_id

    def test_it_retries_with_backoff_until_the_receiver_recovers(self) -> None:
        delivery_id = self.open_incident()
        start = T0 + timedelta(minutes=6)

        self.assertFalse(alerts.deliver(delivery_id, start))  # 503
        delivery = AlertDelivery.objects.get(pk=delivery_id)
        self.assertEqual(delivery.next_attempt_at, start + timedelta(minutes=1))
        self.assertIn("HTTP 503", delivery.last_error)
        # Not due yet: the backoff holds.
        self.assertEqual(alerts.due_deliveries(start + timedelta(seconds=59)), [])

        with time_machine.travel(start + timedelta(minutes=1), tick=False):
            self.assertFalse(alerts.deliver(delivery_id))  # 503 again, now waits 2 min
        with time_machine.travel(start + timedelta(minutes=3), tick=False):
            self.assertEqual(alerts.due_deliveries(), [delivery_id])
            self.assertTrue(alerts.deliver(delivery_id))  # 204

        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts), ("sent", 3))
        self.assertEqual(len(self.receiver.received), 3)

    def test_it_signs_every_attempt_with_hmac_sha256(self) -> None:
        delivery_id = self.open_incident()
        now = T0 + timedelta(minutes=6)
        alerts.deliver(delivery_id, now)

        headers, body = self.receiver.received[0]
        self.assertEqual(headers["X-Qbsync-Event"], "connection.unhealthy")
        self.assertEqual(headers["X-Qbsync-Delivery"], str(delivery_id))
        self.assertTrue(deliveries.verify(SECRET, headers["X-Qbsync-Signature"], body, now))
        self.assertFalse(
            deliveries.verify("wrong-secret-xxxxxxxx", headers["X-Qbsync-Signature"], body, now)
        )
        payload = json.loads(body)
        self.assertEqual(payload["event"], "connection.unhealthy")
        self.assertEqual(payload["connection"]["id"], "acme")
        self.assertNotIn(SECRET, body.decode())

    def test_it_treats_a_redirect_as_a_failed_attempt(self) -> None:
        self.receiver.failure_status = 302
        delivery_id = self.open_incident()

        self.assertFalse(alerts.deliver(delivery_id, T0 + timedelta(minutes=6)))

        self.assertIn("HTTP 302", AlertDelivery.objects.get(pk=delivery_id).last_error)
        self.assertEqual(len(self.receiver.received), 1)

    def test_it_gives_up_after_the_configured_attempts(self) -> None:
        delivery_id = self.open_incident()
        moment = T0 + timedelta(minutes=6)
        with override_settings(ALERT_MAX_ATTEMPTS=2):
            alerts.deliver(delivery_id, moment)
            alerts.deliver(delivery_id, moment + timedelta(minutes=1))
        delivery = AlertDelivery.objects.get(pk=delivery_id)
        self.assertEqual((delivery.status, delivery.attempts), ("failed", 2))
        self.assertEqual(alerts.due_deliveries(moment + timedelta(days=1)), [])

    def test_a_second_worker_cannot_send_a_delivery_already_claimed(self) -> None:
        delivery_id = self.open_incident()
        now = T0 + timedelta(minutes=6)
        delivery = AlertDelivery.objects.get(pk=delivery_id)
        stale_copy = AlertDelivery.objects.get(pk=delivery_id)
        self.assertTrue(delivery.claim(now, deliveries.CLAIM_LEASE))
        self.assertFalse(stale_copy.claim(now, deliveries.CLAIM_LEASE))

    def test_the_periodic_retry_sends_the_due_deliveries(self) -> None:
        self.receiver.failures = 0
        delivery_id = self.open_incident()
        from connections.tasks import send_due_alerts

        with time_machine.travel(T0 + timedelta(minutes=7), tick=False):
            self.assertEqual(send_due_alerts(), 1)
        self.assertEqual(AlertDelivery.objects.get(pk=delivery_id).status, "sent")


class AlertSettingsTestCase(BaseTestCase):
    def test_create_connection_sets_alert_targets_without_echoing_the_secret(self) -> None:
        out = StringIO()
        call_command(
            "create_connection",
            "acme",
            "--alert-email=ops@example.com",
            "--alert-email=cfo@example.com",
            "--alert-url=https://hooks.example.com/q",
            f"--alert-secret={SECRET}",
            "--health-threshold-minutes=20",
            stdout=out,
        )
        self.connection.refresh_from_db()
        self.assertEqual(self.connection.alert_email_list, ["ops@example.com", "cfo@example.com"])
        self.assertEqual(self.connection.alert_url, "https://hooks.example.com/q")
        self.assertEqual(self.connection.alert_secret, SECRET)
        self.assertEqual(self.connection.health_threshold_minutes, 20)
        self.assertNotIn(SECRET, out.getvalue())

    def test_create_connection_refuses_an_alert_url_without_a_secret(self) -> None:
        with self.assertRaisesMessage(CommandError, "--alert-url needs --alert-secret"):
            call_command("create_connection", "acme", "--alert-url=https://h.example.com/q")

    def test_create_connection_names_a_bad_alert_address(self) -> None:
        with self.assertRaisesMessage(CommandError, "'ops-at-example' is not an e-mail address"):
            call_command("create_connection", "acme", "--alert-email=ops-at-example")

    def test_the_admin_never_shows_the_alert_secret(self) -> None:
        self.connection.alert_secret = SECRET
        self.connection.save()
        self.client.force_login(self.operator)
        page = self.client.get(f"/admin/connections/connection/{self.connection.pk}/change/")
        self.assertContains(page, "set, ending …cdef")
        self.assertNotContains(page, SECRET)

    def test_the_admin_sets_a_new_web_connector_password(self) -> None:
        self.client.force_login(self.operator)
        url = f"/admin/connections/connection/{self.connection.pk}/change/"
        form = self.client.get(url).context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None and k != "id"}
        data.update(
            {
                "new_qbwc_password": "brand-new-pass",
                "flow_configs-TOTAL_FORMS": "0",
                "flow_configs-INITIAL_FORMS": "0",
            }
        )

        response = self.client.post(url, data)

        self.assertEqual(
            response.status_code,
            302,
        )
        self.connection.refresh_from_db()
        self.assertTrue(self.connection.check_qbwc_password("brand-new-pass"))
        self.assertTrue(self.connection.check_webhook_token(WEBHOOK_TOKEN))

    def test_the_admin_refuses_an_alert_url_without_a_secret(self) -> None:
        from connections.admin import ConnectionForm

        form = ConnectionForm(
            data={"alert_url": "https://hooks.example.com/q"}, instance=self.connection
        )
        self.assertFalse(form.is_valid())
        self.assertIn("needs a secret", str(form.errors["new_alert_secret"]))

    def test_the_admin_creates_a_connection_with_its_password(self) -> None:
        self.client.force_login(self.operator)
        self.assertEqual(self.client.get("/admin/connections/connection/add/").status_code, 200)
        response = self.client.post(
            "/admin/connections/connection/add/",
            {
                "connection_id": "globex",
                "origin": "flowlink",
                "is_active": "on",
                "qbwc_username": "globex-qbd",
                "new_qbwc_password": "globex-password",
                "owner_id": "{6B0E6C2A-5F3D-4E0B-9A51-2C7D1E8F4A10}",
                "file_id": "{11111111-2222-3333-4444-555555555555}",
                "run_every_minutes": "5",
                "health_threshold_minutes": "10",
                "alert_emails": "ops@example.com",
                "flow_configs-TOTAL_FORMS": "0",
                "flow_configs-INITIAL_FORMS": "0",
            },
        )
        self.assertEqual(response.status_code, 302)
        created = Connection.objects.get(connection_id="globex")
        self.assertTrue(created.check_qbwc_password("globex-password"))

    def test_the_connection_list_shows_health_phase_counts_and_the_open_incident(self) -> None:
        from objects.models import QueuedObject

        QueuedObject.objects.create(
            connection=self.connection, object_type="customers", identity="Jo", phase="failed"
        )
        Connection.objects.filter(pk=self.connection.pk).update(last_contact_at=T0)
        alerts.check_health(T0 + timedelta(minutes=6))
        self.client.force_login(self.operator)

        page = self.client.get("/admin/connections/connection/")

        self.assertContains(page, "qbsync-unhealthy")
        self.assertContains(page, "1&nbsp;failed</a>")
        self.assertContains(page, "open since ")


class ConnectionCommandTestCase(BaseTestCase):
    def test_rotate_webhook_token_prints_a_token_that_works_once(self) -> None:
        out = StringIO()
        call_command("rotate_webhook_token", "acme", stdout=out, stderr=StringIO())

        token = out.getvalue().strip()
        self.connection.refresh_from_db()
        self.assertTrue(self.connection.check_webhook_token(token))
        self.assertFalse(self.connection.check_webhook_token(WEBHOOK_TOKEN))

    def test_connection_health_exits_1_when_a_connection_is_unhealthy(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(last_contact_at=T0)
        out = StringIO()
        with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
            with self.assertRaises(SystemExit) as exit_:
                call_command("connection_health", stdout=out)
        self.assertEqual(exit_.exception.code, 1)
        self.assertIn("acme\tunhealthy\tlast contact 6 min ago (threshold 5 min)", out.getvalue())

    def test_connection_health_exits_0_when_all_are_healthy(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(last_contact_at=T0)
        out = StringIO()
        with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
            call_command("connection_health", stdout=out)
        self.assertIn("acme\thealthy", out.getvalue())
