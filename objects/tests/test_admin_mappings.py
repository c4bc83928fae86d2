"""The field mapping admin: the rules editor refuses a bad rule naming it, saves versions,
and previews the exact request."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from objects.models import FieldMapping, QueuedObject
from objects.tests.flows import envelope
from qbsync.test import BaseTestCase

MEMO = {"target": "Memo", "transform": "template", "template": "{id} via {channel}"}


class FieldMappingAdminTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client = Client()
        self.client.force_login(self.operator)
        self.mapping = FieldMapping.objects.create(
            connection=self.connection, object_type="invoices", name="Invoices"
        )

    def change(self, rules: object, comment: str = "") -> Any:
        return self.client.post(
            f"/admin/objects/fieldmapping/{self.mapping.pk}/change/",
            {
                "name": "Invoices",
                "is_default": "on",
                "rules": json.dumps(rules),
                "comment": comment,
                "versions-TOTAL_FORMS": "0",
                "versions-INITIAL_FORMS": "0",
            },
        )

    def test_it_refuses_a_bad_rule_naming_it_and_its_field(self) -> None:
        response = self.change([MEMO, {"target": "Colour", "transform": "constant", "value": "x"}])

        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, "rule 2 (Colour): InvoiceAdd has no field &#x27;Colour&#x27; in qbXML 13.0"
        )
        self.assertFalse(self.mapping.versions.exists())

    def test_it_saves_each_change_as_a_version(self) -> None:
        self.change([MEMO], "first")
        self.change([MEMO], "unchanged: no new version")
        self.change([], "cleared")

        versions = list(self.mapping.versions.order_by("number").values_list("number", "comment"))
        self.assertEqual(versions, [(1, "first"), (2, "cleared")])
        self.assertEqual(self.mapping.versions.get(number=1).created_by, self.operator)

    def test_it_previews_unsaved_rules_on_a_pasted_payload(self) -> None:
        payload = {
            "id": "INV-7",
            "channel": "web",
            "customer": {"name": "Jo"},
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": 5}],
        }
        response = self.client.post(
            f"/admin/objects/fieldmapping/{self.mapping.pk}/preview/",
            {"rules": json.dumps([MEMO]), "payload": json.dumps(payload), "parameters": ""},
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "&lt;Memo&gt;INV-7 via web&lt;/Memo&gt;")
        self.assertFalse(self.mapping.versions.exists())

    def test_it_previews_a_queued_object_naming_a_field_it_lacks(self) -> None:
        self.webhook(
            "add_invoices",
            envelope(
                "invoice",
                {
                    "id": "INV-8",
                    "customer": {"name": "Jo"},
                    "line_items": [{"product_id": "TEE", "quantity": 1, "price": 5}],
                },
                quickbooks_auto_create_products="1",
            ),
        )
        obj = QueuedObject.objects.get(object_type="invoices")
        response = self.client.post(
            f"/admin/objects/fieldmapping/{self.mapping.pk}/preview/",
            {"rules": json.dumps([MEMO]), "queued_object": obj.pk},
        )

        self.assertContains(response, "channel: is required by the mapping rule for Memo")
