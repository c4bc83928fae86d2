"""What a webhook reads once per request (the connection with its flow configuration)."""

from __future__ import annotations

from typing import Any

from connections.models import Connection, FlowConfig
from qbsync.test import WEBHOOK_TOKEN, BaseTestCase


def customers(name: str, **parameters: Any) -> dict[str, Any]:
    return {
        "request_id": name,
        "parameters": {"payload_type": "customer", **parameters},
        "customer": {"name": name},
    }


class WebhookReadsTestCase(BaseTestCase):
    def test_it_refuses_a_token_rotated_after_an_accepted_request(self) -> None:
        self.assertEqual(self.webhook("add_customers", customers("Ann")).status_code, 200)

        Connection.objects.get(pk=self.connection.pk).rotate_webhook_token()

        response = self.webhook("add_customers", customers("Bob"), token=WEBHOOK_TOKEN)
        self.assertEqual(response.status_code, 401)

    def test_it_stores_changed_parameters_as_a_new_version(self) -> None:
        self.webhook("add_customers", customers("Ann", quickbooks_customer_email="1"))

        self.webhook("add_customers", customers("Bob", quickbooks_customer_email="0"))

        config = FlowConfig.objects.get(connection=self.connection, flow="add_customers")
        self.assertEqual((config.version, config.parameters["quickbooks_customer_email"]), (2, "0"))

    def test_it_keeps_the_version_while_the_parameters_are_unchanged(self) -> None:
        for name in ("Ann", "Bob", "Cid"):
            self.webhook("add_customers", customers(name, quickbooks_customer_email="1"))

        config = FlowConfig.objects.get(connection=self.connection, flow="add_customers")
        self.assertEqual(config.version, 1)

    def test_it_reads_the_connection_as_stored_now(self) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(alert_secret="s" * 20)
        FlowConfig.objects.create(
            connection=self.connection, flow="add_orders", parameters={"a": [1, {"b": None}]}
        )

        read = Connection.objects.get_with_flow_config("acme", "add_orders")

        assert read is not None
        config = read.read_flow_config("add_orders")
        assert isinstance(config, FlowConfig)
        self.assertEqual(config.parameters, {"a": [1, {"b": None}]})
        self.assertEqual(read.alert_secret, "s" * 20)  # decrypted, as the ORM reads it
        self.assertTrue(read.check_webhook_token(WEBHOOK_TOKEN))
        self.assertIs(read.read_flow_config("add_customers"), False)

    def test_it_reads_no_flow_config_before_the_first_request(self) -> None:
        read = Connection.objects.get_with_flow_config("acme", "add_orders")

        assert read is not None
        self.assertIsNone(read.read_flow_config("add_orders"))
        self.assertIsNone(Connection.objects.get_with_flow_config("nobody", "add_orders"))

    def test_it_refuses_parameters_that_are_not_an_object(self) -> None:
        body = {"request_id": "r", "parameters": "x", "customer": {"name": "Ann"}}

        response = self.webhook("add_customers", body)

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["summary"],
            'parameters: Expected a dictionary of items but got type "str".',
        )
