"""A connection polled by get_* routes, its change feed run against a started double."""

from __future__ import annotations

import itertools
from typing import Any

from django.test import TestCase

from objects.models import PulledRecord
from objects.pulls import register
from qbo.feed import FeedSummary, nudge, run_feed
from qbo.signals import record_changed
from qbo.tests.connected import ConnectedMixin

_request_ids = itertools.count(1)


class FeedTestCase(ConnectedMixin, TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.connection = self.qbo.connection
        self.realm = self.double.realm_id
        self.changes: list[dict[str, Any]] = []

        def heard(sender: Any, **kwargs: Any) -> None:
            self.changes.append(kwargs)

        record_changed.connect(heard, weak=False, dispatch_uid=f"feed-test-{id(self)}")
        self.addCleanup(record_changed.disconnect, dispatch_uid=f"feed-test-{id(self)}")

    # -- qbsync's side -------------------------------------------------------------------
    def poll(self, *routes: str, **params: Any) -> None:
        for route in routes:
            register(self.connection, route, dict(params), self.clock.now())

    def feed(self, at_once: bool = True) -> FeedSummary:
        if at_once:
            nudge(self.connection)
        with self.captureOnCommitCallbacks(execute=True):
            summary = run_feed(self.connection, self.api(), self.clock.now())
        self.assertEqual(summary.error, "")
        return summary

    def buffered(self, route: str) -> list[PulledRecord]:
        return list(
            PulledRecord.objects.filter(connection=self.connection, route=route).order_by("pk")
        )

    def versions(self, route: str) -> list[tuple[str, str]]:
        return [(p.qb_id, p.version) for p in self.buffered(route)]

    # -- the company's side --------------------------------------------------------------
    def accounts(self) -> dict[str, dict[str, str]]:
        return {a["Name"]: {"value": a["Id"]} for a in self.double.entities(self.realm, "Account")}

    def seed(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.double.seed(self.realm, entity, body)

    def customer(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.seed("Customer", {"DisplayName": name, **fields})

    def item(self, name: str, kind: str = "Service", **fields: Any) -> dict[str, Any]:
        accounts = self.accounts()
        body: dict[str, Any] = {
            "Name": name,
            "Type": kind,
            "IncomeAccountRef": accounts["Sales of Product Income"],
            **fields,
        }
        if kind == "Inventory":
            body.update(
                ExpenseAccountRef=accounts["Cost of Goods Sold"],
                AssetAccountRef=accounts["Inventory Asset"],
                TrackQtyOnHand=True,
                InvStartDate="2026-01-01",
            )
            body.setdefault("QtyOnHand", 10)
        return self.seed("Item", body)

    def invoice(self, customer: dict[str, Any], item: dict[str, Any], **fields: Any) -> Any:
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 20,
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 2, "UnitPrice": 10},
        }
        return self.seed(
            "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line], **fields}
        )

    def edit(self, entity: str, qb_id: str, **fields: Any) -> dict[str, Any]:
        current = self.double.entity(self.realm, entity, qb_id)
        assert current is not None
        body = {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, **fields}
        return self.api().update(entity, body, f"edit-{next(_request_ids)}")

    def delete(self, entity: str, qb_id: str) -> None:
        current = self.double.entity(self.realm, entity, qb_id)
        assert current is not None
        self.api().delete(
            entity, {"Id": qb_id, "SyncToken": current["SyncToken"]}, f"del-{next(_request_ids)}"
        )
