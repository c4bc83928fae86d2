"""FlowLink objects pushed into QuickBooks Online through the shared queue, over HTTP at
both ends, and the faults of the field: expired tokens, a dead grant, 429 bursts, 5010,
6240, a 5xx, a connection dropped after QuickBooks wrote."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection as db
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections.models import Incident
from objects.models import Phase, QueuedObject
from objects.tests.flows import envelope
from qbo import tokens
from qbo.models import QboCall, QboConnection
from qbo.oauth import TokenSet
from qbo.push import PassSummary, run_pass
from qbo.tests.live import SHOP, QboLiveTestCase
from qbsync.test import WEBHOOK_TOKEN

ACCOUNTS = {
    "quickbooks_income_account": "Sales of Product Income",
    "quickbooks_cogs_account": "Cost of Goods Sold",
    "quickbooks_inventory_account": "Inventory Asset",
}


def customer(name: str = "Jo Smith", **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "firstname": name.split()[0],
        "lastname": name.split()[-1],
        "email": "jo@example.com",
        **fields,
    }


def order(order_id: str = "R1001", **fields: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "customer": customer(),
        "line_items": [
            {"product_id": "TEE", "quantity": 2, "price": "10.00"},
            {"product_id": "MUG", "quantity": 1, "price": "7.25"},
        ],
        **fields,
    }


def order_params(**params: Any) -> dict[str, Any]:
    return {"quickbooks_auto_create_products": "1", **ACCOUNTS, **params}


class PushTestCase(QboLiveTestCase):
    def test_it_lands_an_order_with_its_customer_and_items_as_a_sales_receipt(self) -> None:
        data = self.post_ok("add_orders", envelope("order", order(), **order_params()))
        self.assertIn("Quickbooks Online", data["summary"])

        summary = self.push()

        self.assertEqual(summary.failed, 0, self.messages("fail"))
        jo = self.one("Customer", DisplayName="Jo Smith")
        receipt = self.one("SalesReceipt", DocNumber="R1001")
        self.assertEqual(receipt["CustomerRef"]["value"], jo["Id"])
        lines = [
            (line["SalesItemLineDetail"]["ItemRef"]["name"], line["SalesItemLineDetail"]["Qty"])
            for line in receipt["Line"]
            if line.get("DetailType") == "SalesItemLineDetail"
        ]
        self.assertEqual(
            [(name, Decimal(str(qty))) for name, qty in lines],
            [("TEE", Decimal(2)), ("MUG", Decimal(1))],
        )
        self.assertEqual(Decimal(str(receipt["TotalAmt"])), Decimal("27.25"))
        self.assertEqual(self.obj("orders", "R1001").qb_id, receipt["Id"])
        self.assertIn(
            "R1001: Order successfully sent to Quickbooks Online", self.messages("success")
        )

    def test_it_writes_an_order_as_an_invoice_when_the_flow_says_so(self) -> None:
        self.post_ok(
            "add_orders", envelope("order", order("R2002"), **order_params(qbo_order_as="invoice"))
        )

        self.push()

        invoice = self.one("Invoice", DocNumber="R2002")
        self.assertEqual(Decimal(str(invoice["Balance"])), Decimal("27.25"))
        self.assertEqual(self.records("SalesReceipt"), [])

    def test_it_updates_a_processed_customer_with_a_sparse_update(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.push()
        jo = self.one("Customer", DisplayName="Jo Smith")

        self.post_ok(
            "add_customers",
            envelope("customer", customer(email="jo.smith@example.com"), request_id="req-2"),
        )
        self.push()

        updated = self.one("Customer", DisplayName="Jo Smith")
        self.assertEqual(updated["Id"], jo["Id"])
        self.assertEqual(updated["SyncToken"], "1")
        self.assertEqual(updated["PrimaryEmailAddr"]["Address"], "jo.smith@example.com")
        self.assertEqual(updated["GivenName"], "Jo")  # kept: the update was sparse

    def test_it_fails_a_name_taken_by_a_vendor_alone_naming_the_code(self) -> None:
        self.qbo.seed(self.realm, "Vendor", {"DisplayName": "Acme Supplies"})
        self.post_ok(
            "add_customers",
            {
                "request_id": "req-1",
                "parameters": {"payload_type": "customer"},
                "customer": [customer("Acme Supplies"), customer("Bo Jones")],
            },
        )

        self.push()
        self.push()

        self.assertEqual(self.obj("customers", "Acme Supplies").phase, Phase.FAILED)
        self.assertEqual(self.obj("customers", "Bo Jones").phase, Phase.PROCESSED)
        failures = self.messages("fail")
        self.assertEqual(len(failures), 1, failures)
        self.assertTrue(failures[0].startswith("Acme Supplies: 6240: Duplicate Name"), failures)
        self.assertEqual(self.records("Customer", DisplayName="Acme Supplies"), [])

    def test_it_reapplies_an_update_after_a_stale_sync_token(self) -> None:
        self.post_ok("add_products", envelope("product", product("TEE"), **ACCOUNTS))
        self.push()
        tee = self.one("Item", Name="TEE")
        # Someone edits the item in QuickBooks between qbsync's look-up and its write:
        # the first query after the look-up (an account reference) changes it.
        queries: list[str] = []

        def edit_once(company: Any, statement: str) -> None:
            queries.append(statement)
            if len(queries) == 2:
                current = company.read("Item", tee["Id"])
                company.update(
                    "Item",
                    {
                        "Id": tee["Id"],
                        "SyncToken": current["SyncToken"],
                        "sparse": True,
                        "Sku": "EDITED",
                    },
                )

        self.qbo.before_query(edit_once)
        self.post_ok(
            "add_products",
            envelope("product", product("TEE", price="12.00"), request_id="r2", **ACCOUNTS),
        )
        tee_row = self.obj("products", "TEE")
        tee_row.qb_id = ""  # found by name, so the look-up is a query
        tee_row.save(update_fields=["qb_id"])

        self.push()

        item = self.one("Item", Name="TEE")
        self.assertTrue(QboCall.objects.filter(code="5010").exists())
        self.assertEqual(self.obj("products", "TEE").phase, Phase.PROCESSED)
        self.assertEqual(Decimal(str(item["UnitPrice"])), Decimal("12.00"))

    def test_it_refreshes_an_access_token_that_expired_mid_pass(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.qbo.expire_access_tokens()

        self.push()

        self.one("Customer", DisplayName="Jo Smith")
        company = QboConnection.objects.get(pk=self.company.pk)
        self.assertNotEqual(company.access_token, self.company.access_token)

    def test_it_keeps_everything_queued_when_the_grant_dies_and_lands_it_after_reconnecting(
        self,
    ) -> None:
        self.connection.alert_emails = "ops@example.com"
        self.connection.save(update_fields=["alert_emails"])
        self.post_ok("add_orders", envelope("order", order(), **order_params()))
        self.qbo.expire_access_tokens()
        self.revoke_at_intuit()

        summary = self.push()

        self.assertTrue(summary.stopped)
        company = QboConnection.objects.get(pk=self.company.pk)
        self.assertEqual(company.status, QboConnection.Status.NEEDS_RECONNECT)
        self.assertEqual(
            set(
                QueuedObject.objects.filter(connection=self.connection).values_list(
                    "phase", flat=True
                )
            )
            - {Phase.PENDING, Phase.TWO_PHASE_PENDING},
            set(),
        )
        self.assertFalse(QueuedObject.objects.filter(retry_count__gt=0).exists())
        incident = Incident.objects.open().get(connection=self.connection)
        self.assertTrue(incident.deliveries.exists())
        health = self.health()
        self.assertEqual(health.status_code, 500, health.content)

        grant = self.qbo.connect()
        tokens.connect(
            company,
            TokenSet.from_answer(grant, timezone.now()),
            self.realm,
            timezone.now(),
        )
        self.push()

        self.one("SalesReceipt", DocNumber="R1001")
        self.assertEqual(self.messages("fail"), [])

    def test_it_waits_out_a_429_burst_and_fails_nothing(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.qbo.inject_throttle(2, retry_after=7)

        self.push()

        self.one("Customer", DisplayName="Jo Smith")
        self.assertEqual(self.sleeps[:2], [7, 7])

    def test_it_gives_objects_back_untouched_when_throttling_outlasts_the_pass(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.qbo.inject_throttle(50)

        summary = self.push()

        self.assertTrue(summary.stopped)
        jo = self.obj("customers", "Jo Smith")
        self.assertEqual((jo.phase, jo.retry_count), (Phase.PENDING, 0))
        company = QboConnection.objects.get(pk=self.company.pk)
        self.assertIsNotNone(company.throttled_until)

    def test_it_retries_after_a_server_error_and_writes_once(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.qbo.inject_server_error(1)

        self.push()
        self.make_due()
        self.push()

        self.one("Customer", DisplayName="Jo Smith")
        self.assertEqual(self.obj("customers", "Jo Smith").phase, Phase.PROCESSED)

    def test_it_never_duplicates_a_record_whose_answer_was_lost(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.qbo.inject_server_error(1, after_write=True, drop=True)

        self.push()
        self.qbo.forget_request_ids()  # Intuit may forget a requestid: the look-up decides
        self.make_due()
        self.push()

        self.one("Customer", DisplayName="Jo Smith")
        self.assertEqual(self.obj("customers", "Jo Smith").phase, Phase.PROCESSED)

    def test_it_refuses_what_quickbooks_online_would_refuse_and_stores_nothing(self) -> None:
        status, data = self.post("add_customers", envelope("customer", customer("J" * 501)))

        self.assertEqual(status, 400, data)
        self.assertIn("name", data["summary"])
        self.assertFalse(QueuedObject.objects.filter(connection=self.connection).exists())

    def test_it_keeps_each_call_for_the_admin(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))

        self.push()

        jo = self.obj("customers", "Jo Smith")
        calls = QboCall.objects.filter(queued_object=jo)
        self.assertTrue(calls.filter(method="POST", http_status=200).exists())
        self.assertFalse(any("Bearer" in call.request_body for call in calls))

    def test_it_shows_the_json_sent_and_received_on_the_objects_admin_page(self) -> None:
        self.post_ok("add_customers", envelope("customer", customer()))
        self.push()
        operator = get_user_model().objects.create_superuser("operator", "", "password")
        browser = Client()
        browser.force_login(operator)

        page = browser.get(
            reverse(
                "admin:objects_queuedobject_change", args=[self.obj("customers", "Jo Smith").pk]
            )
        )

        self.assertEqual(page.status_code, 200)
        text = page.content.decode()
        self.assertIn("POST /customer", text)
        self.assertIn("&quot;DisplayName&quot;: &quot;Jo Smith&quot;", text)
        company = QboConnection.objects.get(pk=self.company.pk)
        self.assertNotIn(company.access_token, text)

    def test_it_pushes_everything_once_when_two_workers_start_a_pass_at_once(self) -> None:
        if db.vendor != "postgresql":
            if os.environ.get("CI") == "true":
                raise AssertionError("CI runs the suite on PostgreSQL (DATABASE_URL)")
            self.skipTest("concurrent passes need PostgreSQL")
        # Every refresh rotates the refresh token, and the first call of either pass refreshes.
        self.qbo.oauth.rotation_interval = 0
        self.qbo.expire_access_tokens()
        names = [f"Customer {n}" for n in range(6)]
        self.post_ok(
            "add_customers",
            envelope("customer", [customer(name) for name in names]),
        )
        barrier = threading.Barrier(2)
        summaries: list[PassSummary] = []

        def worker() -> None:
            try:
                barrier.wait()
                summaries.append(run_pass(self.connection, sleep=self.sleeps.append))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        self.assertEqual(sum(s.processed for s in summaries), len(names))
        for name in names:
            self.one("Customer", DisplayName=name)
        # The rotated refresh token was kept: the connection still works.
        self.qbo.expire_access_tokens()
        self.post_ok("add_customers", envelope("customer", customer("Late Comer"), "req-2"))
        self.push()
        self.one("Customer", DisplayName="Late Comer")

    def test_it_hands_out_what_the_pass_read_for_a_get_call(self) -> None:
        self.qbo.seed(self.realm, "Customer", {"DisplayName": "Amy's Bird Sanctuary"})
        status, first = self.post("get_customers", {"request_id": "g-1", "parameters": {}})
        self.assertEqual((status, first.get("customers")), (200, None))

        summary = self.push()

        assert summary.feed is not None
        self.assertTrue(summary.feed.ran, summary.feed)
        status, second = self.post("get_customers", {"request_id": "g-2", "parameters": {}})
        self.assertEqual(status, 200, second)
        self.assertEqual(
            [record["name"] for record in second["customers"]], ["Amy's Bird Sanctuary"]
        )

    def test_it_reads_a_change_at_once_when_intuit_says_so(self) -> None:
        amy = self.qbo.seed(self.realm, "Customer", {"DisplayName": "Amy"})
        self.post_ok("get_customers", {"request_id": "g-1", "parameters": {}})
        self.push()  # the first read
        self.post_ok("get_customers", {"request_id": "g-2", "parameters": {}})
        with self.settings(QBO_WEBHOOK_VERIFIER_TOKEN="verifier-of-the-test"):
            self.qbo.webhooks.configure(
                f"{self.live_server_url}/qbo/webhooks", "verifier-of-the-test"
            )
            self.qbo.edit(self.realm, "Customer", amy["Id"], CompanyName="Amy's Birds")
            self.assertEqual(self.qbo.webhooks.deliver(), 1)

            summary = self.push()  # well inside the 10-minute poll interval

        assert summary.feed is not None
        self.assertTrue(summary.feed.ran, summary.feed)
        status, data = self.post("get_customers", {"request_id": "g-3", "parameters": {}})
        self.assertEqual(status, 200, data)
        self.assertEqual([record.get("company") for record in data["customers"]], ["Amy's Birds"])

    # -- helpers --------------------------------------------------------------------
    def make_due(self) -> None:
        QueuedObject.objects.filter(connection=self.connection).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )

    def revoke_at_intuit(self) -> None:
        """The company's user disconnected the app at Intuit: the grant is gone."""
        company = QboConnection.objects.get(pk=self.company.pk)
        from qbo.endpoints import endpoints_for
        from qbo.oauth import revoke_token

        revoke_token(
            endpoints_for("production"),
            self.qbo.client_id,
            self.qbo.client_secret,
            company.refresh_token,
        )

    def health(self) -> Any:
        return Client().post(
            "/get_health_check",
            {"request_id": "h-1", "parameters": {}},
            content_type="application/json",
            HTTP_X_HUB_STORE=SHOP,
            HTTP_X_HUB_TOKEN=WEBHOOK_TOKEN,
        )


def product(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "product_id": name,
        "description": f"{name} description",
        "price": "10.00",
        "cost": "4.00",
        "quantity": 5,
        **fields,
    }
