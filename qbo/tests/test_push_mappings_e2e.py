"""Field mappings on QuickBooks Online: a FlowLink webhook over HTTP, then a push pass over
HTTP into the QBO double, with the connection's mapping applied."""

from __future__ import annotations

from typing import Any

from objects.mapping import MappingError
from objects.models import CustomRoute, FieldMapping, QueuedObject
from objects.tests.flows import envelope
from objects.tests.mapping_cases import EachTransformMixin, invoice
from qbo.models import QboCall
from qbo.tests.live import QboLiveTestCase
from qbo.tests.test_push_e2e import order_params

# One rule per transform, the property path of the stored Invoice and the value.
CASES: dict[str, tuple[dict[str, Any], tuple[str, ...], str]] = {
    "constant": (
        {"target": "ShipMethodRef.value", "transform": "constant", "value": "UPS"},
        ("ShipMethodRef", "value"),
        "UPS",
    ),
    "template": (
        {"target": "PrivateNote", "transform": "template", "template": "{id} / {channel}"},
        ("PrivateNote",),
        "INV-1 / amazon",
    ),
    "lookup": (
        {
            "target": "CustomerMemo.value",
            "transform": "lookup",
            "source": "channel",
            "table": {"amazon": "Thanks for shopping on Amazon"},
        },
        ("CustomerMemo", "value"),
        "Thanks for shopping on Amazon",
    ),
    "date": (
        {
            "target": "ShipDate",
            "transform": "date",
            "source": "shipped_at",
            "input_format": "%d/%m/%Y",
        },
        ("ShipDate",),
        "2026-12-01",
    ),
    "number": (
        {"target": "TrackingNum", "transform": "number", "source": "weight", "places": 3},
        ("TrackingNum",),
        "1.500",
    ),
}


def at(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


class QboMappingPushTestCase(EachTransformMixin, QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.mapping = FieldMapping.objects.create(
            connection=self.connection, object_type="invoices", name="Invoices"
        )

    def send(self, payload: dict[str, Any]) -> tuple[int, Any]:
        return self.post("add_invoices", envelope("invoice", payload, **order_params()))

    def assert_lands(self, transform: str) -> None:
        rule, path, expected = CASES[transform]
        self.mapping.add_version([rule])

        status, data = self.send(invoice())
        summary = self.push()

        self.assertEqual(status, 200, data)
        self.assertEqual(summary.failed, 0, self.messages("fail"))
        self.assertEqual(at(self.one("Invoice", DocNumber="INV-1"), path), expected)

    def test_it_refuses_a_payload_the_mapping_cannot_read_naming_the_field(self) -> None:
        self.mapping.add_version([CASES["lookup"][0]])

        status, data = self.send(invoice(channel="ebay"))

        self.assertEqual(status, 400)
        self.assertEqual(
            data["summary"],
            "invoice.channel: 'ebay' has no entry in the look-up table of the mapping rule "
            "for CustomerMemo.value",
        )
        self.assertFalse(QueuedObject.objects.filter(object_type="invoices").exists())

    def test_it_sends_exactly_what_the_preview_showed(self) -> None:
        # An earlier invoice created the customer and item the preview's references name.
        self.send(invoice("INV-0"))
        self.push()
        version = self.mapping.add_version([rule for rule, _, _ in CASES.values()])
        self.send(invoice())
        obj = self.obj("invoices", "INV-1")

        preview = self.mapping.preview(version.rules, obj=obj)
        self.push()

        sent = QboCall.objects.get(queued_object=obj, kind="create")
        self.assertEqual(sent.request_body, preview)
        self.assertIn('"PrivateNote":"INV-1 / amazon"', preview)

    def test_it_lands_a_custom_field_by_definition_id(self) -> None:
        self.mapping.add_version(
            [{"target": "CustomField.1", "transform": "template", "template": "{channel}"}]
        )

        self.send(invoice())
        summary = self.push()

        self.assertEqual(summary.failed, 0, self.messages("fail"))
        stored = self.one("Invoice", DocNumber="INV-1")
        self.assertEqual(
            stored["CustomField"],
            [{"DefinitionId": "1", "Type": "StringType", "StringValue": "amazon"}],
        )

    def test_it_refuses_a_custom_field_on_an_entity_without_them(self) -> None:
        customers = FieldMapping.objects.create(
            connection=self.connection, object_type="customers", name="Customers"
        )
        with self.assertRaises(MappingError) as caught:
            customers.add_version(
                [{"target": "CustomField.1", "transform": "constant", "value": "x"}]
            )
        self.assertEqual(
            str(caught.exception), "rule 1 (CustomField.1): Customer has no custom fields"
        )

    def test_it_lands_objects_of_a_custom_route_with_its_mapping(self) -> None:
        estimates = FieldMapping.objects.create(
            connection=self.connection, object_type="invoices", name="Estimates", is_default=False
        )
        estimates.add_version([CASES["template"][0]])
        CustomRoute.objects.create(
            connection=self.connection,
            route="add_estimates",
            object_type="invoices",
            mapping=estimates,
        )

        status, data = self.post("add_estimates", envelope("invoice", invoice(), **order_params()))
        summary = self.push()

        self.assertEqual(status, 200, data)
        self.assertEqual(summary.failed, 0, self.messages("fail"))
        self.assertEqual(self.one("Invoice", DocNumber="INV-1")["PrivateNote"], "INV-1 / amazon")
