"""Item mappers: the accounts an item is created with."""

from __future__ import annotations

from django.test import SimpleTestCase

from qbwc.qbxml.mappers.items import (
    DiscountItemMapper,
    InventoryItemMapper,
    OtherChargeItemMapper,
    SalesTaxItemMapper,
    ServiceItemMapper,
)
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_items_helpers import ACCOUNTS, body, make_mod_obj, make_obj


class AccountTestCase(SimpleTestCase):
    def test_it_requires_an_income_account_to_add_an_inventory_item(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "cogs_account": "COGS", "inventory_account": "Asset"}
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, payload))
        self.assertEqual(caught.exception.field, "income_account")
        self.assertIn("quickbooks_income_account", caught.exception.reason)

    def test_it_requires_cogs_and_asset_accounts_to_add_an_inventory_item(self) -> None:
        mapper = InventoryItemMapper()
        for missing in ("cogs_account", "inventory_account"):
            payload = {"product_id": "Tee", **ACCOUNTS}
            del payload[missing]
            with self.subTest(missing=missing), self.assertRaises(PayloadError) as caught:
                mapper.add(make_obj(mapper, payload))
            self.assertEqual(caught.exception.field, missing)

    def test_it_falls_back_to_the_quickbooks_income_account_parameter(self) -> None:
        mapper = InventoryItemMapper()
        payload = {"product_id": "Tee", "cogs_account": "COGS", "inventory_account": "Asset"}
        obj = make_obj(mapper, payload, {"quickbooks_income_account": "Merchandise Sales"})
        self.assertEqual(
            body(mapper.add(obj)).findtext("IncomeAccountRef/FullName"), "Merchandise Sales"
        )

    def test_it_prefers_the_payload_account_over_the_parameter(self) -> None:
        mapper = ServiceItemMapper()
        payload = {"product_id": "Fix", "income_account": "Service Income"}
        obj = make_obj(mapper, payload, {"quickbooks_income_account": "Other"})
        self.assertEqual(
            body(mapper.add(obj)).findtext("SalesAndPurchase/IncomeAccountRef/FullName"),
            "Service Income",
        )

    def test_it_requires_an_income_account_in_sales_and_purchase(self) -> None:
        mapper = OtherChargeItemMapper()
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, {"product_id": "Fee", "price": 5}))
        self.assertEqual(caught.exception.field, "income_account")

    def test_it_requires_an_account_in_sales_or_purchase(self) -> None:
        mapper = ServiceItemMapper()
        payload = {"product_id": "Fix", "sales_or_purchase": True, "income_account": "Sales"}
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, payload))
        self.assertEqual(caught.exception.field, "account_name")

    def test_it_requires_an_account_to_add_a_discount_item(self) -> None:
        mapper = DiscountItemMapper()
        with self.assertRaises(PayloadError) as caught:
            mapper.add(make_obj(mapper, {"product_id": "10OFF", "discount_rate": 10}))
        self.assertEqual(caught.exception.field, "account_name")

    def test_it_needs_no_account_for_a_sales_tax_item(self) -> None:
        mapper = SalesTaxItemMapper()
        request = mapper.add(make_obj(mapper, {"product_id": "CA Tax", "tax_rate": 7.25}))
        self.assertEqual(body(request).findtext("TaxRate"), "7.25")

    def test_it_modifies_without_accounts(self) -> None:
        mapper = InventoryItemMapper()
        request = mapper.mod(make_mod_obj(mapper, {"product_id": "Tee", "price": 11}))
        self.assertEqual(body(request).findtext("SalesPrice"), "11")

    def test_it_validates_a_payload_whose_accounts_only_an_add_would_need(self) -> None:
        # Whether the item needs an Add is known only after the lookup.
        InventoryItemMapper().validate({"product_id": "Tee", "price": 11}, {})

    def test_it_still_rejects_other_errors_when_accounts_are_missing(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            InventoryItemMapper().validate({"product_id": "Tee", "price": "ten"}, {})
        self.assertEqual(caught.exception.field, "price")
