"""Operations around sessions: pause, retention, the transcript and qbXML in the admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.utils import timezone

from connections.models import Incident
from objects.models import Notification, NotificationDelivery, Phase, QueuedObject
from qbsync.test import QBWC_PASSWORD, BaseTestCase
from qbwc import loop
from qbwc.models import Message, Request, Session, hash_ticket
from qbwc.tasks import expire_sessions, purge_old_records

REQUEST_XML = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError">'
    '<CustomerQueryRq requestID="7"><FullName>Jo</FullName></CustomerQueryRq>'
    "</QBXMLMsgsRq></QBXML>"
)
RESPONSE_XML = (
    '<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="7" statusCode="500"'
    ' statusSeverity="Warn" statusMessage="The query request has not been fully completed."/>'
    "</QBXMLMsgsRs></QBXML>"
)


class PausedConnectionTestCase(BaseTestCase):
    def test_it_answers_none_to_a_paused_connection_with_work_queued(self) -> None:
        QueuedObject.objects.create(
            connection=self.connection, object_type="customers", identity="Jo", payload={}
        )
        self.connection.pause()

        ticket, answer = loop.authenticate("acme-qbd", QBWC_PASSWORD)

        self.assertEqual(answer, "none")
        self.assertFalse(Session.objects.exists())
        self.connection.refresh_from_db()
        self.assertIsNotNone(self.connection.last_contact_at)

    def test_it_still_refuses_a_wrong_password_while_paused(self) -> None:
        self.connection.pause()
        self.assertEqual(loop.authenticate("acme-qbd", "wrong")[1], "nvu")

    def test_it_opens_a_session_again_once_resumed(self) -> None:
        QueuedObject.objects.create(
            connection=self.connection, object_type="customers", identity="Jo", payload={}
        )
        self.connection.pause()
        self.connection.resume()
        self.assertEqual(loop.authenticate("acme-qbd", QBWC_PASSWORD)[1], "")


class RetentionTestCase(BaseTestCase):
    def make_session(self, status: str, last_call_days_ago: int, ticket: str) -> Session:
        session = Session.objects.create(
            connection=self.connection,
            ticket_hash=hash_ticket(ticket),
            status=status,
            last_call_at=timezone.now() - timedelta(days=last_call_days_ago),
        )
        Message.objects.create(session=session, number=1, request_xml=REQUEST_XML)
        return session

    def make_object(self, identity: str, phase: str, days_ago: int) -> QueuedObject:
        return QueuedObject.objects.create(
            connection=self.connection,
            object_type="customers",
            identity=identity,
            phase=phase,
            updated_at=timezone.now() - timedelta(days=days_ago),
        )

    def test_it_purges_old_processed_objects_with_their_history(self) -> None:
        old = self.make_object("old", Phase.PROCESSED, 31)
        old.events.create(to_phase=Phase.PROCESSED, reason="done")
        recent = self.make_object("recent", Phase.PROCESSED, 29)
        failed = self.make_object("failed", Phase.FAILED, 90)
        queued = self.make_object("queued", Phase.PENDING, 90)

        counts = purge_old_records()

        self.assertEqual(counts["objects"], 1)
        self.assertEqual(
            set(QueuedObject.objects.values_list("pk", flat=True)),
            {recent.pk, failed.pk, queued.pk},
        )

    def test_it_keeps_a_processed_object_a_queued_one_still_depends_on(self) -> None:
        customer = self.make_object("Jo", Phase.PROCESSED, 90)
        order = self.make_object("O-1", Phase.TWO_PHASE_PENDING, 90)
        order.dependencies.add(customer)

        purge_old_records()

        self.assertTrue(QueuedObject.objects.filter(pk=customer.pk).exists())

    def test_it_purges_delivered_notifications_only(self) -> None:
        long_ago = timezone.now() - timedelta(days=40)
        Notification.objects.create(
            connection=self.connection, kind="success", message="a", delivered_at=long_ago
        )
        kept = Notification.objects.create(
            connection=self.connection, kind="fail", message="b", created_at=long_ago
        )

        purge_old_records()

        self.assertEqual(list(Notification.objects.all()), [kept])

    def test_it_purges_empty_answers_after_a_day_and_others_with_their_notifications(
        self,
    ) -> None:
        Notification.objects.create(connection=self.connection, kind="fail", message="a")
        Notification.objects.drain(self.connection, "n-full")
        Notification.objects.drain(self.connection, "n-empty")

        with time_machine.travel(timezone.now() + timedelta(days=2)):
            purge_old_records()
        answers = list(NotificationDelivery.objects.values_list("request_id", flat=True))
        with time_machine.travel(timezone.now() + timedelta(days=31)):
            purge_old_records()

        self.assertEqual(answers, ["n-full"])
        self.assertFalse(Notification.objects.exists())
        self.assertFalse(NotificationDelivery.objects.exists())

    def test_it_purges_transcripts_of_old_ended_sessions_only(self) -> None:
        self.make_session(Session.Status.CLOSED, 31, "a")
        live = self.make_session(Session.Status.ACTIVE, 31, "b")
        recent = self.make_session(Session.Status.CLOSED, 1, "c")

        self.assertEqual(purge_old_records()["sessions"], 1)

        self.assertEqual(set(Session.objects.all()), {live, recent})
        self.assertEqual(Message.objects.count(), 2)

    def test_it_purges_resolved_incidents_only(self) -> None:
        long_ago = timezone.now() - timedelta(days=40)
        Incident.objects.create(
            connection=self.connection,
            opened_at=long_ago,
            resolved_at=long_ago,
            threshold_minutes=5,
        )
        still_open = Incident.objects.create(
            connection=self.connection, opened_at=long_ago, threshold_minutes=5
        )

        purge_old_records()

        self.assertEqual(list(Incident.objects.all()), [still_open])

    def test_the_age_follows_the_clock(self) -> None:
        self.make_object("old", Phase.PROCESSED, 0)
        with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1), tick=False):
            self.assertEqual(purge_old_records()["objects"], 1)


class TranscriptAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.operator)
        self.session = Session.objects.create(
            connection=self.connection, ticket_hash=hash_ticket("t"), status="closed"
        )
        sent = timezone.now()
        self.message = Message.objects.create(
            session=self.session,
            number=1,
            status=Message.Status.ANSWERED,
            request_xml=REQUEST_XML,
            response_xml=RESPONSE_XML,
            sent_at=sent,
            answered_at=sent + timedelta(milliseconds=1500),
        )
        self.obj = QueuedObject.objects.create(
            connection=self.connection, object_type="customers", identity="Jo", payload={}
        )
        Request.objects.create(
            message=self.message,
            queued_object=self.obj,
            request_id="7",
            kind="lookup",
            request_tag="CustomerQueryRq",
            status_code=500,
        )

    def test_the_session_page_shows_each_round_with_timings(self) -> None:
        page = self.client.get(f"/admin/qbwc/session/{self.session.pk}/change/")

        self.assertContains(page, "Round 1")
        self.assertContains(page, "answered after 1.50 s")
        self.assertContains(page, "CustomerQueryRq#7 → 500")
        self.assertContains(page, "  &lt;CustomerQueryRq requestID=&quot;7&quot;&gt;")
        self.assertNotContains(page, self.session.ticket_hash)

    def test_the_object_page_shows_its_own_request_and_answer(self) -> None:
        page = self.client.get(f"/admin/objects/queuedobject/{self.obj.pk}/change/")

        self.assertContains(page, "&lt;CustomerQueryRq requestID=&quot;7&quot;&gt;")
        self.assertContains(page, "The query request has not been fully completed.")


class SessionExpiryTaskTestCase(BaseTestCase):
    def test_it_expires_a_session_only_once_it_is_idle_past_the_limit(self) -> None:
        t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        session = Session.objects.create(
            connection=self.connection, ticket_hash=hash_ticket("t"), last_call_at=t0
        )
        with time_machine.travel(t0 + timedelta(minutes=10), tick=False):
            self.assertEqual(expire_sessions(), 0)
        with time_machine.travel(t0 + timedelta(minutes=10, seconds=1), tick=False):
            self.assertEqual(expire_sessions(), 1)
            self.assertEqual(expire_sessions(), 0)  # a second worker finds nothing to do
        session.refresh_from_db()
        self.assertEqual(session.status, Session.Status.EXPIRED)
