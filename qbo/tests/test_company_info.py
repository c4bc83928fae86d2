"""Company info (seed 001): read from the double over HTTP, kept, shown in get_health_check."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client, TestCase
from django.utils import timezone

from connections.models import Connection
from qbo import events
from qbo.event_models import CompanyProfile
from qbo.event_tasks import refresh_company_info
from qbo.models import QboConnection
from qbo.tests.connected import ConnectedMixin
from qbsync.test import WEBHOOK_TOKEN, make_connection


class CompanyInfoTestCase(ConnectedMixin, TestCase):
    def company_reads(self) -> int:
        return sum("/companyinfo/" in r.path for r in self.double.requests)

    def health_check(self, store: str) -> tuple[int, dict[str, object]]:
        answer = Client().post(
            "/get_health_check",
            json.dumps({"request_id": "hc-1", "parameters": {}}),
            content_type="application/json",
            HTTP_X_HUB_STORE=store,
            HTTP_X_HUB_TOKEN=WEBHOOK_TOKEN,
        )
        return answer.status_code, answer.json()

    def test_it_reads_company_info_and_names_the_connection(self) -> None:
        self.assertTrue(events.refresh_company_info(self.qbo.connection, self.api()))
        profile = CompanyProfile.objects.get(connection=self.qbo.connection)
        self.assertEqual(
            (profile.company_name, profile.legal_name, profile.country),
            ("Sandbox Company_US_1", "Sandbox Company_US_1", "US"),
        )
        self.assertEqual(profile.fiscal_year_start_month, "January")
        self.assertEqual(profile.address["City"], "San Pablo")
        self.assertEqual(
            Connection.objects.get(pk=self.qbo.connection.pk).company_name, "Sandbox Company_US_1"
        )

    def test_it_reads_again_only_after_a_day(self) -> None:
        now = timezone.now()
        client = self.api()
        events.refresh_company_info(self.qbo.connection, client, now=now)
        self.assertFalse(
            events.refresh_company_info(self.qbo.connection, client, now=now + timedelta(hours=23))
        )
        self.assertEqual(self.company_reads(), 1)
        company = self.double.company()
        info = self.double.entity(self.double.realm_id, "CompanyInfo", "1")
        assert info is not None
        company.update(
            "CompanyInfo",
            {"Id": "1", "SyncToken": info["SyncToken"], "sparse": True, "CompanyName": "Acme Ltd"},
        )
        self.assertTrue(
            events.refresh_company_info(self.qbo.connection, client, now=now + timedelta(days=1))
        )
        self.assertEqual(CompanyProfile.objects.get().company_name, "Acme Ltd")
        self.assertEqual(Connection.objects.get(pk=self.qbo.connection.pk).company_name, "Acme Ltd")

    def test_it_shows_the_company_in_the_health_check_details(self) -> None:
        connection = self.qbo.connection
        connection.set_webhook_token(WEBHOOK_TOKEN)
        connection.save()
        events.refresh_company_info(connection, self.api())
        status, body = self.health_check("acme")
        self.assertEqual(status, 200)
        self.assertEqual(body["summary"], "Health check was successful")
        details = body["details"]
        assert isinstance(details, dict)
        self.assertEqual(details["company"]["name"], "Sandbox Company_US_1")
        self.assertEqual(details["company"]["fiscal_year_start_month"], "January")
        self.assertEqual(details["company"]["address"]["Line1"], "123 Sierra Way")

    def test_it_keeps_the_health_check_answer_of_a_desktop_connection(self) -> None:
        make_connection("desk")
        status, body = self.health_check("desk")
        self.assertEqual(
            (status, body), (200, {"request_id": "hc-1", "summary": "Health check was successful"})
        )

    def test_it_refreshes_connected_companies_from_the_beat(self) -> None:
        paused = make_connection("paused-qbo", backend=Connection.Backend.QBO)
        QboConnection.objects.create(connection=paused, status=QboConnection.Status.PAUSED)
        self.assertEqual(refresh_company_info(), 1)
        self.assertEqual(
            list(CompanyProfile.objects.values_list("connection", flat=True)),
            [self.qbo.connection.pk],
        )
        self.assertEqual(refresh_company_info(), 0)  # read less than a day ago
