"""The fake Web Connector's sessions and transcripts against a scripted SOAP stub."""

from __future__ import annotations

from django.test import SimpleTestCase

from qbwc.tests.webconnector_helpers import (
    HAPPY_OPS,
    PASSWORD,
    REQUEST_1,
    REQUEST_2,
    TICKET,
    ScriptedServer,
    Seq,
    StubQuickBooks,
    make_connector,
)


class SessionTestCase(SimpleTestCase):
    def test_it_completes_a_session_with_progress_50_then_100(self) -> None:
        server = ScriptedServer()
        quickbooks = StubQuickBooks()
        result = make_connector(server, quickbooks).run()
        self.assertEqual(server.ops, HAPPY_OPS)
        self.assertEqual(result.progress, [50, 100])
        self.assertTrue(result.completed)
        self.assertEqual(result.round_trips, 2)
        self.assertEqual(result.requests, [REQUEST_1, REQUEST_2])
        self.assertEqual(len(result.responses), 2)
        self.assertEqual(result.server_version, "qbsync-test 0.0")
        self.assertEqual(result.auth, [TICKET, ""])
        self.assertEqual(result.close_text, "Complete!")
        self.assertEqual(result.last_error, "")
        self.assertEqual(quickbooks.sessions, 1)
        self.assertEqual([call.op for call in result.calls], HAPPY_OPS)
        self.assertTrue(all(call.http_status == 200 for call in result.calls))

    def test_it_stops_after_authenticate_for_nvu_none_and_busy(self) -> None:
        for status in ("nvu", "none", "busy"):
            with self.subTest(status=status):
                server = ScriptedServer(authenticate=["d41d8cd98f00b204", status, "60", "300"])
                quickbooks = StubQuickBooks()
                result = make_connector(server, quickbooks).run()
                self.assertEqual(server.ops, ["serverVersion", "clientVersion", "authenticate"])
                self.assertEqual(result.auth, ["d41d8cd98f00b204", status, "60", "300"])
                self.assertFalse(result.completed)
                self.assertEqual(quickbooks.sessions, 0)

    def test_it_opens_the_company_file_named_by_authenticate(self) -> None:
        path = r"C:\Company Files\acme.QBW"
        server = ScriptedServer(authenticate=[TICKET, path])
        make_connector(server).run()
        self.assertEqual(server.sent("sendRequestXML")[0].params["strCompanyFileName"], path)

    def test_it_continues_after_a_client_version_warning_by_default(self) -> None:
        server = ScriptedServer(clientVersion="W:Please upgrade soon")
        result = make_connector(server).run()
        self.assertTrue(result.completed)
        self.assertEqual(result.client_version_reply, "W:Please upgrade soon")

    def test_it_stops_on_a_declined_warning_an_error_or_an_upgrade(self) -> None:
        for reply, continue_on_warning in (
            ("W:Please upgrade soon", False),
            ("E:Not supported", True),
            ("O:2.1.0.30", True),
        ):
            with self.subTest(reply=reply):
                server = ScriptedServer(clientVersion=reply)
                connector = make_connector(server, continue_on_warning=continue_on_warning)
                result = connector.run()
                self.assertEqual(server.ops, ["serverVersion", "clientVersion"])
                self.assertEqual(result.client_version_reply, reply)

    def test_it_pauses_on_noop_and_asks_again(self) -> None:
        server = ScriptedServer(
            sendRequestXML=Seq("", "", REQUEST_1), getLastError="NoOp", receiveResponseXML=100
        )
        result = make_connector(server, noop_sleep=0.0).run()
        self.assertEqual(
            server.ops[3:],
            [
                "sendRequestXML",
                "getLastError",
                "sendRequestXML",
                "getLastError",
                "sendRequestXML",
                "receiveResponseXML",
                "closeConnection",
            ],
        )
        self.assertEqual(result.round_trips, 1)
        self.assertTrue(result.completed)

    def test_it_closes_when_get_last_error_returns_a_message(self) -> None:
        server = ScriptedServer(sendRequestXML="", getLastError="Company file changed")
        result = make_connector(server).run()
        self.assertEqual(server.ops[3:], ["sendRequestXML", "getLastError", "closeConnection"])
        self.assertEqual(result.last_error, "Company file changed")
        self.assertFalse(result.completed)

    def test_it_reports_negative_progress_through_get_last_error(self) -> None:
        server = ScriptedServer(receiveResponseXML=-101, getLastError="Session expired")
        result = make_connector(server).run()
        self.assertEqual(
            server.ops[3:],
            ["sendRequestXML", "receiveResponseXML", "getLastError", "closeConnection"],
        )
        self.assertEqual(result.progress, [-101])
        self.assertEqual(result.last_error, "Session expired")
        self.assertEqual(result.close_text, "Complete!")
        self.assertFalse(result.completed)

    def test_it_passes_a_quickbooks_hresult_to_receive_response_xml(self) -> None:
        server = ScriptedServer(receiveResponseXML=100)
        quickbooks = StubQuickBooks("0x80040400", "QuickBooks found an error when parsing")
        make_connector(server, quickbooks).run()
        self.assertEqual(
            server.sent("receiveResponseXML")[0].params,
            {
                "ticket": TICKET,
                "response": "",
                "hresult": "0x80040400",
                "message": "QuickBooks found an error when parsing",
            },
        )

    def test_it_reports_an_open_failure_and_stops_on_done(self) -> None:
        server = ScriptedServer(connectionError="DONE", getLastError="QuickBooks is not running")
        quickbooks = StubQuickBooks()
        result = make_connector(
            server, quickbooks, open_failure=("0x80040408", "Could not start QuickBooks.")
        ).run()
        self.assertEqual(server.ops[3:], ["connectionError", "getLastError", "closeConnection"])
        self.assertEqual(
            server.sent("connectionError")[0].params,
            {"ticket": TICKET, "hresult": "0x80040408", "message": "Could not start QuickBooks."},
        )
        self.assertEqual(result.last_error, "QuickBooks is not running")
        self.assertEqual(quickbooks.processed, [])
        self.assertFalse(result.completed)

    def test_it_caps_open_retries_at_three(self) -> None:
        server = ScriptedServer(connectionError="")
        make_connector(server, open_failure=("0x80040414", "A modal dialog box is showing")).run()
        self.assertEqual(server.ops.count("connectionError"), 4)  # first try + 3 retries
        self.assertEqual(server.ops[-2:], ["getLastError", "closeConnection"])


class TranscriptTestCase(SimpleTestCase):
    def test_it_masks_the_password(self) -> None:
        result = make_connector(ScriptedServer()).run()
        transcript = result.transcript()
        self.assertNotIn(PASSWORD, transcript)
        self.assertIn("strPassword = '***'", transcript)
        self.assertNotIn(PASSWORD, repr(result.calls))

    def test_it_lists_every_call_with_status_and_result(self) -> None:
        result = make_connector(ScriptedServer()).run()
        transcript = result.transcript()
        for number, op in enumerate(HAPPY_OPS, start=1):
            self.assertIn(f"[{number}] {op}  HTTP 200", transcript)
        self.assertIn("-> 'Complete!'", transcript)
        self.assertIn("-> 50", transcript)

    def test_it_truncates_long_values(self) -> None:
        long_request = REQUEST_1.replace("<QBXML>", "<QBXML>" + " " * 2000)
        result = make_connector(
            ScriptedServer(sendRequestXML=long_request, receiveResponseXML=100)
        ).run()
        self.assertTrue(all(len(line) < 400 for line in result.transcript().splitlines()))
        self.assertIn("chars)", result.transcript())
