"""Item mappers: the registry of item types, an item's identity, sub-items, references and
look-ups."""

from __future__ import annotations

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir
from qbwc.qbxml.mappers.base import ENSURE, REQUIRE
from qbwc.qbxml.mappers.items import (
    ITEM_MAPPERS,
    InventoryItemMapper,
    NonInventoryItemMapper,
    SalesTaxItemMapper,
    ServiceItemMapper,
)
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_items_helpers import ACCOUNTS, body, children, make_mod_obj, make_obj


class RegistryTestCase(SimpleTestCase):
    def test_it_exports_one_mapper_per_item_type(self) -> None:
        rows = [
            (m.object_type, m.payload_types, m.qb_type, m.notice_name, m.echo_key)
            for m in ITEM_MAPPERS
        ]
        self.assertEqual(
            rows,
            [
                (
                    "products",
                    ("product", "inventoryproduct"),
                    "ItemInventory",
                    "Product",
                    "products",
                ),
                (
                    "noninventoryproducts",
                    ("noninventoryproduct",),
                    "ItemNonInventory",
                    "Noninventoryproduct",
                    "products",
                ),
                (
                    "serviceproducts",
                    ("serviceproduct",),
                    "ItemService",
                    "Serviceproduct",
                    "products",
                ),
                (
                    "discountproducts",
                    ("discountproduct",),
                    "ItemDiscount",
                    "Discountproduct",
                    "products",
                ),
                (
                    "salestaxproducts",
                    ("salestaxproduct",),
                    "ItemSalesTax",
                    "Salestaxproduct",
                    "products",
                ),
                (
                    "otherchargeproducts",
                    ("otherchargeproduct",),
                    "ItemOtherCharge",
                    "Otherchargeproduct",
                    "products",
                ),
            ],
        )

    def test_it_limits_names_to_31_characters(self) -> None:
        self.assertEqual({m.name_max_length for m in ITEM_MAPPERS}, {31})


class IdentityTestCase(SimpleTestCase):
    def test_it_prefers_product_id(self) -> None:
        payload = {"product_id": "P-1", "sku": "S-1", "id": "I-1"}
        self.assertEqual(InventoryItemMapper().identity(payload), "P-1")

    def test_it_falls_back_to_sku_then_id(self) -> None:
        mapper = InventoryItemMapper()
        self.assertEqual(mapper.identity({"sku": "S-1", "id": "I-1"}), "S-1")
        self.assertEqual(
            mapper.identity({"product_id": "", "id": 12345678901234}), "12345678901234"
        )

    def test_it_requires_an_identity(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            ServiceItemMapper().identity({"name": "no id"})
        self.assertEqual(caught.exception.field, "product_id")

    def test_it_rejects_a_32_character_name_naming_product_id(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"sku": "X" * 32, **ACCOUNTS}
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, payload))
        self.assertEqual(caught.exception.field, "product_id")

    def test_it_accepts_a_31_character_name_unchanged(self) -> None:
        mapper = InventoryItemMapper()
        request = mapper.add(make_obj(mapper, {"product_id": "Y" * 31, **ACCOUNTS}))
        self.assertEqual(body(request).findtext("Name"), "Y" * 31)

    def test_it_rejects_a_name_that_is_only_control_characters(self) -> None:
        mapper = ServiceItemMapper()
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, {"product_id": "\x01\x02", **ACCOUNTS}))
        self.assertEqual(caught.exception.field, "product_id")


class SubItemTestCase(SimpleTestCase):
    def test_it_builds_the_full_name_of_a_sub_item(self) -> None:
        mapper = NonInventoryItemMapper()
        obj = make_obj(mapper, {"product_id": "Tee", "parent_name": "Clothes:Shirts"})
        self.assertEqual(mapper.full_name(obj), "Clothes:Shirts:Tee")

    def test_it_sends_the_parent_as_parent_ref(self) -> None:
        mapper = InventoryItemMapper()
        request = mapper.add(
            make_obj(mapper, {"product_id": "Tee", "parent_name": "Tees", **ACCOUNTS})
        )
        self.assertEqual(body(request).findtext("ParentRef/FullName"), "Tees")

    def test_it_puts_parent_ref_before_class_ref_in_a_non_inventory_add(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {"product_id": "Tee", "parent_name": "Tees", "class_name": "A", **ACCOUNTS}
        tags = children(body(mapper.add(make_obj(mapper, payload))))
        self.assertLess(tags.index("ParentRef"), tags.index("ClassRef"))

    def test_it_puts_class_ref_before_parent_ref_in_a_non_inventory_mod(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {"product_id": "Tee", "parent_name": "Tees", "class_name": "A"}
        tags = children(body(mapper.mod(make_mod_obj(mapper, payload))))
        self.assertLess(tags.index("ClassRef"), tags.index("ParentRef"))

    def test_it_ignores_parent_name_for_sales_tax_items(self) -> None:
        mapper = SalesTaxItemMapper()
        obj = make_obj(mapper, {"product_id": "CA Tax", "parent_name": "Taxes"})
        self.assertIsNone(body(mapper.add(obj)).find("ParentRef"))
        self.assertEqual(mapper.full_name(obj), "CA Tax")

    def test_it_cannot_look_up_a_sub_item_whose_parent_has_only_a_list_id(self) -> None:
        mapper = ServiceItemMapper()
        obj = make_obj(mapper, {"product_id": "Fix", "parent_name": {"list_id": "80000002-1"}})
        with self.assertRaises(PayloadError) as caught:
            mapper.lookup(obj)
        self.assertEqual(caught.exception.field, "parent_name")


class ReferenceTestCase(SimpleTestCase):
    def test_it_refers_by_list_id_when_given_a_hash(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "preferred_vendor_name": {"list_id": "80000001-1"}}
        request = mapper.add(make_obj(mapper, {**payload, **ACCOUNTS}))
        ref = body(request).find("PrefVendorRef")
        assert ref is not None
        self.assertEqual(children(ref), ["ListID"])
        self.assertEqual(ref.findtext("ListID"), "80000001-1")

    def test_it_refers_by_full_name_when_given_a_string(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {"product_id": "Tee", "preferred_vendor_name": "Sully's", **ACCOUNTS}
        request = mapper.add(make_obj(mapper, payload))
        self.assertEqual(
            body(request).findtext("SalesAndPurchase/PrefVendorRef/FullName"), "Sully's"
        )

    def test_it_rejects_a_tax_code_longer_than_3(self) -> None:
        mapper = NonInventoryItemMapper()
        payload = {"product_id": "Tee", "purchase_tax_code_name": "standard tax", **ACCOUNTS}
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, payload))
        self.assertEqual(caught.exception.field, "purchase_tax_code_name")


class LookupTestCase(SimpleTestCase):
    def test_it_looks_up_an_upsert_by_full_name_across_all_item_types(self) -> None:
        # Item names are unique across item types: an upsert must see a same-named item
        # of another type rather than try an Add QuickBooks refuses with 3100.
        mapper = ServiceItemMapper()
        rq = mapper.lookup(make_obj(mapper, {"product_id": "Fix", "parent_name": "Labor"}))
        self.assertEqual(rq.tag, "ItemQueryRq")
        self.assertEqual(rq.findtext("FullName"), "Labor:Fix")

    def test_it_looks_up_an_upsert_by_list_id_once_known(self) -> None:
        mapper = InventoryItemMapper()
        rq = mapper.lookup(make_obj(mapper, {"product_id": "Tee"}, qb_id="80000001-1"))
        self.assertEqual(children(rq), ["ListID"])

    def test_it_looks_up_an_ensured_item_across_all_item_types(self) -> None:
        mapper = InventoryItemMapper()
        rq = mapper.lookup(make_obj(mapper, {"product_id": "Tee"}, mode=ENSURE))
        self.assertEqual(rq.tag, "ItemQueryRq")
        self.assertEqual(rq.findtext("FullName"), "Tee")

    def test_it_looks_up_a_required_item_by_list_id_across_all_item_types(self) -> None:
        mapper = InventoryItemMapper()
        obj = make_obj(mapper, {"product_id": "Tee"}, mode=REQUIRE, qb_id="80000001-1")
        rq = mapper.lookup(obj)
        self.assertEqual((rq.tag, rq.findtext("ListID")), ("ItemQueryRq", "80000001-1"))

    def test_it_validates_the_lookups(self) -> None:
        xsd = require_xsd_dir()
        mapper = NonInventoryItemMapper()
        for mode in ("upsert", ENSURE):
            rq = mapper.lookup(make_obj(mapper, {"product_id": "Tee"}, mode=mode))
            with self.subTest(mode=mode):
                self.assertEqual(errors_in_request(rq, "13.0", xsd), [])

    def test_it_accepts_an_item_of_another_type_for_an_ensured_item(self) -> None:
        mapper = InventoryItemMapper()
        ret = etree.fromstring(
            "<ItemServiceRet><ListID>80000007-1</ListID><EditSequence>42</EditSequence>"
            "<Name>Tee</Name></ItemServiceRet>"
        )
        result = mapper.read_lookup(make_obj(mapper, {"product_id": "Tee"}, mode=ENSURE), [ret])
        self.assertEqual((result.found, result.qb_id, result.conflict), (True, "80000007-1", ""))
        # Linked as it is: an ItemInventoryMod of a service item's ListID would be refused.
        self.assertFalse(result.writable)

    def test_it_reports_a_conflict_when_an_upsert_finds_another_item_type(self) -> None:
        mapper = InventoryItemMapper()
        ret = etree.fromstring("<ItemServiceRet><ListID>80000007-1</ListID></ItemServiceRet>")
        result = mapper.read_lookup(make_obj(mapper, {"product_id": "Tee"}), [ret])
        self.assertFalse(result.found)
        self.assertEqual(
            result.conflict, "item 'Tee' already exists in QuickBooks as a service item"
        )

    def test_it_reads_the_ret_of_its_own_type(self) -> None:
        mapper = InventoryItemMapper()
        ret = etree.fromstring(
            "<ItemInventoryRet><ListID>80000001-1</ListID><EditSequence>7</EditSequence>"
            "</ItemInventoryRet>"
        )
        result = mapper.read_lookup(make_obj(mapper, {"product_id": "Tee"}), [ret])
        self.assertEqual((result.found, result.edit_sequence), (True, "7"))
