"""The FlowLink wire contract of the webhooks (flowlink §2–§5, §10, §11)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone

from connections.models import Connection
from objects import intake
from objects.models import Mode, Notification, Phase, QueuedObject
from qbsync.test import WEBHOOK_TOKEN, BaseTestCase, make_connection, shared_file


def customer_body(name: str = "Jo", request_id: str = "req-1", **fields: object) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"payload_type": "customer"},
        "customer": {"name": name, **fields},
    }


class AddWebhookTestCase(BaseTestCase):
    def test_it_stores_the_object_before_answering(self) -> None:
        response = self.webhook("add_customers", customer_body())

        self.assertEqual(response.status_code, 200)
        obj = QueuedObject.objects.get()
        self.assertEqual(
            (obj.object_type, obj.identity, obj.phase), ("customers", "Jo", Phase.PENDING)
        )
        self.assertEqual(obj.request_id, "req-1")
        self.assertEqual(obj.events.get().to_phase, Phase.PENDING)

    def test_it_answers_with_the_upstream_summary_and_a_generated_guid(self) -> None:
        response = self.webhook("add_customers", customer_body(id="C-1"))

        data = response.json()
        self.assertEqual(data["summary"], "Customer waiting for Quickbooks Desktop scheduler")
        self.assertEqual(data["request_id"], "req-1")
        [echo] = data["customers"]
        self.assertEqual(echo["id"], "C-1")
        self.assertRegex(echo["external_guid"], r"^\{[0-9A-F-]{36}\}$")
        self.assertEqual(QueuedObject.objects.get().external_guid, echo["external_guid"])

    def test_it_echoes_nothing_when_the_object_has_its_own_guid(self) -> None:
        response = self.webhook(
            "add_customers", customer_body(external_guid="{71562455-3E41-42CA-9377-9A26597C1BD0}")
        )

        self.assertNotIn("customers", response.json())

    def test_it_copies_return_to_fl_into_the_echo(self) -> None:
        body = customer_body(
            id=7, qbe_id="80000001-1", return_to_fl={"systum_id": 46, "key": ["systum_id"]}
        )

        [echo] = self.webhook("add_customers", body).json()["customers"]

        self.assertEqual(echo, {"systum_id": 46, "key": ["systum_id"], "id": 7})

    def test_it_names_payload_types_with_underscores_without_them_in_the_summary(self) -> None:
        body = {
            "request_id": "r",
            "parameters": {"payload_type": "salestaxproduct"},
            "salestaxproduct": {"product_id": "PA", "tax_rate": 6},
        }

        response = self.webhook("add_salestaxproducts", body)

        self.assertEqual(
            response.json()["summary"], "Salestaxproduct waiting for Quickbooks Desktop scheduler"
        )

    def test_it_falls_back_to_the_route_type_without_payload_type(self) -> None:
        response = self.webhook("add_vendors", {"request_id": "r", "vendor": {"name": "Acme"}})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(QueuedObject.objects.get().object_type, "vendors")

    def test_it_accepts_an_array_as_independent_objects(self) -> None:
        body = {
            "request_id": "r",
            "parameters": {"payload_type": "customer"},
            "customer": [{"name": "A"}, {"name": "B"}],
        }

        response = self.webhook("add_customers", body)

        self.assertEqual(len(response.json()["customers"]), 2)
        self.assertEqual(QueuedObject.objects.count(), 2)

    def test_it_refuses_bad_json_with_406_saying_where_it_broke(self) -> None:
        response = self.webhook("add_customers", "{not json")

        self.assertEqual(response.status_code, 406)
        self.assertEqual(
            response.json(),
            {
                "request_id": None,
                "summary": "body: not valid JSON: Expecting property name enclosed in double "
                "quotes (line 1, column 2)",
            },
        )

    def test_it_refuses_a_wrong_token_with_401_and_a_summary(self) -> None:
        response = self.webhook("add_customers", customer_body(), token="wrong")

        self.assertEqual(response.status_code, 401)
        self.assertEqual(
            response.json(),
            {
                "request_id": "req-1",
                "summary": "X-Hub-Token: does not match the connection named (X-Hub-Store or "
                "parameters.connection_id)",
            },
        )
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_refuses_an_unknown_connection_with_401(self) -> None:
        response = self.webhook("add_customers", customer_body(), store="nobody")

        self.assertEqual(response.status_code, 401)

    def test_it_lets_parameters_connection_id_override_the_store_header(self) -> None:
        make_connection("other")
        body = customer_body()
        body["parameters"]["connection_id"] = "other"

        self.webhook("add_customers", body, store="acme")

        self.assertEqual(QueuedObject.objects.get().connection.connection_id, "other")

    def test_it_refuses_an_invalid_payload_naming_the_field_and_stores_nothing(self) -> None:
        body = {
            "request_id": "r",
            "parameters": {"payload_type": "customer"},
            "customer": [{"name": "A"}, {"name": "x" * 42}],
        }

        response = self.webhook("add_customers", body)

        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.json()["summary"].startswith("customer[1].name:"))
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_refuses_a_missing_object_key(self) -> None:
        response = self.webhook(
            "add_customers", {"request_id": "r", "parameters": {"payload_type": "customer"}}
        )

        self.assertEqual(response.status_code, 400)
        self.assertIn("customer: is required", response.json()["summary"])

    def test_it_replaces_a_queued_copy_with_the_newest_payload(self) -> None:
        self.webhook("add_customers", customer_body(phone="111"))
        self.webhook("add_customers", customer_body(phone="222", request_id="req-2"))

        obj = QueuedObject.objects.get()
        self.assertEqual((obj.payload["phone"], obj.request_id), ("222", "req-2"))

    def test_it_keeps_a_newer_payload_for_after_the_request_in_flight(self) -> None:
        self.webhook("add_customers", customer_body(phone="111"))
        obj = QueuedObject.objects.get()
        obj.claim("session:1")

        self.webhook("add_customers", customer_body(phone="222", request_id="req-2"))

        obj.refresh_from_db()
        self.assertEqual((obj.phase, obj.payload["phone"]), (Phase.IN_PROGRESS, "111"))
        obj.process("80000001-1", "1", "added to QuickBooks")
        obj.refresh_from_db()
        self.assertEqual((obj.phase, obj.payload["phone"]), (Phase.PENDING, "222"))

    def test_it_requeues_a_processed_object_as_a_modification(self) -> None:
        self.webhook("add_customers", customer_body())
        obj = QueuedObject.objects.get()
        obj.claim("s")
        obj.mark_found("", "", {})
        obj.claim("s")
        obj.process("80000001-1", "7", "added")

        self.webhook("add_customers", customer_body(phone="9", request_id="req-2"))

        obj.refresh_from_db()
        self.assertEqual((obj.phase, obj.qb_id), (Phase.PENDING, "80000001-1"))

    def test_it_stores_json_with_quotes_backslashes_and_unicode_intact(self) -> None:
        tricky = {
            "name": 'Jo "the" \\ {tee}, [shop]',
            "note": "Zoë → ☃ \n\t 'quoted' \\\"",
            "tags": [{"a": [1, "b,c", None]}, "}{", ""],
        }
        body = {
            "request_id": "r",
            "parameters": {"payload_type": "customer", "quickbooks_note": 'say "hi"'},
            "customer": [tricky, {"name": "Plain"}],
        }

        self.webhook("add_customers", body)

        stored = QueuedObject.objects.get(identity=tricky["name"])
        self.assertEqual(stored.payload, tricky)
        self.assertEqual(stored.params["quickbooks_note"], 'say "hi"')

    def test_it_refuses_a_nul_character_naming_the_field_and_stores_nothing(self) -> None:
        body = {
            "request_id": "r",
            "parameters": {"payload_type": "customer"},
            "customer": [{"name": "A"}, {"name": "B", "addresses": [{"city": "Nul\x00City"}]}],
        }

        response = self.webhook("add_customers", body)

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {
                "request_id": "r",
                "summary": "customer[1].addresses[0].city: contains a NUL character, "
                "which cannot be stored",
            },
        )
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_refuses_a_connection_id_holding_a_nul_naming_it(self) -> None:
        body = {
            **customer_body(),
            "parameters": {"payload_type": "customer", "connection_id": "a\x00"},
        }

        response = self.webhook("add_customers", body)

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["summary"],
            "parameters.connection_id: contains a NUL character, which cannot be stored",
        )

    def test_it_keeps_only_a_usable_external_guid(self) -> None:
        bare = "71562455-3e41-42ca-9377-9a26597c1bd0"
        body = customer_body("A", external_guid=bare)
        body["customer"] = [body["customer"], {"name": "B", "external_guid": "x" * 300}]

        response = self.webhook("add_customers", body)

        self.assertEqual(response.status_code, 200)
        stored = dict(QueuedObject.objects.values_list("identity", "external_guid"))
        self.assertEqual(stored, {"A": "{" + bare.upper() + "}", "B": ""})

    def test_it_validates_a_dependency_again_when_its_data_changes(self) -> None:
        def body(cost: object) -> dict[str, Any]:
            line = {"product_id": "TEE", "quantity": 1, "price": 5, "cost": cost}
            return {
                "request_id": "r",
                "parameters": {"payload_type": "order", "quickbooks_auto_create_products": "1"},
                "order": {"id": "R1", "customer": {"name": "Jo"}, "line_items": [line]},
            }

        self.assertEqual(self.webhook("add_orders", body(2)).status_code, 200)
        response = self.webhook("add_orders", body("two"))

        self.assertEqual(response.status_code, 400)
        self.assertIn("product dependency", response.json()["summary"])

    def test_it_queues_an_order_behind_its_customer_and_items(self) -> None:
        order = {
            "id": "R1",
            "customer": {"name": "Jo"},
            "line_items": [{"product_id": "TEE", "quantity": 2, "price": 5}],
        }
        body = {
            "request_id": "r",
            "parameters": {
                "payload_type": "order",
                "quickbooks_auto_create_products": "1",
                "quickbooks_income_account": "Sales",
                "quickbooks_cogs_account": "COGS",
                "quickbooks_inventory_account": "Inventory Asset",
            },
            "order": order,
        }

        self.webhook("add_orders", body)

        order_obj = QueuedObject.objects.get(object_type="orders")
        self.assertEqual(order_obj.phase, Phase.TWO_PHASE_PENDING)
        deps = {(d.object_type, d.identity, d.mode) for d in order_obj.dependencies.all()}
        self.assertEqual(deps, {("customers", "Jo", Mode.ENSURE), ("products", "TEE", Mode.ENSURE)})

    def test_it_fails_an_order_whose_refnumber_collides_with_another_id(self) -> None:
        line = [{"product_id": "TEE", "quantity": 1}]
        for oid in ["AAAA-12345678901", "BBBB-12345678901"]:
            self.webhook(
                "add_orders",
                {
                    "request_id": oid,
                    "parameters": {},
                    "order": {"id": oid, "customer": {"name": "Jo"}, "line_items": line},
                },
            )

        second = QueuedObject.objects.get(identity="BBBB-12345678901")
        self.assertEqual(second.phase, Phase.FAILED)
        self.assertIn(
            "RefNumber 12345678901 collides with AAAA-12345678901",
            Notification.objects.get().message,
        )
        self.assertEqual(
            QueuedObject.objects.get(identity="AAAA-12345678901").ref_number, "12345678901"
        )

    def test_it_fails_only_the_later_of_two_colliding_orders_in_one_request(self) -> None:
        line = [{"product_id": "TEE", "quantity": 1}]
        orders = [
            {"id": oid, "customer": {"name": "Jo"}, "line_items": line}
            for oid in ["AAAA-12345678901", "BBBB-12345678901"]
        ]

        self.webhook("add_orders", {"request_id": "r", "parameters": {}, "order": orders})

        first = QueuedObject.objects.get(identity="AAAA-12345678901")
        second = QueuedObject.objects.get(identity="BBBB-12345678901")
        self.assertEqual((first.phase, second.phase), (Phase.TWO_PHASE_PENDING, Phase.FAILED))
        self.assertIn("collides with AAAA-12345678901", Notification.objects.get().message)

    def test_it_refuses_the_flowlink_product_fixture_naming_its_over_long_tax_code(self) -> None:
        product = json.loads(
            shared_file("flowlink-payloads", "add", "invproduct_from_flowlink.json").read_text()
        )
        body = {
            "request_id": "r",
            "parameters": {
                "payload_type": "product",
                "quickbooks_cogs_account": "Cost of Goods Sold",
            },
            "product": product,
        }

        response = self.webhook("add_products", body)

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["summary"],
            "product.purchase_tax_code_name: 'purchase tax' is 12 characters; QuickBooks allows 3",
        )

    def test_it_accepts_the_flowlink_product_fixture_with_a_valid_tax_code(self) -> None:
        product = json.loads(
            shared_file("flowlink-payloads", "add", "invproduct_from_flowlink.json").read_text()
        )
        product["purchase_tax_code_name"] = "Non"
        body = {
            "request_id": "r",
            "parameters": {
                "payload_type": "product",
                "quickbooks_cogs_account": "Cost of Goods Sold",
            },
            "product": product,
        }

        response = self.webhook("add_products", body)

        self.assertEqual(response.status_code, 200, response.content)


class NotificationsTestCase(BaseTestCase):
    def notify(self, message: str, kind: str = "fail") -> Notification:
        return Notification.objects.create(
            connection=self.connection,
            object_type="customers",
            kind=kind,
            message=message,
            request_id="orig-1",
        )

    def test_it_hands_out_each_notification_once(self) -> None:
        self.notify("Jo: Customer successfully sent to Quickbooks Desktop", "success")
        self.notify("Al: There is an invalid reference")

        first = self.webhook("get_notifications", {"request_id": "n-1", "parameters": {}}).json()
        second = self.webhook("get_notifications", {"request_id": "n-2", "parameters": {}}).json()

        self.assertEqual(first["summary"], "Notifications retrieved")
        self.assertEqual(
            first["success"],
            [
                {
                    "message": "Jo: Customer successfully sent to Quickbooks Desktop",
                    "request_id": "orig-1",
                }
            ],
        )
        self.assertEqual(len(first["fail"]), 1)
        self.assertEqual(second, {"request_id": "n-2", "summary": "Notifications retrieved"})

    def test_it_replays_the_same_set_for_a_repeated_request_id(self) -> None:
        self.notify("Al: failed")
        first = self.webhook("get_notifications", {"request_id": "n-1", "parameters": {}}).json()
        self.notify("Bo: failed")

        again = self.webhook("get_notifications", {"request_id": "n-1", "parameters": {}}).json()

        self.assertEqual(again, first)

    def test_it_keeps_other_connections_notifications(self) -> None:
        other = make_connection("other")
        Notification.objects.create(
            connection=other, object_type="customers", kind="fail", message="x"
        )

        data = self.webhook("get_notifications", {"request_id": "n-1", "parameters": {}}).json()

        self.assertNotIn("fail", data)
        self.assertIsNone(Notification.objects.get().delivered_at)


class HealthCheckTestCase(BaseTestCase):
    def check(self, **parameters: object) -> Any:
        return self.webhook("get_health_check", {"request_id": "h", "parameters": parameters})

    def test_it_passes_when_the_web_connector_never_called(self) -> None:
        response = self.check()

        self.assertEqual(
            (response.status_code, response.json()["summary"]), (200, "Health check was successful")
        )

    def test_it_fails_past_the_default_threshold(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=timezone.now() - timedelta(minutes=6)
        )

        response = self.check()

        self.assertEqual(response.status_code, 500)
        self.assertEqual(
            response.json(), {"request_id": "h", "summary": "Health check was not successful"}
        )

    def test_it_honours_the_threshold_parameter(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(
            last_contact_at=timezone.now() - timedelta(minutes=6)
        )

        response = self.check(health_check_threshold_in_minutes="10")

        self.assertEqual(response.status_code, 200)


class OpenApiTestCase(BaseTestCase):
    def test_it_publishes_every_webhook_in_the_schema(self) -> None:
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/json")

        self.assertEqual(response.status_code, 200)
        paths = json.loads(response.content)["paths"]
        for route in ["add_orders", "add_customers", "get_notifications", "get_health_check"]:
            self.assertIn(f"/{route}", paths)

    def test_it_describes_each_write_route_with_its_own_operation(self) -> None:
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/json")

        paths = json.loads(response.content)["paths"]
        for route in intake.WRITE_ROUTES:
            with self.subTest(route=route):
                operation = paths[f"/{route}"]["post"]
                self.assertEqual(operation["operationId"], route)
                answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
                notifying = route in ("set_inventory", "add_inventories")
                expected = "NotifyingAddResponse" if notifying else "AddResponse"
                self.assertEqual(answer["$ref"], f"#/components/schemas/{expected}")

    def test_it_uses_the_token_hash_never_the_token(self) -> None:
        self.assertNotEqual(self.connection.webhook_token_hash, WEBHOOK_TOKEN)
        self.assertTrue(self.connection.check_webhook_token(WEBHOOK_TOKEN))
