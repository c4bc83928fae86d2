"""Property tests over the Web Connector SOAP surface (issue 16 item 15), over real HTTP.

Whatever arrives at /qbwc/: never a 5xx; a call the Web Connector could have sent gets an
answer it accepts (never a SOAP fault, which would end the user's whole run); a body it
never sends gets a 4xx SOAP fault saying what was wrong, and nothing is stored. The
generators (qbwc/tests/strategies.py) also draw a call in UTF-16, Latin-1 or with a BOM
(answered exactly as its UTF-8 original), a live ticket at another connection's AppURL
(issue 16 item 13) and bodies over QBWC_MAX_BODY_BYTES (item 12; a small limit keeps them
fast), each with its exact answer.
"""

from __future__ import annotations

import os

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.django import LiveServerTestCase
from hypothesis.strategies import SearchStrategy

from objects.models import QueuedObject
from qbsync.test import QBWC_PASSWORD, FixturesMixin, make_connection
from qbwc.dispatch import has_due_work
from qbwc.simulator.webconnector import build_envelope
from qbwc.tests.strategies import (
    HONEST,
    SHORT,
    QuickBooksAnswer,
    SoapCase,
    SoapProbe,
    malformed_bodies,
    mismatched_app_calls,
    oversized_calls,
    quickbooks_answers,
    reencoded_calls,
    stored_state,
    well_formed_calls,
    with_sent_ids,
)

# Bounded for CI (well under a minute on SQLite; QBSYNC_SOAP_EXAMPLES scales it up);
# bench/fuzz.py runs the long campaign against gunicorn.
SCALE = float(os.environ.get("QBSYNC_SOAP_EXAMPLES", "1"))
# Bodies over the limit stay small: every encoding of a padded call passes 16 KB.
SMALL_LIMIT = 16_384


def bounded(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class SoapPropertyTestCase(FixturesMixin, LiveServerTestCase):
    """Two tests run all their examples on one database, as a server meets them one after
    another (a flush per example would cost most of the time); the deep test gets a fresh
    database per example (hypothesis' LiveServerTestCase flushes after each)."""

    def setup_example(self) -> None:
        super().setup_example()  # type: ignore[no-untyped-call]
        self.start()

    def start(self) -> None:
        self.make_fixtures()
        # Another company with work of its own, for the AppURL that names it.
        self.other = make_connection("globex")
        QueuedObject.objects.create(
            connection=self.other,
            object_type="customers",
            identity="Globex",
            payload={"name": "Globex"},
        )
        self.queued = 0
        self.probe = SoapProbe(
            f"{self.live_server_url}/qbwc/",
            ("acme-qbd", QBWC_PASSWORD),
            self.queue_customer,
            stored_state,
            other_app="globex",
        )

    def queue_customer(self) -> None:
        # Something to do, so that authenticate opens a session (a 'none' opens none);
        # the same work each time while it is due, so two sessions answer alike.
        if has_due_work(self.connection):
            return
        self.queued += 1
        QueuedObject.objects.create(
            connection=self.connection,
            object_type="customers",
            identity=f"Property {self.queued}",
            payload={"name": f"Property {self.queued}"},
        )

    def assert_holds(self, cases: SearchStrategy[SoapCase], examples: int) -> None:
        """The property over `examples` cases, one after another on this database."""
        self.start()

        @bounded(examples)
        @given(cases)
        def holds(case: SoapCase) -> None:
            outcome = self.probe.check(case)

            self.assertEqual(outcome.failure, "", case)

        holds()

    def test_it_answers_every_well_formed_call_inside_the_protocol(self) -> None:
        self.assert_holds(well_formed_calls(), 150)

    def test_it_refuses_every_malformed_body_with_a_client_fault_and_stores_nothing(self) -> None:
        self.assert_holds(malformed_bodies(), 200)

    def test_it_answers_every_re_encoded_call_exactly_like_its_utf_8_original(self) -> None:
        self.assert_holds(reencoded_calls(), 30)

    def test_it_answers_a_ticket_at_another_connections_app_url_and_touches_nothing(
        self,
    ) -> None:
        self.assert_holds(mismatched_app_calls(), 30)

    @override_settings(QBWC_MAX_BODY_BYTES=SMALL_LIMIT)
    def test_it_answers_every_body_over_the_limit_inside_the_protocol_and_keeps_none(
        self,
    ) -> None:
        # Django's test server reads no chunked body (bench/fuzz.py sends those to gunicorn).
        self.assert_holds(oversized_calls(SMALL_LIMIT, lengths=(HONEST, SHORT)), 30)

    @bounded(30)
    @given(quickbooks_answers())
    def test_it_answers_any_quickbooks_answer_to_a_request_it_sent(
        self, answer: QuickBooksAnswer
    ) -> None:
        # The deep path: a session has a message outstanding, then receiveResponseXML
        # brings arbitrary qbXML (sometimes answering the very request ids that were sent)
        # or an HRESULT refusing the whole message.
        ticket, sent_ids = self.probe.open_request()
        response, hresult, message = answer
        case = self.probe.answer_case(ticket, (with_sent_ids(response, sent_ids), hresult, message))

        outcome = self.probe.check(case)

        self.assertTrue(sent_ids)
        self.assertEqual(outcome.failure, "", answer)

    def test_it_refuses_a_body_with_two_operations_instead_of_running_the_first(self) -> None:
        # Found by the malformed-body property: spyne ran the first and dropped the second.
        self.start()
        one = build_envelope("closeConnection", {"ticket": "t"})
        head, tail = one.split(b"</soap:Body>")
        second = b'<serverVersion xmlns="http://developer.intuit.com/"/>'
        case = SoapCase("closeConnection", head + second + b"</soap:Body>" + tail, False, "two")

        status, _, body = self.probe.post(case.op, case.body)

        self.assertEqual(status, 400)
        self.assertIn(b"The SOAP Body holds 2 operations", body)
