"""The QBO mappers of the name lists: bodies field by field, QBO's lengths refused naming
the FlowLink field, sparse updates, and the bodies accepted by the local QBO double."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase

from objects.types.base import ENSURE, UPSERT, ObjectView
from objects.types.items import ITEM_TYPES
from objects.types.values import PayloadError
from qbo.mappers import MAPPERS, mapper_for
from qbo.mappers.base import UPDATE, Found, Ref, q
from qbo.mappers.lists import LIST_MAPPERS
from qbo.tests.helpers import DoubleTestCase

INCOME = Ref(
    "Account",
    "Sales of Product Income",
    "FullyQualifiedName",
    "parameters.quickbooks_income_account",
)


def view(
    object_type: str, payload: dict[str, Any], params: dict[str, Any] | None = None, **known: Any
) -> ObjectView:
    built = mapper_for(object_type).view(payload, params or {})
    for key, value in known.items():
        setattr(built, key, value)
    return built


def create(
    object_type: str, payload: dict[str, Any], params: dict[str, Any] | None = None
) -> dict[str, Any]:
    return mapper_for(object_type).create(view(object_type, payload, params))


def update(
    object_type: str, payload: dict[str, Any], params: dict[str, Any] | None = None
) -> dict[str, Any]:
    found = view(object_type, payload, params, qb_id="7", edit_sequence="3")
    return mapper_for(object_type).update(found, {"Id": "7", "SyncToken": "3"})


def refusal(
    object_type: str, payload: dict[str, Any], params: dict[str, Any] | None = None
) -> tuple[str, str]:
    try:
        mapper_for(object_type).validate(payload, params or {})
    except PayloadError as exc:
        return exc.field, exc.reason
    raise AssertionError("validate() accepted the payload")


ADDRESS = {
    "address1": "75 Example Dr",
    "address2": "Suite 2",
    "city": "Some City",
    "state": "CA",
    "zipcode": 78456,
    "country": "US",
    "note": "not a QBO address field",
    "phone": "+1 555 0100",
}


class RegistryTestCase(SimpleTestCase):
    def test_it_has_a_mapper_for_every_list_route(self) -> None:
        self.assertEqual(set(LIST_MAPPERS), {"customers", "vendors", *ITEM_TYPES})
        for object_type, mapper in LIST_MAPPERS.items():
            self.assertEqual(mapper.object_type, object_type)
            self.assertIs(MAPPERS[object_type], mapper)


class CustomerBodyTestCase(SimpleTestCase):
    def test_it_writes_each_flowlink_field_to_its_qbo_field(self) -> None:
        body = create(
            "customers",
            {
                "name": "Ada O'Neil",
                "salutation": "Dr",
                "firstname": "Ada",
                "middlename": "M",
                "lastname": "O'Neil",
                "company": "Engines Ltd",
                "email": "ada@example.com",
                "phone": "555-0100",
                "mobile": "555-0101",
                "fax": "555-0102",
                "billing_address": ADDRESS,
                "shipping_address": {"address1": "1 Dock Rd", "city": "Port"},
                "notes": "VIP",
                "is_active": "1",
                "terms": "Net 30",
            },
        )

        self.assertEqual(
            body,
            {
                "DisplayName": "Ada O'Neil",
                "Title": "Dr",
                "GivenName": "Ada",
                "MiddleName": "M",
                "FamilyName": "O'Neil",
                "CompanyName": "Engines Ltd",
                "PrimaryEmailAddr": {"Address": "ada@example.com"},
                "PrimaryPhone": {"FreeFormNumber": "555-0100"},
                "Mobile": {"FreeFormNumber": "555-0101"},
                "Fax": {"FreeFormNumber": "555-0102"},
                "BillAddr": {
                    "Line1": "75 Example Dr",
                    "Line2": "Suite 2",
                    "City": "Some City",
                    "CountrySubDivisionCode": "CA",
                    "PostalCode": "78456",
                    "Country": "US",
                },
                "ShipAddr": {"Line1": "1 Dock Rd", "City": "Port"},
                "Notes": "VIP",
                "Active": True,
            },
        )

    def test_it_takes_names_and_phone_from_the_billing_address_when_missing(self) -> None:
        body = create(
            "customers",
            {
                "name": "Jo",
                "billing_address": {
                    "firstname": "Jo",
                    "lastname": "Li",
                    "phone": "1",
                    "company": "Co",
                },
            },
        )

        self.assertEqual(
            (body["GivenName"], body["FamilyName"], body["CompanyName"], body["PrimaryPhone"]),
            ("Jo", "Li", "Co", {"FreeFormNumber": "1"}),
        )
        self.assertNotIn("BillAddr", body)

    def test_it_makes_a_job_of_a_customer_with_a_parent(self) -> None:
        body = create("customers", {"name": "Job 1", "parent_name": "Acme"})

        self.assertEqual(
            body["ParentRef"], Ref("Customer", "Acme", "FullyQualifiedName", "parent_name")
        )
        self.assertIs(body["Job"], True)

    def test_it_refuses_what_is_longer_than_qbo_allows_naming_the_field(self) -> None:
        cases: list[tuple[dict[str, Any], str, int]] = [
            ({"name": "N" * 501}, "name", 500),
            ({"name": "Jo", "firstname": "F" * 101}, "firstname", 100),
            ({"name": "Jo", "lastname": "L" * 101}, "lastname", 100),
            ({"name": "Jo", "company": "C" * 101}, "company", 100),
            ({"name": "Jo", "email": "e" * 101}, "email", 100),
            ({"name": "Jo", "phone": "1" * 31}, "phone", 30),
            ({"name": "Jo", "billing_address": {"phone": "1" * 31}}, "billing_address.phone", 30),
            (
                {"name": "Jo", "billing_address": {"address1": "a" * 501}},
                "billing_address.address1",
                500,
            ),
            ({"name": "Jo", "billing_address": {"city": "c" * 256}}, "billing_address.city", 255),
            (
                {"name": "Jo", "shipping_address": {"zipcode": "9" * 31}},
                "shipping_address.zipcode",
                30,
            ),
            ({"name": "Jo", "notes": "n" * 2001}, "notes", 2000),
        ]
        for payload, field, limit in cases:
            with self.subTest(field=field):
                self.assertEqual(
                    refusal("customers", payload),
                    (field, f"is {limit + 1} characters; QuickBooks Online allows {limit}"),
                )

    def test_it_accepts_the_longest_values_qbo_allows(self) -> None:
        mapper_for("customers").validate(
            {"name": "N" * 500, "firstname": "F" * 100, "billing_address": {"address1": "a" * 500}},
            {},
        )

    def test_it_refuses_an_address_that_is_not_an_object(self) -> None:
        self.assertEqual(
            refusal("customers", {"name": "Jo", "billing_address": ["x"]}),
            ("billing_address", "must be an address object, not a list"),
        )

    def test_it_updates_sparsely_with_only_the_fields_flowlink_sent(self) -> None:
        body = update("customers", {"name": "Jo", "email": "jo@example.com"})

        self.assertEqual(
            body,
            {
                "DisplayName": "Jo",
                "PrimaryEmailAddr": {"Address": "jo@example.com"},
                "Active": True,
                "Id": "7",
                "SyncToken": "3",
                "sparse": True,
            },
        )

    def test_it_deactivates_on_update_only_when_flowlink_says_so(self) -> None:
        self.assertIs(update("customers", {"name": "Jo", "is_active": False})["Active"], False)

    def test_it_looks_customers_up_by_display_name_inactive_ones_included(self) -> None:
        mapper = mapper_for("customers")

        lookup = mapper.lookup(view("customers", {"name": "Jo's"}))

        self.assertEqual(
            lookup.statement,
            "SELECT * FROM Customer WHERE DisplayName = 'Jo\\'s' AND Active IN (true, false)",
        )
        self.assertEqual(mapper.lookup(view("customers", {"name": "Jo"}, qb_id="58")).qb_id, "58")


class VendorBodyTestCase(SimpleTestCase):
    def test_it_writes_a_vendor_named_by_its_id_when_it_has_no_name(self) -> None:
        body = create(
            "vendors",
            {
                "id": "V-9",
                "company": "Lumber Co",
                "vendor_address": ADDRESS,
                "ship_from_address": {"address1": "ignored"},
                "name_on_check": "Lumber Company",
                "account_number": 12345,
                "vendor_tax_ident": "12-3456789",
                "is_vendor_eligible_for_1099": "true",
            },
        )

        self.assertEqual(body["DisplayName"], "V-9")
        self.assertEqual(body["CompanyName"], "Lumber Co")
        self.assertEqual(body["BillAddr"]["Line1"], "75 Example Dr")
        self.assertEqual(body["PrimaryPhone"], {"FreeFormNumber": "+1 555 0100"})
        self.assertEqual(
            (body["PrintOnCheckName"], body["AcctNum"], body["TaxIdentifier"], body["Vendor1099"]),
            ("Lumber Company", "12345", "12-3456789", True),
        )
        self.assertNotIn("ShipAddr", body)

    def test_it_names_the_id_field_when_the_id_is_too_long(self) -> None:
        self.assertEqual(refusal("vendors", {"id": "V" * 501})[0], "id")

    def test_it_refuses_a_tax_identifier_longer_than_qbo_allows(self) -> None:
        self.assertEqual(
            refusal("vendors", {"name": "V", "vendor_tax_ident": "1" * 21})[0], "vendor_tax_ident"
        )


class InventoryBodyTestCase(SimpleTestCase):
    def test_it_creates_a_tracked_inventory_item_with_the_starter_chart_accounts(self) -> None:
        body = create(
            "products",
            {
                "product_id": "SKU-1",
                "sku": "SKU-1",
                "description": "Tee",
                "purchase_description": "Tee, bought",
                "price": "10.50",
                "cost": 4,
                "quantity": 12,
                "inventory_date": "2026-01-01T10:00:00Z",
                "reorder_point": 2,
                "sales_tax_code_name": "Tax",
                "preferred_vendor_name": "Lumber Co",
                "is_active": True,
            },
        )

        self.assertEqual(
            body,
            {
                "Name": "SKU-1",
                "Type": "Inventory",
                "Sku": "SKU-1",
                "Description": "Tee",
                "Taxable": True,
                "Active": True,
                "UnitPrice": 10.5,
                "PurchaseDesc": "Tee, bought",
                "PurchaseCost": 4,
                "PrefVendorRef": Ref("Vendor", "Lumber Co", "DisplayName", "preferred_vendor_name"),
                "ReorderPoint": 2,
                "IncomeAccountRef": INCOME,
                "ExpenseAccountRef": Ref(
                    "Account",
                    "Cost of Goods Sold",
                    "FullyQualifiedName",
                    "parameters.quickbooks_cogs_account",
                ),
                "AssetAccountRef": Ref(
                    "Account",
                    "Inventory Asset",
                    "FullyQualifiedName",
                    "parameters.quickbooks_inventory_account",
                ),
                "TrackQtyOnHand": True,
                "QtyOnHand": 12,
                "InvStartDate": "2026-01-01",
            },
        )

    def test_it_reads_the_accounts_through_the_parameter_chain(self) -> None:
        body = create(
            "products",
            {"product_id": "P", "income_account": "Sales"},
            {"cogs_account": "COGS", "quickbooks_inventory_account": "Stock"},
        )

        self.assertEqual(
            body["IncomeAccountRef"],
            Ref("Account", "Sales", "FullyQualifiedName", "income_account"),
        )
        self.assertEqual(
            body["ExpenseAccountRef"],
            Ref("Account", "COGS", "FullyQualifiedName", "parameters.cogs_account"),
        )
        self.assertEqual(
            body["AssetAccountRef"],
            Ref(
                "Account", "Stock", "FullyQualifiedName", "parameters.quickbooks_inventory_account"
            ),
        )

    def test_it_takes_an_account_given_by_its_qbo_id(self) -> None:
        body = create("products", {"product_id": "P", "income_account": {"qbo_id": "81"}})

        self.assertEqual(body["IncomeAccountRef"], {"value": "81"})

    def test_it_starts_an_item_without_a_quantity_at_zero_today(self) -> None:
        body = create("products", {"product_id": "P"})

        self.assertEqual(body["QtyOnHand"], 0)
        self.assertRegex(body["InvStartDate"], r"^\d{4}-\d{2}-\d{2}$")

    def test_it_updates_without_opening_values_or_default_accounts(self) -> None:
        body = update(
            "products",
            {"product_id": "P", "price": 12, "quantity": 99, "inventory_date": "2026-02-01"},
        )

        self.assertEqual(
            body,
            {
                "Name": "P",
                "Active": True,
                "UnitPrice": 12,
                "Id": "7",
                "SyncToken": "3",
                "sparse": True,
            },
        )

    def test_it_updates_an_account_flowlink_names(self) -> None:
        body = update("products", {"product_id": "P"}, {"quickbooks_income_account": "Sales"})

        self.assertEqual(
            body["IncomeAccountRef"],
            Ref("Account", "Sales", "FullyQualifiedName", "parameters.quickbooks_income_account"),
        )

    def test_it_only_reactivates_for_an_active_key(self) -> None:
        body = update("products", {"product_id": "P", "active": False, "price": 3})

        self.assertEqual(
            body, {"Name": "P", "Active": True, "Id": "7", "SyncToken": "3", "sparse": True}
        )

    def test_it_refuses_names_qbo_refuses_naming_the_identity_field(self) -> None:
        self.assertEqual(
            refusal("products", {"product_id": "P" * 101}),
            ("product_id", "is 101 characters; QuickBooks Online allows 100"),
        )
        self.assertEqual(
            refusal("products", {"sku": "Red:Small", "parent_name": "Tees"}),
            (
                "sku",
                "cannot contain ':' in QuickBooks Online when parent_name is sent; send the "
                "item's own name",
            ),
        )
        self.assertEqual(
            refusal("products", {"product_id": "Tees::Red"}),
            (
                "product_id",
                "'Tees::Red' is not a full item name (Parent:Child) QuickBooks Online takes",
            ),
        )

    def test_it_refuses_other_fields_longer_than_qbo_allows(self) -> None:
        self.assertEqual(refusal("products", {"product_id": "P", "sku": "S" * 101})[0], "sku")
        self.assertEqual(
            refusal("products", {"product_id": "P", "description": "d" * 4001})[0], "description"
        )
        self.assertEqual(
            refusal("products", {"product_id": "P", "purchase_description": "d" * 1001})[0],
            "purchase_description",
        )

    def test_it_refuses_a_quantity_that_is_not_a_number(self) -> None:
        self.assertEqual(
            refusal("products", {"product_id": "P", "quantity": "many"})[0], "quantity"
        )
        self.assertEqual(
            refusal("products", {"product_id": "P", "inventory_date": "soon"})[0], "inventory_date"
        )

    def test_it_makes_a_sub_item_of_an_item_with_a_parent(self) -> None:
        body = create("products", {"product_id": "Red", "parent_name": "Tees"})

        self.assertEqual(
            body["ParentRef"], Ref("Item", "Tees", "FullyQualifiedName", "parent_name")
        )
        self.assertIs(body["SubItem"], True)

    def test_it_makes_a_sub_item_of_an_item_named_by_its_full_name(self) -> None:
        # The name a transaction line gives a sub-item, as it reaches an auto-created item.
        body = create("products", {"product_id": "Tees:Red"})

        self.assertEqual(body["Name"], "Red")
        self.assertEqual(body["ParentRef"], Ref("Item", "Tees", "FullyQualifiedName", "product_id"))
        self.assertIs(body["SubItem"], True)


class ItemLookupTestCase(SimpleTestCase):
    def test_it_looks_items_up_across_types_inactive_ones_included(self) -> None:
        mapper = mapper_for("serviceproducts")

        plain = mapper.lookup(view("serviceproducts", {"product_id": "Design"}))
        child = mapper.lookup(view("serviceproducts", {"product_id": "Red", "parent_name": "Tees"}))
        by_parent_id = mapper.lookup(
            view("serviceproducts", {"product_id": "Red", "parent_name": {"qbo_id": "4"}})
        )

        self.assertEqual(
            plain.statement,
            "SELECT * FROM Item WHERE FullyQualifiedName = 'Design' AND Active IN (true, false)",
        )
        self.assertEqual(
            child.statement,
            "SELECT * FROM Item WHERE FullyQualifiedName = 'Tees:Red' AND Active IN (true, false)",
        )
        self.assertEqual(
            by_parent_id.statement,
            "SELECT * FROM Item WHERE Name = 'Red' AND ParentRef = '4' AND Active IN (true, false)",
        )

    def test_it_reads_an_item_of_its_own_type_as_writable(self) -> None:
        found = mapper_for("products").read_lookup(
            view("products", {"product_id": "P"}),
            [{"Id": "9", "SyncToken": "2", "Type": "Inventory"}],
        )

        self.assertEqual(
            found, Found(True, "9", "2", details={"entity": "Item", "type": "Inventory"})
        )

    def test_it_links_another_type_found_for_a_dependency_unchanged(self) -> None:
        found = mapper_for("products").read_lookup(
            view("products", {"product_id": "P"}, mode=ENSURE),
            [{"Id": "9", "SyncToken": "2", "Type": "Service"}],
        )

        self.assertEqual(
            found,
            Found(True, "9", "2", details={"entity": "Item", "type": "Service"}, writable=False),
        )

    def test_it_fails_an_upsert_that_finds_another_type(self) -> None:
        found = mapper_for("products").read_lookup(
            view("products", {"product_id": "P"}, mode=UPSERT),
            [{"Id": "9", "SyncToken": "2", "Type": "NonInventory", "FullyQualifiedName": "P"}],
        )

        self.assertFalse(found.found)
        self.assertEqual(
            found.conflict,
            "item 'P' already exists in QuickBooks Online as a non-inventory item "
            "(Type NonInventory), not as an inventory item",
        )

    def test_it_finds_nothing_in_no_records(self) -> None:
        self.assertEqual(
            mapper_for("customers").read_lookup(view("customers", {"name": "J"}), []), Found(False)
        )

    def test_it_updates_what_it_found(self) -> None:
        mapper = mapper_for("serviceproducts")

        self.assertEqual(
            mapper.write_kind(view("serviceproducts", {"product_id": "S"}, qb_id="3")), UPDATE
        )


class PriceBlockBodyTestCase(SimpleTestCase):
    def test_it_writes_both_sides_of_a_sales_and_purchase_item(self) -> None:
        body = create(
            "noninventoryproducts",
            {
                "product_id": "Bag",
                "description": "A bag",
                "price": 3,
                "cost": "1.25",
                "expense_account": "Supplies",
                "sales_tax_code_name": "Non",
            },
        )

        self.assertEqual(
            body,
            {
                "Name": "Bag",
                "Type": "NonInventory",
                "Description": "A bag",
                "Taxable": False,
                "UnitPrice": 3,
                "IncomeAccountRef": INCOME,
                "PurchaseCost": 1.25,
                "ExpenseAccountRef": Ref(
                    "Account", "Supplies", "FullyQualifiedName", "expense_account"
                ),
            },
        )

    def test_it_writes_the_one_account_of_a_sales_or_purchase_item(self) -> None:
        body = create(
            "serviceproducts",
            {
                "product_id": "Fix",
                "sales_or_purchase": True,
                "account_name": "Repairs",
                "price": 80,
            },
        )

        self.assertEqual(
            body,
            {
                "Name": "Fix",
                "Type": "Service",
                "UnitPrice": 80,
                "IncomeAccountRef": Ref("Account", "Repairs", "FullyQualifiedName", "account_name"),
            },
        )

    def test_it_defaults_a_service_to_the_services_income_account(self) -> None:
        body = create("serviceproducts", {"product_id": "Fix"})

        self.assertEqual(
            body["IncomeAccountRef"],
            Ref(
                "Account", "Services", "FullyQualifiedName", "parameters.quickbooks_income_account"
            ),
        )

    def test_it_refuses_a_percentage_price(self) -> None:
        self.assertEqual(
            refusal("noninventoryproducts", {"product_id": "Bag", "price_percent": 10}),
            (
                "price_percent",
                "QuickBooks Online items have no percentage price; send price instead",
            ),
        )

    def test_it_prefers_the_price_when_both_are_sent(self) -> None:
        body = create(
            "noninventoryproducts", {"product_id": "Bag", "price": 5, "price_percent": 10}
        )

        self.assertEqual(body["UnitPrice"], 5)

    def test_it_writes_an_other_charge_as_a_service_item(self) -> None:
        adjustment = {
            "product_id": "Shipping",
            "description": "Shipping",
            "sales_or_purchase": True,
            "account_name": "Shipping Income",
        }

        body = create("otherchargeproducts", adjustment)

        self.assertEqual(
            body,
            {
                "Name": "Shipping",
                "Type": "Service",
                "Description": "Shipping",
                "IncomeAccountRef": Ref(
                    "Account", "Shipping Income", "FullyQualifiedName", "account_name"
                ),
            },
        )


class DiscountAndSalesTaxTestCase(SimpleTestCase):
    def test_it_writes_a_discount_as_a_service_item_of_negative_price(self) -> None:
        body = create(
            "discountproducts",
            {
                "product_id": "Promo",
                "description": "Promo",
                "discount_rate": 5,
                "account_name": "Discounts",
            },
        )

        self.assertEqual(
            body,
            {
                "Name": "Promo",
                "Type": "Service",
                "Description": "Promo",
                "UnitPrice": -5,
                "IncomeAccountRef": Ref(
                    "Account", "Discounts", "FullyQualifiedName", "account_name"
                ),
            },
        )

    def test_it_refuses_a_percentage_discount(self) -> None:
        self.assertEqual(
            refusal("discountproducts", {"product_id": "Promo", "discount_rate_percent": 10}),
            (
                "discount_rate_percent",
                "QuickBooks Online items have no percentage price; send discount_rate "
                "(an amount) instead",
            ),
        )

    def test_it_refuses_a_sales_tax_item_naming_its_identity_field(self) -> None:
        field, reason = refusal("salestaxproducts", {"product_id": "PA", "tax_rate": 6})

        self.assertEqual(field, "product_id")
        self.assertIn("QuickBooks Online has no sales-tax items", reason)

    def test_it_can_still_look_a_sales_tax_item_up(self) -> None:
        lookup = mapper_for("salestaxproducts").lookup(
            view("salestaxproducts", {"product_id": "PA"})
        )

        self.assertIn("FullyQualifiedName = 'PA'", lookup.statement)


class DoubleMapperTestCase(DoubleTestCase):
    """The bodies as QBO takes them: created in the double, read back, updated sparsely."""

    def resolve(self, value: Any) -> Any:
        """Replace each Ref placeholder the way the push pass does: by one query."""
        if isinstance(value, Ref):
            statement = f"SELECT * FROM {value.entity} WHERE {value.field} = {q(value.value)}"
            records = self.found(statement).get(value.entity, [])
            self.assertEqual(len(records), 1, statement)
            return value.as_json(records[0]["Id"])
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def write(
        self, object_type: str, payload: dict[str, Any], params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        mapper = mapper_for(object_type)
        body = self.resolve(mapper.create(view(object_type, payload, params)))
        created = self.create(mapper.entity, body)
        return self.stored(mapper.entity, created["Id"])

    def rewrite(
        self,
        object_type: str,
        payload: dict[str, Any],
        ident: str,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        mapper = mapper_for(object_type)
        current = self.stored(mapper.entity, ident)
        found = view(object_type, payload, params, qb_id=ident, edit_sequence=current["SyncToken"])
        body = self.resolve(mapper.update(found, current))
        answer = self.call("POST", mapper.entity.lower(), body)
        self.assertEqual(answer.status, 200, answer.raw)
        return self.stored(mapper.entity, ident)

    def looked_up(self, object_type: str, payload: dict[str, Any], mode: str = UPSERT) -> Found:
        mapper = mapper_for(object_type)
        wanted = view(object_type, payload, mode=mode)
        records = self.found(mapper.lookup(wanted).statement).get(mapper.entity, [])
        return mapper.read_lookup(wanted, records)

    def test_it_creates_a_customer_qbo_stores_field_by_field(self) -> None:
        stored = self.write(
            "customers",
            {
                "name": "Ada O'Neil",
                "firstname": "A" * 100,
                "lastname": "O'Neil",
                "company": "Engines Ltd",
                "email": "ada@example.com",
                "phone": "555-0100",
                "billing_address": ADDRESS,
                "shipping_address": {"address1": "1 Dock Rd", "city": "Port"},
                "notes": "VIP",
            },
        )

        self.assertEqual(stored["DisplayName"], "Ada O'Neil")
        self.assertEqual((stored["GivenName"], stored["FamilyName"]), ("A" * 100, "O'Neil"))
        self.assertEqual(stored["CompanyName"], "Engines Ltd")
        self.assertEqual(stored["PrimaryEmailAddr"], {"Address": "ada@example.com"})
        self.assertEqual(stored["PrimaryPhone"], {"FreeFormNumber": "555-0100"})
        self.assertEqual(
            stored["BillAddr"],
            {
                "Line1": "75 Example Dr",
                "Line2": "Suite 2",
                "City": "Some City",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "78456",
                "Country": "US",
            },
        )
        self.assertEqual(stored["ShipAddr"], {"Line1": "1 Dock Rd", "City": "Port"})
        self.assertEqual((stored["Notes"], stored["Active"]), ("VIP", True))
        self.assertEqual(self.looked_up("customers", {"name": "Ada O'Neil"}).qb_id, stored["Id"])

    def test_it_merges_a_sparse_customer_update(self) -> None:
        created = self.write("customers", {"name": "Jo", "email": "old@example.com", "phone": "1"})

        stored = self.rewrite(
            "customers", {"name": "Jo", "email": "new@example.com"}, created["Id"]
        )

        self.assertEqual(stored["PrimaryEmailAddr"], {"Address": "new@example.com"})
        self.assertEqual(stored["PrimaryPhone"], {"FreeFormNumber": "1"})
        self.assertEqual(stored["SyncToken"], "1")

    def test_it_finds_and_reactivates_an_inactive_customer(self) -> None:
        created = self.write("customers", {"name": "Gone", "is_active": False})

        found = self.looked_up("customers", {"name": "Gone"})
        stored = self.rewrite("customers", {"name": "Gone"}, found.qb_id)

        self.assertEqual(found.qb_id, created["Id"])
        self.assertIs(stored["Active"], True)

    def test_it_creates_a_vendor(self) -> None:
        stored = self.write(
            "vendors",
            {
                "name": "Lumber Co",
                "vendor_address": ADDRESS,
                "account_number": 77,
                "vendor_tax_ident": "12-3",
            },
        )

        self.assertEqual(stored["DisplayName"], "Lumber Co")
        self.assertEqual(stored["BillAddr"]["City"], "Some City")
        self.assertEqual((stored["AcctNum"], stored["TaxIdentifier"]), ("77", "12-3"))

    def test_it_creates_an_inventory_item_and_updates_it_without_resetting_the_count(self) -> None:
        self.write("vendors", {"name": "Lumber Co"})
        accounts = self.accounts()
        stored = self.write(
            "products",
            {
                "product_id": "Tee",
                "sku": "T-1",
                "description": "A tee",
                "price": 10,
                "cost": 4,
                "quantity": 12,
                "inventory_date": "2026-01-01",
                "preferred_vendor_name": "Lumber Co",
            },
        )

        self.assertEqual(
            (stored["Name"], stored["Type"], stored["Sku"]), ("Tee", "Inventory", "T-1")
        )
        self.assertEqual(
            (stored["Description"], stored["UnitPrice"], stored["PurchaseCost"]), ("A tee", 10, 4)
        )
        self.assertEqual((stored["TrackQtyOnHand"], stored["InvStartDate"]), (True, "2026-01-01"))
        self.assertEqual(stored["QtyOnHand"], 12)
        self.assertEqual(stored["IncomeAccountRef"]["value"], accounts["Sales of Product Income"])
        self.assertEqual(stored["ExpenseAccountRef"]["value"], accounts["Cost of Goods Sold"])
        self.assertEqual(stored["AssetAccountRef"]["value"], accounts["Inventory Asset"])
        self.assertEqual(stored["PrefVendorRef"]["name"], "Lumber Co")

        updated = self.rewrite(
            "products", {"product_id": "Tee", "price": 11, "quantity": 500}, stored["Id"]
        )

        self.assertEqual(
            (updated["UnitPrice"], updated["Sku"], updated["QtyOnHand"]), (11, "T-1", 12)
        )
        self.assertEqual(updated["InvStartDate"], "2026-01-01")

    def test_it_creates_a_sub_item_and_finds_it_by_its_path(self) -> None:
        parent = self.write("serviceproducts", {"product_id": "Landscaping"})
        child = self.write(
            "serviceproducts", {"product_id": "Gardening", "parent_name": "Landscaping"}
        )

        found = self.looked_up(
            "serviceproducts", {"product_id": "Gardening", "parent_name": "Landscaping"}
        )

        self.assertEqual(child["ParentRef"]["value"], parent["Id"])
        self.assertEqual(child["FullyQualifiedName"], "Landscaping:Gardening")
        self.assertEqual(found.qb_id, child["Id"])

    def test_it_creates_the_price_block_items(self) -> None:
        accounts = self.accounts()
        bag = self.write(
            "noninventoryproducts",
            {"product_id": "Bag", "price": 3, "cost": 1, "sales_tax_code_name": "Non"},
        )
        fix = self.write(
            "serviceproducts", {"product_id": "Fix", "sales_or_purchase": True, "price": 80}
        )
        shipping = self.write(
            "otherchargeproducts",
            {"product_id": "Shipping", "sales_or_purchase": True, "account_name": "Services"},
        )

        self.assertEqual(
            (bag["Type"], bag["UnitPrice"], bag["PurchaseCost"], bag["Taxable"]),
            ("NonInventory", 3, 1, False),
        )
        self.assertEqual(bag["IncomeAccountRef"]["value"], accounts["Sales of Product Income"])
        self.assertEqual(
            (fix["Type"], fix["UnitPrice"], fix["TrackQtyOnHand"]), ("Service", 80, False)
        )
        self.assertEqual(fix["IncomeAccountRef"]["value"], accounts["Services"])
        self.assertEqual(
            (shipping["Type"], shipping["IncomeAccountRef"]["value"]),
            ("Service", accounts["Services"]),
        )

    def test_it_creates_a_discount_item_qbo_keeps_at_a_negative_price(self) -> None:
        stored = self.write("discountproducts", {"product_id": "Promo", "discount_rate": "2.50"})

        self.assertEqual((stored["Type"], stored["UnitPrice"]), ("Service", -2.5))

    def test_it_links_an_item_of_another_type_for_a_dependency(self) -> None:
        self.write("serviceproducts", {"product_id": "Tee"})

        found = self.looked_up("products", {"product_id": "Tee"}, mode=ENSURE)

        self.assertTrue(found.found)
        self.assertFalse(found.writable)
        self.assertEqual(found.details, {"entity": "Item", "type": "Service"})

    def test_it_finds_an_inactive_item_and_reactivates_it(self) -> None:
        created = self.write("noninventoryproducts", {"product_id": "Old", "is_active": False})

        found = self.looked_up("noninventoryproducts", {"product_id": "Old"})
        stored = self.rewrite(
            "noninventoryproducts", {"product_id": "Old", "price": 2}, found.qb_id
        )

        self.assertEqual(found.qb_id, created["Id"])
        self.assertEqual((stored["Active"], stored["UnitPrice"]), (True, 2))
