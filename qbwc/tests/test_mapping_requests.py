"""Every qbXML request a field mapping can produce is valid against the 13.0 and 16.0 XSDs:
each text field of the Add a rule may name, all set at once, lands in schema order."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.test import SimpleTestCase, override_settings

from objects.mapping import parse_rules
from qbsync.test import require_xsd_dir
from qbwc.mapping import data_ext_request, target_error, write_request
from qbwc.qbxml.mappers import MAPPERS
from qbwc.qbxml.mappers.base import ADD, MOD, as_found
from qbwc.qbxml.schema import XS, Schema, schema_for
from qbwc.qbxml.validate import errors_in_request

PAYLOADS: dict[str, dict[str, Any]] = {
    "invoices": {
        "id": "INV-1",
        "customer": {"name": "Jo Smith"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10}],
    },
    "orders": {
        "id": "R1",
        "customer": {"name": "Jo Smith"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10}],
    },
    "customers": {"name": "Jo Smith", "firstname": "Jo", "lastname": "Smith"},
    "salesreceipts": {
        "id": "SR-1",
        "customer": {"name": "Jo Smith"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10}],
    },
}


def text_targets(schema: Schema, root: str) -> list[str]:
    """Every STRTYPE field of `root` one or two levels down that a rule may name."""
    targets = []
    for top in schema.children(schema.elements[root]):
        paths = [top.name]
        if not top.is_leaf:
            paths = [f"{top.name}/{inner.name}" for inner in schema.children(top.node)]
        for path in paths:
            field = schema.field_at((root, *path.split("/")))
            if field is not None and _is_text(field.node):
                targets.append(path)
    return targets


def _is_text(node: Any) -> bool:
    restriction = node.find(f"{XS}simpleType/{XS}restriction")
    base = restriction.get("base") if restriction is not None else node.get("type")
    return bool(base == "STRTYPE")


class MappedRequestTestCase(SimpleTestCase):
    def test_it_builds_valid_requests_with_every_text_field_mapped(self) -> None:
        xsd = require_xsd_dir()
        with override_settings(QBXML_XSD_DIR=xsd):
            for object_type, payload in PAYLOADS.items():
                mapper = MAPPERS[object_type]
                schema = schema_for("13.0")
                assert schema is not None
                targets = [
                    t
                    for t in text_targets(schema, f"{mapper.qb_type}Add")
                    if not target_error(object_type, t)
                ]
                self.assertGreater(len(targets), 5, object_type)
                rules = parse_rules(
                    [{"target": t, "transform": "constant", "value": "7"} for t in targets]
                )
                for version in ("13.0", "16.0"):
                    view = replace(
                        mapper.view(payload, {}), rules=tuple(rules), qbxml_version=version
                    )
                    for kind, built in ((ADD, view), (MOD, as_found(view))):
                        with self.subTest(object_type=object_type, version=version, kind=kind):
                            rq = write_request(mapper, kind, built)
                            self.assertEqual(errors_in_request(rq, version, xsd), [])

    def test_it_builds_valid_dataext_requests_for_lists_and_transactions(self) -> None:
        xsd = require_xsd_dir()
        rules = parse_rules(
            [{"target": "DataExt:Channel", "transform": "constant", "value": "web & co"}]
        )
        with override_settings(QBXML_XSD_DIR=xsd):
            for object_type in ("invoices", "customers", "orders"):
                mapper = MAPPERS[object_type]
                view = replace(
                    mapper.view(PAYLOADS[object_type], {}), rules=tuple(rules), qb_id="80-1"
                )
                rq = data_ext_request(mapper, view, "Channel")
                for version in ("13.0", "16.0"):
                    with self.subTest(object_type=object_type, version=version):
                        self.assertEqual(errors_in_request(rq, version, xsd), [])
