"""Batch in the double (spec §8): per-item answers keyed by bId, 200 with item faults, 30 max."""

from __future__ import annotations

from typing import Any

from qbo.tests.helpers import DoubleTestCase


class BatchTestCase(DoubleTestCase):
    def batch(self, *items: dict[str, Any]) -> dict[str, dict[str, Any]]:
        answer = self.call("POST", "batch", {"BatchItemRequest": list(items)})
        self.assertEqual(answer.status, 200, answer.raw)
        return {item["bId"]: item for item in answer.body["BatchItemResponse"]}

    def test_it_runs_creates_and_queries_and_reports_faults_per_item(self) -> None:
        self.create("Customer", {"DisplayName": "Taken"})
        answers = self.batch(
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Amy"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Taken"}},
            {"bId": "3", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Taken'"},
        )
        self.assertEqual(answers["1"]["Customer"]["DisplayName"], "Amy")
        self.assertEqual(answers["2"]["Fault"]["Error"][0]["code"], "6240")
        self.assertEqual(len(answers["3"]["QueryResponse"]["Customer"]), 1)

    def test_it_hides_earlier_creates_from_later_items(self) -> None:
        item = self.make_item("Pump")
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 5,
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
        }
        answers = self.batch(
            {"bId": "c", "operation": "create", "Customer": {"DisplayName": "New"}},
            {
                "bId": "i",
                "operation": "create",
                "Invoice": {"CustomerRef": {"value": "1"}, "Line": [line]},
            },
        )
        self.assertEqual(answers["c"]["Customer"]["Id"], "1")
        self.assertEqual(answers["i"]["Fault"]["Error"][0]["code"], "2500")
        self.assertEqual(self.call("GET", "customer/1").status, 200)

    def test_it_can_let_later_items_see_earlier_creates(self) -> None:
        self.qbo.settings.batch_sees_earlier_creates = True
        answers = self.batch(
            {"bId": "c", "operation": "create", "Customer": {"DisplayName": "New"}},
            {
                "bId": "u",
                "operation": "update",
                "Customer": {"Id": "1", "SyncToken": "0", "sparse": True, "Notes": "x"},
            },
        )
        self.assertEqual(answers["u"]["Customer"]["SyncToken"], "1")

    def test_it_refuses_more_than_30_items(self) -> None:
        items = [{"bId": str(n), "Query": "SELECT * FROM Customer"} for n in range(31)]
        answer = self.call("POST", "batch", {"BatchItemRequest": items})
        self.assertEqual(answer.status, 400)
