"""Custom routes: an operator's add_* route, bound to a type and a mapping, served like the
built-in route of its type and published in the OpenAPI schema."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError

from objects.models import CustomRoute, FieldMapping, QueuedObject
from objects.tests.flows import ITEM_ACCOUNTS, envelope
from qbsync.test import BaseTestCase, LiveTestCase, make_connection

ESTIMATE = {
    "id": "EST-1",
    "customer": {"name": "Jo Smith"},
    "line_items": [{"product_id": "TEE", "quantity": 2, "price": "10.00"}],
}
MEMO = {"target": "Memo", "transform": "constant", "value": "Estimate, not an order"}


class CustomRouteFlowTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.estimates = FieldMapping.objects.create(
            connection=self.connection, object_type="invoices", name="Estimates", is_default=False
        )
        self.estimates.add_version([MEMO])
        CustomRoute.objects.create(
            connection=self.connection,
            route="add_estimates",
            object_type="invoices",
            mapping=self.estimates,
        )

    def test_it_lands_objects_of_a_custom_route_with_its_mapping(self) -> None:
        body = envelope("invoice", ESTIMATE, quickbooks_auto_create_products="1", **ITEM_ACCOUNTS)
        status, data = self.post("add_estimates", body)
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertEqual(data["invoices"][0]["id"], "EST-1")
        self.assertTrue(result.completed)
        record = self.quickbooks.find("Invoice", "EST-1")
        self.assertEqual(record.findtext("Memo"), "Estimate, not an order")
        obj = QueuedObject.objects.get(object_type="invoices")
        self.assertEqual(
            (obj.flow, obj.mapping_version), ("add_estimates", self.estimates.active_version)
        )

    def test_it_leaves_the_built_in_route_without_the_custom_mapping(self) -> None:
        body = envelope("invoice", ESTIMATE, quickbooks_auto_create_products="1", **ITEM_ACCOUNTS)
        self.post("add_invoices", body)
        self.run_webconnector()

        self.assertIsNone(self.quickbooks.find("Invoice", "EST-1").findtext("Memo"))
        self.assertIsNone(QueuedObject.objects.get(object_type="invoices").mapping_version)


class CustomRouteTestCase(BaseTestCase):
    def test_it_answers_404_to_a_connection_without_the_route(self) -> None:
        other = make_connection("other")
        CustomRoute.objects.create(connection=other, route="add_estimates", object_type="invoices")

        response = self.webhook("add_estimates", envelope("invoice", ESTIMATE))

        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            response.json()["summary"], "/add_estimates: this connection has no such route"
        )

    def test_it_refuses_a_built_in_name_and_a_mapping_of_another_type(self) -> None:
        orders = FieldMapping.objects.create(
            connection=self.connection, object_type="orders", name="Orders"
        )
        route = CustomRoute(
            connection=self.connection, route="add_invoices", object_type="invoices", mapping=orders
        )
        with self.assertRaises(ValidationError) as caught:
            route.full_clean()

        self.assertEqual(
            caught.exception.message_dict,
            {
                "route": ["/add_invoices is a built-in route"],
                "mapping": ["must be a mapping of the same connection and type"],
            },
        )

    def test_it_refuses_a_name_that_is_not_an_add_route(self) -> None:
        route = CustomRoute(connection=self.connection, route="estimates", object_type="invoices")
        with self.assertRaises(ValidationError) as caught:
            route.full_clean()
        self.assertIn("route", caught.exception.message_dict)

    def test_it_publishes_each_custom_route_in_the_openapi_schema(self) -> None:
        CustomRoute.objects.create(
            connection=self.connection, route="add_estimates", object_type="invoices"
        )
        CustomRoute.objects.create(
            connection=make_connection("other"), route="add_estimates", object_type="invoices"
        )

        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/json")

        paths = json.loads(response.content)["paths"]
        operation = paths["/add_estimates"]["post"]
        self.assertEqual(operation["operationId"], "add_estimates")
        self.assertEqual(operation["requestBody"], paths["/add_invoices"]["post"]["requestBody"])
        ids = [op["operationId"] for item in paths.values() for op in item.values()]
        self.assertEqual(len(ids), len(set(ids)))
