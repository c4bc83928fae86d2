from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from lxml import etree

from connections.models import Connection
from connections.qwc import render_qwc
from qbsync.test import BaseTestCase, shared_file
from qbwc.qbxml.parse import text_of

QWC_XSD_ELEMENTS = {
    "AppName",
    "AppID",
    "AppURL",
    "AppDescription",
    "AppSupport",
    "UserName",
    "OwnerID",
    "FileID",
    "QBType",
    "Style",
    "Scheduler",
}


class QwcTestCase(BaseTestCase):
    def test_it_uses_https_unless_the_host_is_local(self) -> None:
        remote = etree.fromstring(render_qwc(self.connection, "http://qbsync.example.com").encode())
        local = etree.fromstring(render_qwc(self.connection, "http://localhost:8000").encode())

        self.assertEqual(remote.findtext("AppURL"), "https://qbsync.example.com/qbwc/")
        self.assertEqual(local.findtext("AppURL"), "http://localhost:8000/qbwc/")

    def test_it_matches_intuits_qwc_schema_for_the_elements_it_knows(self) -> None:
        schema = etree.XMLSchema(etree.parse(str(shared_file("qbxml-xsd", "QWC.xsd"))))
        doc = etree.fromstring(render_qwc(self.connection, "https://q.example.com").encode())
        for node in list(doc):
            if node.tag not in QWC_XSD_ELEMENTS:
                doc.remove(node)  # QBWC 2.x accepts elements the 2006 XSD predates

        self.assertTrue(schema.validate(doc), schema.error_log)

    def test_it_gives_each_connection_its_own_file_id_and_user(self) -> None:
        other = Connection.objects.create(
            connection_id="b&c", qbwc_username="b&c-qbd", qbwc_password="x"
        )
        doc = etree.fromstring(render_qwc(other).encode())

        self.assertNotEqual(doc.findtext("FileID"), self.connection.file_id)
        self.assertEqual(doc.findtext("UserName"), "b&c-qbd")
        self.assertRegex(text_of(doc, "OwnerID"), r"^\{[0-9A-F-]{36}\}$")

    def test_it_prints_the_qwc_from_the_command(self) -> None:
        out = StringIO()

        call_command("qwc", "acme", stdout=out)

        self.assertEqual(etree.fromstring(out.getvalue().encode()).findtext("UserName"), "acme-qbd")

    def test_it_lets_an_operator_download_the_qwc_from_the_admin(self) -> None:
        self.client.force_login(self.operator)

        response = self.client.get(f"/admin/connections/connection/{self.connection.pk}/qwc/")

        self.assertEqual(response["Content-Disposition"], 'attachment; filename="qbsync-acme.qwc"')


class CreateConnectionTestCase(BaseTestCase):
    def test_it_creates_a_connection_with_hashed_secrets(self) -> None:
        out = StringIO()

        call_command(
            "create_connection",
            "shop",
            "--qbwc-username",
            "shop-qbd",
            "--qbwc-password",
            "pw-123",
            "--webhook-token",
            "tok-9",
            stdout=out,
        )

        shop = Connection.objects.get(connection_id="shop")
        self.assertTrue(shop.check_qbwc_password("pw-123"))
        self.assertTrue(shop.check_webhook_token("tok-9"))
        self.assertNotIn("pw-123", shop.qbwc_password + out.getvalue())
        self.assertNotIn("tok-9", shop.webhook_token_hash + out.getvalue())

    def test_it_prints_a_generated_password_once_and_keeps_only_its_hash(self) -> None:
        out = StringIO()

        call_command(
            "create_connection",
            "shop",
            "--qbwc-username",
            "shop-qbd",
            "--generate-qbwc-password",
            "--webhook-token",
            "tok-9",
            stdout=out,
        )

        printed = out.getvalue().split("(shown once): ")[1].strip()
        shop = Connection.objects.get(connection_id="shop")
        self.assertTrue(shop.check_qbwc_password(printed))
        self.assertFalse(shop.check_qbwc_password(printed + "x"))
        self.assertNotIn(printed, shop.qbwc_password)

    def test_it_updates_only_what_is_given(self) -> None:
        call_command(
            "create_connection", "acme", "--health-threshold-minutes", "15", stdout=StringIO()
        )

        self.connection.refresh_from_db()
        self.assertEqual(self.connection.health_threshold_minutes, 15)
        self.assertEqual(self.connection.qbwc_username, "acme-qbd")

    def test_it_refuses_a_new_connection_without_credentials(self) -> None:
        with self.assertRaisesMessage(CommandError, "--qbwc-password"):
            call_command("create_connection", "new", "--qbwc-username", "n", stdout=StringIO())

    def test_it_refuses_a_user_name_already_taken(self) -> None:
        with self.assertRaisesMessage(CommandError, "already used"):
            call_command(
                "create_connection",
                "new",
                "--qbwc-username",
                "acme-qbd",
                "--qbwc-password",
                "p",
                "--webhook-token",
                "t",
                stdout=StringIO(),
            )


class MigrationsTestCase(BaseTestCase):
    def test_it_has_no_missing_migrations(self) -> None:
        call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


class ChecksTestCase(BaseTestCase):
    @override_settings(SECRET_KEY="qbsync-development-key-do-not-use-in-production")
    def test_it_reports_the_development_secret_key_in_deploy_checks(self) -> None:
        from connections.checks import check_secret_key

        self.assertEqual([e.id for e in check_secret_key(None)], ["qbsync.E001"])
