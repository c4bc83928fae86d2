"""The double's gateway: 401/403/404, minorversion, intuit_tid, 429 and 5xx injection, limits,
and requestid replay (spec §9-§11, §14.5-§14.15)."""

from __future__ import annotations

import http.client
import threading

from qbo.double import Limits
from qbo.tests.helpers import Answer, DoubleTestCase


class GatewayTestCase(DoubleTestCase):
    def test_it_answers_401_with_the_lower_case_fault_body(self) -> None:
        self.qbo.expire_access_tokens()
        answer = self.call("GET", f"companyinfo/{self.realm}")
        self.assertEqual(answer.status, 401)
        fault = answer.body["fault"]
        self.assertEqual((fault["type"], fault["error"][0]["code"]), ("AUTHENTICATION", "3200"))
        self.assertTrue(fault["error"][0]["detail"].startswith("Token expired"))
        self.assertIsInstance(answer.body["time"], int)
        self.assertIn("intuit_tid", answer.headers)

    def test_it_answers_401_for_an_unknown_token(self) -> None:
        self.assertEqual(self.call("GET", f"companyinfo/{self.realm}", token="nope").status, 401)

    def test_it_answers_403_3100_for_another_realms_token_and_404_for_an_unknown_realm(
        self,
    ) -> None:
        self.qbo.add_company("123145", "Other")
        other = self.qbo.connect("123145")["access_token"]
        answer = self.call("GET", f"companyinfo/{self.realm}", token=other)
        self.assertEqual((answer.status, answer.codes()), (403, ["3100"]))
        self.assertEqual(self.call("GET", "companyinfo/1", realm="999").status, 404)

    def test_it_serves_every_minor_version_as_75_and_refuses_a_non_number(self) -> None:
        self.call("GET", f"companyinfo/{self.realm}", params={"minorversion": "62"})
        self.assertEqual(self.qbo.requests[-1].minor_version, 75)
        answer = self.call("GET", f"companyinfo/{self.realm}", params={"minorversion": "abc"})
        self.assertEqual(answer.status, 400)

    def test_it_puts_a_distinct_intuit_tid_on_every_answer(self) -> None:
        tids = {self.call("GET", "customer/404").headers["intuit_tid"] for _ in range(3)}
        self.assertEqual(len(tids), 3)
        self.assertEqual({r.intuit_tid for r in self.qbo.requests}, tids)

    def test_it_throttles_the_next_calls_on_request(self) -> None:
        self.qbo.inject_throttle(2, retry_after=60)
        first, second, third = (self.call("GET", f"companyinfo/{self.realm}") for _ in range(3))
        self.assertEqual([first.status, second.status, third.status], [429, 429, 200])
        self.assertEqual(first.codes(), ["3001"])
        self.assertEqual(first.headers["retry-after"], "60")

    def test_it_can_send_the_throttle_fault_as_xml(self) -> None:
        self.qbo.inject_throttle(1, as_xml=True)
        answer = self.call("GET", f"companyinfo/{self.realm}")
        self.assertEqual(answer.status, 429)
        self.assertIn(b'<Error code="3001"', answer.raw)
        self.assertNotIn("retry-after", answer.headers)

    def test_it_enforces_ten_calls_a_second_per_realm_and_app(self) -> None:
        self.qbo.gateway.limits = Limits()
        statuses = [self.call("GET", f"companyinfo/{self.realm}").status for _ in range(11)]
        self.assertEqual(statuses, [200] * 10 + [429])
        self.clock.advance(1)
        self.assertEqual(self.call("GET", f"companyinfo/{self.realm}").status, 200)

    def test_it_enforces_the_per_minute_budget(self) -> None:
        self.qbo.gateway.limits = Limits(per_minute=3)
        statuses = []
        for _ in range(4):
            statuses.append(self.call("GET", f"companyinfo/{self.realm}").status)
            self.clock.advance(2)
        self.assertEqual(statuses, [200, 200, 200, 429])

    def test_it_keeps_a_separate_budget_for_batches(self) -> None:
        self.qbo.gateway.limits = Limits(batch_per_minute=1)
        batch = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Customer"}]}
        self.assertEqual(self.call("POST", "batch", batch).status, 200)
        self.assertEqual(self.call("POST", "batch", batch).codes(), ["3001"])
        self.assertEqual(self.call("GET", f"companyinfo/{self.realm}").status, 200)
        self.clock.advance(60)
        self.assertEqual(self.call("POST", "batch", batch).status, 200)

    def test_it_refuses_more_concurrent_calls_than_the_limit(self) -> None:
        self.qbo.gateway.limits = Limits(concurrent=2)
        self.qbo.hold_requests()
        answers: list[Answer] = []
        held = [
            threading.Thread(
                target=lambda: answers.append(self.call("GET", f"companyinfo/{self.realm}"))
            )
            for _ in "ab"
        ]
        for thread in held:
            thread.start()
        while self.qbo.in_flight() < 2:
            threading.Event().wait(0.01)
        self.assertEqual(self.call("GET", f"companyinfo/{self.realm}").status, 429)
        self.qbo.release_requests()
        for thread in held:
            thread.join()
        self.assertEqual([a.status for a in answers], [200, 200])

    def test_it_injects_a_system_fault_before_writing(self) -> None:
        self.qbo.inject_server_error(1, status=503)
        answer = self.call("POST", "customer", {"DisplayName": "Amy"})
        self.assertEqual((answer.status, answer.codes()), (503, ["10000"]))
        self.assertEqual(self.qbo.entities(self.realm, "Customer"), [])

    def test_it_replays_a_requestid_without_writing_again(self) -> None:
        first = self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-1"})
        again = self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-1"})
        self.assertEqual((again.status, again.raw), (200, first.raw))
        self.assertNotEqual(again.headers["intuit_tid"], first.headers["intuit_tid"])
        self.assertEqual(len(self.qbo.entities(self.realm, "Customer")), 1)
        self.assertTrue(self.qbo.requests[-1].replayed)
        other = self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-2"})
        self.assertEqual(other.codes(), ["6240"])

    def test_it_replays_the_answer_of_a_write_that_failed_after_storing(self) -> None:
        self.qbo.inject_server_error(1, after_write=True)
        failed = self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-1"})
        self.assertEqual(failed.status, 500)
        retried = self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-1"})
        self.assertEqual(retried.status, 200)
        self.assertEqual(retried.body["Customer"]["Id"], "1")
        self.assertEqual(len(self.qbo.entities(self.realm, "Customer")), 1)

    def test_it_can_drop_the_connection_after_writing(self) -> None:
        self.qbo.inject_server_error(1, after_write=True, drop=True)
        with self.assertRaises(http.client.RemoteDisconnected):
            self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-1"})
        self.assertEqual(len(self.qbo.entities(self.realm, "Customer")), 1)
        retried = self.call("POST", "customer", {"DisplayName": "Amy"}, {"requestid": "r-1"})
        self.assertEqual((retried.status, retried.body["Customer"]["Id"]), (200, "1"))

    def test_it_replays_a_fault_for_the_same_requestid(self) -> None:
        first = self.call("POST", "customer", {"CompanyName": "No name"}, {"requestid": "r-9"})
        again = self.call("POST", "customer", {"DisplayName": "Now valid"}, {"requestid": "r-9"})
        self.assertEqual((again.status, again.raw), (400, first.raw))
        self.qbo.forget_request_ids()
        self.assertEqual(
            self.call(
                "POST", "customer", {"DisplayName": "Now valid"}, {"requestid": "r-9"}
            ).status,
            200,
        )

    def test_it_refuses_a_body_that_is_not_utf8(self) -> None:
        answer = self.call("POST", "customer", b'{"DisplayName": "\xff"}')
        self.assertEqual((answer.status, answer.codes()), (400, ["500"]))

    def test_it_counts_metered_reads(self) -> None:
        self.call("POST", "customer", {"DisplayName": "Amy"})
        self.call("GET", "customer/1")
        self.query("SELECT * FROM Customer")
        self.assertEqual(self.qbo.reads(), 2)
