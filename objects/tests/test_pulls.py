"""Hand-out and poll registration of the get_* webhooks (flowlink §8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import override_settings
from django.utils import timezone

from objects.models import Notification, PollConfig, PulledRecord
from objects.tasks import purge_pulled_records
from qbsync.test import QBWC_PASSWORD, BaseTestCase
from qbwc import loop, polls
from qbwc.qbxml.queries import poll_kind


class PullsTestCase(BaseTestCase):
    def get(self, route: str, request_id: Any = "r1", **params: Any) -> tuple[int, Any]:
        response = self.webhook(route, {"request_id": request_id, "parameters": params})
        return response.status_code, response.json() if response.content else None

    def config(self, route: str = "get_customers") -> PollConfig:
        return PollConfig.objects.get(connection=self.connection, route=route)

    def pull(self, route: str, *records: tuple[str, str, int], **record: Any) -> int:
        """Store records as a poll would: (ListID, EditSequence, minute of TimeModified)."""
        config, _ = PollConfig.objects.get_or_create(connection=self.connection, route=route)
        base = timezone.now().replace(microsecond=0) - timedelta(days=1)
        rows = [
            polls.Row(qb_id, version, base + timedelta(minutes=minute),
                      {"id": qb_id, "name": f"{qb_id}@{version}", **record})
            for qb_id, version, minute in records
        ]  # fmt: skip
        return polls.store(self.connection, config, rows, timezone.now())

    def test_it_answers_the_first_call_empty_and_registers_the_poll(self) -> None:
        status, body = self.get("get_customers", quickbooks_since="2021-02-03T10:15:00-08:00")
        self.assertEqual(status, 200)
        self.assertEqual(
            body, {"request_id": "r1", "parameters": {"quickbooks_force_config": False}}
        )
        config = self.config()
        self.assertEqual(config.cursor.isoformat(), "2021-02-03T18:15:00+00:00")
        self.assertTrue(polls.has_due_polls(self.connection, timezone.now()))

    def test_it_hands_out_pages_oldest_first_with_206_while_more_remain(self) -> None:
        self.get("get_customers", "r0")
        self.pull("get_customers", ("C", "1", 3), ("A", "1", 1), ("B", "1", 2))
        status, body = self.get("get_customers", "r1", page_size=2)
        self.assertEqual(status, 206)
        self.assertEqual([c["id"] for c in body["customers"]], ["A", "B"])
        self.assertEqual(body["summary"], "Received customers records from quickbooks")
        status, body = self.get("get_customers", "r2", page_size=2)
        self.assertEqual((status, [c["id"] for c in body["customers"]]), (200, ["C"]))
        status, body = self.get("get_customers", "r3", page_size=2)
        self.assertEqual((status, "customers" in body), (200, False))

    def test_it_answers_200_when_exactly_one_page_is_buffered(self) -> None:
        self.get("get_customers", "r0")
        self.pull("get_customers", ("A", "1", 1), ("B", "1", 2))
        status, body = self.get("get_customers", "r1", page_size=2)
        self.assertEqual((status, len(body["customers"])), (200, 2))
        status, body = self.get("get_customers", "r2", page_size=2)
        self.assertEqual((status, "customers" in body), (200, False))

    def test_it_replays_the_same_page_for_a_repeated_request_id(self) -> None:
        self.get("get_customers", "r0")
        self.pull("get_customers", ("A", "1", 1), ("B", "1", 2), ("C", "1", 3))
        _status, first = self.get("get_customers", "r1", page_size=2)
        self.pull("get_customers", ("D", "1", 0))  # arrives between the retry and the first try
        status, again = self.get("get_customers", "r1", page_size=2)
        self.assertEqual(status, 206)
        self.assertEqual(again["customers"], first["customers"])
        _status, after = self.get("get_customers", "r2", page_size=5)
        self.assertEqual([c["id"] for c in after["customers"]], ["D", "C"])

    def test_it_hands_out_only_the_newest_version_of_a_record(self) -> None:
        self.get("get_customers", "r0")
        self.pull("get_customers", ("A", "1", 1))
        self.pull("get_customers", ("A", "2", 5))
        _status, body = self.get("get_customers", "r1")
        self.assertEqual([c["name"] for c in body["customers"]], ["A@2"])
        self.assertEqual(self.pull("get_customers", ("A", "2", 5)), 0)  # unchanged: not again
        self.pull("get_customers", ("A", "3", 9))
        _status, body = self.get("get_customers", "r2")
        self.assertEqual([c["name"] for c in body["customers"]], ["A@3"])
        self.assertEqual(PulledRecord.objects.filter(qb_id="A").count(), 2)

    def test_it_keeps_inactive_records_only_when_asked_or_already_handed_out(self) -> None:
        self.get("get_customers", "r0")
        self.pull("get_customers", ("A", "1", 1), is_active=False)
        self.pull("get_customers", ("B", "1", 1), is_active=True)
        _status, body = self.get("get_customers", "r1")
        self.assertEqual([c["id"] for c in body["customers"]], ["B"])
        self.pull("get_customers", ("B", "2", 2), is_active=False)  # a deactivation
        _status, body = self.get("get_customers", "r2")
        self.assertEqual([(c["id"], c["is_active"]) for c in body["customers"]], [("B", False)])

    def test_it_includes_inactive_records_with_query_inactive(self) -> None:
        self.get("get_customers", "r0", query_inactive="1")
        self.pull("get_customers", ("A", "1", 1), is_active=False)
        _status, body = self.get("get_customers", "r1")
        self.assertEqual([c["id"] for c in body["customers"]], ["A"])

    def test_it_keeps_only_whitelisted_fields_and_the_id(self) -> None:
        self.get("get_customers", "r0")
        self.pull("get_customers", ("A", "1", 1), email="a@example.test")
        _status, body = self.get("get_customers", "r1", fields_whitelist="email, missing")
        self.assertEqual(body["customers"], [{"id": "A", "email": "a@example.test",
                                              "missing": None}])  # fmt: skip

    def test_it_echoes_the_cursor_in_the_configured_time_zone(self) -> None:
        self.get("get_customers", "r0", quickbooks_since="2021-02-03T18:15:00Z")
        self.pull("get_customers", ("A", "1", 1))
        _status, body = self.get("get_customers", "r1")
        self.assertEqual(body["parameters"], {"quickbooks_force_config": False,
                                              "quickbooks_since": "2021-02-03T10:15:00-08:00"})  # fmt: skip

    def test_it_ignores_a_later_quickbooks_since_unless_forced(self) -> None:
        self.get("get_customers", "r0", quickbooks_since="2021-01-01T00:00:00-08:00")
        self.get("get_customers", "r1", quickbooks_since="2022-01-01T00:00:00-08:00")
        self.assertEqual(self.config().cursor.year, 2021)
        self.get("get_customers", "r2", quickbooks_since="2022-01-01T00:00:00-08:00",
                 quickbooks_force_config="true")  # fmt: skip
        self.assertEqual(self.config().cursor.year, 2022)

    def test_it_keeps_an_iteration_running_when_forced_with_the_same_cursor(self) -> None:
        since = "2021-01-01T00:00:00-08:00"
        self.get("get_customers", "r0", quickbooks_since=since)
        self.requests()
        self.get("get_customers", "r1", quickbooks_since=since, quickbooks_force_config="1")
        self.assertEqual(self.config().session_key, "session:1")

    def test_it_refuses_a_bad_quickbooks_since_naming_the_field(self) -> None:
        status, body = self.get("get_customers", quickbooks_since="yesterday")
        self.assertEqual(status, 400)
        self.assertEqual(body["summary"],
                         "parameters.quickbooks_since: 'yesterday' is not an ISO-8601 date-time")  # fmt: skip
        self.assertFalse(PollConfig.objects.exists())

    def test_it_refuses_a_bad_page_size_naming_the_field(self) -> None:
        status, body = self.get("get_customers", page_size="lots")
        self.assertEqual((status, body["summary"]),
                         (400, "parameters.page_size: 'lots' is not a whole number"))  # fmt: skip

    def test_it_drains_notifications_into_the_response(self) -> None:
        Notification.objects.create(connection=self.connection, object_type="customers",
                                    kind="success", message="A: ok", request_id="add-1")  # fmt: skip
        _status, body = self.get("get_vendors", "r1")
        self.assertEqual(body["success"], [{"message": "A: ok", "request_id": "add-1"}])

    def test_it_names_item_site_records_inventories(self) -> None:
        self.get("get_inventorywithsites", "r0")
        self.pull("get_inventorywithsites", ("W-site-S", "x", 1))
        _status, body = self.get("get_inventorywithsites", "r1")
        self.assertEqual(body["summary"], "Received inventorywithsites records from quickbooks")
        self.assertEqual(len(body["inventories"]), 1)

    def test_it_serves_the_legacy_get_inventory_route_as_get_inventories(self) -> None:
        self.get("get_inventory", "r0")
        self.assertTrue(PollConfig.objects.filter(route="get_inventories").exists())

    def test_it_opens_quickbooks_for_a_due_poll_and_stops_polling_when_nobody_asks(self) -> None:
        ticket, answer = loop.authenticate("acme-qbd", QBWC_PASSWORD)
        self.assertEqual(answer, "none")
        self.get("get_customers", "r0")
        ticket, answer = loop.authenticate("acme-qbd", QBWC_PASSWORD)
        self.assertNotIn(answer, ("none", "nvu"))
        loop.close_connection(ticket)
        PollConfig.objects.update(last_requested_at=timezone.now() - timedelta(days=8))
        self.assertEqual(loop.authenticate("acme-qbd", QBWC_PASSWORD)[1], "none")

    def test_it_stops_polling_a_type_an_operator_switched_off(self) -> None:
        self.get("get_customers", "r0")
        PollConfig.objects.update(is_enabled=False)
        self.get("get_customers", "r1")
        self.assertFalse(self.config().is_enabled)
        self.assertFalse(polls.has_due_polls(self.connection, timezone.now()))

    def requests(self, session_key: str = "session:1") -> list[Any]:
        return polls.next_requests(self.connection, session_key, timezone.now(), "13.0")

    def test_it_queries_from_the_cursor_minus_the_overlap(self) -> None:
        self.get("get_invoices", "r0", quickbooks_since="2021-02-03T10:15:00-08:00")
        (rq, deleted) = self.requests()
        self.assertEqual(rq.findtext("ModifiedDateRangeFilter/FromModifiedDate"),
                         "2021-02-03T10:13:00-08:00")  # fmt: skip
        self.assertEqual(deleted.tag, "TxnDeletedQueryRq")
        self.assertEqual(deleted.findtext("DeletedDateRangeFilter/FromDeletedDate"),
                         "2021-02-03T10:13:00-08:00")  # fmt: skip

    def test_it_runs_one_full_iteration_for_return_all_then_goes_back_to_incremental(self) -> None:
        self.get("get_invoices", "r0", quickbooks_since="2021-02-03T10:15:00-08:00",
                 return_all="1")  # fmt: skip
        (rq, _deleted) = self.requests()
        self.assertIsNone(rq.find("ModifiedDateRangeFilter"))
        config = self.config("get_invoices")
        for name in list(config.state):
            if not name.startswith("_"):
                polls._finish_page(self.connection, config, name, _Done(), [], set(), "session:1",
                                   timezone.now())  # fmt: skip
                config.refresh_from_db()
        self.assertFalse(config.full_pending)
        self.get("get_invoices", "r1", return_all="1")  # stored already: not a new request
        (rq, _deleted) = self.requests("session:2")
        self.assertIsNotNone(rq.find("ModifiedDateRangeFilter"))

    @override_settings(PULL_MIN_INTERVAL_SECONDS=900)
    def test_it_waits_the_minimum_interval_between_polls(self) -> None:
        self.get("get_vendors", "r0")
        config = self.config("get_vendors")
        polls._complete(config, "session:1", timezone.now())
        config.save()
        self.assertFalse(polls.has_due_polls(self.connection, timezone.now()))
        self.assertTrue(
            polls.has_due_polls(self.connection, timezone.now() + timedelta(minutes=16))
        )

    def test_it_bounds_the_iterator_page_by_quickbooks_max_returned(self) -> None:
        self.get("get_creditmemos", "r0", quickbooks_max_returned="5000")
        (rq, _deleted) = self.requests()
        self.assertEqual(rq.findtext("MaxReturned"), "1000")
        self.assertEqual(poll_kind("get_creditmemos").page_size, 50)


class _Done:
    """The status of an answered last page."""

    status_code = 0
    message = "Status OK"
    is_error = False
    iterator_remaining = 0
    iterator_id = ""


class PullsAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.operator)
        self.webhook("get_customers", {"request_id": "r0", "parameters": {
            "quickbooks_since": "2021-02-03T10:15:00-08:00"}})  # fmt: skip
        self.config = PollConfig.objects.get()

    def act(self, action: str) -> None:
        response = self.client.post(
            "/admin/objects/pollconfig/",
            {"action": action, "_selected_action": [self.config.pk]},
        )
        self.assertEqual(response.status_code, 302)
        self.config.refresh_from_db()

    def test_it_lets_an_operator_switch_a_poll_off_and_on(self) -> None:
        self.act("switch_off")
        self.assertFalse(self.config.is_enabled)
        self.assertFalse(polls.has_due_polls(self.connection, timezone.now()))
        self.act("switch_on")
        self.assertTrue(self.config.is_enabled)

    def test_it_lets_an_operator_read_everything_again(self) -> None:
        self.act("rewind_selected")
        self.assertIsNone(self.config.cursor)

    def test_it_lists_polls_and_pulled_records(self) -> None:
        for url in ("/admin/objects/pollconfig/", "/admin/objects/pulledrecord/",
                    f"/admin/objects/pollconfig/{self.config.pk}/change/"):  # fmt: skip
            self.assertEqual(self.client.get(url).status_code, 200, url)


class PulledRecordRetentionTestCase(BaseTestCase):
    def make(self, qb_id: str, version: str, delivered_days_ago: int | None) -> PulledRecord:
        now = timezone.now()
        delivered = None if delivered_days_ago is None else now - timedelta(days=delivered_days_ago)
        return PulledRecord.objects.create(
            connection=self.connection, route="get_customers", qb_id=qb_id, version=version,
            time_modified=now, record={"id": qb_id}, delivered_at=delivered,
            delivered_request_id="old" if delivered else "",
        )  # fmt: skip

    def test_it_purges_old_delivered_versions_but_keeps_the_newest_of_each_record(self) -> None:
        old = self.make("A", "1", 40)
        newest_old = self.make("A", "2", 35)  # still needed to skip an unchanged version
        recent = self.make("B", "1", 2)
        pending = self.make("C", "1", None)
        self.assertEqual(purge_pulled_records(), 1)
        remaining = set(PulledRecord.objects.values_list("pk", flat=True))
        self.assertEqual(remaining, {newest_old.pk, recent.pk, pending.pk})
        self.assertNotIn(old.pk, remaining)
