"""Change Data Capture in the double (spec §7)."""

from __future__ import annotations

from typing import Any

from qbo.tests.helpers import DoubleTestCase


class CdcTestCase(DoubleTestCase):
    def cdc(self, entities: str, since: str) -> list[dict[str, Any]]:
        answer = self.call("GET", "cdc", params={"entities": entities, "changedSince": since})
        self.assertEqual(answer.status, 200, answer.raw)
        self.assertIn("time", answer.body)
        responses: list[dict[str, Any]] = answer.body["CDCResponse"][0]["QueryResponse"]
        return responses

    def test_it_returns_the_latest_state_once_per_object_in_request_order(self) -> None:
        early = self.create("Customer", {"DisplayName": "Before"})
        self.clock.advance(60)
        customer = self.create("Customer", {"DisplayName": "Amy"})
        self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"},
        )
        responses = self.cdc("Invoice,Customer", "2026-03-02T09:00:30-08:00")
        self.assertEqual(responses[0], {})
        customers = responses[1]["Customer"]
        self.assertEqual([(c["Id"], c["SyncToken"]) for c in customers], [(customer["Id"], "1")])
        self.assertNotEqual(early["Id"], customer["Id"])

    def test_it_reports_deletions_and_deactivations(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        item = self.make_item("Pump")
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 5,
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
        }
        invoice = self.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
        self.clock.advance(60)
        self.call(
            "POST", "invoice", {"Id": invoice["Id"], "SyncToken": "0"}, {"operation": "delete"}
        )
        self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False},
        )
        invoices, customers = self.cdc("Invoice,Customer", "2026-03-02T17:00:30Z")
        self.assertEqual(
            invoices["Invoice"],
            [
                {
                    "domain": "QBO",
                    "status": "Deleted",
                    "Id": invoice["Id"],
                    "MetaData": {"LastUpdatedTime": "2026-03-02T09:01:00-08:00"},
                }
            ],
        )
        self.assertEqual([c["Active"] for c in customers["Customer"]], [False])

    def test_it_refuses_a_window_older_than_30_days(self) -> None:
        answer = self.call(
            "GET", "cdc", params={"entities": "Customer", "changedSince": "2026-01-30T17:00:00Z"}
        )
        self.assertEqual(answer.status, 400)
        self.assertIn("older than 30 days", answer.body["Fault"]["Error"][0]["Detail"])

    def test_it_refuses_a_changed_since_that_is_not_a_datetime(self) -> None:
        answer = self.call(
            "GET",
            "cdc",
            params={"entities": "Customer", "changedSince": "2026-03-02T09:00:00 01:00"},
        )
        self.assertEqual((answer.status, answer.codes()), (400, ["2010"]))
        missing = self.call("GET", "cdc", params={"entities": "Customer"})
        self.assertEqual(missing.codes(), ["2020"])

    def test_it_refuses_entities_cdc_does_not_support(self) -> None:
        answer = self.call(
            "GET", "cdc", params={"entities": "TaxCode", "changedSince": "2026-03-01T00:00:00Z"}
        )
        self.assertEqual(answer.status, 400)

    def test_it_caps_the_whole_answer_without_paging(self) -> None:
        self.qbo.settings.cdc_limit = 3
        for index in range(3):
            self.create("Customer", {"DisplayName": f"C{index}"})
            self.create("Vendor", {"DisplayName": f"V{index}"})
        customers, vendors = self.cdc("Customer,Vendor", "2026-03-02T00:00:00Z")
        self.assertEqual(len(customers["Customer"]), 3)
        self.assertEqual(vendors, {})
