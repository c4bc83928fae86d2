"""The qbXML of operations API queries: valid against Intuit's 13.0 and 16.0 schemas."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import SimpleTestCase
from lxml import etree

from objects.api.queries import ENTITIES, get_query, parse_query
from qbsync.test import require_xsd_dir
from qbwc.qbxml.entity_queries import ITEM_TYPES, build, refusal
from qbwc.qbxml.validate import errors_in_request

MOMENT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).isoformat()
# Every filter qbXML expresses, alone and in the combinations qbXML allows.
EXPRESSIBLE: dict[str, list[dict[str, str]]] = {
    "Customer": [
        {"id": "80000001-1"}, {"display_name": "Amy"}, {"display_name__like": "Am%"},
        {"display_name__like": "%my"}, {"display_name__like": "%m%"}, {"is_active": "false"},
        {"is_active": "true", "updated_at__gte": MOMENT, "display_name__like": "%m%",
         "limit": "5", "offset": "5"},
    ],
    "Vendor": [{"id": "80000001-1"}, {"display_name__like": "L%", "is_active": "true"}],
    "Item": [
        {"id": "80000001-1"}, {"name": "Widget"}, {"name__like": "%dg%"},
        *({"type": kind, "is_active": "true", "updated_at__gte": MOMENT} for kind in ITEM_TYPES),
    ],
    **{
        entity: [
            {"id": "1-1"}, {"ref_number": "1001"},
            {"customer_id": "80000001-1", "updated_at__gte": MOMENT},
            {"customer_id": "80000001-1", "transaction_date__gte": "2026-02-01"},
        ]
        for entity in ("Invoice", "SalesReceipt", "SalesOrder", "CreditMemo")
    },
    "Payment": [{"id": "1-1"}, {"customer_id": "80000001-1", "updated_at__gte": MOMENT}],
    "PurchaseOrder": [
        {"id": "1-1"}, {"ref_number": "5001"},
        {"vendor_id": "80000001-1", "transaction_date__gte": "2026-02-01"},
    ],
    "JournalEntry": [
        {"id": "1-1"}, {"ref_number": "J-1"}, {"updated_at__gte": MOMENT, "limit": "5"},
        {"transaction_date__gte": "2026-02-01", "offset": "5"},
    ],
    "Account": [
        {"id": "80000001-1"}, {"name": "Bank"}, {"name__like": "Sa%"},
        {"is_active": "false", "type": "Income", "updated_at__gte": MOMENT,
         "name__like": "%ale%"},
    ],
}  # fmt: skip


class EntityQueriesTestCase(SimpleTestCase):
    def test_it_builds_queries_valid_against_both_schemas(self) -> None:
        xsd = require_xsd_dir()
        for entity, cases in EXPRESSIBLE.items():
            for params in cases:
                query = parse_query(entity, params)
                self.assertEqual(refusal(query), "", (entity, params))
                rq = build(query)
                for version in ("13.0", "16.0"):
                    with self.subTest(entity=entity, version=version, **params):
                        errors = errors_in_request(rq, version, xsd)
                        self.assertEqual(errors, [], etree.tostring(rq))

    def test_it_builds_valid_gets_of_every_entity_it_has(self) -> None:
        xsd = require_xsd_dir()
        for entity in EXPRESSIBLE:
            rq = build(get_query(entity, "80000001-1"))
            for version in ("13.0", "16.0"):
                with self.subTest(entity=entity, version=version):
                    self.assertEqual(errors_in_request(rq, version, xsd), [])

    def test_it_covers_every_entity_of_the_api_but_the_estimate(self) -> None:
        self.assertEqual(set(ENTITIES) - set(EXPRESSIBLE), {"Estimate"})

    def test_it_asks_for_offset_plus_limit_and_reads_from_the_offset(self) -> None:
        rq = build(parse_query("Customer", {"limit": "5", "offset": "10"}))

        self.assertEqual(rq.findtext("MaxReturned"), "15")

    def test_it_asks_for_an_account_type_after_the_name_filter(self) -> None:
        rq = build(parse_query("Account", {"type": "Income", "name__like": "Sa%"}))

        self.assertEqual([child.tag for child in rq][-2:], ["NameFilter", "AccountType"])
        self.assertEqual(rq.findtext("AccountType"), "Income")

    def test_it_reads_a_like_without_wildcard_as_the_full_name(self) -> None:
        rq = build(parse_query("Customer", {"display_name__like": "Amy Birds"}))

        self.assertEqual(rq.findtext("FullName"), "Amy Birds")
