"""Property tests: random valid-looking FlowLink payloads of every type become qbXML that
both the 13.0 and the 16.0 schema accept, or are refused up front naming the field.

"Up front" is exactly what intake does before storing anything (objects.intake): the
mapper's validate() (an Add and a Mod), its dependencies, and the validate() of every
dependency it would create. What passes there must build Add and Mod requests (and the
dependencies' Adds) that validate; what fails must name a field of the payload or of
the flow parameters.
"""

from __future__ import annotations

import re
from typing import Any

from django.test import SimpleTestCase
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from objects.intake import validate_dependency
from qbsync.test import require_xsd_dir
from qbwc.qbxml.mappers import MAPPERS, mapper_for
from qbwc.qbxml.mappers.base import ENSURE, Dependency, Mapper, ObjectView
from qbwc.qbxml.mappers.items import MissingAccountError
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError
from qbwc.tests.payload_strategies import (
    GUID,
    customers,
    inventories,
    inventory_params,
    item_params,
    items,
    journals,
    purchase_orders,
    returns,
    sales_receipts,
    transaction_params,
    vendors,
)

VERSIONS = ("13.0", "16.0")
MOD_IDS = {"qb_id": "80000001-1590500864", "edit_sequence": "1590500864"}


# Fields a mapper may name although the payload lacks them (it says they are required).
REQUIRED_ROOTS = {
    "id",
    "name",
    "product_id",
    "customer",
    "email",
    "items",
    "line_items",
    "supplier",
    "quantity",
    "parameters",
}

SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the property ---------------------------------------------------------------------------


class GeneratedRequestsTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.xsd = require_xsd_dir()

    def check(self, mapper: Mapper, payload: dict[str, Any], params: dict[str, Any]) -> None:
        """Refused naming a field, or every request built from it is schema-valid."""
        try:
            identity = mapper.identity(payload)
            mapper.validate(payload, params)
            deps = mapper.dependencies(payload, params)
            for dep in deps:
                self.accept_dependency(dep, params)
        except PayloadError as err:
            root = re.split(r"[.\[ ]", err.field)[0]
            self.assertTrue(
                root in payload or root in REQUIRED_ROOTS or root in MAPPERS_NOTICES,
                f"{err.field!r} names no field of {sorted(payload)}",
            )
            self.assertTrue(err.reason)
            event(f"refused up front: {root}")
            return
        event("accepted")
        view = ObjectView(
            mapper.object_type, identity, payload, params, external_guid=GUID, mode=ENSURE
        )
        found = ObjectView(**{**view.__dict__, **MOD_IDS})
        requests = [mapper.lookup(view), mapper.lookup(found)]
        # Every write the object can lead to: when missing, then when found.
        builders = {"add": self.add_of, "mod": self.mod_of, "delete": self.delete_of}
        for known in (view, found):
            kind = mapper.write_kind(known)
            if kind is not None:
                requests.extend(builders[kind](mapper, known))
        for dep in deps:
            dep_mapper = mapper_for(dep.object_type)
            dep_view = ObjectView(
                dep.object_type, dep_mapper.identity(dep.payload), dep.payload, params
            )
            requests.append(dep_mapper.lookup(dep_view))
            if dep.mode == ENSURE:
                requests.extend(self.add_of(dep_mapper, dep_view))
        for request in requests:
            self.assert_valid(request)

    def mod_of(self, mapper: Mapper, view: ObjectView) -> list[etree._Element]:
        return [mapper.mod(view)]

    def delete_of(self, mapper: Mapper, view: ObjectView) -> list[etree._Element]:
        return [mapper.delete(view)]

    def add_of(self, mapper: Mapper, view: ObjectView) -> list[etree._Element]:
        """The Add, unless it is an item whose accounts only an Add needs (by design, an
        item that exists needs none, so intake accepts it and the Add names the account)."""
        try:
            return [mapper.add(view)]
        except MissingAccountError as err:
            self.assertTrue(err.field.endswith("account") or err.field.endswith("account_name"))
            return []

    def accept_dependency(self, dep: Dependency, params: dict[str, Any]) -> None:
        """What intake does with a dependency, including how it names a refused field."""
        validate_dependency(dep, params)

    def assert_valid(self, request: etree._Element) -> None:
        for version in VERSIONS:
            errors = errors_in_request(request, version, self.xsd)
            self.assertEqual(errors, [], f"{version}: {etree.tostring(request)[:600]!r}")

    @SETTINGS
    @given(payload=sales_receipts, params=transaction_params)
    def test_it_builds_valid_sales_receipts_or_names_the_field(
        self, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(MAPPERS["salesreceipts"], payload, params)

    @SETTINGS
    @given(payload=returns, params=transaction_params)
    def test_it_builds_valid_returns_or_names_the_field(
        self, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(MAPPERS["returns"], payload, params)

    @SETTINGS
    @given(payload=purchase_orders, params=transaction_params)
    def test_it_builds_valid_purchase_orders_or_names_the_field(
        self, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(MAPPERS["purchaseorders"], payload, params)

    @SETTINGS
    @given(payload=journals)
    def test_it_builds_valid_journals_or_names_the_field(self, payload: dict[str, Any]) -> None:
        self.check(MAPPERS["journals"], payload, {})

    @SETTINGS
    @given(payload=inventories, params=inventory_params)
    def test_it_builds_valid_inventory_adjustments_or_names_the_field(
        self, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(MAPPERS["inventories"], payload, params)

    @SETTINGS
    @given(payload=customers)
    def test_it_builds_valid_customers_or_names_the_field(self, payload: dict[str, Any]) -> None:
        self.check(MAPPERS["customers"], payload, {})

    @SETTINGS
    @given(payload=vendors)
    def test_it_builds_valid_vendors_or_names_the_field(self, payload: dict[str, Any]) -> None:
        self.check(MAPPERS["vendors"], payload, {})

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        object_type=st.sampled_from(
            [
                "products",
                "noninventoryproducts",
                "serviceproducts",
                "discountproducts",
                "salestaxproducts",
                "otherchargeproducts",
            ]
        ),
        payload=items,
        params=item_params,
    )
    def test_it_builds_valid_items_of_every_type_or_names_the_field(
        self, object_type: str, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(MAPPERS[object_type], payload, params)


# Dependency errors come back from intake prefixed with the dependency's type.
MAPPERS_NOTICES = {m.notice_name.lower() for m in MAPPERS.values()}
