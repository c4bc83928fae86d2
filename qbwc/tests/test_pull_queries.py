"""Every poll query qbsync can generate validates against the 13.0 and 16.0 XSDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from django.test import SimpleTestCase

from objects.types.pulls import PULL_ROUTES
from qbsync.test import require_xsd_dir
from qbwc.qbxml.queries import (
    POLL_KINDS,
    deleted_query,
    items_by_name,
    poll_kind,
    poll_query,
    qb_datetime,
)
from qbwc.qbxml.validate import errors_in_request

PACIFIC = timezone(timedelta(hours=-8))
SINCE = datetime(2021, 2, 3, 10, 13, tzinfo=PACIFIC)


class PullQueriesTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.xsd = require_xsd_dir()

    def assert_valid(self, rq: object) -> None:
        for version in ("13.0", "16.0"):
            self.assertEqual(errors_in_request(rq, version, self.xsd), [], version)  # type: ignore[arg-type]

    def test_it_builds_valid_start_and_continue_pages_for_every_route(self) -> None:
        for route, kind in POLL_KINDS.items():
            for stream in kind.streams:
                for since in (None, SINCE):
                    for iterator_id in ("", "{0E4D6A2F-1111-4A3B-9C1D-0123456789AB}"):
                        for inactive in (True, False):
                            with self.subTest(route, stream=stream.query_tag, since=since,
                                              iterator=iterator_id, inactive=inactive):  # fmt: skip
                                self.assert_valid(
                                    poll_query(
                                        kind,
                                        stream,
                                        since=since,
                                        page_size=100,
                                        iterator_id=iterator_id,
                                        include_inactive=inactive,
                                    )  # fmt: skip
                                )

    def test_it_builds_valid_deleted_queries(self) -> None:
        for route, kind in POLL_KINDS.items():
            if not kind.deleted_types:
                continue
            for since in (None, SINCE):
                with self.subTest(route, since=since):
                    self.assert_valid(deleted_query(kind, since))

    def test_it_builds_a_valid_read_of_items_by_name(self) -> None:
        self.assert_valid(items_by_name(["Widget", "Parts:Nut & Bolt <M6>"]))

    def test_it_reads_only_the_item_lines_of_stock_moving_transactions(self) -> None:
        kind = poll_kind("get_inventories")
        touching = [s for s in kind.streams if s.touches]
        self.assertEqual(len(touching), 7)
        rq = poll_query(kind, touching[0], since=SINCE, page_size=100)
        self.assertEqual(rq.tag, "InvoiceQueryRq")
        self.assertEqual([e.text for e in rq.findall("IncludeRetElement")],
                         ["TxnID", "TimeModified", "InvoiceLineRet", "InvoiceLineGroupRet"])  # fmt: skip
        self.assertEqual(rq.findtext("ModifiedDateRangeFilter/FromModifiedDate"),
                         "2021-02-03T10:13:00-08:00")  # fmt: skip

    def test_it_filters_item_sites_by_site(self) -> None:
        kind = poll_kind("get_inventorywithsites")
        rq = poll_query(kind, kind.streams[0], since=None, page_size=100, site="Warehouse 2")
        self.assert_valid(rq)
        self.assertEqual(rq.findtext("ItemSiteFilter/SiteFilter/FullName"), "Warehouse 2")

    def test_it_asks_for_inactive_list_records_so_deactivations_are_seen(self) -> None:
        kind = poll_kind("get_customers")
        rq = poll_query(kind, kind.streams[0], since=SINCE, page_size=100)
        self.assertEqual(rq.findtext("ActiveStatus"), "All")
        self.assertEqual(rq.findtext("FromModifiedDate"), "2021-02-03T10:13:00-08:00")
        self.assertEqual(rq.findtext("OwnerID"), "0")
        self.assertEqual((rq.get("iterator"), rq.findtext("MaxReturned")), ("Start", "100"))

    def test_it_repeats_the_filters_when_continuing(self) -> None:
        kind = poll_kind("get_invoices")
        rq = poll_query(kind, kind.streams[0], since=SINCE, page_size=50, iterator_id="{X}")
        self.assertEqual((rq.get("iterator"), rq.get("iteratorID")), ("Continue", "{X}"))
        self.assertEqual(
            rq.findtext("ModifiedDateRangeFilter/FromModifiedDate"), "2021-02-03T10:13:00-08:00"
        )
        self.assertEqual(rq.findtext("IncludeLineItems"), "true")
        self.assertEqual(rq.findtext("IncludeLinkedTxns"), "true")

    def test_it_writes_date_times_with_an_explicit_offset(self) -> None:
        self.assertEqual(qb_datetime(datetime(2021, 2, 3, 18, 0, tzinfo=UTC)),
                         "2021-02-03T18:00:00+00:00")  # fmt: skip

    def test_it_polls_inventory_parts_and_assemblies_for_get_inventories(self) -> None:
        self.assertEqual(
            poll_kind("get_inventory").stream_names[:2],
            ("ItemInventoryQueryRq", "ItemInventoryAssemblyQueryRq"),
        )


class PullRoutesTestCase(SimpleTestCase):
    def test_it_polls_every_route_the_core_hands_out(self) -> None:
        self.assertEqual(set(POLL_KINDS), set(PULL_ROUTES))
        for route, names in PULL_ROUTES.items():
            self.assertEqual(poll_kind(route).response_key, names.response_key)

    def test_it_polls_the_legacy_singular_route_as_get_inventories(self) -> None:
        self.assertIs(poll_kind("get_inventory"), POLL_KINDS["get_inventories"])
