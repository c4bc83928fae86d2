"""Sales receipts and returns: the qbXML each field and flow parameter becomes."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from objects.tests.flows import fixture
from qbsync.test import require_xsd_dir
from qbwc.qbxml.mappers.base import ENSURE, REQUIRE, ObjectView
from qbwc.qbxml.mappers.sales_receipts import ReturnMapper, SalesReceiptMapper
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError

PARAMS = {"quickbooks_shipping_item": "Shipping", "quickbooks_tax_item": "State Tax"}


def receipt(**fields: Any) -> dict[str, Any]:
    return {**fixture("add", "salesreceipt_from_flowlink.json"), "sales_rep_name": "SS", **fields}


class SalesReceiptMapperTestCase(SimpleTestCase):
    mapper = SalesReceiptMapper()

    def view(
        self, payload: dict[str, Any], params: dict[str, Any] | None = None, **kw: Any
    ) -> ObjectView:
        return ObjectView(
            self.mapper.object_type,
            self.mapper.identity(payload),
            payload,
            PARAMS if params is None else params,
            **kw,
        )

    def assert_valid(self, rq: etree._Element) -> None:
        for version in ("13.0", "16.0"):
            self.assertEqual(errors_in_request(rq, version, require_xsd_dir()), [], version)

    def test_it_builds_every_header_field_of_the_fixture_in_schema_order(self) -> None:
        rq = self.mapper.add(self.view(receipt()))

        self.assert_valid(rq)
        body = rq.find("SalesReceiptAdd")
        self.assertEqual(body.findtext("SalesRepRef/FullName"), "SS")
        self.assertEqual(body.findtext("CheckNumber"), "90")
        self.assertEqual(body.findtext("DueDate"), "2019-12-31")
        self.assertEqual(body.findtext("CustomerMsgRef/FullName"), "Thanks")
        self.assertEqual(body.findtext("ExternalGUID"), "{35CB4E30-54E1-49F9-B5CE-4134799EB2C0}")
        self.assertEqual(body.findtext("TemplateRef/FullName"), "my template 1")

    def test_it_builds_a_valid_mod_reusing_line_ids(self) -> None:
        state = {"lines": [{"txn_line_id": "L-1", "item": "abc product"}]}
        rq = self.mapper.mod(self.view(receipt(), qb_id="1-1", edit_sequence="9", qb_state=state))

        self.assert_valid(rq)
        ids = [n.findtext("TxnLineID") for n in rq.findall("SalesReceiptMod/SalesReceiptLineMod")]
        self.assertEqual(ids, ["L-1", "-1"])
        self.assertIsNone(rq.find("SalesReceiptMod/ExternalGUID"))

    def test_it_sends_a_group_line_without_rate_or_class(self) -> None:
        line = {
            "product_id": "Gift Set",
            "is_group": "1",
            "quantity": 2,
            "price": 9,
            "class_name": "Retail",
            "inventory_site_name": "DFW",
        }
        rq = self.mapper.add(self.view(receipt(line_items=[line])))

        self.assert_valid(rq)
        group = rq.find("SalesReceiptAdd/SalesReceiptLineGroupAdd")
        self.assertEqual(group.findtext("ItemGroupRef/FullName"), "Gift Set")
        self.assertIsNone(group.find("ClassRef"))
        self.assertIsNone(group.find("Rate"))

    def test_it_sends_tax_list_id_as_the_line_tax_code_list_id(self) -> None:
        line = {"product_id": "ABC", "quantity": 1, "tax_code_id": "Tax", "tax_list_id": "20000-1"}
        rq = self.mapper.add(self.view(receipt(line_items=[line])))

        self.assert_valid(rq)
        ref = rq.find("SalesReceiptAdd/SalesReceiptLineAdd/SalesTaxCodeRef")
        self.assertEqual(ref.findtext("ListID"), "20000-1")
        self.assertIsNone(ref.find("FullName"))

    def test_it_turns_adjustments_into_item_lines_with_class_and_tax_code(self) -> None:
        adjustments = [
            {"name": "Shipping", "value": 5, "class_name": "Retail", "tax_code_id": "Non"}
        ]
        rq = self.mapper.add(self.view(receipt(adjustments=adjustments)))

        self.assert_valid(rq)
        line = rq.findall("SalesReceiptAdd/SalesReceiptLineAdd")[-1]
        self.assertEqual(line.findtext("ItemRef/FullName"), "Shipping")
        self.assertEqual(line.findtext("Rate"), "5")
        self.assertEqual(line.findtext("ClassRef/FullName"), "Retail")
        self.assertEqual(line.findtext("SalesTaxCodeRef/FullName"), "Non")

    def test_it_sends_amounts_with_use_amount_for_tax(self) -> None:
        params = {**PARAMS, "use_amount_for_tax": "1"}
        rq = self.mapper.add(
            self.view(receipt(adjustments=[{"name": "Tax", "value": 1.5}]), params)
        )

        line = rq.findall("SalesReceiptAdd/SalesReceiptLineAdd")[-1]
        self.assertEqual(line.findtext("Amount"), "1.50")
        self.assertIsNone(line.find("Rate"))

    def test_it_uses_tax_lines_instead_of_tax_adjustments_with_use_tax_line_items(self) -> None:
        params = {**PARAMS, "quickbooks_use_tax_line_items": "1"}
        payload = receipt(
            adjustments=[{"name": "Tax", "value": 3}],
            tax_line_items=[{"name": "State", "value": 2}, {"name": "County", "value": 1}],
        )
        rq = self.mapper.add(self.view(payload, params))

        self.assert_valid(rq)
        lines = rq.findall("SalesReceiptAdd/SalesReceiptLineAdd")[2:]
        self.assertEqual([n.findtext("Desc") for n in lines], ["State", "County"])
        self.assertEqual({n.findtext("ItemRef/FullName") for n in lines}, {"State Tax"})

    def test_it_refuses_an_adjustment_without_an_item_naming_the_parameter(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(receipt(adjustments=[{"name": "Discount", "value": 2}]), PARAMS)

        self.assertEqual(caught.exception.field, "adjustments[0]")
        self.assertIn("quickbooks_discount_item", caught.exception.reason)

    def test_it_takes_customer_name_when_there_is_no_customer_hash(self) -> None:
        payload = receipt(customer_name="Walk-in")
        del payload["customer"]

        rq = self.mapper.add(self.view(payload))
        deps = self.mapper.dependencies(payload, PARAMS)

        self.assertEqual(rq.findtext("SalesReceiptAdd/CustomerRef/FullName"), "Walk-in")
        self.assertEqual(deps[0].payload["name"], "Walk-in")

    def test_it_uses_the_customer_email_parameter_and_writes_no_customer(self) -> None:
        params = {**PARAMS, "quickbooks_customer_email": "shop@example.com"}

        rq = self.mapper.add(self.view(receipt(), params))
        deps = self.mapper.dependencies(receipt(), params)

        self.assertEqual(rq.findtext("SalesReceiptAdd/CustomerRef/FullName"), "shop@example.com")
        self.assertEqual((deps[0].payload, deps[0].mode), ({"name": "shop@example.com"}, REQUIRE))

    def test_it_only_requires_the_customer_with_do_not_update_customer(self) -> None:
        deps = self.mapper.dependencies(
            receipt(), {**PARAMS, "quickbooks_do_not_update_customer": "true"}
        )

        self.assertEqual((deps[0].payload, deps[0].mode), ({"name": "Mr Rich Guy"}, REQUIRE))

    def test_it_uses_the_customer_hash_as_is_with_use_customer_object(self) -> None:
        customer = {"name": "Mr Rich Guy", "company": "Rich Co", "email": "rich@example.com"}
        deps = self.mapper.dependencies(
            receipt(customer=customer), {**PARAMS, "quickbooks_use_customer_object": 1}
        )

        self.assertEqual((deps[0].payload, deps[0].mode), (customer, ENSURE))

    def test_it_creates_items_from_lines_with_auto_create_products(self) -> None:
        params = {
            **PARAMS,
            "quickbooks_auto_create_products": "1",
            "quickbooks_income_account": "Sales",
        }
        deps = self.mapper.dependencies(receipt(), params)

        items = [(d.payload["product_id"], d.mode) for d in deps if d.object_type == "products"]
        self.assertEqual(items, [("ABC Product", ENSURE), ("XYZ Product", ENSURE)])
        self.assertEqual(deps[1].payload["income_account"], "Sales")

    def test_it_creates_the_products_array_as_is_with_use_product_objects(self) -> None:
        products = [
            {"product_id": "ABC Product", "description": "ABC", "price": 110, "cost": 60},
            {"sku": "GIFT", "description": "Gift wrap"},
        ]
        params = {**PARAMS, "quickbooks_use_product_objects": "1"}

        deps = self.mapper.dependencies(receipt(products=products), params)

        items = [(d.payload, d.mode) for d in deps if d.object_type == "products"]
        self.assertEqual(
            items,
            [
                (products[0], ENSURE),
                ({"product_id": "XYZ Product"}, REQUIRE),
                (products[1], ENSURE),
            ],
        )

    def test_it_takes_the_deposit_account_from_the_parameter_chain(self) -> None:
        payload = receipt()
        del payload["deposit_to_account_name"]
        params = {**PARAMS, "quickbooks_deposit_to_account_name": "Checking"}

        rq = self.mapper.add(self.view(payload, params))

        self.assertEqual(rq.findtext("SalesReceiptAdd/DepositToAccountRef/FullName"), "Checking")

    def test_it_refuses_a_sales_rep_longer_than_quickbooks_initials(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(receipt(sales_rep_name="FlowLink Admin"), PARAMS)

        self.assertEqual(caught.exception.field, "sales_rep_name")


class ReturnMapperTestCase(SimpleTestCase):
    mapper = ReturnMapper()

    def returned(self, **fields: Any) -> dict[str, Any]:
        return {**fixture("legacy", "returns.json")["returns"][0], **fields}

    def build(self, payload: dict[str, Any], params: dict[str, Any]) -> etree._Element:
        return self.mapper.add(
            ObjectView("returns", self.mapper.identity(payload), payload, params)
        )

    def test_it_books_the_return_as_a_positive_sales_receipt(self) -> None:
        rq = self.build(self.returned(), {"quickbooks_deposit_account": "Checking"})

        for version in ("13.0", "16.0"):
            self.assertEqual(errors_in_request(rq, version, require_xsd_dir()), [])
        body = rq.find("SalesReceiptAdd")
        self.assertEqual(body.findtext("CustomerRef/FullName"), "reinaldo+1@example.com")
        self.assertEqual(body.findtext("PaymentMethodRef/FullName"), "CHECK")
        self.assertEqual(body.findtext("DepositToAccountRef/FullName"), "Checking")
        self.assertEqual(body.findtext("SalesReceiptLineAdd/Quantity"), "1")
        self.assertEqual(body.findtext("SalesReceiptLineAdd/Rate"), "19.99")

    def test_it_names_the_return_field_in_a_refusal(self) -> None:
        items = [{"product_id": "SPREE-T-SHIRT", "return_authorized": "many"}]

        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(self.returned(items=items), {})

        self.assertEqual(caught.exception.field, "items[0].return_authorized")

    def test_it_requires_an_email_or_the_customer_email_parameter(self) -> None:
        payload = self.returned()
        del payload["email"]

        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(payload, {})
        rq = self.build(payload, {"quickbooks_customer_email": "returns@example.com"})

        self.assertEqual(caught.exception.field, "email")
        self.assertEqual(rq.findtext("SalesReceiptAdd/CustomerRef/FullName"), "returns@example.com")
