"""The QBO change feed (qbo.feed) against the double over HTTP: sweeps, CDC, the cap, the
30-day look-back, versions, tombstones and the triggers' signal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import override_settings

from objects.models import PollConfig, PulledRecord
from qbo.double.query import parse
from qbo.double.store import Company
from qbo.feed import nudge, run_feed
from qbo.feed_models import Feed, FeedState
from qbo.tests.feedkit import FeedTestCase


class SweepTestCase(FeedTestCase):
    def test_it_reads_every_record_once_page_by_page(self) -> None:
        self.qbo.max_results = 4
        self.qbo.save(update_fields=["max_results"])
        for index in range(23):
            self.customer(f"Cust {index:02d}")
            if index % 3 == 0:
                self.clock.advance(1)
        self.poll("get_customers")
        summary = self.feed()
        self.assertEqual(summary.entities["Customer"], "sweep")
        self.assertEqual(
            sorted(int(qb_id) for qb_id, _v in self.versions("get_customers")),
            list(range(1, 24)),
        )

    def test_it_steps_through_a_second_holding_more_than_a_page(self) -> None:
        self.qbo.max_results = 5
        self.qbo.save(update_fields=["max_results"])
        for index in range(17):  # one frozen second: the pages share one LastUpdatedTime
            self.customer(f"Cust {index:02d}")
        self.poll("get_customers")
        self.feed()
        self.assertEqual(len(self.versions("get_customers")), 17)

    def test_it_misses_no_record_written_or_changed_while_it_pages(self) -> None:
        self.qbo.max_results = 5
        self.qbo.save(update_fields=["max_results"])
        for index in range(20):
            self.customer(f"Cust {index:02d}")
            self.clock.advance(1)
        writes: list[str] = []

        def meanwhile(company: Company, statement: str) -> None:
            if parse(statement).spec.name != "Customer" or len(writes) >= 3:
                return
            writes.append(statement)
            self.clock.advance(1)
            company.create("Customer", {"DisplayName": f"During {len(writes)}"})
            # An early record changes: it leaves the range and shifts the pages after it.
            first = company.records["Customer"][str(len(writes))]
            company.update(
                "Customer",
                {"Id": first["Id"], "SyncToken": first["SyncToken"], "sparse": True, "Notes": "x"},
            )

        self.double.before_query(meanwhile)
        self.poll("get_customers")
        self.feed()
        self.double.before_query(None)
        names = {p.record["name"] for p in self.buffered("get_customers")}
        self.assertEqual(len(names), 23)
        self.assertTrue({"During 1", "During 2", "During 3"} <= names)
        newest = {p.qb_id: p.version for p in self.buffered("get_customers")}
        self.assertEqual([newest[qb_id] for qb_id in ("1", "2", "3")], ["1", "1", "1"])

    def test_it_hands_out_no_inactive_record_unless_asked(self) -> None:
        gone = self.customer("Gone")
        self.edit("Customer", gone["Id"], Active=False)
        self.customer("Here")
        self.poll("get_customers")
        self.poll("get_vendors", query_inactive="1")
        self.seed("Vendor", {"DisplayName": "Old supplier", "Active": False})
        self.feed()
        self.assertEqual([p.record["name"] for p in self.buffered("get_customers")], ["Here"])
        self.assertEqual([p.record["is_active"] for p in self.buffered("get_vendors")], [False])

    def test_it_hands_out_nothing_older_than_quickbooks_since_on_the_first_read(self) -> None:
        self.customer("Old")
        self.clock.advance(3600)
        self.customer("New")
        since = (self.clock.now() - timedelta(minutes=5)).isoformat()
        self.poll("get_customers", quickbooks_since=since)
        self.feed()
        self.assertEqual([p.record["name"] for p in self.buffered("get_customers")], ["New"])

    def test_it_reads_an_entity_again_for_a_route_registered_later(self) -> None:
        self.item("Install")
        self.item("Widget", kind="Inventory")
        self.poll("get_serviceproducts")
        self.feed()
        self.clock.advance(60)
        self.poll("get_products")
        summary = self.feed()
        self.assertEqual(summary.entities["Item"], "sweep")
        self.assertEqual([p.record["name"] for p in self.buffered("get_products")], ["Widget"])
        self.assertEqual(len(self.buffered("get_serviceproducts")), 1)

    def test_it_reads_a_rewound_route_again_and_hands_out_only_what_flowlink_lacks(self) -> None:
        amy = self.customer("Amy")
        self.poll("get_customers")
        self.feed()
        PulledRecord.objects.filter(connection=self.connection).update(
            delivered_at=self.clock.now(), delivered_request_id="r1"
        )
        self.clock.advance(60)
        self.edit("Customer", amy["Id"], Notes="VIP")
        bob = self.customer("Bob")
        PollConfig.objects.get(connection=self.connection, route="get_customers").rewind()
        summary = self.feed()
        self.assertEqual(summary.entities["Customer"], "sweep")
        self.assertEqual(
            [(p.qb_id, p.version) for p in self.buffered("get_customers") if not p.delivered_at],
            [(amy["Id"], "1"), (bob["Id"], "0")],
        )


class ChangeTestCase(FeedTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.amy = self.customer("Amy")
        self.pump = self.item("Pump", kind="Inventory", QtyOnHand=25)
        self.design = self.item("Design")
        self.invoice_1 = self.invoice(self.amy, self.design, DocNumber="1001")
        self.poll("get_customers", "get_invoices", "get_products", "get_serviceproducts")
        self.feed()
        self.clock.advance(60)

    def test_it_tells_nothing_of_the_first_read(self) -> None:
        self.assertEqual(self.changes, [])

    def test_it_hands_out_an_edit_as_a_new_version_and_tells_it_once(self) -> None:
        self.edit("Customer", self.amy["Id"], Notes="VIP")
        self.feed()
        self.feed()  # the same change read again (overlap): not handed out or told twice
        self.assertEqual(self.versions("get_customers"), [(self.amy["Id"], "1")])
        self.assertEqual(self.buffered("get_customers")[0].record["notes"], "VIP")
        self.assertEqual(
            [(c["entity"], c["qb_id"], c["change"], c["version"]) for c in self.changes],
            [("Customer", self.amy["Id"], "updated", "1")],
        )

    def test_it_hands_out_a_version_pulled_after_a_hand_out_again(self) -> None:
        PulledRecord.objects.filter(connection=self.connection).update(
            delivered_at=self.clock.now(), delivered_request_id="r1"
        )
        self.edit("Customer", self.amy["Id"], Notes="VIP")
        self.feed()
        self.assertEqual(
            self.versions("get_customers"), [(self.amy["Id"], "0"), (self.amy["Id"], "1")]
        )

    def test_it_tells_a_new_record_as_created(self) -> None:
        bob = self.customer("Bob")
        self.feed()
        self.assertEqual(
            [(c["qb_id"], c["change"]) for c in self.changes], [(bob["Id"], "created")]
        )
        self.assertEqual(self.changes[0]["record"]["DisplayName"], "Bob")
        self.assertIs(self.changes[0]["connection"], self.connection)

    def test_it_hands_out_a_deactivation_as_the_inactive_record(self) -> None:
        self.edit("Item", self.design["Id"], Active=False)
        self.feed()
        [pulled] = self.buffered("get_serviceproducts")
        self.assertEqual((pulled.record["is_active"], pulled.is_deleted), (False, False))
        self.assertEqual([c["change"] for c in self.changes], ["deleted"])

    def test_it_hands_out_a_deleted_transaction_as_a_tombstone(self) -> None:
        self.delete("Invoice", self.invoice_1["Id"])
        self.feed()
        [pulled] = self.buffered("get_invoices")
        self.assertTrue(pulled.is_deleted)
        self.assertEqual(
            pulled.record,
            {
                "id": "1001",
                "qbe_id": self.invoice_1["Id"],
                "key": ["qbe_transaction_id", "qbe_id", "external_guid"],
                "is_deleted": True,
                "deleted_at": "2026-03-02T09:01:00-08:00",
                "created_at": "2026-03-02T09:00:00-08:00",
                "qbe_object_type": "Invoice",
                "ref_number": "1001",
            },
        )
        self.assertEqual([(c["change"], c["version"]) for c in self.changes], [("deleted", "")])

    def test_it_skips_nothing_written_in_the_overlap_second(self) -> None:
        # Written in the very second the previous answer was stamped with.
        self.clock.advance(-60)
        late = self.customer("Late")
        self.clock.advance(60)
        self.feed()
        self.assertIn(late["Id"], [qb_id for qb_id, _v in self.versions("get_customers")])

    def test_it_moves_each_watermark_to_quickbooks_time(self) -> None:
        self.feed()
        marks = set(
            FeedState.objects.filter(connection=self.connection).values_list("watermark", flat=True)
        )
        self.assertEqual(marks, {self.clock.now()})
        cursor = PollConfig.objects.get(connection=self.connection, route="get_customers").cursor
        self.assertEqual(cursor, self.clock.now())


class ScheduleTestCase(FeedTestCase):
    def test_it_does_nothing_without_polls(self) -> None:
        summary = self.feed()
        self.assertEqual((summary.ran, summary.skipped), (False, "no get_* polls"))
        self.assertEqual(self.double.requests, [])

    def test_it_waits_for_the_interval_unless_nudged(self) -> None:
        self.poll("get_customers")
        self.assertTrue(self.feed().ran)
        calls = len(self.double.requests)
        self.clock.advance(60)
        self.assertEqual(self.feed(at_once=False).skipped, "not due")
        self.assertEqual(len(self.double.requests), calls)
        self.assertTrue(self.feed(at_once=True).ran)
        feed = Feed.objects.get(connection=self.connection)
        self.assertEqual(feed.next_run_at, self.clock.now() + timedelta(minutes=10))

    def test_it_runs_again_once_the_interval_passed(self) -> None:
        self.poll("get_customers")
        Feed.objects.create(connection=self.connection, interval_seconds=60)
        self.feed()
        self.clock.advance(61)
        self.assertTrue(self.feed(at_once=False).ran)


class LimitsTestCase(FeedTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.service = self.item("Design")
        self.poll("get_customers", "get_invoices")
        self.feed()

    @override_settings(QBO_CDC_LIMIT=10)
    def test_it_splits_a_window_over_the_cap_by_entity(self) -> None:
        self.double.settings.cdc_limit = 10
        self.clock.advance(60)
        people = [self.customer(f"Cust {index}") for index in range(6)]
        invoices = [self.invoice(people[index], self.service) for index in range(6)]
        self.clock.advance(60)
        self.feed()
        self.assertEqual(len(self.buffered("get_customers")), 6)
        self.assertEqual(len(self.buffered("get_invoices")), len(invoices))

    @override_settings(QBO_CDC_LIMIT=10)
    def test_it_halves_the_window_of_an_entity_over_the_cap(self) -> None:
        self.double.settings.cdc_limit = 10
        self.qbo.max_results = 4
        self.qbo.save(update_fields=["max_results"])
        amy = self.customer("Amy")
        gone = self.invoice(amy, self.service, DocNumber="9000")
        self.feed()
        self.clock.advance(10)
        self.delete("Invoice", gone["Id"])
        for index in range(25):
            self.clock.advance(20)
            self.invoice(amy, self.service, DocNumber=f"{index + 1}")
        self.clock.advance(5)
        summary = self.feed()
        self.assertEqual(summary.entities["Invoice"], "cdc split")
        docs = {p.record["id"] for p in self.buffered("get_invoices") if not p.is_deleted}
        self.assertEqual(docs, {str(index + 1) for index in range(25)})
        self.assertEqual(
            [p.record["id"] for p in self.buffered("get_invoices") if p.is_deleted], ["9000"]
        )

    def test_it_catches_up_a_month_old_watermark_with_queries(self) -> None:
        amy = self.customer("Amy")
        self.feed()
        self.clock.advance(31 * 24 * 3600)
        self.poll("get_customers", "get_invoices")  # FlowLink kept asking meanwhile
        self.edit("Customer", amy["Id"], Notes="back")
        bob = self.customer("Bob")
        summary = self.feed()
        self.assertEqual(summary.entities["Customer"], "stale: queries")
        self.assertEqual(
            sorted(self.versions("get_customers")), [(amy["Id"], "1"), (bob["Id"], "0")]
        )
        self.assertFalse([r for r in self.double.requests if r.status == 400])
        self.assertEqual(
            FeedState.objects.get(connection=self.connection, entity="Customer").watermark,
            self.clock.now(),
        )

    def test_it_catches_up_with_queries_when_cdc_refuses_a_watermark_our_clock_finds_recent(
        self,
    ) -> None:
        amy = self.customer("Amy")
        self.feed()
        self.clock.advance((30 * 24 + 1) * 3600)
        self.poll("get_customers", "get_invoices")
        self.edit("Customer", amy["Id"], Notes="back")
        nudge(self.connection)
        lagging = self.clock.now() - timedelta(days=2)  # our clock, two days behind QBO's
        with self.captureOnCommitCallbacks(execute=True):
            summary = run_feed(self.connection, self.api(), lagging)
        self.assertEqual((summary.error, summary.entities["Customer"]), ("", "stale: queries"))
        self.assertEqual(self.versions("get_customers"), [(amy["Id"], "1")])
        self.assertEqual(
            FeedState.objects.get(connection=self.connection, entity="Customer").watermark,
            self.clock.now(),
        )


class QuantityTestCase(FeedTestCase):
    def test_it_hands_out_a_quantity_moved_by_a_transaction(self) -> None:
        pump = self.item("Pump", kind="Inventory", QtyOnHand=25)
        self.poll("get_inventories")
        self.feed()
        self.clock.advance(60)
        self.invoice(self.customer("Amy"), pump)
        self.feed()
        records: list[dict[str, Any]] = [p.record for p in self.buffered("get_inventories")]
        self.assertEqual([(r["id"], r["quantity"]) for r in records], [("Pump", "23")])
