"""Hypothesis strategies for valid-looking FlowLink payloads of every type and their flow
parameters: mostly values a shop would send, sometimes junk that must be refused by name.
The property tests over them are test_request_properties.py (mappers) and
test_intake_properties.py (the webhook).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

GUID = "{71562455-3E41-42CA-9377-9A26597C1BD0}"


# -- building blocks ------------------------------------------------------------------------

# Any unicode (control characters, accents, CJK, XML specials) and lengths around limits;
# mostly values a shop would send, sometimes junk that must be refused by name.
short_texts = st.one_of(
    st.text(max_size=10),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=11),
    st.sampled_from(["Jo's Café & <Bar>", 'São "quoted"', "]]>", "日本語"]),
)
texts = st.one_of(short_texts, short_texts, st.sampled_from(["x" * 41, "y" * 4096]))
names = st.one_of(
    st.text(min_size=1, max_size=20),
    st.sampled_from(["A&B <Co>", "Zoë", "Ünïcödé:Sub", "x" * 41, "\x01"]),
)
valid_numbers = st.one_of(
    st.just(0),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False, places=6).map(
        str
    ),
)
numbers = st.one_of(
    valid_numbers,
    valid_numbers,
    valid_numbers,
    st.sampled_from(["", "abc", "1,000.00", "-0.000001", "10.123456789", "1e30", 10**16]),
)
flags = st.sampled_from([True, False, 1, 0, "1", "0", "true", "false", None])
dates = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["12/26/2019", "12-31-2019", "2020-03-18T15:28:45.493"]),
    st.sampled_from(["soon", ""]),
)
refs = st.one_of(names, st.fixed_dictionaries({"list_id": st.just("80000001-1590500864")}))
guids = st.one_of(st.uuids().map(str), st.integers(), texts, st.just(GUID))
addresses = st.fixed_dictionaries(
    {},
    optional={
        "address1": texts,
        "address2": texts,
        "city": texts,
        "state": texts,
        "zipcode": texts,
        "country": texts,
        "note": texts,
        "firstname": texts,
        "lastname": texts,
    },
)
ids = st.one_of(st.text(min_size=1, max_size=30), st.integers(min_value=0).map(str))


def lines(extra: dict[str, Any] | None = None) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(
        st.fixed_dictionaries(
            {"product_id": names},
            optional={
                "name": texts,
                "quantity": numbers,
                "price": numbers,
                "amount": numbers,
                "tax_code_id": st.sampled_from(["Tax", "Non", "Tax", "TAXX", ""]),
                "class_name": refs,
                "unit_of_measure": texts,
                **(extra or {}),
            },
        ),
        min_size=1,
        max_size=4,
    )


adjustments = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["Shipping", "Discount", "Tax", "shipping_discount", "Fee"]),
            "value": numbers,
        },
        optional={"description": texts},
    ),
    max_size=3,
)
transaction_params = st.fixed_dictionaries(
    {
        "quickbooks_shipping_item": st.just("Shipping"),
        "quickbooks_discount_item": st.just("Discount"),
        "quickbooks_tax_item": st.just("State Tax"),
        "quickbooks_shipping_discount_item": st.just("Ship Discount"),
        "quickbooks_income_account": st.just("Sales"),
        "quickbooks_cogs_account": st.just("Cost of Goods Sold"),
        "quickbooks_inventory_account": st.just("Inventory Asset"),
    },
    optional={
        "quickbooks_auto_create_products": flags,
        "quickbooks_use_customer_object": flags,
        "quickbooks_use_vendor_object": flags,
        "quickbooks_do_not_update_customer": flags,
        "quickbooks_do_not_update_vendor": flags,
        "quickbooks_use_tax_line_items": flags,
        "quickbooks_customer_email": st.sampled_from(["", "jo@example.com"]),
        "quickbooks_deposit_account": st.just("Checking"),
        "use_amount_for_tax": flags,
    },
)

sales_receipts = st.fixed_dictionaries(
    {
        "id": ids,
        "line_items": lines({"is_group": flags, "tax_list_id": st.just("8-1")}),
        "customer": st.one_of(
            st.fixed_dictionaries({"name": names}, optional={"email": texts}),
            st.fixed_dictionaries({"list_id": st.just("80000001-1")}),
        ),
    },
    optional={
        "customer_name": names,
        "placed_on": dates,
        "billing_address": addresses,
        "shipping_address": addresses,
        "check_number": texts,
        "payment_method_name": names,
        "due_date": dates,
        "sales_rep_name": st.sampled_from(["SS", "SS", "FlowLink Admin"]),
        "fob": texts,
        "memo": texts,
        "is_pending": flags,
        "is_to_be_printed": flags,
        "exchange_rate": numbers,
        "other": texts,
        "external_guid": guids,
        "adjustments": adjustments,
        "tax_line_items": st.lists(
            st.fixed_dictionaries({"name": texts, "value": numbers}), max_size=2
        ),
    },
)
returns = st.fixed_dictionaries(
    {
        "id": ids,
        "email": names,
        "items": st.lists(
            st.fixed_dictionaries(
                {"product_id": names},
                optional={"return_authorized": numbers, "price": numbers, "name": texts},
            ),
            min_size=1,
            max_size=3,
        ),
    },
    optional={
        "placed_on": dates,
        "billing_address": addresses,
        "refunds": st.lists(st.fixed_dictionaries({"payment_method": names}), max_size=2),
    },
)
purchase_orders = st.fixed_dictionaries(
    {
        "id": ids,
        "line_items": lines({"cost": numbers}),
        "supplier": st.one_of(
            st.fixed_dictionaries({"name": names}, optional={"email": texts, "phone": texts}),
            st.fixed_dictionaries({"list_id": st.just("80000001-1")}),
        ),
    },
    optional={
        "vendor_address": addresses,
        "shipping_address": addresses,
        "placed_on": dates,
        "due_date": dates,
        "expected_date": dates,
        "status": st.sampled_from(["cancelled", "open", "", None]),
        "class_name": refs,
        "terms_name": texts,
        "inventory_site_name": texts,
        "memo": texts,
        "external_guid": guids,
        "adjustments": adjustments,
    },
)
positive = st.one_of(
    st.integers(min_value=1, max_value=10**6),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2).map(str),
)
journal_line = st.fixed_dictionaries(
    {"account_name": names},
    optional={
        "description": texts,
        "customer": names,
        "class": refs,
        "item_sales_tax_name": names,
        "billable_status": st.sampled_from(["NotBillable", "billable", "HasBeenBilled", "Maybe"]),
    },
)
one_sided = st.tuples(journal_line, st.sampled_from(["debit", "credit"]), positive).map(
    lambda t: {**t[0], t[1]: t[2], ("credit" if t[1] == "debit" else "debit"): 0}
)


def balanced(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the line that makes debits equal credits (QuickBooks refuses anything else)."""
    total = sum(
        Decimal(str(line.get("debit") or 0)) - Decimal(str(line.get("credit") or 0))
        for line in lines
    )
    if total == 0:
        return lines
    side = "credit" if total > 0 else "debit"
    other = "debit" if side == "credit" else "credit"
    return [*lines, {"account_name": "Suspense", side: str(abs(total)), other: 0}]


journal_lines = st.one_of(
    st.lists(one_sided, min_size=1, max_size=4).map(balanced),
    st.lists(one_sided, min_size=1, max_size=4).map(balanced),
    st.lists(
        st.one_of(one_sided, st.fixed_dictionaries({"debit": numbers, "credit": numbers})),
        max_size=4,
    ),
)
journals = st.fixed_dictionaries(
    {"id": ids, "line_items": journal_lines},
    optional={
        "action": st.sampled_from(["ADD", "update", "DELETE", "", None, "ADD", "MERGE"]),
        "journal_date": dates,
        "is_adjustment": flags,
        "is_home_currency_adjustment": flags,
        "is_amounts_entered_in_home_currency": flags,
        "currency_name": texts,
        "exchange_rate": numbers,
        "external_guid": guids,
        "memo": texts,
    },
)
inventories = st.fixed_dictionaries(
    {"id": ids, "product_id": names, "quantity": numbers},
    optional={
        "site_name": texts,
        "placed_on": dates,
        "memo": texts,
    },
)
inventory_params = st.fixed_dictionaries(
    {},
    optional={
        "quickbooks_income_account": st.sampled_from(["Cost of Goods Sold", "Sales", "Sales", ""]),
        "site_name": texts,
        "quickbooks_auto_create_products": flags,
        "quickbooks_cogs_account": st.just("Cost of Goods Sold"),
        "quickbooks_inventory_account": st.just("Inventory Asset"),
    },
)
customers = st.fixed_dictionaries(
    {"name": names},
    optional={
        "company": texts,
        "firstname": texts,
        "lastname": texts,
        "email": texts,
        "phone": texts,
        "is_active": flags,
        "billing_address": addresses,
        "shipping_address": addresses,
        "terms": texts,
        "sales_rep_name": texts,
        "credit_limit": numbers,
        "open_balance": numbers,
        "open_balance_date": dates,
        "job_status": st.sampled_from(["Pending", "in progress", "Unknown"]),
        "external_guid": guids,
        "notes": texts,
        "class_name": refs,
    },
)
vendors = st.fixed_dictionaries(
    {"name": names},
    optional={
        "company": texts,
        "vendor_address": addresses,
        "ship_from_address": addresses,
        "name_on_check": texts,
        "vendor_tax_ident": texts,
        "is_vendor_eligible_for_1099": flags,
        "credit_limit": numbers,
        "reporting_period": st.sampled_from(["Monthly", "quarterly", "Yearly"]),
        "is_sales_tax_agency": flags,
        "external_guid": guids,
        "email": texts,
    },
)
item_params = st.sampled_from(
    [
        {},
        {
            "quickbooks_income_account": "Sales",
            "quickbooks_cogs_account": "Cost of Goods Sold",
            "quickbooks_inventory_account": "Inventory Asset",
            "quickbooks_account_name": "Discounts Given",
        },
    ]
)
items = st.fixed_dictionaries(
    {"product_id": names},
    optional={
        "description": texts,
        "price": numbers,
        "price_percent": numbers,
        "cost": numbers,
        "quantity": numbers,
        "total_value": numbers,
        "inventory_date": dates,
        "discount_rate": numbers,
        "discount_rate_percent": numbers,
        "tax_rate": numbers,
        "is_active": flags,
        "sales_or_purchase": flags,
        "sales_and_purchase": flags,
        "parent_name": texts,
        "class_name": refs,
        "barcode_value": texts,
        "external_guid": guids,
        "unit_of_measure": texts,
        "sales_tax_code_name": st.sampled_from(["Tax", "Non", "Taxable"]),
    },
)
