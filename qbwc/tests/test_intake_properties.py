"""Property tests through the webhook: random valid-looking FlowLink payloads are stored
(200) or refused with a 400 naming the field, and then nothing is stored."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis.extra.django import TestCase as HypothesisDjangoTestCase

from objects.models import QueuedObject
from qbsync.test import FixturesMixin
from qbwc.tests.payload_strategies import (
    inventories,
    inventory_params,
    journals,
    sales_receipts,
    transaction_params,
)


class IntakePropertyTestCase(FixturesMixin, HypothesisDjangoTestCase):
    """The same payloads through the webhook: 200 and stored, or 400 naming the field and
    nothing stored."""

    def setup_example(self) -> None:
        # Hypothesis wraps each example (not each test) in the test transaction, so the
        # fixtures are made per example and rolled back with it.
        super().setup_example()  # type: ignore[no-untyped-call]
        self.make_fixtures()

    def post_and_check(self, route: str, key: str, payload: dict[str, Any], params: Any) -> None:
        before = QueuedObject.objects.count()
        response = self.webhook(
            route,
            {"request_id": "prop", "parameters": {"payload_type": key, **params}, key: payload},
        )
        body = response.json()
        if response.status_code == 400:
            # The field at fault: in the object, or a flow parameter it was sent with.
            self.assertRegex(body["summary"], rf"^({key}|parameters)\.[a-z_]+")
            self.assertEqual(QueuedObject.objects.count(), before)
            event("400")
            return
        self.assertEqual(response.status_code, 200, body)
        self.assertTrue(QueuedObject.objects.filter(object_type=mapper_for_key(key)).exists())
        event("200")

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(payload=sales_receipts, params=transaction_params)
    def test_it_stores_a_sales_receipt_or_answers_400_naming_the_field(
        self, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.post_and_check("add_salesreceipts", "sales_receipt", payload, params)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(payload=journals)
    def test_it_stores_a_journal_or_answers_400_naming_the_field(
        self, payload: dict[str, Any]
    ) -> None:
        self.post_and_check("add_journals", "journal", payload, {})

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(payload=inventories, params=inventory_params)
    def test_it_stores_an_inventory_level_or_answers_400_naming_the_field(
        self, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.post_and_check("set_inventory", "inventory", payload, params)


def mapper_for_key(key: str) -> str:
    return {"sales_receipt": "salesreceipts", "journal": "journals", "inventory": "inventories"}[
        key
    ]
