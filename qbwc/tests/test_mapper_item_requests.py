"""Item mappers: the requests built from fixtures and payloads are valid qbXML, with their
prices, activity and discounts."""

from __future__ import annotations

import json
from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir, shared_file
from qbwc.qbxml.mappers.base import Mapper
from qbwc.qbxml.mappers.items import (
    DiscountItemMapper,
    InventoryItemMapper,
    NonInventoryItemMapper,
    OtherChargeItemMapper,
    SalesTaxItemMapper,
    ServiceItemMapper,
)
from qbwc.qbxml.validate import errors_in_request
from qbwc.tests.mapper_items_helpers import (
    ACCOUNTS,
    VERSIONS,
    body,
    children,
    load_fixture,
    make_mod_obj,
    make_obj,
)


class FixtureRequestsTestCase(SimpleTestCase):
    """Every FlowLink fixture becomes a schema-valid Add and Mod in 13.0 and 16.0."""

    def assert_valid(self, request: etree._Element) -> None:
        xsd = require_xsd_dir()
        for version in VERSIONS:
            with self.subTest(version=version):
                self.assertEqual(errors_in_request(request, version, xsd), [])

    def check_fixture(self, mapper: Mapper, name: str, params: dict[str, Any]) -> None:
        payload = load_fixture(name)
        self.assert_valid(mapper.add(make_obj(mapper, payload, params)))
        self.assert_valid(mapper.mod(make_mod_obj(mapper, payload)))

    def test_it_builds_valid_inventory_requests(self) -> None:
        # The fixture has income and inventory accounts but no COGS account.
        self.check_fixture(
            InventoryItemMapper(), "invproduct_from_flowlink.json", {"cogs_account": "COGS"}
        )

    def test_it_builds_valid_non_inventory_requests(self) -> None:
        self.check_fixture(NonInventoryItemMapper(), "noninvproduct_from_flowlink.json", {})

    def test_it_builds_valid_service_requests(self) -> None:
        self.check_fixture(ServiceItemMapper(), "serviceproduct_from_flowlink.json", {})

    def test_it_builds_valid_other_charge_requests(self) -> None:
        self.check_fixture(OtherChargeItemMapper(), "otherchargeproduct_from_flowlink.json", {})

    def test_it_builds_valid_discount_requests(self) -> None:
        # The fixture has no account_name; the parameter fallback supplies it.
        self.check_fixture(
            DiscountItemMapper(),
            "discountproduct_from_flowlink.json",
            {"quickbooks_account_name": "Discounts Given"},
        )

    def test_it_builds_valid_sales_tax_requests(self) -> None:
        self.check_fixture(SalesTaxItemMapper(), "salestaxproduct_from_flowlink.json", {})

    def test_it_builds_valid_requests_from_the_legacy_product(self) -> None:
        path = shared_file("flowlink-payloads", "legacy", "product_single.json")
        payload = json.loads(path.read_text())
        mapper = InventoryItemMapper()
        self.assert_valid(mapper.add(make_obj(mapper, payload, ACCOUNTS)))
        self.assert_valid(mapper.mod(make_mod_obj(mapper, payload)))

    def test_it_builds_valid_requests_from_the_legacy_product_list(self) -> None:
        path = shared_file("flowlink-payloads", "legacy", "products.json")
        mapper = InventoryItemMapper()
        for payload in json.loads(path.read_text())["products"]:
            with self.subTest(product=payload["product_id"]):
                self.assert_valid(mapper.add(make_obj(mapper, payload, ACCOUNTS)))


class InventoryRequestTestCase(SimpleTestCase):
    def test_it_lists_add_children_in_xsd_order(self) -> None:
        mapper = InventoryItemMapper()
        obj = make_obj(mapper, load_fixture("invproduct_from_flowlink.json"), {"cogs_account": "C"})
        obj.external_guid = "9adb6b68-2ddb-4fea-9271-ae8725f4dbad"
        self.assertEqual(
            children(body(mapper.add(obj))),
            [
                "Name",
                "BarCode",
                "IsActive",
                "ClassRef",
                "ParentRef",
                "ManufacturerPartNumber",
                "UnitOfMeasureSetRef",
                "IsTaxIncluded",
                "SalesTaxCodeRef",
                "SalesDesc",
                "SalesPrice",
                "IncomeAccountRef",
                "PurchaseDesc",
                "PurchaseCost",
                "PurchaseTaxCodeRef",
                "COGSAccountRef",
                "PrefVendorRef",
                "AssetAccountRef",
                "ReorderPoint",
                "Max",
                "QuantityOnHand",
                "TotalValue",
                "InventoryDate",
                "ExternalGUID",
            ],
        )

    def test_it_formats_opening_values(self) -> None:
        mapper = InventoryItemMapper()
        payload = {
            "product_id": "Tee",
            "quantity": "12.5",
            "total_value": 20000,
            "inventory_date": "2019-09-24T17:24:16-05:00",
            **ACCOUNTS,
        }
        node = body(mapper.add(make_obj(mapper, payload)))
        self.assertEqual(
            [node.findtext("QuantityOnHand"), node.findtext("TotalValue")], ["12.5", "20000.00"]
        )
        self.assertEqual(node.findtext("InventoryDate"), "2019-09-24")

    def test_it_never_sends_add_only_fields_on_mod(self) -> None:
        mapper = InventoryItemMapper()
        obj = make_mod_obj(mapper, load_fixture("invproduct_from_flowlink.json"))
        obj.external_guid = "{9ADB6B68-2DDB-4FEA-9271-AE8725F4DBAD}"
        tags = children(body(mapper.mod(obj)))
        for tag in ("QuantityOnHand", "TotalValue", "InventoryDate", "ExternalGUID"):
            self.assertNotIn(tag, tags)

    def test_it_starts_a_mod_with_list_id_and_edit_sequence(self) -> None:
        mapper = InventoryItemMapper()
        request = mapper.mod(make_mod_obj(mapper, {"product_id": "Tee"}))
        self.assertEqual(request.tag, "ItemInventoryModRq")
        self.assertEqual(children(body(request))[:3], ["ListID", "EditSequence", "Name"])

    def test_it_sends_mod_only_flags(self) -> None:
        mapper = InventoryItemMapper()
        node = body(mapper.mod(make_mod_obj(mapper, load_fixture("invproduct_from_flowlink.json"))))
        self.assertEqual(node.findtext("ForceUOMChange"), "true")
        self.assertEqual(node.findtext("ApplyIncomeAccountRefToExistingTxns"), "true")

    def test_it_drops_an_apply_flag_without_its_account(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "apply_cogs_account_ref_to_existing_txns": True}
        node = body(mapper.mod(make_mod_obj(mapper, payload)))
        self.assertIsNone(node.find("ApplyCOGSAccountRefToExistingTxns"))

    def test_it_only_reactivates_when_the_payload_has_an_active_key(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "active": False, "price": 10, "is_active": False}
        node = body(mapper.mod(make_mod_obj(mapper, payload)))
        self.assertEqual(children(node), ["ListID", "EditSequence", "Name", "IsActive"])
        self.assertEqual(node.findtext("IsActive"), "true")

    def test_it_sends_a_barcode_aggregate(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "barcode_value": "0001", "assign_barcode_even_if_used": 1}
        node = body(mapper.add(make_obj(mapper, {**payload, **ACCOUNTS})))
        barcode = node.find("BarCode")
        assert barcode is not None
        self.assertEqual(
            [(c.tag, c.text) for c in barcode],
            [("BarCodeValue", "0001"), ("AssignEvenIfUsed", "true")],
        )

    def test_it_wraps_a_bare_uuid_external_guid_in_braces(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "external_guid": "9adb6b68-2ddb-4fea-9271-ae8725f4dbad"}
        node = body(mapper.add(make_obj(mapper, {**payload, **ACCOUNTS})))
        self.assertEqual(node.findtext("ExternalGUID"), "{9ADB6B68-2DDB-4FEA-9271-AE8725F4DBAD}")

    def test_it_omits_an_unusable_external_guid(self) -> None:
        mapper = ServiceItemMapper()
        payload = {"product_id": "Fix", "external_guid": 109389220, **ACCOUNTS}
        self.assertIsNone(body(mapper.add(make_obj(mapper, payload))).find("ExternalGUID"))

    def test_it_omits_blank_values(self) -> None:
        mapper = InventoryItemMapper()
        payload: dict[str, Any] = {"product_id": "Tee", "description": "", "price": None}
        payload["class_name"] = {}
        tags = children(body(mapper.add(make_obj(mapper, {**payload, **ACCOUNTS}))))
        for tag in ("SalesDesc", "SalesPrice", "ClassRef"):
            self.assertNotIn(tag, tags)


class PriceBlockTestCase(SimpleTestCase):
    def test_it_defaults_an_add_to_sales_and_purchase(self) -> None:
        mapper = NonInventoryItemMapper()
        node = body(mapper.add(make_obj(mapper, load_fixture("noninvproduct_from_flowlink.json"))))
        self.assertIsNotNone(node.find("SalesAndPurchase"))
        self.assertIsNone(node.find("SalesOrPurchase"))

    def test_it_sends_price_not_price_percent_when_both_are_given(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {**load_fixture("noninvproduct_from_flowlink.json"), "sales_or_purchase": True}
        block = body(mapper.add(make_obj(mapper, payload))).find("SalesOrPurchase")
        assert block is not None
        self.assertEqual(children(block), ["Desc", "Price", "AccountRef"])
        self.assertEqual(block.findtext("Price"), "20")

    def test_it_sends_price_percent_without_a_price(self) -> None:
        mapper = ServiceItemMapper()
        payload = {
            "product_id": "Fix",
            "sales_or_purchase": "1",
            "price_percent": "12.5",
            "account_name": "Service Income",
        }
        block = body(mapper.add(make_obj(mapper, payload))).find("SalesOrPurchase")
        assert block is not None
        self.assertEqual(block.findtext("PricePercent"), "12.5")

    def test_it_prefers_sales_and_purchase_when_both_flags_are_on(self) -> None:
        mapper = OtherChargeItemMapper()
        payload = {
            "product_id": "Fee",
            "sales_or_purchase": True,
            "sales_and_purchase": "true",
            **ACCOUNTS,
        }
        self.assertIsNotNone(body(mapper.add(make_obj(mapper, payload))).find("SalesAndPurchase"))

    def test_it_takes_the_cost_from_purchase_cost_when_cost_is_missing(self) -> None:
        mapper = ServiceItemMapper()
        payload = {"product_id": "Fix", "purchase_cost": "5.123456", **ACCOUNTS}
        node = body(mapper.add(make_obj(mapper, payload)))
        self.assertEqual(node.findtext("SalesAndPurchase/PurchaseCost"), "5.12346")

    def test_it_leaves_the_price_block_out_of_a_mod_without_a_flag(self) -> None:
        mapper = ServiceItemMapper()
        payload = {"product_id": "Fix", "price": 20, **ACCOUNTS}
        tags = children(body(mapper.mod(make_mod_obj(mapper, payload))))
        self.assertNotIn("SalesAndPurchaseMod", tags)
        self.assertNotIn("SalesOrPurchaseMod", tags)

    def test_it_sends_the_mod_block_when_a_flag_is_on(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {**load_fixture("noninvproduct_from_flowlink.json"), "sales_and_purchase": True}
        block = body(mapper.mod(make_mod_obj(mapper, payload))).find("SalesAndPurchaseMod")
        assert block is not None
        self.assertEqual(block.findtext("ApplyIncomeAccountRefToExistingTxns"), "true")

    def test_it_sends_sales_or_purchase_mod_with_its_apply_flag(self) -> None:
        mapper = OtherChargeItemMapper()
        payload = {**load_fixture("otherchargeproduct_from_flowlink.json"), "sales_or_purchase": 1}
        request = mapper.mod(make_mod_obj(mapper, payload))
        block = body(request).find("SalesOrPurchaseMod")
        assert block is not None
        self.assertEqual(
            children(block), ["Desc", "Price", "AccountRef", "ApplyAccountRefToExistingTxns"]
        )
        self.assertEqual(errors_in_request(request, "13.0", require_xsd_dir()), [])


class IsActiveTestCase(SimpleTestCase):
    def test_it_honours_is_active_false_for_non_inventory_items(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {"product_id": "Tee", "is_active": False, **ACCOUNTS}
        self.assertEqual(body(mapper.add(make_obj(mapper, payload))).findtext("IsActive"), "false")

    def test_it_honours_is_active_false_for_service_items(self) -> None:
        mapper = ServiceItemMapper()
        payload = {"product_id": "Fix", "is_active": "0"}
        self.assertEqual(
            body(mapper.mod(make_mod_obj(mapper, payload))).findtext("IsActive"), "false"
        )


class DiscountTestCase(SimpleTestCase):
    def test_it_sends_discount_rate_not_the_percent_when_both_are_given(self) -> None:
        mapper = DiscountItemMapper()
        obj = make_obj(mapper, load_fixture("discountproduct_from_flowlink.json"), ACCOUNTS)
        node = body(mapper.add(obj))
        self.assertEqual(node.findtext("DiscountRate"), "0.07")
        self.assertIsNone(node.find("DiscountRatePercent"))

    def test_it_sends_the_percent_without_a_rate(self) -> None:
        mapper = DiscountItemMapper()
        payload = {"product_id": "10OFF", "discount_rate_percent": 10, **ACCOUNTS}
        node = body(mapper.add(make_obj(mapper, payload)))
        self.assertEqual(node.findtext("DiscountRatePercent"), "10")
