"""create_connection --backend qbo: importing a QuickBooks Online company (seed 001's settings)."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth.hashers import is_password_usable
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db

from connections.models import Connection
from objects.models import QueuedObject
from qbo.models import QboConnection
from qbsync.test import QBWC_PASSWORD, BaseTestCase

SECRET = "client-secret-4f1d2a"
REFRESH = "AB11-refresh-token-9c8e7d"


class CreateQboConnectionTestCase(BaseTestCase):
    def create(self, *args: str, connection_id: str = "shop") -> str:
        out = StringIO()
        call_command("create_connection", connection_id, *args, stdout=out, stderr=out)
        return out.getvalue()

    def create_shop(self, *extra: str) -> str:
        return self.create(
            "--backend",
            "qbo",
            "--qbo-realm-id",
            "9341450000000001",
            "--qbo-client-id",
            "client-1",
            "--qbo-client-secret",
            SECRET,
            "--qbo-refresh-token",
            REFRESH,
            "--webhook-token",
            "shop-token-0123",
            *extra,
        )

    def test_it_creates_a_qbo_connection_with_its_company(self) -> None:
        self.create_shop("--qbo-environment", "sandbox", "--qbo-max-results", "50")
        connection = Connection.objects.get(connection_id="shop")
        self.assertEqual(connection.backend, Connection.Backend.QBO)
        self.assertTrue(connection.check_webhook_token("shop-token-0123"))
        qbo = QboConnection.objects.get(connection=connection)
        self.assertEqual(
            (qbo.realm_id, qbo.client_id, qbo.client_secret, qbo.refresh_token),
            ("9341450000000001", "client-1", SECRET, REFRESH),
        )
        self.assertEqual((qbo.environment, qbo.max_results), ("sandbox", 50))
        self.assertEqual(qbo.status, QboConnection.Status.ACTIVE)

    def test_it_closes_the_web_connector_login_of_a_qbo_connection(self) -> None:
        self.create_shop()
        connection = Connection.objects.get(connection_id="shop")
        self.assertEqual(connection.qbwc_username, "qbo-shop")
        self.assertFalse(is_password_usable(connection.qbwc_password))
        self.assertFalse(connection.check_qbwc_password(""))

    def test_it_derives_another_user_name_when_the_first_is_taken(self) -> None:
        self.create(
            "--qbwc-username",
            "qbo-shop",
            "--qbwc-password",
            "pw",
            "--webhook-token",
            "t",
            connection_id="other",
        )
        self.create_shop()
        username = Connection.objects.get(connection_id="shop").qbwc_username
        self.assertTrue(username.startswith("qbo-shop-"), username)

    def test_it_never_prints_the_secrets(self) -> None:
        output = self.create_shop()
        self.assertIn("Created QuickBooks Online connection shop", output)
        self.assertNotIn(SECRET, output)
        self.assertNotIn(REFRESH, output)
        self.assertNotIn("shop-token-0123", output)

    def test_it_keeps_the_secrets_encrypted_in_the_database(self) -> None:
        self.create_shop()
        with db.cursor() as cursor:
            cursor.execute("SELECT client_secret, refresh_token FROM qbo_qboconnection")
            secret, refresh = cursor.fetchone()
        self.assertNotIn(SECRET, secret)
        self.assertNotIn(REFRESH, refresh)

    def test_it_updates_only_what_is_given(self) -> None:
        self.create_shop()
        output = self.create("--qbo-max-results", "1000")
        self.assertIn("Updated QuickBooks Online connection shop", output)
        qbo = QboConnection.objects.get(connection__connection_id="shop")
        self.assertEqual((qbo.max_results, qbo.refresh_token), (1000, REFRESH))
        self.assertEqual(qbo.client_secret, SECRET)

    def test_it_replaces_the_refresh_token_and_forgets_the_access_token(self) -> None:
        self.create_shop()
        QboConnection.objects.update(access_token="old-access")
        self.create("--qbo-refresh-token", "AB11-new")
        qbo = QboConnection.objects.get(connection__connection_id="shop")
        self.assertEqual((qbo.refresh_token, qbo.access_token), ("AB11-new", ""))

    def test_it_refuses_a_page_size_outside_1_to_1000(self) -> None:
        for size in ("0", "1001"):
            with self.subTest(size=size), self.assertRaisesMessage(CommandError, "between 1"):
                self.create_shop("--qbo-max-results", size)
        self.assertFalse(Connection.objects.filter(connection_id="shop").exists())

    def test_it_refuses_an_unknown_environment(self) -> None:
        with self.assertRaisesMessage(CommandError, "invalid choice"):
            self.create_shop("--qbo-environment", "staging")

    def test_it_refuses_qbo_settings_for_a_desktop_connection(self) -> None:
        with self.assertRaisesMessage(CommandError, "need --backend qbo"):
            self.create("--qbo-realm-id", "1", connection_id="acme")

    def test_it_refuses_a_web_connector_password_for_a_qbo_connection(self) -> None:
        with self.assertRaisesMessage(CommandError, "no Web Connector password"):
            self.create_shop("--qbwc-password", "pw")

    def test_it_refuses_another_company_without_its_refresh_token(self) -> None:
        self.create_shop()
        with self.assertRaisesMessage(CommandError, "changes the company"):
            self.create("--qbo-realm-id", "9341450000000002")

    def test_it_refuses_to_change_the_backend_with_objects_queued(self) -> None:
        QueuedObject.objects.create(
            connection=self.connection,
            object_type="customers",
            identity="Jo",
            payload={"name": "Jo"},
        )
        with self.assertRaisesMessage(CommandError, "has queued objects"):
            self.create("--backend", "qbo", connection_id="acme")
        self.connection.refresh_from_db()
        self.assertEqual(self.connection.backend, Connection.Backend.DESKTOP)
        self.assertTrue(self.connection.check_qbwc_password(QBWC_PASSWORD))

    def test_it_turns_an_idle_desktop_connection_into_a_qbo_one(self) -> None:
        self.create("--backend", "qbo", "--qbo-realm-id", "123", connection_id="acme")
        self.connection.refresh_from_db()
        self.assertEqual(self.connection.backend, Connection.Backend.QBO)
        self.assertFalse(self.connection.check_qbwc_password(QBWC_PASSWORD))
        self.assertEqual(QboConnection.objects.get(connection=self.connection).realm_id, "123")
