"""Shipments: the invoice a shipment becomes is valid qbXML."""

from __future__ import annotations

from typing import Any

from qbwc.qbxml.mappers.base import ENSURE
from qbwc.qbxml.mappers.shipments import ShipmentMapper
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_sales_helpers import PARAMS, SalesMapperTestCase, as_mod, fixture, view


class ShipmentMapperTestCase(SalesMapperTestCase):
    mapper = ShipmentMapper()
    order_state = {"lines": [{"txn_line_id": "L-1", "item": "spree-t-shirt"}]}

    def shipment(self, **fields: Any) -> dict[str, Any]:
        return {**fixture("legacy", "shipment.json")["shipment"], **fields}

    def test_it_links_each_shipped_line_to_the_order_line_of_its_item(self) -> None:
        obj = view(
            self.mapper,
            self.shipment(),
            dependency_ids={"orders:R154085346": "5-1700000000"},
            dependency_states={"orders:R154085346": self.order_state},
        )

        rq = self.mapper.add(obj)

        self.assert_valid(rq, self.mapper.mod(as_mod(obj)), self.mapper.lookup(obj))
        line = rq.find("InvoiceAdd/InvoiceLineAdd")
        self.assertEqual(
            (line.findtext("LinkToTxn/TxnID"), line.findtext("LinkToTxn/TxnLineID")),
            ("5-1700000000", "L-1"),
        )
        self.assertIsNone(self.mapper.mod(as_mod(obj)).find(".//LinkToTxn"))

    def test_it_ensures_the_sales_order_and_keys_the_customer_by_email(self) -> None:
        deps = self.mapper.dependencies(self.shipment(), PARAMS)

        self.assertEqual(
            (deps[0].object_type, deps[0].payload["name"]), ("customers", "spree@example.com")
        )
        order = deps[-1]
        self.assertEqual(
            (order.object_type, order.mode, order.payload["id"]), ("orders", ENSURE, "R154085346")
        )
        self.assertEqual(order.payload["line_items"][0]["product_id"], "SPREE-T-SHIRT")

    def test_it_falls_back_to_id_when_there_is_no_name(self) -> None:
        self.assertEqual(self.mapper.identity(self.shipment()), "12836266231")
        self.assertEqual(self.mapper.identity(self.shipment(name="S-1")), "S-1")

    def test_it_names_the_missing_order_id(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(self.shipment(order_id=None), PARAMS)

        self.assertEqual(caught.exception.field, "order_id")
