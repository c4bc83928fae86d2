from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connections
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

from connections.models import AlertDelivery, Connection, Incident
from qbo import oauth, tokens
from qbo.endpoints import endpoints_for
from qbo.errors import Paused, ReconnectNeeded, Transient
from qbo.models import QboConnection
from qbo.tests.connected import ALERT_EMAIL, ConnectedMixin, token_set
from qbsync.test import require_postgresql

# Nothing listens on port 1 of the loopback: an Intuit that cannot be reached.
UNREACHABLE = "http://127.0.0.1:1/oauth2/v1/tokens/bearer"


class TokensTestCase(ConnectedMixin, TestCase):
    def setUp(self) -> None:
        super().setUp()
        # Every refresh rotates, and a rotated-away token dies at once: a refresh token
        # that is not the current one shows up as invalid_grant.
        self.double.oauth.rotation_interval = 0
        self.double.oauth.grace_period = 0

    def stored(self) -> QboConnection:
        return QboConnection.objects.get(pk=self.qbo.pk)

    def revoke_at_intuit(self) -> None:
        oauth.revoke_token(
            endpoints_for(self.qbo.environment),
            self.double.client_id,
            self.double.client_secret,
            self.qbo.refresh_token,
        )

    def test_it_reuses_an_access_token_with_more_than_five_minutes_left(self) -> None:
        before = self.stored().refresh_token

        self.assertEqual(tokens.access_token(self.qbo), self.qbo.access_token)
        self.assertEqual(self.stored().refresh_token, before)

    def test_it_refreshes_an_access_token_with_five_minutes_left(self) -> None:
        old = self.qbo.access_token
        QboConnection.objects.filter(pk=self.qbo.pk).update(
            access_expires_at=timezone.now() + timedelta(minutes=4)
        )
        self.qbo.refresh_from_db()

        new = tokens.access_token(self.qbo)

        self.assertNotEqual(new, old)
        stored = self.stored()
        self.assertEqual((stored.access_token, self.qbo.access_token), (new, new))
        self.assertEqual(stored.refresh_token, self.current_refresh_token())
        self.assertEqual(self.qbo.refresh_token, stored.refresh_token)

    def test_it_takes_the_token_another_worker_refreshed_instead_of_refreshing_again(
        self,
    ) -> None:
        mine = QboConnection.objects.get(pk=self.qbo.pk)
        spent = mine.access_token
        theirs = tokens.refresh(self.qbo, spent=spent)
        current = self.current_refresh_token()

        self.assertEqual(tokens.refresh(mine, spent=spent), theirs)
        self.assertEqual(self.current_refresh_token(), current)
        self.assertEqual(mine.refresh_token, current)

    def test_it_marks_needs_reconnect_and_alerts_when_the_grant_is_revoked(self) -> None:
        self.revoke_at_intuit()

        with self.captureOnCommitCallbacks() as enqueued, self.assertRaises(ReconnectNeeded):
            self.api().company_info()

        stored = self.stored()
        self.assertEqual(stored.status, QboConnection.Status.NEEDS_RECONNECT)
        self.assertIn("invalid_grant", stored.last_error)
        incident = Incident.objects.open().get(connection=self.qbo.connection)
        self.assertIn("Reconnect it from the admin", incident.summary)
        [delivery] = AlertDelivery.objects.filter(incident=incident)
        self.assertEqual((delivery.channel, delivery.target), ("email", ALERT_EMAIL))
        self.assertEqual(len(enqueued), 1)
        self.assertFalse(Connection.objects.get(pk=self.qbo.connection_id).is_healthy())

    def test_it_alerts_once_when_two_calls_find_the_grant_dead(self) -> None:
        self.revoke_at_intuit()
        other = QboConnection.objects.get(pk=self.qbo.pk)
        with self.assertRaises(ReconnectNeeded):
            tokens.refresh(self.qbo)

        with self.assertRaises(ReconnectNeeded):
            tokens.refresh(other)

        self.assertEqual(AlertDelivery.objects.count(), 1)

    def test_it_calls_nothing_while_the_connection_needs_reconnecting(self) -> None:
        self.revoke_at_intuit()
        with self.assertRaises(ReconnectNeeded):
            tokens.refresh(self.qbo)
        sent = len(self.double.requests)

        with self.assertRaises(ReconnectNeeded):
            self.api().company_info()

        self.assertEqual(len(self.double.requests), sent)

    def test_it_calls_nothing_for_a_paused_connection(self) -> None:
        QboConnection.objects.filter(pk=self.qbo.pk).update(status=QboConnection.Status.PAUSED)
        self.qbo.refresh_from_db()

        with self.assertRaises(Paused):
            self.api().company_info()

        self.assertEqual(self.double.requests, [])

    @override_settings(QBO_TOKEN_URL=UNREACHABLE)
    def test_it_takes_an_unreachable_token_endpoint_for_transient(self) -> None:
        with self.assertRaises(Transient):
            tokens.refresh(self.qbo)

        self.assertEqual(self.stored().status, QboConnection.Status.ACTIVE)

    def test_it_stores_a_new_grant_and_is_active_again(self) -> None:
        self.revoke_at_intuit()
        with self.assertRaises(ReconnectNeeded):
            tokens.refresh(self.qbo)
        now = timezone.now()

        tokens.connect(self.qbo, token_set(self.double.connect(), now), self.double.realm_id, now)

        stored = self.stored()
        self.assertEqual((stored.status, stored.last_error), (QboConnection.Status.ACTIVE, ""))
        self.assertEqual(stored.refresh_token, self.current_refresh_token())
        self.assertEqual(self.api().company_info()["CompanyName"], "Sandbox Company_US_1")

    def test_it_revokes_the_grant_and_forgets_the_tokens_on_disconnect(self) -> None:
        tokens.disconnect(self.qbo)

        stored = self.stored()
        self.assertEqual((stored.access_token, stored.refresh_token), ("", ""))
        self.assertEqual(stored.realm_id, self.double.realm_id)
        self.assertIsNone(self.current_refresh_token())

    @override_settings(QBO_REVOKE_URL="http://127.0.0.1:1/v2/oauth2/tokens/revoke")
    def test_it_forgets_the_tokens_even_when_intuit_cannot_revoke(self) -> None:
        tokens.disconnect(self.qbo)

        stored = self.stored()
        self.assertEqual(stored.refresh_token, "")
        self.assertIn("revoke failed", stored.last_error)

    def test_it_warns_of_the_hard_expiry_once(self) -> None:
        now = timezone.now()
        QboConnection.objects.filter(pk=self.qbo.pk).update(
            refresh_hard_expires_at=now + timedelta(days=10)
        )
        self.qbo.refresh_from_db()

        with self.captureOnCommitCallbacks() as enqueued:
            self.assertTrue(tokens.warn_hard_expiry(self.qbo, now))
        self.assertFalse(tokens.warn_hard_expiry(self.stored(), now + timedelta(days=1)))

        incident = Incident.objects.open().get(connection=self.qbo.connection)
        self.assertIn("5-year", incident.summary)
        self.assertEqual(AlertDelivery.objects.filter(incident=incident).count(), 1)
        self.assertEqual(len(enqueued), 1)

    def test_it_does_not_warn_of_a_hard_expiry_far_away(self) -> None:
        now = timezone.now()

        self.assertIsNotNone(self.qbo.refresh_hard_expires_at)
        self.assertFalse(tokens.warn_hard_expiry(self.qbo, now))
        self.assertFalse(Incident.objects.exists())


class RefreshRaceTestCase(ConnectedMixin, TransactionTestCase):
    """Two workers refreshing one connection at the same moment (PostgreSQL)."""

    def test_it_keeps_the_connection_usable_when_two_workers_refresh_at_once(self) -> None:
        require_postgresql("row locks across connections need PostgreSQL")
        self.double.oauth.rotation_interval = 0
        self.double.oauth.grace_period = 0
        for _ in range(10):
            got = race(self.qbo.pk)

            self.assertEqual(len(set(got)), 1, got)
            stored = QboConnection.objects.get(pk=self.qbo.pk)
            self.assertEqual(stored.status, QboConnection.Status.ACTIVE)
            self.assertEqual(stored.refresh_token, self.current_refresh_token())
            self.assertEqual(stored.access_token, got[0])
        self.qbo.refresh_from_db()
        self.double.expire_access_tokens()
        self.assertEqual(self.api().company_info()["CompanyName"], "Sandbox Company_US_1")


def race(pk: int) -> list[str]:
    """tokens.refresh() of one connection by two threads, each on its own database
    connection and with the same spent access token; returns the tokens they got."""
    start = threading.Barrier(2)
    got: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            mine = QboConnection.objects.get(pk=pk)
            start.wait()
            got.append(tokens.refresh(mine, spent=mine.access_token))
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return got
