"""Operator flows in a real browser: Playwright driving Debian's Chromium, headless.

Set QBSYNC_SCREENSHOTS=1 to (re)write the screenshots under docs/screenshots/.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.utils import timezone

from connections import alerts
from connections.models import Connection
from objects.models import Phase, QueuedObject
from qbsync.test import LiveTestCase, require_chromium

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def order(identity: str, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": f"req-{identity}",
        "parameters": {"payload_type": "order"},
        "order": {
            "id": identity,
            "customer": {"name": "Jo"},
            "line_items": [{"product_id": "SETUP", "quantity": 1, "price": 5}],
            **fields,
        },
    }


class AdminBrowserTestCase(LiveTestCase, StaticLiveServerTestCase):
    browser: Any = None
    playwright: Any = None

    @classmethod
    def setUpClass(cls) -> None:
        chromium = require_chromium()
        # Playwright's sync API runs an event loop in this thread; the ORM calls the
        # test itself makes between browser steps are still synchronous.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )

    @classmethod
    def tearDownClass(cls) -> None:
        if cls.browser is not None:
            cls.browser.close()
            cls.playwright.stop()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        self.context = self.browser.new_context(
            viewport={"width": 1440, "height": 900}, accept_downloads=True
        )
        self.addCleanup(self.context.close)
        # Collapse the admin's navigation sidebar: more room for the tables.
        self.context.add_init_script(
            "localStorage.setItem('django.admin.navSidebarIsOpen', 'false')"
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)

    def log_in(self) -> None:
        self.page.goto(f"{self.live_server_url}/admin/login/?next=/admin/")
        self.page.fill("#id_username", "operator")
        self.page.fill("#id_password", "password")
        self.page.click("input[type=submit]")
        self.page.wait_for_selector("#qbsync-dashboard")

    def screenshot(self, name: str, full_page: bool = False) -> None:
        if os.environ.get("QBSYNC_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def land_one_good_and_one_failed_order(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")
        self.quickbooks.add_record("ItemService", Name="SETUP")
        self.post("add_orders", order("GOOD-1"))
        self.post("add_orders", order("BAD-1", class_name="No Such Class"))
        self.run_webconnector()

    def test_it_lets_an_operator_find_a_failed_object_read_why_and_retry_it(self) -> None:
        self.land_one_good_and_one_failed_order()
        self.log_in()
        self.screenshot("dashboard")
        if os.environ.get("QBSYNC_SCREENSHOTS") == "1":
            self.page.goto(f"{self.live_server_url}/admin/connections/connection/")
            self.page.wait_for_selector("#result_list")
            self.screenshot("connections")
            self.page.goto(f"{self.live_server_url}/admin/")

        # From the dashboard's failed count to the object.
        row = self.page.locator('tr[data-connection="acme"]')
        row.locator('a[href*="phase__exact=failed"]').click()
        self.page.wait_for_selector("#result_list")
        self.screenshot("failed-objects")
        self.page.click("#result_list a:text('BAD-1')")

        why = self.page.locator(".field-last_status_message .readonly").inner_text()
        self.assertIn("There is an invalid reference", why)
        exchange = self.page.locator(".field-qbxml_exchange").inner_text()
        self.assertIn("<SalesOrderAddRq", exchange)
        self.assertIn('statusCode="3140"', exchange)
        self.screenshot("failed-object", full_page=True)

        self.page.click("button.qbsync-verb[value=retry]")
        self.page.wait_for_selector(".messagelist")
        self.assertIn("1 object(s) retried.", self.page.locator(".messagelist").inner_text())
        # An order waits for its (processed) dependencies to be promoted, then looks up.
        badge = self.page.locator(".field-phase_badge .readonly").inner_text()
        self.assertEqual(badge, "two_phase_pending")
        self.assertEqual(QueuedObject.objects.get(identity="BAD-1").phase, Phase.TWO_PHASE_PENDING)

    def test_it_downloads_the_qwc_of_a_connection(self) -> None:
        self.log_in()
        self.page.goto(f"{self.live_server_url}/admin/connections/connection/")

        with self.page.expect_download() as info:
            self.page.click("#result_list a:text('download')")
        download = info.value

        self.assertEqual(download.suggested_filename, "qbsync-acme.qwc")
        text = Path(download.path()).read_text(encoding="utf-8")
        self.assertIn("<UserName>acme-qbd</UserName>", text)

    def test_it_shows_a_connection_turning_unhealthy(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(last_contact_at=timezone.now())
        self.log_in()
        badge = self.page.locator('tr[data-connection="acme"] .qbsync-badge')
        self.assertEqual(badge.inner_text(), "healthy")

        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=timezone.now() - timedelta(minutes=20)
        )
        alerts.check_health()
        self.page.reload()

        self.assertEqual(badge.inner_text(), "unhealthy")
        incident = self.page.locator('tr[data-connection="acme"] a:text-matches("open since")')
        incident.wait_for()
        self.screenshot("dashboard-unhealthy")
        incident.click()
        summary = self.page.locator(".field-summary .readonly").inner_text()
        self.assertIn("has not called for 20 minutes", summary)
        self.screenshot("incident")

    def test_it_shows_the_transcript_of_a_web_connector_session(self) -> None:
        self.land_one_good_and_one_failed_order()
        self.log_in()
        self.page.goto(f"{self.live_server_url}/admin/qbwc/session/")
        self.page.click("#result_list tbody tr a")

        self.page.wait_for_selector("details.qbsync-round")
        rounds = self.page.locator("details.qbsync-round")
        self.assertGreaterEqual(rounds.count(), 2)
        self.assertIn("Round 1", rounds.first.inner_text())
        rounds.first.evaluate("element => element.scrollIntoView()")
        self.screenshot("session-transcript")

    def test_it_rotates_the_webhook_token_and_shows_it_once(self) -> None:
        self.log_in()
        self.page.goto(
            f"{self.live_server_url}/admin/connections/connection/{self.connection.pk}/change/"
        )
        self.screenshot("connection", full_page=True)
        self.page.click("a:text('Rotate token…')")
        self.page.click("input[value='Rotate the token']")

        token = self.page.locator("#new-token").inner_text()
        self.screenshot("token-rotated")
        self.connection.refresh_from_db()
        self.assertTrue(self.connection.check_webhook_token(token))
        self.page.reload()  # the token was shown once; reloading shows it no more
        self.page.wait_for_selector("#content-main")
        self.assertEqual(self.page.locator("#new-token").count(), 0)

    def test_it_edits_a_field_mapping_and_previews_what_is_then_sent(self) -> None:
        from qbwc.models import Message

        invoice = {
            "request_id": "req-INV-1",
            "parameters": {"payload_type": "invoice"},
            "invoice": {
                "id": "INV-1",
                "channel": "web",
                "customer": {"name": "Jo"},
                "line_items": [{"product_id": "SETUP", "quantity": 1, "price": 5}],
            },
        }
        self.quickbooks.add_record("Customer", Name="Jo")
        self.quickbooks.add_record("ItemService", Name="SETUP")
        self.log_in()
        self.page.goto(f"{self.live_server_url}/admin/objects/fieldmapping/add/")
        self.page.select_option("#id_connection", str(self.connection.pk))
        self.page.select_option("#id_object_type", "invoices")
        self.page.fill("#id_name", "Web invoices")
        bad = [
            {"target": "Memo", "transform": "template", "template": "{id} via {channel}"},
            {"target": "Colour", "transform": "constant", "value": "blue"},
        ]
        self.page.fill("#id_rules", json.dumps(bad, indent=2))
        self.page.click("input[name=_continue]")

        error = self.page.locator(".field-rules .errorlist").inner_text()
        self.assertIn("rule 2 (Colour): InvoiceAdd has no field 'Colour'", error)
        self.screenshot("mapping-refused", full_page=True)
        self.page.fill("#id_rules", json.dumps(bad[:1], indent=2))
        self.page.fill("#id_comment", "memo names the sales channel")
        self.page.click("input[name=_continue]")
        self.assertIn("Saved as version 1.", self.page.locator(".messagelist").inner_text())

        self.post("add_invoices", invoice)
        self.page.click("a.qbsync-preview")
        self.page.select_option("#id_queued_object", label="invoices:INV-1")
        self.page.click("input[name=_preview]")
        preview = self.page.locator("#qbsync-preview").inner_text()
        self.screenshot("mapping-preview", full_page=True)

        self.assertIn("<Memo>INV-1 via web</Memo>", preview)
        self.run_webconnector()
        sent = [m.request_xml for m in Message.objects.all() if "<InvoiceAddRq" in m.request_xml]
        self.assertIn(preview, sent[0])
