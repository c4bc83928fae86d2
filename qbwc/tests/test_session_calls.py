"""What a Web Connector callback costs on its session, and that the cheap path into a call
(SessionQuerySet.begin_call) refuses what the careful one does."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.db import connection as db
from django.test import Client, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import Connection
from objects.models import Phase, QueuedObject
from qbsync.test import QBWC_PASSWORD, make_connection, require_postgresql
from qbwc import loop
from qbwc.models import Session, serving_db_pid
from qbwc.simulator.quickbooks import FakeQuickBooks
from qbwc.simulator.webconnector import FakeWebConnector, Transport
from qbwc.tests.test_soap import URL, SoapTestCase, client_transport

# A complete update that adds one new customer (serverVersion … closeConnection), as
# measured when a callback's begin and end became one statement each (issue 14): each
# callback pays for these, so a change that adds some should say why in its commit.
STATEMENTS_PER_UPDATE = 79


class FoldedCallTestCase(SoapTestCase):
    """SessionQuerySet.begin_call: what it must leave to the careful path in _begin()."""

    def setUp(self) -> None:
        super().setUp()
        require_postgresql("the one-statement path into a call is PostgreSQL's")
        self.queue_customer()
        self.ticket = self.login()
        self.session = Session.objects.get()

    def row(self) -> tuple[object, ...]:
        return Session.objects.values_list(
            "status", "last_call_at", "call_started_at", "call_db_pid"
        ).get(pk=self.session.pk)

    def contact(self, connection: Connection | None = None) -> object:
        return Connection.objects.get(pk=(connection or self.connection).pk).last_contact_at

    def test_it_begins_a_call_of_a_live_session_with_one_statement(self) -> None:
        serving_db_pid()  # asked once per database connection, see below

        with CaptureQueriesContext(db) as statements:
            session = Session.objects.begin_call(self.ticket, "acme")
            assert session is not None
            name = session.connection.connection_id

        self.assertEqual(len(statements), 1, [q["sql"] for q in statements])
        self.assertEqual((session.pk, name), (self.session.pk, "acme"))
        self.assertTrue(session.is_in_call)
        status, last_call, started, pid = self.row()
        self.assertEqual((status, last_call, started, pid), ("active", started, started, pid))
        self.assertEqual(session.call_started_at, started)
        self.assertEqual(pid, serving_db_pid())
        self.assertEqual(self.contact(), started)

    def test_it_refuses_a_session_idle_past_the_limit_and_the_call_expires_it(self) -> None:
        idle = timezone.now() - timedelta(minutes=30)
        Session.objects.update(last_call_at=idle)
        contact = self.contact()

        self.assertIsNone(Session.objects.begin_call(self.ticket, None))
        self.assertEqual(self.row(), ("active", idle, None, None))
        self.assertEqual(self.contact(), contact)

        self.assertEqual(self.send(self.ticket), "")
        self.assertEqual(Session.objects.get().status, Session.Status.EXPIRED)
        self.assertEqual(self.contact(), contact)

    def test_it_refuses_a_closed_session(self) -> None:
        self.connector().call("closeConnection", ticket=self.ticket)
        before, contact = self.row(), self.contact()

        self.assertIsNone(Session.objects.begin_call(self.ticket, None))
        self.assertEqual(self.send(self.ticket), "")
        self.assertEqual(self.row(), before)
        self.assertEqual(before[0], Session.Status.CLOSED)
        self.assertEqual(self.contact(), contact)

    def test_it_refuses_a_ticket_at_another_connections_app_url_touching_neither(self) -> None:
        other = make_connection("other")
        before, contact = self.row(), self.contact()

        self.assertIsNone(Session.objects.begin_call(self.ticket, "other"))
        self.assertIsNone(Session.objects.begin_call(self.ticket, "no-such-connection"))
        self.assertEqual(self.row(), before)
        self.assertEqual((self.contact(), self.contact(other)), (contact, None))

    def test_it_refuses_an_unknown_ticket(self) -> None:
        self.assertIsNone(Session.objects.begin_call("no-such-ticket", None))

    def test_it_asks_postgresql_for_its_backend_pid_once_per_connection(self) -> None:
        first = serving_db_pid()

        with CaptureQueriesContext(db) as statements:
            again = serving_db_pid()

        self.assertEqual((again, len(statements)), (first, 0))
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.assertEqual(cursor.fetchone(), (first,))


class CallCostTestCase(TransactionTestCase):
    """Statements of whole callbacks, with transactions as in production (no test-case
    transaction around them)."""

    def setUp(self) -> None:
        require_postgresql("the one-statement path into a call is PostgreSQL's")
        self.connection = make_connection("acme")
        QueuedObject.objects.create(
            connection=self.connection,
            object_type="customers",
            identity="Jo",
            payload={"name": "Jo"},
        )
        self.calls: list[tuple[str, list[str]]] = []

    def counting(self, transport: Transport) -> Transport:
        def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
            with CaptureQueriesContext(db) as statements:
                answer = transport(url, body, headers)
            op = headers["SOAPAction"].strip('"').rsplit("/", 1)[-1]
            self.calls.append((op, [q["sql"] for q in statements]))
            return answer

        return send

    def run_update(self) -> FakeWebConnector:
        connector = FakeWebConnector(
            URL,
            "acme-qbd",
            QBWC_PASSWORD,
            FakeQuickBooks(),
            transport=self.counting(client_transport(Client())),
        )
        result = connector.run()
        self.assertTrue(result.completed, result.transcript())
        return connector

    def test_it_spends_two_statements_of_a_callback_on_its_session(self) -> None:
        self.run_update()

        served = [(op, sql) for op, sql in self.calls if op.endswith("XML")]
        self.assertEqual(
            [op for op, _ in served],
            ["sendRequestXML", "receiveResponseXML"] * 2,
        )
        for op, statements in served:
            on_session = [s for s in statements if '"qbwc_session"' in s]
            # Begin (read, mark, touch the connection) and end (mark cleared, what the
            # call recorded written), nothing else on the session's row.
            self.assertEqual(len(on_session), 2, (op, on_session))
            touch = 'UPDATE "connections_connection" SET "last_contact_at"'
            touches = [s for s in statements if s.startswith(touch)]
            self.assertEqual(touches, [], op)
        # The backend pid is asked once per database connection, not once per call.
        pids = [s for _, statements in served for s in statements if "pg_backend_pid" in s]
        self.assertLessEqual(len(pids), 1)

    def test_it_runs_a_whole_update_within_its_statement_budget(self) -> None:
        self.run_update()

        total = sum(len(statements) for _, statements in self.calls)
        self.assertLessEqual(total, STATEMENTS_PER_UPDATE, [op for op, _ in self.calls])
        self.assertEqual(QueuedObject.objects.get().phase, Phase.PROCESSED)

    def test_it_leaves_a_session_takeable_and_its_records_written_after_each_call(
        self,
    ) -> None:
        self.run_update()

        session = Session.objects.get()
        self.assertEqual(
            (session.status, session.call_started_at, session.call_db_pid),
            (Session.Status.CLOSED, None, None),
        )
        self.assertEqual((session.round_trips, session.requests_answered), (2, 2))
        self.assertEqual((session.progress, session.qbxml_version), (100, "13.0"))

    def test_it_ends_a_send_request_xml_call_before_answering(self) -> None:
        connector = FakeWebConnector(
            URL, "acme-qbd", QBWC_PASSWORD, FakeQuickBooks(), transport=client_transport(Client())
        )
        auth = cast(
            list[str],
            connector.call("authenticate", strUserName="acme-qbd", strPassword=QBWC_PASSWORD),
        )
        loop.send_request(auth[0], "", "", "US", 13, 0)
        session = Session.objects.get()
        self.assertEqual((session.round_trips, session.call_started_at), (1, None))

        # So a new authenticate takes the session over at once instead of answering busy.
        again = loop.authenticate("acme-qbd", QBWC_PASSWORD)

        self.assertEqual(again[1], "")
        self.assertEqual(
            list(Session.objects.values_list("status", flat=True).order_by("id")),
            [Session.Status.EXPIRED, Session.Status.ACTIVE],
        )
