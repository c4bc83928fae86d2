"""The Web Connector SOAP endpoint: wire shape, sessions, tickets and hostile input."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import cast
from urllib.parse import urlsplit

from django.db import connections
from django.test import Client, TransactionTestCase
from django.utils import timezone
from lxml import etree

from connections.models import Connection
from objects.models import Phase, QueuedObject
from qbsync.test import (
    QBWC_PASSWORD,
    BaseTestCase,
    make_connection,
    require_postgresql,
    shared_file,
)
from qbwc import loop
from qbwc.models import Session, hash_ticket
from qbwc.simulator.webconnector import FakeWebConnector, Transport, build_envelope

URL = "https://testserver/qbwc/"
NS = "http://developer.intuit.com/"


class NoQuickBooks:
    def process(self, request_xml: str) -> tuple[str, str, str]:
        raise AssertionError("no QuickBooks in this test")

    def hcp_response(self, version: str = "13.0") -> str:
        return ""

    def new_session(self) -> None:
        return None


def client_transport(client: Client) -> Transport:
    def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.post(
            path,
            body,
            content_type=headers["Content-Type"],
            HTTP_SOAPACTION=headers.get("SOAPAction", ""),
            secure=True,
        )
        return response.status_code, response["Content-Type"], response.content

    return send


class SilentQuickBooks(NoQuickBooks):
    """A company file that opens but is never asked anything."""

    def hcp_response(self, version: str = "13.0") -> str:
        return ""


class SoapTestCase(BaseTestCase):
    def connector(self, username: str = "acme-qbd", url: str = URL) -> FakeWebConnector:
        return FakeWebConnector(
            url, username, QBWC_PASSWORD, NoQuickBooks(), transport=client_transport(self.client)
        )

    def queue_customer(
        self, connection: Connection | None = None, name: str = "Jo"
    ) -> QueuedObject:
        return QueuedObject.objects.create(
            connection=connection or self.connection,
            object_type="customers",
            identity=name,
            payload={"name": name},
        )

    def login(self, username: str = "acme-qbd") -> str:
        auth = cast(
            list[str],
            self.connector(username).call(
                "authenticate", strUserName=username, strPassword=QBWC_PASSWORD
            ),
        )
        self.assertEqual(auth[1], "", auth)
        return auth[0]

    def send(self, ticket: str, username: str = "acme-qbd") -> str:
        return cast(
            str,
            self.connector(username).call(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse="",
                strCompanyFileName="C:\\a.QBW",
                qbXMLCountry="US",
                qbXMLMajorVers=13,
                qbXMLMinorVers=0,
            ),
        )


class WireTestCase(SoapTestCase):
    def test_it_serves_a_wsdl_with_every_operation_of_intuits(self) -> None:
        ours = etree.fromstring(self.client.get("/qbwc/?wsdl").content)
        intuit = etree.parse(str(shared_file("qbwc.wsdl")))
        wsdl = "{http://schemas.xmlsoap.org/wsdl/}"

        def operations(doc: etree._ElementTree | etree._Element) -> set[str | None]:
            return {op.get("name") for op in doc.iter(f"{wsdl}operation")}

        self.assertLessEqual(operations(intuit), operations(ours))
        self.assertEqual(ours.get("targetNamespace"), NS)

    def test_it_answers_authenticate_with_strings_in_the_intuit_namespace(self) -> None:
        body = build_envelope("authenticate", {"strUserName": "acme-qbd", "strPassword": "nope"})

        response = self.client.post("/qbwc/", body, content_type="text/xml; charset=utf-8")

        root = etree.fromstring(response.content)
        strings = root.findall(f".//{{{NS}}}authenticateResult/{{{NS}}}string")
        self.assertEqual([len(strings[0].text or ""), strings[1].text], [32, "nvu"])
        self.assertEqual(response["Content-Type"], "text/xml; charset=utf-8")

    def test_it_never_answers_send_request_xml_with_nil(self) -> None:
        response = self.client.post(
            "/qbwc/",
            build_envelope(
                "sendRequestXML",
                {
                    "ticket": "unknown",
                    "strHCPResponse": "",
                    "strCompanyFileName": "",
                    "qbXMLCountry": "US",
                    "qbXMLMajorVers": 13,
                    "qbXMLMinorVers": 0,
                },
            ),
            content_type="text/xml; charset=utf-8",
        )

        result = etree.fromstring(response.content).find(f".//{{{NS}}}sendRequestXMLResult")
        self.assertIsNotNone(result)
        self.assertIsNone(result.get("{http://www.w3.org/2001/XMLSchema-instance}nil"))

    def test_it_refuses_an_entity_expansion_payload_without_expanding_it(self) -> None:
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<authenticate xmlns="{NS}"><strUserName>&lol3;</strUserName><strPassword>x</strPassword>'
            "</authenticate></soap:Body></soap:Envelope>"
        )

        response = self.client.post("/qbwc/", bomb, content_type="text/xml; charset=utf-8")

        self.assertEqual(response.status_code, 400)
        self.assertIn(b"DOCTYPE and entity declarations are not allowed", response.content)
        self.assertNotIn(b"lollol", response.content)

    def test_it_answers_malformed_xml_with_a_precise_client_fault(self) -> None:
        response = self.client.post("/qbwc/", b"<soap:Envelope", content_type="text/xml")

        self.assertEqual(response.status_code, 400)
        self.assertIn(b"Malformed XML in the SOAP request", response.content)

    def test_it_asks_old_web_connectors_to_upgrade(self) -> None:
        self.assertEqual(loop.client_version_reply("2.0.0.116"), "O:2.1.0.30")
        self.assertEqual(loop.client_version_reply("2.3.0.215"), "")


class SessionTestCase(SoapTestCase):
    def authenticate(self) -> list[str]:
        return cast(
            list[str],
            self.connector().call(
                "authenticate", strUserName="acme-qbd", strPassword=QBWC_PASSWORD
            ),
        )

    def test_it_answers_busy_while_a_call_of_the_live_session_is_being_processed(self) -> None:
        self.queue_customer()
        self.login()
        self.assertTrue(Session.objects.get().begin_call())

        auth = self.authenticate()

        self.assertEqual(auth[1:], ["busy", "60"])
        self.assertEqual(Session.objects.get().status, Session.Status.ACTIVE)

    def test_it_takes_over_a_live_session_once_its_call_has_been_answered(self) -> None:
        obj = self.queue_customer()
        self.send(self.login())

        auth = self.authenticate()

        obj.refresh_from_db()
        self.assertEqual(auth[1], "")
        self.assertEqual(
            list(Session.objects.values_list("status", flat=True).order_by("id")),
            ["expired", "active"],
        )
        self.assertIn("authenticated again", Session.objects.order_by("id")[0].last_error)
        self.assertEqual(obj.phase, Phase.PENDING)
        self.assertTrue(
            obj.events.filter(
                to_phase=Phase.PENDING, reason__contains="ended before QuickBooks answered"
            ).exists()
        )

    def test_it_takes_over_a_session_whose_call_died_mid_way(self) -> None:
        self.queue_customer()
        self.login()
        Session.objects.update(call_started_at=timezone.now() - timedelta(minutes=30))

        auth = self.authenticate()

        self.assertEqual(auth[1], "")

    def test_it_answers_a_call_of_a_session_taken_over_as_expired(self) -> None:
        self.queue_customer()
        old = self.login()
        self.login()

        self.assertEqual(self.send(old), "")
        self.assertEqual(
            self.connector().call("getLastError", ticket=old),
            ("the Web Connector authenticated again; this session's run was abandoned"),
        )

    def test_it_takes_over_a_session_idle_past_the_limit(self) -> None:
        self.queue_customer()
        self.login()
        Session.objects.update(last_call_at=timezone.now() - timedelta(minutes=30))

        self.login()

        self.assertEqual(
            list(Session.objects.values_list("status", flat=True).order_by("id")),
            ["expired", "active"],
        )

    def test_it_refuses_a_ticket_used_at_another_connections_app_url(self) -> None:
        other = make_connection("other")
        self.queue_customer(other, "Other's customer")
        self.queue_customer()
        ticket = self.login()
        connector = self.connector(url="https://testserver/qbwc/other/")

        request = connector.call(
            "sendRequestXML",
            ticket=ticket,
            strHCPResponse="",
            strCompanyFileName="",
            qbXMLCountry="US",
            qbXMLMajorVers=13,
            qbXMLMinorVers=0,
        )
        progress = connector.call(
            "receiveResponseXML", ticket=ticket, response="<QBXML/>", hresult="", message=""
        )
        error = cast(str, connector.call("getLastError", ticket=ticket))

        self.assertEqual((request, progress), ("", -1))
        self.assertIn("AppURL (/qbwc/other/) does not match the connection of its ticket", error)
        self.assertIn("(acme)", error)
        session = Session.objects.get()
        self.assertEqual((session.status, session.round_trips), (Session.Status.ACTIVE, 0))
        # Nothing was claimed or ended: at its own AppURL the ticket is served as before.
        self.assertIn("<FullName>Jo</FullName>", self.send(ticket))

    def test_it_refuses_inside_the_protocol_a_qwc_whose_app_url_names_another_connection(
        self,
    ) -> None:
        make_connection("other")
        obj = self.queue_customer()
        connector = self.connector(url="https://testserver/qbwc/other/")
        connector.quickbooks = SilentQuickBooks()

        result = connector.run()

        obj.refresh_from_db()
        self.connection.refresh_from_db()
        self.assertEqual(result.round_trips, 0)
        self.assertIn("does not match the connection of its ticket (acme)", result.last_error)
        self.assertEqual(obj.phase, Phase.PENDING)
        self.assertFalse(obj.events.exists())
        # Nothing syncs through this .qwc: the health monitor must not count it as contact.
        self.assertIsNone(self.connection.last_contact_at)

    def test_it_serves_a_ticket_at_its_own_connections_app_url(self) -> None:
        self.queue_customer()
        connector = self.connector(url="https://testserver/qbwc/acme/")
        ticket = cast(
            list[str],
            connector.call("authenticate", strUserName="acme-qbd", strPassword=QBWC_PASSWORD),
        )[0]

        request = cast(
            str,
            connector.call(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse="",
                strCompanyFileName="",
                qbXMLCountry="US",
                qbXMLMajorVers=13,
                qbXMLMinorVers=0,
            ),
        )

        self.assertIn("<FullName>Jo</FullName>", request)

    def test_it_never_lets_one_connections_ticket_answer_anothers_requests(self) -> None:
        other = make_connection("other")
        victim = self.queue_customer(other, "Victim")
        self.queue_customer()
        their_request = self.send(self.login("other-qbd"), "other-qbd")
        their_id = (
            etree.fromstring(their_request.split("?>", 2)[2].encode())
            .find(".//CustomerQueryRq")
            .get("requestID")
        )
        forged = (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
            f'<CustomerQueryRs requestID="{their_id}" statusCode="1" statusSeverity="Info" statusMessage="none"/>'
            "</QBXMLMsgsRs></QBXML>"
        )
        mine = self.login()
        self.send(mine)

        self.connector().call(
            "receiveResponseXML", ticket=mine, response=forged, hresult="", message=""
        )

        victim.refresh_from_db()
        self.assertEqual((victim.phase, victim.edit_sequence), (Phase.IN_PROGRESS, ""))
        self.assertTrue(victim.claimed_by.startswith("session:"))
        self.assertFalse(victim.events.filter(to_phase=Phase.READY).exists())

    def test_it_answers_an_unknown_ticket_inside_the_protocol(self) -> None:
        connector = self.connector()

        self.assertEqual(self.send("no-such-ticket"), "")
        self.assertEqual(
            connector.call(
                "receiveResponseXML", ticket="no-such-ticket", response="", hresult="", message=""
            ),
            -1,
        )
        self.assertEqual(connector.call("getLastError", ticket="no-such-ticket"), "Session expired")
        self.assertEqual(
            connector.call(
                "connectionError", ticket="no-such-ticket", hresult="0x80040408", message="x"
            ),
            "done",
        )
        self.assertEqual(connector.call("closeConnection", ticket="no-such-ticket"), "OK")

    def test_it_records_why_quickbooks_could_not_be_opened(self) -> None:
        self.queue_customer()
        ticket = self.login()

        reply = self.connector().call(
            "connectionError",
            ticket=ticket,
            hresult="0x80040414",
            message="A modal dialog box is showing",
        )

        self.connection.refresh_from_db()
        self.assertEqual((reply, self.connection.last_error_hresult), ("done", "0x80040414"))
        self.assertEqual(Session.objects.get().status, Session.Status.FAILED)

    def test_it_explains_through_get_last_error_that_only_us_editions_work(self) -> None:
        self.queue_customer()
        ticket = self.login()
        connector = self.connector()

        request = connector.call(
            "sendRequestXML",
            ticket=ticket,
            strHCPResponse="",
            strCompanyFileName="",
            qbXMLCountry="CA",
            qbXMLMajorVers=13,
            qbXMLMinorVers=0,
        )

        self.assertEqual(request, "")
        self.assertIn("US editions", cast(str, connector.call("getLastError", ticket=ticket)))

    def test_it_releases_objects_when_quickbooks_answer_is_garbage(self) -> None:
        obj = self.queue_customer()
        ticket = self.login()
        self.send(ticket)

        progress = self.connector().call(
            "receiveResponseXML", ticket=ticket, response="<not-qbxml", hresult="", message=""
        )

        obj.refresh_from_db()
        self.assertIsInstance(progress, int)
        self.assertEqual(obj.phase, Phase.PENDING)

    def test_it_expires_stale_sessions_and_releases_what_they_held(self) -> None:
        obj = self.queue_customer()
        self.send(self.login())
        Session.objects.update(last_call_at=timezone.now() - timedelta(minutes=30))

        ended = loop.expire_stale_sessions()

        obj.refresh_from_db()
        self.assertEqual((ended, obj.phase), (1, Phase.PENDING))
        self.assertEqual(Session.objects.get().status, Session.Status.EXPIRED)
        self.assertTrue(
            obj.events.filter(reason__contains="ended before QuickBooks answered").exists()
        )


class TakeOverRaceTestCase(TransactionTestCase):
    """A callback and a new authenticate racing for one session (PostgreSQL)."""

    def test_it_lets_exactly_one_of_a_call_and_a_take_over_win(self) -> None:
        require_postgresql("concurrent conditional updates need PostgreSQL")
        connection = make_connection("acme")
        for attempt in range(20):
            session = Session.objects.create(connection=connection, ticket_hash=f"{attempt:064}")

            self.assertEqual(sorted(race(session.pk).values()), [False, True])

    def test_it_lets_exactly_one_of_a_one_statement_call_and_a_take_over_win(self) -> None:
        require_postgresql("concurrent conditional updates need PostgreSQL")
        connection = make_connection("acme")
        for attempt in range(20):
            ticket = f"ticket-{attempt}"
            session = Session.objects.create(connection=connection, ticket_hash=hash_ticket(ticket))

            def call(_: Session, ticket: str = ticket) -> bool:
                return Session.objects.begin_call(ticket, "acme") is not None

            self.assertEqual(sorted(race(session.pk, call).values()), [False, True])


def race(pk: int, call: Callable[[Session], bool] = Session.begin_call) -> dict[str, bool]:
    """A callback's begin (`call`) and take_over() of one session at the same moment, each
    on its own database connection; returns who won."""
    barrier = threading.Barrier(2)
    done = threading.Barrier(2)
    won: dict[str, bool] = {}

    def run(name: str) -> None:
        try:
            barrier.wait()
            mine = Session.objects.select_related("connection").get(pk=pk)
            won[name] = call(mine) if name == "call" else mine.take_over()
        finally:
            # The call's database connection stays open until both are done: a closed
            # one is what a killed web process looks like, and take_over() rightly ends
            # a session whose call is served by no live backend.
            done.wait()
            connections.close_all()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("call", "take")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won
