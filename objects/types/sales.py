"""Shared FlowLink rules of sales transactions (flowlink §5.1, §5.6, §6.2).

Where a transaction's customer, adjustment items and placeholder address come from is
FlowLink's, the same for every backend; objects.types.lines and objects.types.payments use
these, and qbwc.qbxml.mappers.sales re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from objects.types.base import ENSURE, REQUIRE, Dependency
from objects.types.values import PayloadError, is_blank, is_on

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


CANCELLED_STATUSES = ("cancelled", "canceled", "closed")


def is_cancelled(payload: Mapping[str, Any]) -> bool:
    return str(payload.get("status") or "").strip().lower() in CANCELLED_STATUSES
