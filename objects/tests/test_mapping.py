"""Mapping rules: parsing, the transforms, and refusals that name the rule and field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.test import SimpleTestCase
from django.test.utils import CaptureQueriesContext

from connections.models import Connection
from objects.mapping import MappingError, parse_rules, resolve
from objects.models import CustomRoute, FieldMapping, QueuedObject
from objects.tests import mapping_cases
from objects.types.values import PayloadError
from qbsync.test import BaseTestCase, make_connection

PAYLOAD: dict[str, Any] = {
    "id": "INV-1",
    "channel": "amazon",
    "shipped_at": "01/12/2026",
    "placed_on": "2026-11-30T22:15:00Z",
    "totals": {"weight": "1.5", "total": 1234.5},
    "line_items": [{"sku": "TEE"}],
}


def values(*rules: dict[str, Any]) -> list[tuple[str, str]]:
    return resolve(parse_rules(list(rules)), PAYLOAD)


class TransformTestCase(SimpleTestCase):
    def test_it_sets_a_constant(self) -> None:
        rule = {"target": "Other", "transform": "constant", "value": "web"}
        self.assertEqual(values(rule), [("Other", "web")])

    def test_it_fills_a_template_from_dotted_paths(self) -> None:
        rule = {"target": "Memo", "transform": "template", "template": "{id} / {line_items.0.sku}"}
        self.assertEqual(values(rule), [("Memo", "INV-1 / TEE")])

    def test_it_looks_a_value_up(self) -> None:
        rule = {"target": "X", "transform": "lookup", "source": "channel", "table": {"amazon": "A"}}
        self.assertEqual(values(rule), [("X", "A")])

    def test_it_falls_back_to_the_lookup_default(self) -> None:
        rule = {
            "target": "X",
            "transform": "lookup",
            "source": "channel",
            "table": {"ebay": "E"},
            "default": "Other",
        }
        self.assertEqual(values(rule), [("X", "Other")])

    def test_it_formats_dates_from_a_given_format_and_iso(self) -> None:
        rules = (
            {
                "target": "A",
                "transform": "date",
                "source": "shipped_at",
                "input_format": "%d/%m/%Y",
            },
            {"target": "B", "transform": "date", "source": "placed_on", "format": "%m/%d/%Y"},
        )
        self.assertEqual(values(*rules), [("A", "2026-12-01"), ("B", "11/30/2026")])

    def test_it_rounds_and_groups_numbers(self) -> None:
        rules = (
            {"target": "A", "transform": "number", "source": "totals.weight", "places": 3},
            {"target": "B", "transform": "number", "source": "totals.total", "grouping": True},
        )
        self.assertEqual(values(*rules), [("A", "1.500"), ("B", "1,234.50")])

    def test_it_names_the_missing_payload_field_of_a_template(self) -> None:
        rule = {"target": "Memo", "transform": "template", "template": "{id} {customer.email}"}
        with self.assertRaises(PayloadError) as caught:
            values(rule)
        self.assertEqual(caught.exception.field, "customer.email")
        self.assertIn("Memo", caught.exception.reason)

    def test_it_refuses_an_object_where_a_value_is_read(self) -> None:
        rule = {"target": "Memo", "transform": "template", "template": "{totals}"}
        with self.assertRaises(PayloadError) as caught:
            values(rule)
        self.assertEqual(caught.exception.field, "totals")

    def test_it_names_a_lookup_value_without_an_entry(self) -> None:
        rule = {"target": "X", "transform": "lookup", "source": "channel", "table": {"ebay": "E"}}
        with self.assertRaises(PayloadError) as caught:
            values(rule)
        self.assertEqual(caught.exception.field, "channel")
        self.assertIn("'amazon' has no entry", caught.exception.reason)

    def test_it_names_a_date_that_does_not_parse(self) -> None:
        rule = {"target": "A", "transform": "date", "source": "channel"}
        with self.assertRaises(PayloadError) as caught:
            values(rule)
        self.assertEqual(caught.exception.field, "channel")


class RuleRefusalTestCase(SimpleTestCase):
    def assert_refused(self, rule: Any, text: str) -> None:
        with self.assertRaises(MappingError) as caught:
            parse_rules([{"target": "Memo", "transform": "constant", "value": "x"}, rule])
        self.assertIn(text, str(caught.exception))
        self.assertEqual(caught.exception.index, 2)

    def test_it_refuses_an_unknown_transform_naming_the_field(self) -> None:
        self.assert_refused(
            {"target": "Other", "transform": "upper"}, "rule 2 (Other): transform: 'upper'"
        )

    def test_it_refuses_a_template_naming_nothing(self) -> None:
        self.assert_refused(
            {"target": "Other", "transform": "template", "template": "fixed"},
            "rule 2 (Other): template: names no payload field",
        )

    def test_it_refuses_a_lookup_without_entries(self) -> None:
        self.assert_refused(
            {"target": "Other", "transform": "lookup", "source": "channel", "table": {}},
            "rule 2 (Other): table: needs at least one entry",
        )

    def test_it_refuses_a_setting_of_another_transform(self) -> None:
        self.assert_refused(
            {"target": "Other", "transform": "constant", "value": "x", "places": 2},
            "rule 2 (Other): places: not a setting of a constant rule",
        )

    def test_it_refuses_two_rules_for_one_field(self) -> None:
        self.assert_refused(
            {"target": "Memo", "transform": "constant", "value": "y"},
            "rule 2 (Memo): sets the same field as rule 1",
        )


class FieldMappingTestCase(BaseTestCase):
    def mapping(self, connection: Connection, object_type: str = "invoices") -> FieldMapping:
        return FieldMapping.objects.create(
            connection=connection, object_type=object_type, name=f"{object_type} mapping"
        )

    def test_it_refuses_a_desktop_field_the_xsd_does_not_have(self) -> None:
        mapping = self.mapping(self.connection)
        with self.assertRaises(MappingError) as caught:
            mapping.add_version([{"target": "PrivateNote", "transform": "constant", "value": "x"}])
        self.assertEqual(
            str(caught.exception),
            "rule 1 (PrivateNote): InvoiceAdd has no field 'PrivateNote' in qbXML 13.0",
        )

    def test_it_refuses_a_desktop_field_that_holds_others_or_repeats(self) -> None:
        mapping = self.mapping(self.connection)
        for target, text in (
            ("ShipMethodRef", "holds other fields"),
            ("InvoiceLineAdd/Desc", "inside a repeated element"),
            ("TxnID", "not a field a mapping may set"),
            ("DataExt:" + "x" * 32, "a custom field's name is 1 to 31 characters"),
        ):
            with self.subTest(target), self.assertRaises(MappingError) as caught:
                mapping.add_version([{"target": target, "transform": "constant", "value": "x"}])
            self.assertIn(text, str(caught.exception))

    def test_it_refuses_a_qbo_field_the_entity_does_not_have(self) -> None:
        mapping = self.mapping(make_connection("online", backend=Connection.Backend.QBO))
        with self.assertRaises(MappingError) as caught:
            mapping.add_version([{"target": "Memo", "transform": "constant", "value": "x"}])
        self.assertEqual(
            str(caught.exception), "rule 1 (Memo): Invoice has no field 'Memo' a mapping may set"
        )

    def test_it_keeps_every_version_and_activates_the_newest(self) -> None:
        mapping = self.mapping(self.connection)
        first = mapping.add_version([{"target": "Memo", "transform": "constant", "value": "a"}])
        second = mapping.add_version(
            [{"target": "Other", "transform": "constant", "value": "b"}], self.operator, "why"
        )

        self.assertEqual((first.number, second.number), (1, 2))
        self.assertEqual(mapping.active_version, second)
        self.assertEqual(
            FieldMapping.objects.active_versions(self.connection), {"invoices": second}
        )

    def test_it_deletes_a_connection_whose_objects_were_built_with_a_mapping(self) -> None:
        mapping = self.mapping(self.connection)
        version = mapping.add_version([{"target": "Memo", "transform": "constant", "value": "a"}])
        CustomRoute.objects.create(
            connection=self.connection,
            route="add_estimates",
            object_type="invoices",
            mapping=mapping,
        )
        QueuedObject.objects.create(
            connection=self.connection,
            object_type="invoices",
            identity="INV-1",
            mapping_version=version,
        )

        self.connection.delete()

        self.assertFalse(QueuedObject.objects.exists())
        self.assertFalse(FieldMapping.objects.exists())

    def test_it_marks_the_connection_while_a_mapping_has_a_version(self) -> None:
        mapping = self.mapping(self.connection)
        self.connection.refresh_from_db()
        self.assertFalse(self.connection.uses_field_mappings)

        mapping.add_version([{"target": "Memo", "transform": "constant", "value": "a"}])
        self.connection.refresh_from_db()
        self.assertTrue(self.connection.uses_field_mappings)

        mapping.delete()
        self.connection.refresh_from_db()
        self.assertFalse(self.connection.uses_field_mappings)

    def test_it_reads_no_mapping_for_a_webhook_of_a_connection_without_one(self) -> None:
        body = {"request_id": "r1", "invoice": mapping_cases.invoice("INV-1")}
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.webhook("add_invoices", body).status_code, 200)
        self.assertFalse([q for q in queries if "objects_fieldmapping" in q["sql"]])

        self.mapping(self.connection).add_version(
            [{"target": "Memo", "transform": "constant", "value": "a"}]
        )
        body = {"request_id": "r2", "invoice": mapping_cases.invoice("INV-2")}
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.webhook("add_invoices", body).status_code, 200)
        self.assertTrue([q for q in queries if "objects_fieldmapping" in q["sql"]])

    def test_it_never_changes_a_saved_version(self) -> None:
        version = self.mapping(self.connection).add_version([])
        version.comment = "changed"
        with self.assertRaises(ValueError):
            version.save()

    def test_it_reports_a_bad_rule_from_clean_on_the_rules_field(self) -> None:
        mapping = self.mapping(self.connection)
        version = mapping.versions.model(
            mapping=mapping, number=1, rules=[{"target": "Nope", "transform": "constant"}]
        )
        with self.assertRaises(ValidationError) as caught:
            version.clean()
        self.assertIn("rule 1 (Nope)", str(caught.exception.message_dict["rules"]))
