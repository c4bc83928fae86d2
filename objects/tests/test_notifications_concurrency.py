"""get_notifications under concurrent FlowLink calls, over real HTTP on PostgreSQL.

Every route that drains notifications (get_notifications, every get_*, set_inventory) hands
each one out exactly once across all callers, a repeated request_id replays exactly the set
its first answer carried, and no caller gets a 5xx (flowlink §10.2).
"""

from __future__ import annotations

import importlib
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.test import LiveServerTestCase
from django.utils import timezone

from objects.models import NOTIFICATIONS_PER_ANSWER, Notification, NotificationDelivery
from objects.tests.flows import envelope
from qbsync.test import WEBHOOK_TOKEN, BaseTestCase, FixturesMixin, require_postgresql

CALLERS = 8
# More than one page (500) in some rounds, one or none in others.
ROUNDS = (40, 1100, 3, 0, 25)


def messages(answer: Any) -> list[str]:
    """The notification messages an answer carried, in its order."""
    if not isinstance(answer, dict):
        return []
    return [n["message"] for key in ("success", "fail") for n in answer.get(key, [])]


class NotificationsConcurrencyTestCase(FixturesMixin, LiveServerTestCase):
    def setUp(self) -> None:
        require_postgresql("concurrent claims need PostgreSQL (set DATABASE_URL)")
        super().setUp()
        self.make_fixtures()

    def post(self, route: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.live_server_url}/{route}",
            data=json.dumps(body).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "X-Hub-Store": "acme",
                "X-Hub-Token": WEBHOOK_TOKEN,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def notify(self, prefix: str, count: int) -> set[str]:
        made = [
            Notification(
                connection=self.connection,
                object_type="orders",
                kind=Notification.Kind.SUCCESS if n % 3 else Notification.Kind.FAILURE,
                message=f"{prefix}-{n}: Order successfully sent to Quickbooks Desktop",
                request_id=f"add-{prefix}-{n}",
            )
            for n in range(count)
        ]
        Notification.objects.bulk_create(made)
        return {n.message for n in made}

    def at_once(self, calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[int, Any]]:
        """POST every call at the same moment, one thread each, answers in call order."""
        barrier = threading.Barrier(len(calls))

        def call(route: str, body: dict[str, Any]) -> tuple[int, Any]:
            barrier.wait(timeout=60)
            return self.post(route, body)

        with ThreadPoolExecutor(len(calls)) as pool:
            futures = [pool.submit(call, route, body) for route, body in calls]
            return [future.result() for future in futures]

    def round_calls(self, round_no: int) -> list[tuple[str, dict[str, Any]]]:
        """Eight callers of every kind that drains: get_notifications (one without a
        request_id), a get_* route and set_inventory."""
        calls: list[tuple[str, dict[str, Any]]] = [
            ("get_notifications", {"request_id": f"r{round_no}-n{n}", "parameters": {}})
            for n in range(CALLERS - 3)
        ]
        calls.append(("get_customers", {"request_id": f"r{round_no}-c", "parameters": {}}))
        level = {"id": f"ADJ-{round_no}", "product_id": "SKU-1", "quantity": 5}
        account = {"quickbooks_income_account": "Cost of Goods Sold"}
        calls.append(("set_inventory", envelope("inventory", level, f"r{round_no}-i", **account)))
        calls.append(("get_notifications", {"request_id": None, "parameters": {}}))
        return calls

    def assert_answered(self, answers: list[tuple[int, Any]]) -> None:
        """Every call answered 200: no 5xx (a deadlock), and no 4xx hiding one."""
        errors = [(status, answer) for status, answer in answers if status != 200]
        self.assertEqual(errors, [])

    def test_it_hands_each_notification_out_once_and_replays_the_same_set(self) -> None:
        created: set[str] = set()
        handed_out: Counter[str] = Counter()
        for round_no, count in enumerate(ROUNDS):
            created |= self.notify(f"R{round_no}", count)
            calls = self.round_calls(round_no)

            answers = self.at_once(calls)

            self.assert_answered(answers)
            for _, answer in answers:
                handed_out.update(messages(answer))
            # Replays arrive concurrently too, and while new notifications wait.
            created |= self.notify(f"R{round_no}-late", 7)
            replayed = [(route, body) for route, body in calls if body["request_id"] is not None]
            replays = self.at_once(replayed)
            self.assert_answered(replays)
            first = {
                body["request_id"]: messages(answer)
                for (_, body), (_, answer) in zip(calls, answers, strict=True)
            }
            for (route, body), (_, answer) in zip(replayed, replays, strict=True):
                self.assertEqual(
                    messages(answer), first[body["request_id"]], f"{route} {body['request_id']}"
                )
            # Whatever the round left (its callers raced for the same page), sequential calls
            # collect; a call that hands out nothing ends it.
            sweep = 0
            while True:
                sweep += 1
                status, answer = self.post(
                    "get_notifications", {"request_id": f"r{round_no}-s{sweep}", "parameters": {}}
                )
                self.assertEqual(status, 200, answer)
                if not messages(answer):
                    break
                handed_out.update(messages(answer))

        duplicates = {message: n for message, n in handed_out.items() if n > 1}
        self.assertEqual(duplicates, {})
        self.assertEqual(set(handed_out), created)
        self.assertFalse(Notification.objects.filter(delivered_at__isnull=True).exists())

    def test_concurrent_calls_with_one_request_id_all_get_the_same_set(self) -> None:
        created = self.notify("S", 60)
        call = ("get_notifications", {"request_id": "same", "parameters": {}})

        answers = self.at_once([call] * CALLERS)

        self.assert_answered(answers)
        sets = {tuple(messages(answer)) for _, answer in answers}
        self.assertEqual(len(sets), 1, "every caller got the same set")
        self.assertEqual(set(sets.pop()), created)


class NotificationDeliveryTestCase(BaseTestCase):
    """One caller at a time (any database): what a replay, a null request_id and a page get."""

    def notify(self, *texts: str) -> None:
        for text in texts:
            Notification.objects.create(
                connection=self.connection, object_type="orders", kind="fail", message=text
            )

    def drain(self, request_id: str | None, route: str = "get_notifications") -> list[str]:
        response = self.webhook(route, {"request_id": request_id, "parameters": {}})
        self.assertEqual(response.status_code, 200, response.content)
        return messages(response.json())

    def test_it_replays_an_empty_answer_as_empty(self) -> None:
        self.assertEqual(self.drain("n-1"), [])
        self.notify("A: failed")

        self.assertEqual(self.drain("n-1"), [])
        self.assertEqual(self.drain("n-2"), ["A: failed"])

    def test_it_replays_a_set_on_any_route_that_drains(self) -> None:
        self.notify("A: failed")
        first = self.drain("n-1", "get_customers")
        self.notify("B: failed")

        self.assertEqual(self.drain("n-1", "get_customers"), first)
        self.assertEqual(self.drain("n-1"), ["A: failed"])
        self.assertEqual(self.drain("n-2"), ["B: failed"])

    def test_calls_without_a_request_id_each_claim_fresh_ones(self) -> None:
        self.notify("A: failed")
        first = self.drain(None)
        self.notify("B: failed")

        self.assertEqual(
            (first, self.drain(None), self.drain(None)), (["A: failed"], ["B: failed"], [])
        )
        self.assertEqual(self.drain(""), [])
        self.assertEqual(
            set(NotificationDelivery.objects.values_list("request_id", flat=True)), {""}
        )

    def test_it_hands_out_a_page_of_500_and_the_rest_next_time(self) -> None:
        self.notify(*(f"N{n:04}: failed" for n in range(NOTIFICATIONS_PER_ANSWER + 20)))

        first = self.drain("n-1")
        second = self.drain("n-2")

        self.assertEqual(len(first), NOTIFICATIONS_PER_ANSWER)
        self.assertEqual(first + second, sorted(first + second), "oldest first")
        self.assertEqual(len(second), 20)
        self.assertEqual((self.drain("n-1"), self.drain("n-2")), (first, second))

    def test_the_migration_binds_earlier_answers_to_their_request_id(self) -> None:
        at = timezone.now() - timedelta(hours=1)
        for text, request_id in (("A: x", "old-1"), ("B: x", "old-1"), ("C: x", "")):
            Notification.objects.create(
                connection=self.connection,
                object_type="orders",
                kind="fail",
                message=text,
                delivered_request_id=request_id,
                delivered_at=at,
            )
        migration = importlib.import_module("objects.migrations.0006_notification_delivery")

        migration.record_earlier_deliveries(apps, None)

        self.assertEqual(self.drain("old-1"), ["A: x", "B: x"])
        self.assertEqual(NotificationDelivery.objects.get(request_id="old-1").delivered_at, at)

    def test_a_deleted_connection_takes_its_answers_and_notifications_along(self) -> None:
        self.notify("A: failed")
        self.drain("n-1")

        self.connection.delete()

        self.assertFalse(Notification.objects.exists())
        self.assertFalse(NotificationDelivery.objects.exists())
