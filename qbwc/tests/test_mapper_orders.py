"""Sales orders: every request the order mapper builds is valid qbXML 13.0 and 16.0."""

from __future__ import annotations

import json
from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir, shared_file
from qbwc.qbxml.mappers.base import ENSURE, REQUIRE, ObjectView
from qbwc.qbxml.mappers.lines import LinesMapper
from qbwc.qbxml.mappers.orders import OrderMapper, derive_ref_number
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError

PARAMS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "PA Sales Tax",
}


def order(**fields: object) -> dict[str, Any]:
    base = {
        "id": "R154085346708777",
        "customer": {"name": "Jo Smith"},
        "placed_on": "2014-02-03T17:29:15.219Z",
        "line_items": [
            {"product_id": "TEE", "name": "T-Shirt & <Co>", "quantity": 2, "price": 10.5},
            {"product_id": "CAP", "quantity": 1, "amount": 7},
        ],
        "adjustments": [
            {"name": "Shipping", "value": 5},
            {"name": "Discount", "value": 2},
            {"name": "Tax", "value": 1.23},
        ],
    }
    return {**base, **fields}


class OrderMapperTestCase(SimpleTestCase):
    mapper = OrderMapper()

    def view(
        self, payload: dict[str, Any], params: dict[str, Any] | None = None, **fields: Any
    ) -> ObjectView:
        return ObjectView(
            "orders",
            self.mapper.identity(payload),
            payload,
            PARAMS if params is None else params,
            **fields,
        )

    def assert_valid(self, element: etree._Element) -> None:
        xsd = require_xsd_dir()
        for version in ("13.0", "16.0"):
            self.assertEqual(errors_in_request(element, version, xsd), [], version)

    def test_it_builds_a_valid_add_with_lines_and_adjustments(self) -> None:
        rq = self.mapper.add(
            self.view(order(), external_guid="{71562455-3E41-42CA-9377-9A26597C1BD0}")
        )

        self.assert_valid(rq)
        lines = rq.findall("SalesOrderAdd/SalesOrderLineAdd")
        self.assertEqual(
            [line.findtext("ItemRef/FullName") for line in lines],
            ["TEE", "CAP", "Shipping", "Discount", "PA Sales Tax"],
        )
        self.assertEqual(lines[3].findtext("Rate"), "-2")
        self.assertEqual(rq.findtext("SalesOrderAdd/RefNumber"), "85346708777")

    def test_it_builds_a_valid_mod_reusing_line_ids_by_item_and_position(self) -> None:
        existing = {
            "lines": [
                {"txn_line_id": "L-1", "item": "tee"},
                {"txn_line_id": "L-2", "item": "Shipping"},
            ]
        }
        view = self.view(
            order(), qb_id="1A-1700000000", edit_sequence="1700000000", qb_state=existing
        )

        rq = self.mapper.mod(view)

        self.assert_valid(rq)
        ids = [line.findtext("TxnLineID") for line in rq.findall("SalesOrderMod/SalesOrderLineMod")]
        self.assertEqual(ids, ["L-1", "-1", "L-2", "-1", "-1"])
        self.assertIsNone(rq.find("SalesOrderMod/ExternalGUID"))

    def test_it_uses_amount_for_adjustments_when_asked(self) -> None:
        rq = self.mapper.add(self.view(order(), {**PARAMS, "use_amount_for_tax": "1"}))

        self.assert_valid(rq)
        tax = rq.findall("SalesOrderAdd/SalesOrderLineAdd")[-1]
        self.assertEqual((tax.findtext("Amount"), tax.find("Rate")), ("1.23", None))

    def test_it_closes_a_cancelled_order(self) -> None:
        rq = self.mapper.add(self.view(order(status="cancelled")))

        self.assert_valid(rq)
        self.assertEqual(rq.findtext("SalesOrderAdd/IsManuallyClosed"), "true")

    def test_it_builds_a_valid_order_from_the_legacy_fixture(self) -> None:
        legacy = json.loads(shared_file("flowlink-payloads", "legacy", "orders.json").read_text())[
            "orders"
        ][0]

        self.assert_valid(self.mapper.add(self.view(legacy)))

    def test_it_names_the_parameter_a_shipping_adjustment_needs(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.add(self.view(order(), {}))

        self.assertEqual(caught.exception.field, "adjustments[0]")
        self.assertIn("quickbooks_shipping_item", caught.exception.reason)

    def test_it_creates_items_only_when_asked(self) -> None:
        plain = self.mapper.dependencies(order(adjustments=[]), {})
        auto = self.mapper.dependencies(
            order(adjustments=[]), {"quickbooks_auto_create_products": "1"}
        )

        self.assertEqual(
            [(d.object_type, d.mode) for d in plain],
            [("customers", ENSURE), ("products", REQUIRE), ("products", REQUIRE)],
        )
        self.assertEqual([d.mode for d in auto], [ENSURE, ENSURE, ENSURE])

    def test_it_leaves_the_customer_alone_with_a_customer_email_parameter(self) -> None:
        deps = self.mapper.dependencies(
            order(adjustments=[]), {"quickbooks_customer_email": "shop@example.com"}
        )

        self.assertEqual((deps[0].payload, deps[0].mode), ({"name": "shop@example.com"}, REQUIRE))

    def test_it_keeps_the_last_eleven_characters_as_refnumber(self) -> None:
        self.assertEqual(derive_ref_number("R154085346708777"), "85346708777")
        self.assertEqual(derive_ref_number("R1"), "R1")


class LineValueTestCase(SimpleTestCase):
    """Adjustments and valued lines carry their value as Amount (issue 16 item 2)."""

    def forms(self) -> list[LinesMapper]:
        from qbwc.qbxml.mappers.invoices import InvoiceMapper
        from qbwc.qbxml.mappers.purchase_orders import PurchaseOrderMapper
        from qbwc.qbxml.mappers.sales_receipts import SalesReceiptMapper

        return [OrderMapper(), InvoiceMapper(), SalesReceiptMapper(), PurchaseOrderMapper()]

    def lines(
        self, mapper: LinesMapper, params: dict[str, Any], is_mod: bool
    ) -> list[etree._Element]:
        payload = order(
            supplier={"name": "Acme Supply"},
            line_items=[
                {"product_id": "TEE", "quantity": 2, "price": 10.5},
                {"product_id": "WRAP", "amount": "4.50"},
                {"product_id": "WRAP", "quantity": 0, "price": 4.5, "amount": 9},
            ],
        )
        view = ObjectView(mapper.object_type, mapper.identity(payload), payload, params)
        if is_mod:
            view.qb_id, view.edit_sequence = "1A-1700000000", "1700000000"
        rq = mapper.mod(view) if is_mod else mapper.add(view)
        xsd = require_xsd_dir()
        for version in ("13.0", "16.0"):
            self.assertEqual(errors_in_request(rq, version, xsd), [], version)
        verb = "Mod" if is_mod else "Add"
        return rq.findall(f"{mapper.qb_type}{verb}/{mapper.qb_type}Line{verb}")

    def test_it_sends_each_value_as_amount_without_a_zero_quantity(self) -> None:
        for mapper in self.forms():
            for params in (PARAMS, {**PARAMS, "use_amount_for_tax": "1"}):
                for is_mod in (False, True):
                    with self.subTest(mapper=mapper.qb_type, params=params, mod=is_mod):
                        lines = self.lines(mapper, params, is_mod)
                        values = [
                            (line.findtext("Quantity"), line.findtext("Amount")) for line in lines
                        ]
                        self.assertEqual(
                            values,
                            [
                                ("2", None),
                                (None, "4.50"),
                                (None, "9.00"),
                                (None, "5.00"),
                                (None, "-2.00"),
                                (None, "1.23"),
                            ],
                        )

    def test_it_keeps_the_rate_of_an_adjustment_unless_amounts_are_asked_for(self) -> None:
        shipping = self.lines(OrderMapper(), PARAMS, False)[3]
        self.assertEqual((shipping.findtext("Rate"), shipping.findtext("Amount")), ("5", "5.00"))
        amounts_only = self.lines(OrderMapper(), {**PARAMS, "use_amount_for_tax": "1"}, False)[3]
        self.assertIsNone(amounts_only.find("Rate"))
