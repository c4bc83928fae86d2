"""Connect to QuickBooks and Disconnect, driven through the admin against the double over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection as db
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from qbo import oauth
from qbo.connect import digest
from qbo.double import Clock, FakeQbo
from qbo.endpoints import endpoints_for
from qbo.models import Authorization, QboConnection
from qbo.tests.helpers import START, send
from qbsync.test import BaseTestCase, make_connection

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Answer


class ConnectTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.qbo = FakeQbo(clock=Clock(frozen_at=START), limits=None).start()
        self.addCleanup(self.qbo.stop)
        pointed = override_settings(
            QBO_AUTHORIZE_URL=self.qbo.authorize_url,
            QBO_TOKEN_URL=self.qbo.token_url,
            QBO_REVOKE_URL=self.qbo.revoke_url,
            QBO_API_BASE=self.qbo.api_base,
            QBO_CLIENT_ID=self.qbo.client_id,
            QBO_CLIENT_SECRET=self.qbo.client_secret,
        )
        pointed.enable()
        self.addCleanup(pointed.disable)
        self.shop = make_connection("shop", backend=Connection.Backend.QBO)
        self.client.force_login(self.operator)

    # -- helpers ------------------------------------------------------------------
    def start(self, client: Client | None = None) -> str:
        """Press Connect; return the authorize URL the admin redirects to."""
        answer = (client or self.client).post(reverse("admin:qbo_connect", args=[self.shop.pk]))
        self.assertEqual(answer.status_code, 302)
        location: str = answer["Location"]
        self.assertTrue(location.startswith(self.qbo.authorize_url + "?"), location)
        return location

    def consent(self, authorize_url: str) -> str:
        """Follow the authorize URL to the double; return the callback path and query."""
        parts = urlsplit(authorize_url)
        answer = send(self.qbo.base_url, "GET", f"{parts.path}?{parts.query}")
        self.assertEqual(answer.status, 302, answer.raw)
        back = urlsplit(answer.headers["location"])
        self.assertEqual(back.path, "/qbo/callback")
        return f"{back.path}?{back.query}"

    def callback(self, path: str, client: Client | None = None) -> Answer:
        return (client or self.client).get(path, follow=True)

    def said(self, answer: Answer) -> list[str]:
        return [str(message) for message in get_messages(answer.wsgi_request)]

    def stored(self) -> QboConnection:
        return QboConnection.objects.get(connection=self.shop)

    def assert_nothing_stored(self) -> None:
        qbo = self.stored()
        self.assertEqual(
            (qbo.realm_id, qbo.access_token, qbo.refresh_token, qbo.connected_at),
            ("", "", "", None),
        )

    def connect(self) -> QboConnection:
        self.callback(self.consent(self.start()))
        return self.stored()

    # -- connecting ------------------------------------------------------------------
    def test_it_connects_a_company_through_intuits_authorization_page(self) -> None:
        answer = self.callback(self.consent(self.start()))
        self.assertEqual(
            answer.redirect_chain[-1][0],
            reverse("admin:connections_connection_change", args=[self.shop.pk]),
        )
        self.assertContains(answer, f"connected to QuickBooks Online company {self.qbo.realm_id}")
        qbo = self.stored()
        self.assertNotContains(answer, qbo.access_token)
        self.assertNotContains(answer, qbo.refresh_token)
        self.assertEqual(qbo.realm_id, self.qbo.realm_id)
        self.assertEqual(qbo.status, QboConnection.Status.ACTIVE)
        self.assertIsNotNone(qbo.connected_at)
        self.assertIsNotNone(qbo.access_expires_at)
        self.assertIsNotNone(qbo.refresh_expires_at)
        self.assertTrue(qbo.refresh_token)
        company = send(
            self.qbo.base_url,
            "GET",
            f"/v3/company/{qbo.realm_id}/companyinfo/{qbo.realm_id}?minorversion=75",
            Authorization=f"Bearer {qbo.access_token}",
            Accept="application/json",
        )
        self.assertEqual(company.status, 200, company.raw)

    def test_it_keeps_the_tokens_encrypted_in_the_database(self) -> None:
        qbo = self.connect()
        with db.cursor() as cursor:
            cursor.execute(
                "SELECT access_token, refresh_token FROM qbo_qboconnection WHERE id = %s",
                [qbo.pk],
            )
            access, refresh = cursor.fetchone()
        self.assertNotIn(qbo.access_token, access)
        self.assertNotIn(qbo.refresh_token, refresh)
        self.assertTrue(access.startswith("fernet:") and refresh.startswith("fernet:"))

    def test_it_keeps_only_a_hash_of_the_state(self) -> None:
        state = parse_qs(urlsplit(self.start()).query)["state"][0]
        authorization = Authorization.objects.get(connection=self.shop)
        self.assertEqual(authorization.state_hash, digest(state))
        self.assertEqual(authorization.created_by, "operator")
        self.assertEqual(
            authorization.session_key_hash, digest(self.client.session.session_key or "")
        )

    def test_it_refuses_a_state_used_twice(self) -> None:
        path = self.consent(self.start())
        self.callback(path)
        first = self.stored()
        answer = self.callback(path)
        self.assertIn("already used", " ".join(self.said(answer)))
        again = self.stored()
        self.assertEqual(again.refresh_token, first.refresh_token)
        self.assertEqual(again.access_token, first.access_token)

    def test_it_refuses_a_state_from_another_browser_session(self) -> None:
        path = self.consent(self.start())
        other = Client()
        other.force_login(self.operator)
        answer = self.callback(path, client=other)
        self.assertIn("another browser session", " ".join(self.said(answer)))
        self.assert_nothing_stored()
        # Not spent by the stranger: the operator who started it still finishes.
        self.callback(path)
        self.assertEqual(self.stored().realm_id, self.qbo.realm_id)

    def test_it_refuses_a_state_older_than_ten_minutes(self) -> None:
        path = self.consent(self.start())
        Authorization.objects.update(created_at=timezone.now() - timedelta(minutes=11))
        answer = self.callback(path)
        self.assertIn("expired", " ".join(self.said(answer)))
        self.assert_nothing_stored()

    def test_it_refuses_an_unknown_state(self) -> None:
        answer = self.callback("/qbo/callback?code=AB1&state=forged&realmId=1")
        self.assertIn("unknown", " ".join(self.said(answer)))
        self.assertEqual(
            answer.redirect_chain[-1][0], reverse("admin:connections_connection_changelist")
        )

    def test_it_reports_a_declined_authorization(self) -> None:
        self.qbo.oauth.deny_next_authorization = True
        path = self.consent(self.start())
        self.assertIn("error=access_denied", path)
        answer = self.callback(path)
        self.assertIn("did not authorize shop: access_denied", " ".join(self.said(answer)))
        self.assert_nothing_stored()

    def test_it_keeps_nothing_when_intuit_refuses_the_code(self) -> None:
        path = self.consent(self.start())
        with override_settings(QBO_CLIENT_SECRET="not-the-secret"):
            answer = self.callback(path)
        self.assertIn(
            "refused the authorization code (invalid_client)", " ".join(self.said(answer))
        )
        self.assert_nothing_stored()
        self.assertTrue(self.stored().last_intuit_tid)

    def test_it_does_not_let_a_user_without_staff_status_start(self) -> None:
        visitor = Client()
        visitor.force_login(get_user_model().objects.create_user("visitor", "", "pw"))
        answer = visitor.post(reverse("admin:qbo_connect", args=[self.shop.pk]))
        self.assertEqual(answer.status_code, 302)
        self.assertIn(reverse("admin:login"), answer["Location"])
        self.assertFalse(Authorization.objects.exists())

    def test_it_does_not_let_staff_without_change_permission_start(self) -> None:
        viewer = get_user_model().objects.create_user("viewer", "", "pw", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_connection"))
        client = Client()
        client.force_login(viewer)
        answer = client.post(reverse("admin:qbo_connect", args=[self.shop.pk]))
        self.assertEqual(answer["Location"], reverse("admin:index"))
        self.assertFalse(Authorization.objects.exists())

    def test_it_wants_the_staff_session_at_the_callback(self) -> None:
        path = self.consent(self.start())
        answer = Client().get(path)
        self.assertEqual(answer.status_code, 302)
        self.assertIn(reverse("admin:login"), answer["Location"])
        self.assert_nothing_stored()

    def test_it_shows_a_confirmation_before_sending_the_operator_to_intuit(self) -> None:
        answer = self.client.get(reverse("admin:qbo_connect", args=[self.shop.pk]))
        self.assertContains(answer, "http://localhost:8000/qbo/callback")
        self.assertFalse(Authorization.objects.exists())

    # -- disconnecting -------------------------------------------------------------
    def test_it_revokes_the_grant_and_forgets_the_tokens_on_disconnect(self) -> None:
        old_refresh = self.connect().refresh_token
        answer = self.client.post(reverse("admin:qbo_disconnect", args=[self.shop.pk]), follow=True)
        self.assertIn("Intuit revoked the authorization", " ".join(self.said(answer)))
        qbo = self.stored()
        self.assertEqual((qbo.access_token, qbo.refresh_token), ("", ""))
        self.assertIsNone(qbo.access_expires_at)
        with self.assertRaises(oauth.OAuthError) as refused:
            oauth.refresh_grant(
                endpoints_for(qbo.environment),
                self.qbo.client_id,
                self.qbo.client_secret,
                old_refresh,
                timezone.now(),
            )
        self.assertEqual(refused.exception.error, "invalid_grant")

    def test_it_forgets_the_tokens_when_intuit_cannot_be_reached(self) -> None:
        self.connect()
        self.qbo.stop()
        answer = self.client.post(reverse("admin:qbo_disconnect", args=[self.shop.pk]), follow=True)
        self.assertIn("could not be reached", " ".join(self.said(answer)))
        qbo = self.stored()
        self.assertEqual((qbo.access_token, qbo.refresh_token), ("", ""))

    def test_it_asks_before_disconnecting(self) -> None:
        self.connect()
        answer = self.client.get(reverse("admin:qbo_disconnect", args=[self.shop.pk]))
        self.assertContains(answer, "revokes qbsync")
        self.assertTrue(self.stored().refresh_token)
