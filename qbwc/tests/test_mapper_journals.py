"""Journals, purchase orders and inventory adjustments: the qbXML their fields become."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from objects.tests.flows import fixture
from qbsync.test import require_xsd_dir
from qbwc.qbxml.mappers.base import ADD, DELETE, ENSURE, MOD, REQUIRE, Mapper, ObjectView
from qbwc.qbxml.mappers.inventories import InventoryMapper
from qbwc.qbxml.mappers.journals import JournalMapper
from qbwc.qbxml.mappers.purchase_orders import PurchaseOrderMapper
from qbwc.qbxml.parse import tag_of
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError

GUID = "{71562455-3E41-42CA-9377-9A26597C1BD0}"


def assert_valid(test: SimpleTestCase, rq: etree._Element) -> None:
    for version in ("13.0", "16.0"):
        test.assertEqual(errors_in_request(rq, version, require_xsd_dir()), [], version)


def view(
    mapper: Mapper, payload: dict[str, Any], params: dict[str, Any] | None = None, **kw: Any
) -> ObjectView:
    return ObjectView(mapper.object_type, mapper.identity(payload), payload, params or {}, **kw)


class JournalMapperTestCase(SimpleTestCase):
    mapper = JournalMapper()

    def journal(self, **fields: Any) -> dict[str, Any]:
        return {**fixture("add", "journal_from_flowlink.json"), **fields}

    def test_it_follows_the_action_table(self) -> None:
        cases = {
            ("ADD", ""): ADD,
            ("ADD", "1-1"): DELETE,
            ("update", "1-1"): DELETE,
            ("DELETE", ""): None,
            ("DELETE", "1-1"): DELETE,
            ("", ""): ADD,
            ("", "1-1"): MOD,
        }
        for (action, qb_id), kind in cases.items():
            with self.subTest(action=action, qb_id=qb_id):
                obj = view(self.mapper, self.journal(action=action), qb_id=qb_id)
                self.assertEqual(self.mapper.write_kind(obj), kind)

    def test_it_builds_a_valid_add_with_debit_and_credit_lines_from_the_aliases(self) -> None:
        rq = self.mapper.add(view(self.mapper, self.journal(), external_guid=GUID))

        assert_valid(self, rq)
        body = rq.find("JournalEntryAdd")
        self.assertEqual(
            [tag_of(line) for line in body if tag_of(line).startswith("Journal")],
            ["JournalDebitLine", "JournalCreditLine", "JournalCreditLine"],
        )
        credit = body.find("JournalCreditLine")
        self.assertEqual(credit.findtext("AccountRef/FullName"), "Fees")
        self.assertEqual(credit.findtext("Amount"), "120.02")
        self.assertEqual(credit.findtext("EntityRef/FullName"), "My Customer credit!")
        self.assertEqual(credit.findtext("Memo"), "Testing a journal entry here 2")
        self.assertEqual(body.findtext("CurrencyRef/FullName"), "USD")
        self.assertEqual(body.findtext("ExternalGUID"), GUID)

    def test_it_builds_a_valid_mod_with_journal_line_mods(self) -> None:
        state = {"lines": [{"txn_line_id": "L-1"}, {"txn_line_id": "L-2"}]}
        rq = self.mapper.mod(
            view(self.mapper, self.journal(), qb_id="1-1", edit_sequence="7", qb_state=state)
        )

        assert_valid(self, rq)
        lines = rq.findall("JournalEntryMod/JournalLineMod")
        self.assertEqual(
            [(n.findtext("TxnLineID"), n.findtext("JournalLineType")) for n in lines],
            [("L-1", "Debit"), ("L-2", "Credit"), ("-1", "Credit")],
        )
        self.assertIsNone(rq.find("JournalEntryMod/JournalDebitLine"))

    def test_it_takes_is_adjustment_from_the_payload_only(self) -> None:
        add = self.mapper.add(view(self.mapper, self.journal(is_adjustment="true")))
        mod = self.mapper.mod(view(self.mapper, self.journal(), qb_id="1-1", edit_sequence="7"))

        self.assertEqual(add.findtext("JournalEntryAdd/IsAdjustment"), "true")
        self.assertIsNone(mod.find("JournalEntryMod/IsAdjustment"))

    def test_it_sends_a_home_currency_adjustment_instead_of_the_currency(self) -> None:
        rq = self.mapper.add(view(self.mapper, self.journal(is_home_currency_adjustment=True)))

        assert_valid(self, rq)
        self.assertEqual(rq.findtext("JournalEntryAdd/IsHomeCurrencyAdjustment"), "true")
        self.assertIsNone(rq.find("JournalEntryAdd/CurrencyRef"))

    def test_it_deletes_with_a_txn_del_of_the_journal_entry(self) -> None:
        rq = self.mapper.delete(view(self.mapper, self.journal(), qb_id="1-1"))

        assert_valid(self, rq)
        self.assertEqual((rq.findtext("TxnDelType"), rq.findtext("TxnID")), ("JournalEntry", "1-1"))

    def test_it_refuses_a_line_without_debit_and_credit(self) -> None:
        journal = self.journal()
        journal["line_items"][0] = {**journal["line_items"][0], "debit": 0}

        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(journal, {})

        self.assertEqual(caught.exception.field, "line_items[0]")

    def test_it_refuses_a_journal_out_of_balance(self) -> None:
        journal = self.journal()
        journal["line_items"][2] = {**journal["line_items"][2], "credit": 79.97}

        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(journal, {})

        self.assertEqual(caught.exception.field, "line_items")
        self.assertIn("debits total 200.00 but credits total 199.99", caught.exception.reason)

    def test_it_needs_only_the_id_to_delete(self) -> None:
        self.mapper.validate({"id": "S00009", "action": "DELETE"}, {})

        rq = self.mapper.lookup(view(self.mapper, {"id": "S00009", "action": "DELETE"}))

        assert_valid(self, rq)

    def test_it_refuses_an_unknown_billable_status(self) -> None:
        journal = self.journal()
        journal["line_items"][0] = {**journal["line_items"][0], "billable_status": "Maybe"}

        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(journal, {})

        self.assertEqual(caught.exception.field, "line_items[0].billable_status")


class PurchaseOrderMapperTestCase(SimpleTestCase):
    mapper = PurchaseOrderMapper()
    params = {"quickbooks_shipping_item": "Freight"}

    def order(self, **fields: Any) -> dict[str, Any]:
        return {
            "id": "PO-1",
            "supplier": {"name": "Acme Supply"},
            "vendor_address": {"address1": "1 Depot Rd", "firstname": "Ann"},
            "inventory_site_name": "DFW",
            "status": "cancelled",
            "line_items": [
                {"product_id": "TEE", "quantity": 2, "price": 4, "inventory_site_name": "DFW"}
            ],
            "adjustments": [{"name": "Shipping", "value": 3}],
            **fields,
        }

    def test_it_builds_a_valid_add_without_is_manually_closed(self) -> None:
        rq = self.mapper.add(view(self.mapper, self.order(), self.params, external_guid=GUID))

        assert_valid(self, rq)
        body = rq.find("PurchaseOrderAdd")
        self.assertIsNone(body.find("IsManuallyClosed"))
        self.assertEqual(body.findtext("InventorySiteRef/FullName"), "DFW")
        self.assertIsNone(body.find("PurchaseOrderLineAdd/InventorySiteRef"))

    def test_it_closes_a_cancelled_order_on_mod(self) -> None:
        rq = self.mapper.mod(
            view(self.mapper, self.order(), self.params, qb_id="1-1", edit_sequence="2")
        )

        assert_valid(self, rq)
        self.assertEqual(rq.findtext("PurchaseOrderMod/IsManuallyClosed"), "true")

    def test_it_builds_the_vendor_from_supplier_and_vendor_address(self) -> None:
        deps = self.mapper.dependencies(self.order(), self.params)

        vendor = deps[0]
        self.assertEqual((vendor.object_type, vendor.mode), ("vendors", ENSURE))
        self.assertEqual(vendor.payload["vendor_address"]["address1"], "1 Depot Rd")
        self.assertEqual(vendor.payload["firstname"], "Ann")
        self.assertEqual(
            [(d.object_type, d.payload["product_id"], d.mode) for d in deps[1:]],
            [("products", "TEE", REQUIRE), ("products", "Freight", REQUIRE)],
        )

    def test_it_only_requires_the_vendor_with_do_not_update_vendor_on_the_object(self) -> None:
        deps = self.mapper.dependencies(
            self.order(quickbooks_do_not_update_vendor="1"), self.params
        )

        self.assertEqual((deps[0].payload, deps[0].mode), ({"name": "Acme Supply"}, REQUIRE))

    def test_it_refers_to_a_vendor_list_id_without_a_dependency(self) -> None:
        payload = self.order(supplier={"list_id": "80000001-1"})

        deps = self.mapper.dependencies(payload, self.params)
        rq = self.mapper.add(view(self.mapper, payload, self.params))

        self.assertEqual([d.object_type for d in deps], ["products", "products"])
        self.assertEqual(rq.findtext("PurchaseOrderAdd/VendorRef/ListID"), "80000001-1")

    def test_it_requires_a_supplier(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(self.order(supplier=None), self.params)

        self.assertEqual(caught.exception.field, "supplier.name")


class InventoryMapperTestCase(SimpleTestCase):
    mapper = InventoryMapper()
    params = {"quickbooks_income_account": "Cost of Goods Sold", "site_name": "DFW"}

    def level(self, **fields: Any) -> dict[str, Any]:
        return {"id": "ADJ-1", "product_id": "SKU-1", "quantity": 42, **fields}

    def test_it_builds_a_valid_quantity_adjustment(self) -> None:
        rq = self.mapper.add(view(self.mapper, self.level(), self.params, external_guid=GUID))

        assert_valid(self, rq)
        body = rq.find("InventoryAdjustmentAdd")
        self.assertEqual(body.findtext("AccountRef/FullName"), "Cost of Goods Sold")
        self.assertEqual(body.findtext("InventorySiteRef/FullName"), "DFW")
        self.assertEqual(body.findtext("ExternalGUID"), GUID)
        self.assertEqual(
            body.findtext("InventoryAdjustmentLineAdd/QuantityAdjustment/NewQuantity"), "42"
        )

    def test_it_looks_up_by_ref_number_even_with_an_earlier_txn_id(self) -> None:
        rq = self.mapper.lookup(view(self.mapper, self.level(), qb_id="OLD-1"))

        assert_valid(self, rq)
        self.assertIsNone(rq.find("TxnID"))
        self.assertEqual(rq.findtext("RefNumberCaseSensitive"), "ADJ-1")

    def test_it_finds_only_the_adjustment_carrying_this_calls_guid(self) -> None:
        earlier = etree.fromstring(
            "<InventoryAdjustmentRet><TxnID>1-1</TxnID>"
            "<ExternalGUID>{00000000-0000-0000-0000-000000000001}</ExternalGUID>"
            "</InventoryAdjustmentRet>"
        )
        ours = etree.fromstring(
            f"<InventoryAdjustmentRet><TxnID>2-2</TxnID><ExternalGUID>{GUID}</ExternalGUID>"
            "</InventoryAdjustmentRet>"
        )
        obj = view(self.mapper, self.level(), external_guid=GUID)

        self.assertFalse(self.mapper.read_lookup(obj, [earlier]).found)
        self.assertEqual(self.mapper.read_lookup(obj, [earlier, ours]).qb_id, "2-2")

    def test_it_refuses_a_value_qbxml_cannot_set(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(self.level(value=100), self.params)

        self.assertEqual(caught.exception.field, "value")

    def test_it_requires_the_product(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate(self.level(product_id=""), self.params)

        self.assertEqual(caught.exception.field, "product_id")
