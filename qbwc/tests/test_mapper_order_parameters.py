"""Sales orders under the connection's parameters, cancelled orders and the adjustment items
they create."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase

from qbwc.qbxml.mappers.base import ENSURE, NOT_FOUND_HINT, REQUIRE
from qbwc.qbxml.mappers.orders import OrderMapper
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_sales_helpers import GUID, PARAMS, SalesMapperTestCase, as_mod, tags, view


def order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "R1001",
        "customer": {"name": "Jo Smith", "email": "jo@example.com"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10, "cost": 4}],
        "adjustments": [{"name": "Shipping", "value": 5}, {"name": "Tax", "value": 1}],
        "tax_line_items": [{"name": "PA State", "value": 0.6}, {"name": "City", "value": 0.4}],
    }
    return {**base, **fields}


class OrderParametersTestCase(SalesMapperTestCase):
    mapper = OrderMapper()

    def test_it_only_closes_an_order_cancelled_by_id(self) -> None:
        bare = {"id": "R1001", "status": "cancelled"}
        obj = as_mod(view(self.mapper, bare, {}))

        rq = self.mapper.mod(obj)

        self.assert_valid(rq)
        self.assertEqual(
            tags(rq.find("SalesOrderMod")), ["TxnID", "EditSequence", "IsManuallyClosed"]
        )
        self.assertEqual(self.mapper.dependencies(bare, {}), [])
        self.mapper.validate(bare, {})

    def test_it_explains_that_an_order_missing_from_quickbooks_cannot_be_cancelled_by_id(
        self,
    ) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.add(view(self.mapper, {"id": "R1001", "status": "cancelled"}, {}))

        self.assertEqual(caught.exception.field, "line_items")

    def test_it_sends_class_template_terms_po_number_and_ship_date(self) -> None:
        payload = order(
            class_name="Retail",
            template="Custom Sales Order",
            terms_name="Net 30",
            purchase_order_number="PO-77",
            ship_date="2024-03-05",
        )

        body = self.mapper.add(view(self.mapper, payload)).find("SalesOrderAdd")

        self.assert_valid(body.getparent())
        self.assertEqual(
            [
                body.findtext(t)
                for t in (
                    "ClassRef/FullName",
                    "TemplateRef/FullName",
                    "TermsRef/FullName",
                    "PONumber",
                    "ShipDate",
                )
            ],
            ["Retail", "Custom Sales Order", "Net 30", "PO-77", "2024-03-05"],
        )

    def test_it_prefers_the_order_s_own_adjustment_item(self) -> None:
        lines = self.mapper.add(view(self.mapper, order(shipping_item="Freight"))).findall(
            "SalesOrderAdd/SalesOrderLineAdd"
        )

        self.assertEqual(lines[1].findtext("ItemRef/FullName"), "Freight")

    def test_it_uses_tax_lines_instead_of_tax_adjustments_when_asked(self) -> None:
        params = {**PARAMS, "quickbooks_use_tax_line_items": "1"}

        lines = self.mapper.add(view(self.mapper, order(), params)).findall(
            "SalesOrderAdd/SalesOrderLineAdd"
        )

        self.assertEqual(
            [
                (line.findtext("ItemRef/FullName"), line.findtext("Desc"), line.findtext("Rate"))
                for line in lines
            ],
            [
                ("TEE", None, "10"),
                ("Shipping", "Shipping", "5"),
                ("PA Sales Tax", "PA State", "0.6"),
                ("PA Sales Tax", "City", "0.4"),
            ],
        )

    def test_it_uses_the_customer_object_as_sent_when_asked(self) -> None:
        deps = self.mapper.dependencies(order(), {**PARAMS, "quickbooks_use_customer_object": "1"})

        self.assertEqual(
            (deps[0].payload, deps[0].mode),
            ({"name": "Jo Smith", "email": "jo@example.com"}, ENSURE),
        )

    def test_it_leaves_the_customer_alone_by_parameter_or_by_field(self) -> None:
        by_param = self.mapper.dependencies(
            order(), {**PARAMS, "quickbooks_do_not_update_customer": "true"}
        )
        by_field = self.mapper.dependencies(order(quickbooks_do_not_update_customer="1"), PARAMS)

        for deps in (by_param, by_field):
            self.assertEqual((deps[0].payload, deps[0].mode), ({"name": "Jo Smith"}, REQUIRE))

    def test_it_sends_the_customer_email_parameter_as_the_customer(self) -> None:
        params = {**PARAMS, "quickbooks_customer_email": "shop@example.com"}

        rq = self.mapper.add(view(self.mapper, order(), params))

        self.assertEqual(rq.findtext("SalesOrderAdd/CustomerRef/FullName"), "shop@example.com")

    def test_it_creates_the_order_s_products_as_sent_when_asked(self) -> None:
        products = [{"product_id": "TEE", "price": 12, "description": "T-Shirt"}]
        params = {**PARAMS, "quickbooks_use_product_objects": "1"}

        deps = self.mapper.dependencies(order(products=products), params)

        items = [(d.payload, d.mode) for d in deps if d.object_type == "products"]
        self.assertEqual(
            items[0], ({"product_id": "TEE", "price": 12, "description": "T-Shirt"}, ENSURE)
        )
        self.assertEqual([p["product_id"] for p, _ in items], ["TEE", "Shipping", "PA Sales Tax"])

    def test_it_gives_auto_created_items_the_flow_s_accounts(self) -> None:
        params = {
            **PARAMS,
            "quickbooks_auto_create_products": "1",
            "quickbooks_income_account": "Sales",
            "quickbooks_cogs_account": "Cost of Goods Sold",
            "quickbooks_inventory_account": "Inventory Asset",
        }

        item = self.mapper.dependencies(order(), params)[1]

        self.assertEqual(
            (item.mode, item.payload),
            (
                ENSURE,
                {
                    "product_id": "TEE",
                    "price": 10,
                    "cost": 4,
                    "income_account": "Sales",
                    "cogs_account": "Cost of Goods Sold",
                    "inventory_account": "Inventory Asset",
                },
            ),
        )

    def test_it_tells_which_parameter_names_a_missing_adjustment_item(self) -> None:
        shipping = self.mapper.dependencies(order(), PARAMS)[2]

        self.assertEqual(shipping.payload["product_id"], "Shipping")
        self.assertEqual(
            shipping.payload[NOT_FOUND_HINT],
            "set quickbooks_shipping_item or enable auto-create with "
            "quickbooks_other_charge_shipping_account",
        )

    def test_it_names_the_order_field_that_chose_a_missing_tax_line_item(self) -> None:
        params = {**PARAMS, "quickbooks_use_tax_line_items": "1"}
        deps = self.mapper.dependencies(order(tax_item="County Tax"), params)

        tax = next(d for d in deps if d.payload.get("product_id") == "County Tax")

        self.assertEqual(
            tax.payload[NOT_FOUND_HINT],
            "set tax_item or enable auto-create with quickbooks_other_charge_tax_account",
        )

    def test_it_wraps_a_bare_uuid_guid_and_omits_one_quickbooks_cannot_take(self) -> None:
        wrapped = self.mapper.add(
            view(self.mapper, order(), external_guid="77c2ba76-7f41-463d-9063-57d5022bdbed")
        )
        dropped = self.mapper.add(view(self.mapper, order(), external_guid="12345"))

        self.assertEqual(wrapped.findtext("SalesOrderAdd/ExternalGUID"), GUID)
        self.assertIsNone(dropped.find("SalesOrderAdd/ExternalGUID"))


class AdjustmentItemCreationTestCase(SimpleTestCase):
    def test_it_creates_adjustment_items_as_other_charges_when_their_account_is_set(self) -> None:
        params = {
            **PARAMS,
            "quickbooks_other_charge_shipping_account": "Shipping Income",
            "quickbooks_other_charge_tax_account": "Sales Tax Payable",
        }

        deps = OrderMapper().dependencies(order(), params)

        created = [(d.object_type, d.payload, d.mode) for d in deps[2:]]
        self.assertEqual(
            created,
            [
                (
                    "otherchargeproducts",
                    {
                        "product_id": "Shipping",
                        "description": "Shipping",
                        "sales_or_purchase": True,
                        "account_name": "Shipping Income",
                    },
                    ENSURE,
                ),
                (
                    "otherchargeproducts",
                    {
                        "product_id": "PA Sales Tax",
                        "description": "PA Sales Tax",
                        "sales_or_purchase": True,
                        "account_name": "Sales Tax Payable",
                    },
                    ENSURE,
                ),
            ],
        )
