"""The admin of QuickBooks Online connections: what it shows, and what it never shows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import is_password_usable
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from connections.models import Connection
from qbo.feed_models import Feed
from qbo.models import QboConnection
from qbsync.test import BaseTestCase, make_connection

ACCESS = "eyJ-access-token-1f2e3d"
REFRESH = "AB11-refresh-token-4c5b6a"
SECRET = "client-secret-7d8e9f"


class QboAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.operator)
        self.shop = make_connection("shop", backend=Connection.Backend.QBO)
        now = timezone.now()
        self.qbo = QboConnection.objects.create(
            connection=self.shop,
            realm_id="9341450000000001",
            client_id="client-1",
            client_secret=SECRET,
            access_token=ACCESS,
            access_expires_at=now + timedelta(hours=1),
            refresh_token=REFRESH,
            refresh_expires_at=now + timedelta(days=100),
            refresh_hard_expires_at=now + timedelta(days=5 * 365),
            last_error="Fault 3100 ApplicationAuthorizationFailed",
            last_intuit_tid="1-65f0c1b2-4a3b2c1d",
            connected_at=now,
        )

    def get(self, url: str) -> Any:
        answer = self.client.get(url)
        self.assertEqual(answer.status_code, 200)
        for secret in (ACCESS, REFRESH, SECRET):
            self.assertNotContains(answer, secret)
        return answer

    def test_it_lists_connections_of_both_backends(self) -> None:
        answer = self.get(reverse("admin:connections_connection_changelist"))
        self.assertContains(answer, "QuickBooks Online")
        self.assertContains(answer, "QuickBooks Desktop (Web Connector)")
        self.assertContains(
            answer, reverse("admin:connections_connection_qwc", args=[self.connection.pk])
        )
        self.assertNotContains(
            answer, reverse("admin:connections_connection_qwc", args=[self.shop.pk])
        )

    def test_it_shows_a_qbo_connections_company_and_grant(self) -> None:
        answer = self.get(reverse("admin:connections_connection_change", args=[self.shop.pk]))
        self.assertContains(answer, "realm 9341450000000001")
        self.assertContains(answer, "1-65f0c1b2-4a3b2c1d")
        self.assertContains(answer, "Fault 3100 ApplicationAuthorizationFailed")
        self.assertContains(answer, "Active, connected")
        self.assertContains(answer, "unless used; at the latest")
        self.assertContains(answer, reverse("admin:qbo_disconnect", args=[self.shop.pk]))
        self.assertContains(answer, reverse("admin:qbo_connect", args=[self.shop.pk]))
        self.assertNotContains(answer, "Web Connector user name")

    def test_it_offers_connect_to_a_qbo_connection_without_a_company(self) -> None:
        fresh = make_connection("fresh", backend=Connection.Backend.QBO)
        answer = self.get(reverse("admin:connections_connection_change", args=[fresh.pk]))
        self.assertContains(answer, "Connect to QuickBooks")
        self.assertNotContains(answer, reverse("admin:qbo_disconnect", args=[fresh.pk]))

    def test_it_shows_a_desktop_connection_as_before(self) -> None:
        answer = self.get(reverse("admin:connections_connection_change", args=[self.connection.pk]))
        self.assertContains(answer, "Web Connector user name")
        self.assertNotContains(answer, "Connect to QuickBooks")

    def test_it_gives_no_qwc_for_a_qbo_connection(self) -> None:
        answer = self.client.get(reverse("admin:connections_connection_qwc", args=[self.shop.pk]))
        self.assertEqual(answer.status_code, 404)

    def test_it_adds_a_qbo_connection_without_a_web_connector_login(self) -> None:
        answer = self.client.post(
            reverse("admin:connections_connection_add"),
            {
                "connection_id": "online",
                "backend": "qbo",
                "origin": "flowlink",
                "is_active": "on",
                "qbwc_username": "",
                "new_qbwc_password": "",
                "owner_id": "{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}",
                "file_id": "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}",
                "run_every_minutes": "5",
                "health_threshold_minutes": "5",
                "flow_configs-TOTAL_FORMS": "0",
                "flow_configs-INITIAL_FORMS": "0",
                "flow_configs-MIN_NUM_FORMS": "0",
                "flow_configs-MAX_NUM_FORMS": "1000",
            },
        )
        self.assertEqual(answer.status_code, 302, answer.content.decode()[-3000:])
        online = Connection.objects.get(connection_id="online")
        self.assertEqual((online.backend, online.qbwc_username), ("qbo", "qbo-online"))
        self.assertFalse(is_password_usable(online.qbwc_password))

    def test_it_lets_the_backend_be_chosen_only_when_adding(self) -> None:
        answer = self.get(reverse("admin:connections_connection_change", args=[self.shop.pk]))
        self.assertNotContains(answer, 'name="backend"')

    def test_it_pauses_a_qbo_connection_like_any_other(self) -> None:
        self.client.post(
            reverse("admin:connections_connection_changelist"),
            {"action": "pause_selected", "_selected_action": [self.shop.pk]},
        )
        self.shop.refresh_from_db()
        self.assertFalse(self.shop.is_active)

    def test_it_shows_the_qbo_company_without_its_secrets(self) -> None:
        self.get(reverse("admin:qbo_qboconnection_changelist"))
        answer = self.get(reverse("admin:qbo_qboconnection_change", args=[self.qbo.pk]))
        self.assertContains(answer, "Refresh token")
        self.assertContains(answer, "set")

    def change_qbo(self, **fields: str) -> Any:
        data = {"environment": "production", "client_id": "client-1", "max_results": "100"}
        return self.client.post(
            reverse("admin:qbo_qboconnection_change", args=[self.qbo.pk]), {**data, **fields}
        )

    def test_it_takes_a_new_client_secret_and_never_shows_it(self) -> None:
        answer = self.change_qbo(new_client_secret="a-new-secret-5a5a")
        self.assertEqual(answer.status_code, 302)
        self.qbo.refresh_from_db()
        self.assertEqual(self.qbo.client_secret, "a-new-secret-5a5a")
        page = self.get(reverse("admin:qbo_qboconnection_change", args=[self.qbo.pk]))
        self.assertNotContains(page, "a-new-secret-5a5a")

    def test_it_refuses_a_page_size_outside_1_to_1000(self) -> None:
        for size in ("0", "1001"):
            with self.subTest(size=size):
                answer = self.change_qbo(max_results=size)
                self.assertContains(answer, "Between 1 and 1000.")

    def test_it_refuses_to_change_the_environment_of_a_connected_company(self) -> None:
        answer = self.change_qbo(environment="sandbox")
        self.assertContains(answer, "Disconnect before changing the environment.")


class FeedAdminTestCase(TestCase):
    """The change feed's interval (seed 003's trigger polling) is set in the admin."""

    def test_it_sets_a_feed_interval_no_shorter_than_a_minute(self) -> None:
        operator = get_user_model().objects.create_superuser("op", "", "pw")
        browser = Client()
        browser.force_login(operator)
        connection = make_connection("shop", backend="qbo")
        feed = Feed.objects.create(connection=connection)
        url = reverse("admin:qbo_feed_change", args=[feed.pk])

        refused = browser.post(url, {"interval_seconds": "30"})
        saved = browser.post(url, {"interval_seconds": "60"})

        self.assertEqual(refused.status_code, 200)  # the form again, with the error
        self.assertEqual(saved.status_code, 302)
        feed.refresh_from_db()
        self.assertEqual(feed.interval_seconds, 60)
