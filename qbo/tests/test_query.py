"""The double's query language (spec §6): operators, paging, COUNT, defaults and errors."""

from __future__ import annotations

from typing import Any

from qbo.double.store import Company
from qbo.tests.helpers import DoubleTestCase


class QueryTestCase(DoubleTestCase):
    def setUp(self) -> None:
        super().setUp()
        for name, email in (
            ("Amy's Bird Sanctuary", "amy@example.com"),
            ("Bill's Windsurf", "bill@example.com"),
            ("Cool Cars", None),
        ):
            body: dict[str, Any] = {"DisplayName": name}
            if email:
                body["PrimaryEmailAddr"] = {"Address": email}
            self.create("Customer", body)
            self.clock.advance(60)

    def names(self, statement: str) -> list[str]:
        response = self.found(statement)
        return [c["DisplayName"] for c in response.get("Customer", [])]

    def test_it_selects_everything_ordered_by_id(self) -> None:
        response = self.found("SELECT * FROM Customer")
        self.assertEqual([c["Id"] for c in response["Customer"]], ["1", "2", "3"])
        self.assertEqual((response["startPosition"], response["maxResults"]), (1, 3))

    def test_it_filters_with_equals_like_and_in(self) -> None:
        self.assertEqual(
            self.names("SELECT * FROM Customer WHERE DisplayName = 'Cool Cars'"), ["Cool Cars"]
        )
        self.assertEqual(
            self.names("select * from customer where displayname like '%bird%'"),
            ["Amy's Bird Sanctuary"],
        )
        self.assertEqual(
            self.names("SELECT * FROM Customer WHERE Id IN ('1', '3')"),
            ["Amy's Bird Sanctuary", "Cool Cars"],
        )
        self.assertEqual(
            self.names("SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE 'bill%'"),
            ["Bill's Windsurf"],
        )

    def test_it_reads_backslash_escaped_quotes(self) -> None:
        self.assertEqual(
            self.names(r"SELECT * FROM Customer WHERE DisplayName = 'Bill\'s Windsurf'"),
            ["Bill's Windsurf"],
        )

    def test_it_compares_times_as_instants_across_offsets(self) -> None:
        # Customer 2 was written at 17:01:00 UTC = 09:01:00-08:00 = 18:01:00+01:00.
        statement = (
            "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime > '2026-03-02T18:00:30+01:00'"
            " AND MetaData.LastUpdatedTime <= '2026-03-02T09:01:00-08:00'"
        )
        self.assertEqual(self.names(statement), ["Bill's Windsurf"])

    def test_it_orders_descending_with_either_spelling(self) -> None:
        expected = ["Cool Cars", "Bill's Windsurf", "Amy's Bird Sanctuary"]
        self.assertEqual(self.names("SELECT * FROM Customer ORDERBY DisplayName DESC"), expected)
        self.assertEqual(
            self.names("SELECT * FROM Customer ORDER BY MetaData.LastUpdatedTime DESC"), expected
        )

    def test_it_pages_from_position_one_until_an_empty_response(self) -> None:
        pages = [
            self.found(f"SELECT * FROM Customer STARTPOSITION {start} MAXRESULTS 2")
            for start in (1, 3, 5)
        ]
        self.assertEqual([len(p.get("Customer", [])) for p in pages], [2, 1, 0])
        self.assertEqual(pages[1]["startPosition"], 3)
        self.assertEqual(pages[2], {})

    def test_it_counts(self) -> None:
        self.assertEqual(
            self.found("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE '%i%'"),
            {"totalCount": 2},
        )

    def test_it_answers_an_empty_response_for_no_match(self) -> None:
        self.assertEqual(self.found("SELECT * FROM Customer WHERE DisplayName = 'Nobody'"), {})

    def test_it_accepts_the_statement_as_a_post_body(self) -> None:
        answer = self.call(
            "POST", "query", b"SELECT * FROM Customer MAXRESULTS 1", content_type="application/text"
        )
        self.assertEqual(len(answer.body["QueryResponse"]["Customer"]), 1)

    def test_it_filters_items_by_type_and_amounts_by_number(self) -> None:
        self.make_item("Pump")
        self.make_item("Rock", "Inventory")
        self.assertEqual(
            [i["Name"] for i in self.found("SELECT * FROM Item WHERE Type = 'Inventory'")["Item"]],
            ["Rock"],
        )
        invoice_lines = [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": 30,
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ]
        self.create("Invoice", {"CustomerRef": {"value": "2"}, "Line": invoice_lines})
        self.assertEqual(
            len(
                self.found("SELECT * FROM Invoice WHERE TotalAmt >= 30 AND CustomerRef = '2'")[
                    "Invoice"
                ]
            ),
            1,
        )
        self.assertEqual(self.found("SELECT * FROM Invoice WHERE TotalAmt < 30"), {})
        self.assertEqual(
            self.names("SELECT * FROM Customer WHERE Balance > '0'"), ["Bill's Windsurf"]
        )

    def test_it_answers_4001_above_1000_results(self) -> None:
        answer = self.query("SELECT * FROM Customer MAXRESULTS 1001")
        self.assertEqual((answer.status, answer.codes()), (400, ["4001"]))
        self.assertIn("Max allowed value is 1000", answer.body["Fault"]["Error"][0]["Detail"])

    def test_it_answers_4001_for_a_property_that_is_not_filterable(self) -> None:
        answer = self.query("SELECT * FROM Customer WHERE Notes = 'x'")
        self.assertEqual(answer.codes(), ["4001"])
        self.assertIn(
            "Property Notes not found for Entity Customer",
            answer.body["Fault"]["Error"][0]["Detail"],
        )

    def test_it_answers_4000_for_syntax_it_does_not_support(self) -> None:
        for statement in (
            "SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'",
            "SELECT Id, DisplayName FROM Customer",
            "SELECT * FROM Customer WHERE DisplayName = 'unclosed",
            "SELECT * FROM Customer GROUP BY DisplayName",
            "SELECT * FROM Customer JOIN Invoice",
            "SELECT * FROM",
        ):
            with self.subTest(statement):
                self.assertEqual(self.query(statement).codes(), ["4000"])

    def test_it_runs_a_hook_between_page_requests(self) -> None:
        def insert_one(company: Company, statement: str) -> None:
            if "STARTPOSITION 3" in statement:
                company.create("Customer", {"DisplayName": "Aardvark"})

        self.qbo.before_query(insert_one)
        first = self.names(
            "SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 1 MAXRESULTS 2"
        )
        second = self.names(
            "SELECT * FROM Customer ORDERBY DisplayName STARTPOSITION 3 MAXRESULTS 2"
        )
        # The new record sorts first, so one record is seen twice: the reason to page by time.
        self.assertEqual(first[1:], second[:1])
