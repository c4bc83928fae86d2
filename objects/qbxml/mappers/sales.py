"""Shared rules of FlowLink sales transactions (flowlink §5.1, §5.5, §5.6, §6.2; qbxml §18).

The order mapper and every mapper derived from it (invoices, credit memos, sales
receipts, shipments) and the payment mapper use these; objects.qbxml.mappers.orders
re-exports the names other modules have always imported from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from objects.qbxml import values
from objects.qbxml.mappers.base import (
    ENSURE,
    REQUIRE,
    Dependency,
)
from objects.qbxml.values import PayloadError, is_blank, is_on

REF_NUMBER_MAX = 11

# flowlink §5.1: the placeholder upstream put on transactions without an address.
PLACEHOLDER_ADDRESS: dict[str, str] = {
    "firstname": "Generic",
    "lastname": "Customer",
    "address1": "No Address",
    "address2": "No Address",
    "city": "No City",
    "state": "Pennsylvania",
    "zipcode": "12345",
    "country": "US",
    "phone": "555-555-1212",
}

# flowlink §6.2: adjustment kind (also the needle in its name) → (object field, parameter,
# sign). Checked in this order because "shipping_discount" also contains "discount" and
# "shipping".
ADJUSTMENT_ITEMS: tuple[tuple[str, str, str, int], ...] = (
    ("shipping_discount", "shipping_discount_item", "quickbooks_shipping_discount_item", 1),
    ("discount", "discount_item", "quickbooks_discount_item", -1),
    ("shipping", "shipping_item", "quickbooks_shipping_item", 1),
    ("tax", "tax_item", "quickbooks_tax_item", 1),
)


@dataclass(frozen=True)
class AdjustmentLine:
    """An adjustment or tax line of a transaction and the item it is booked on."""

    entry: Mapping[str, Any]  # the adjustments[] or tax_line_items[] entry
    item: str
    value: Any  # signed Decimal
    kind: str  # the ADJUSTMENT_ITEMS kind that chose the item
    chosen_by: str  # the object field or parameter that named the item
    where: str  # "adjustments[i]" or "tax_line_items[i]", for refusals

    @property
    def account_parameter(self) -> str:
        """The account that lets a missing item be created as an other-charge item (§7.2)."""
        # Discount and shipping discount items share the discount account.
        kind = "discount" if self.kind.endswith("discount") else self.kind
        return f"quickbooks_other_charge_{kind}_account"

    def not_found_hint(self) -> str:
        """How to fix a missing item (flowlink §7.2: name the parameter, offer auto-create)."""
        return f"set {self.chosen_by} or enable auto-create with {self.account_parameter}"


@dataclass(frozen=True)
class LineValue:
    """Which of Quantity, Rate and Amount an item line sends (flowlink §6.2).

    QuickBooks books Quantity × Rate when a line carries both, whatever else it says,
    so a line FlowLink gives a value (`amount`) but no quantity (blank or 0) sends that
    Amount and no Quantity: upstream's Quantity 0 was booked at 0.00.
    """

    quantity: bool
    rate: bool
    amount: bool


def line_value(line: Mapping[str, Any], rate: Any, where: str) -> LineValue:
    has_amount = not is_blank(line.get("amount"))
    quantity = line.get("quantity")
    no_quantity = is_blank(quantity) or values.to_decimal(quantity, f"{where}.quantity") == 0
    by_amount = has_amount and no_quantity
    return LineValue(
        quantity=not by_amount,
        rate=not has_amount or not is_blank(rate),
        amount=has_amount and (is_blank(rate) or by_amount),
    )


def derive_ref_number(identity: str, max_length: int = REF_NUMBER_MAX) -> str:
    """Upstream-compatible RefNumber: the last 11 characters of a longer id (flowlink §5.5)."""
    return identity[-max_length:]


def address_or_placeholder(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping) and any(not is_blank(v) for v in value.values()):
        return value
    return PLACEHOLDER_ADDRESS


def customer_name(payload: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[str, Any]:
    """The CustomerRef value and the field it came from."""
    email = params.get("quickbooks_customer_email")
    if not is_blank(email):
        return "parameters.quickbooks_customer_email", email
    customer = payload.get("customer")
    if isinstance(customer, Mapping):
        if not is_blank(customer.get("list_id")):
            return "customer.list_id", {"list_id": customer["list_id"]}
        if not is_blank(customer.get("name")):
            return "customer.name", customer["name"]
    elif not is_blank(customer):
        return "customer", customer
    if not is_blank(payload.get("customer_name")):
        return "customer_name", payload["customer_name"]
    raise PayloadError("customer.name", "is required (the QuickBooks customer of the transaction)")


def customer_dependency(
    payload: Mapping[str, Any],
    params: Mapping[str, Any],
    name: str,
    field: str,
    use_object: bool = True,
) -> Dependency:
    """The customer a sales transaction needs (flowlink §5.6): built, as-is, or only required."""
    if (
        field == "parameters.quickbooks_customer_email"
        or is_on(params.get("quickbooks_do_not_update_customer"))
        or is_on(payload.get("quickbooks_do_not_update_customer"))
    ):
        return Dependency("customers", {"name": name}, REQUIRE)
    customer = payload.get("customer")
    if (
        use_object
        and is_on(params.get("quickbooks_use_customer_object"))
        and isinstance(customer, Mapping)
    ):
        return Dependency("customers", dict(customer), ENSURE)
    billing = address_or_placeholder(payload.get("billing_address"))
    shipping = address_or_placeholder(payload.get("shipping_address"))
    built: dict[str, Any] = {
        "name": name,
        "firstname": billing.get("firstname"),
        "lastname": billing.get("lastname"),
        "company": billing.get("company"),
        "phone": billing.get("phone"),
        "email": payload.get("email"),
        "billing_address": dict(billing),
        "shipping_address": dict(shipping),
    }
    return Dependency("customers", {k: v for k, v in built.items() if not is_blank(v)}, ENSURE)


# The optional header elements of sales transactions, in the schema order they share
# (SalesOrderAdd, InvoiceAdd, CreditMemoAdd; qbxml.md §18): tag, kind, FlowLink fields
# (first present wins; both upstream spellings are accepted), max length.
HEADER_FIELDS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("ClassRef", "ref", ("class_name",), 159),
    ("ARAccountRef", "ref", ("ar_account", "ar_account_name"), 159),
    ("TemplateRef", "ref", ("template", "template_name"), 31),
    ("TxnDate", "date", ("placed_on",), 0),
    ("RefNumber", "ref_number", (), 0),
    ("BillAddress", "address", ("billing_address",), 0),
    ("ShipAddress", "address", ("shipping_address",), 0),
    ("IsPending", "bool", ("is_pending",), 0),
    ("PONumber", "text", ("purchase_order_number", "po_number"), 25),
    ("TermsRef", "ref", ("terms_name", "terms"), 31),
    ("DueDate", "date", ("due_date",), 0),
    ("SalesRepRef", "ref", ("sales_rep", "sales_rep_name"), 5),
    ("FOB", "text", ("fob",), 13),
    ("ShipDate", "date", ("ship_date",), 0),
    ("ShipMethodRef", "ref", ("shipping_method", "ship_method_name", "shipping_method_name"), 15),
    ("ItemSalesTaxRef", "ref", ("item_sales_tax_name",), 31),
    ("IsManuallyClosed", "closed", ("status",), 0),
    ("Memo", "text", ("memo",), 4095),
    ("CustomerMsgRef", "ref", ("customer_msg_name", "customer_message_name"), 101),
    ("IsToBePrinted", "bool", ("is_to_be_printed",), 0),
    ("IsToBeEmailed", "bool", ("is_to_be_emailed",), 0),
    ("IsTaxIncluded", "bool", ("is_tax_included",), 0),
    ("CustomerSalesTaxCodeRef", "ref", ("customer_sales_tax_code_name",), 3),
    ("Other", "text", ("other",), 29),
    ("ExchangeRate", "float", ("exchange_rate",), 0),
)
CANCELLED_STATUSES = ("cancelled", "canceled", "closed")


def is_cancelled(payload: Mapping[str, Any]) -> bool:
    return str(payload.get("status") or "").strip().lower() in CANCELLED_STATUSES
