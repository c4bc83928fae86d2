from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import TestCase, override_settings

from qbo.client import encode_json
from qbo.errors import Duplicate, NotFound, Throttled, Transient
from qbo.models import QboConnection
from qbo.tests.connected import ConnectedMixin
from qbo.tests.helpers import START


class ClientTestCase(ConnectedMixin, TestCase):
    def accounts(self) -> dict[str, str]:
        return {a["Name"]: a["Id"] for a in self.double.entities(self.double.realm_id, "Account")}

    def make_item(self, name: str, price: Decimal) -> dict[str, Any]:
        body = {
            "Name": name,
            "Type": "Service",
            "UnitPrice": price,
            "IncomeAccountRef": {"value": self.accounts()["Services"]},
        }
        return self.api().create("Item", body, request_id=f"item-{name}")

    def sale_lines(self, item: dict[str, Any], qty: int, price: Decimal) -> list[dict[str, Any]]:
        return [
            {
                "Amount": qty * price,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": item["Id"]},
                    "Qty": qty,
                    "UnitPrice": price,
                },
            }
        ]

    def test_it_sends_minorversion_and_requestid_and_records_intuit_tid(self) -> None:
        created = self.api().create("Customer", {"DisplayName": "Amy"}, request_id="obj-1")

        self.assertEqual(created["DisplayName"], "Amy")
        sent = self.double.requests[-1]
        self.assertEqual((sent.method, sent.minor_version, sent.request_id), ("POST", 75, "obj-1"))
        [record] = self.records
        self.assertEqual(record.path, "/customer?minorversion=75&requestid=obj-1")
        self.assertEqual((record.kind, record.http_status, record.code), ("create", 200, ""))
        self.assertEqual(record.intuit_tid, sent.intuit_tid)
        self.assertEqual(record.request_body, '{"DisplayName":"Amy"}')

    def test_it_round_trips_decimal_money(self) -> None:
        item = self.make_item("Feeding", Decimal("19.99"))

        self.assertEqual(item["UnitPrice"], Decimal("19.99"))
        self.assertIsInstance(item["UnitPrice"], Decimal)
        self.assertIn('"UnitPrice":19.99', self.records[0].request_body)

    def test_it_writes_decimal_as_a_plain_number(self) -> None:
        self.assertEqual(
            encode_json({"a": Decimal("1E+2"), "b": [Decimal("0.10"), "x", None, True]}),
            '{"a":100,"b":[0.10,"x",null,true]}',
        )

    def test_it_refreshes_once_and_retries_when_the_access_token_expires_mid_pass(self) -> None:
        self.double.oauth.rotation_interval = 0
        client = self.api()
        created = client.create("Customer", {"DisplayName": "Amy"}, request_id="obj-1")
        self.double.expire_access_tokens()

        read = client.get("Customer", created["Id"])

        self.assertEqual(read["DisplayName"], "Amy")
        self.assertEqual([r.http_status for r in self.records], [200, 401, 200])
        self.assertEqual(self.records[1].code, "3200")
        stored = QboConnection.objects.get(pk=self.qbo.pk)
        self.assertEqual(stored.refresh_token, self.current_refresh_token())
        self.assertEqual(stored.access_token, self.qbo.access_token)

    def test_it_waits_out_a_429_burst_as_long_as_intuit_asks(self) -> None:
        self.double.inject_throttle(3, retry_after=5)

        info = self.api().company_info()

        self.assertEqual(info["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(self.waits, [5.0, 5.0, 5.0])
        self.assertEqual([r.http_status for r in self.records], [429, 429, 429, 200])

    @override_settings(QBO_THROTTLE_MAX_WAIT_SECONDS=30)
    def test_it_waits_a_capped_minute_after_an_xml_429(self) -> None:
        self.double.inject_throttle(1, as_xml=True)

        self.api().company_info()

        self.assertEqual(self.waits, [30.0])
        self.assertEqual(self.records[0].code, "3001")

    def test_it_gives_up_after_three_waits(self) -> None:
        self.double.inject_throttle(4)

        with self.assertRaises(Throttled):
            self.api().company_info()

        self.assertEqual(len(self.waits), 3)
        self.assertEqual(
            QboConnection.objects.get(pk=self.qbo.pk).last_intuit_tid, self.records[-1].intuit_tid
        )

    def test_it_takes_a_5xx_for_transient_and_records_the_failure(self) -> None:
        self.double.inject_server_error(1)

        with self.assertRaises(Transient) as raised:
            self.api().company_info()

        self.assertEqual(raised.exception.code, "10000")
        stored = QboConnection.objects.get(pk=self.qbo.pk)
        self.assertIn("10000", stored.last_error)
        self.assertEqual(stored.last_intuit_tid, raised.exception.intuit_tid)

    def test_it_takes_a_dropped_connection_for_transient_and_the_retry_is_not_a_second_write(
        self,
    ) -> None:
        self.double.inject_server_error(1, after_write=True, drop=True)
        client = self.api()

        with self.assertRaises(Transient):
            client.create("Customer", {"DisplayName": "Amy"}, request_id="obj-1")
        again = client.create("Customer", {"DisplayName": "Amy"}, request_id="obj-1")

        self.assertIsNone(self.records[0].http_status)
        self.assertEqual(again["DisplayName"], "Amy")
        self.assertEqual(len(self.double.entities(self.double.realm_id, "Customer")), 1)
        self.assertTrue(self.double.requests[-1].replayed)

    @override_settings(QBO_TIMEOUT_SECONDS=1)
    def test_it_takes_a_timeout_for_transient(self) -> None:
        self.double.hold_requests()
        self.addCleanup(self.double.release_requests)

        with self.assertRaises(Transient):
            self.api().company_info()

        self.assertEqual(self.records[0].message, "ReadTimeout: timed out")

    def test_it_raises_duplicate_with_intuit_s_words(self) -> None:
        client = self.api()
        client.create("Customer", {"DisplayName": "Amy"}, request_id="obj-1")

        with self.assertRaises(Duplicate) as raised:
            client.create("Customer", {"DisplayName": "Amy"}, request_id="obj-2")

        self.assertTrue(str(raised.exception).startswith("6240 Duplicate Name Exists Error: "))
        self.assertEqual(self.records[-1].code, "6240")

    def test_it_raises_not_found_for_a_missing_record(self) -> None:
        with self.assertRaises(NotFound):
            self.api().get("Customer", "999")

    def test_it_pages_a_query_until_a_short_page(self) -> None:
        client = self.api()
        for name in ("A", "B", "C", "D", "E"):
            client.create("Customer", {"DisplayName": name}, request_id=f"c-{name}")
        self.records.clear()

        rows = client.query_all("SELECT * FROM Customer ORDERBY DisplayName", page_size=2)

        self.assertEqual([r["DisplayName"] for r in rows], ["A", "B", "C", "D", "E"])
        self.assertEqual(len(self.records), 3)
        self.assertEqual(
            self.records[0].request_body,
            "SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 1 MAXRESULTS 2",
        )

    def test_it_answers_an_empty_query_response_when_nothing_matches(self) -> None:
        self.assertEqual(self.api().query("SELECT * FROM Customer WHERE DisplayName = 'X'"), {})

    def test_it_voids_an_invoice_and_a_sales_receipt(self) -> None:
        client = self.api()
        customer = client.create("Customer", {"DisplayName": "Amy"}, request_id="c-1")
        item = self.make_item("Feeding", Decimal("10.00"))
        lines = self.sale_lines(item, 2, Decimal("10.00"))
        sale = {"CustomerRef": {"value": customer["Id"]}, "Line": lines}
        invoice = client.create("Invoice", sale, request_id="i-1")
        receipt = client.create("SalesReceipt", sale, request_id="s-1")

        voided = [
            client.void(entity, {"Id": made["Id"], "SyncToken": made["SyncToken"]}, f"v-{entity}")
            for entity, made in (("Invoice", invoice), ("SalesReceipt", receipt))
        ]

        self.assertEqual([v["TotalAmt"] for v in voided], [0, 0])
        self.assertIn("operation=void", self.records[-2].path)
        self.assertIn("operation=update&include=void", self.records[-1].path)
        self.assertIn('"sparse":true', self.records[-1].request_body)

    def test_it_deletes_a_transaction(self) -> None:
        client = self.api()
        customer = client.create("Customer", {"DisplayName": "Amy"}, request_id="c-1")
        item = self.make_item("Feeding", Decimal("10.00"))
        sale = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": self.sale_lines(item, 1, Decimal("10.00")),
        }
        receipt = client.create("SalesReceipt", sale, request_id="s-1")

        deleted = client.delete("SalesReceipt", {"Id": receipt["Id"], "SyncToken": "0"}, "d-1")

        self.assertEqual(deleted["status"], "Deleted")
        self.assertEqual(self.double.deleted(self.double.realm_id, "SalesReceipt"), [receipt["Id"]])

    def test_it_reads_changes_and_sends_batches(self) -> None:
        client = self.api()
        client.create("Customer", {"DisplayName": "Amy"}, request_id="c-1")

        changes = client.cdc(["Customer", "Invoice"], START - timedelta(hours=1))
        answers = client.batch(
            [
                {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Bob"}},
                {"bId": "2", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Amy'"},
            ]
        )

        [amy] = changes["CDCResponse"][0]["QueryResponse"][0]["Customer"]
        self.assertEqual(amy["DisplayName"], "Amy")
        by_id = {a["bId"]: a for a in answers}
        self.assertEqual(by_id["1"]["Customer"]["DisplayName"], "Bob")
        self.assertEqual(len(by_id["2"]["QueryResponse"]["Customer"]), 1)
        self.assertEqual([r.kind for r in self.records[1:]], ["cdc", "batch"])

    def test_it_never_logs_the_access_token(self) -> None:
        with self.assertLogs("qbo", level="DEBUG") as logs:
            self.api().company_info()

        self.assertNotIn(self.qbo.access_token, "\n".join(logs.output))
