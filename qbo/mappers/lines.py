"""FlowLink line items and adjustments as QuickBooks Online lines (flowlink §6.2).

Which of Qty, UnitPrice and Amount a line carries follows the Desktop's rule (a value
without a quantity books that value), computed the way QBO checks it: Amount =
Qty × UnitPrice rounded half-up to cents, else Fault 6070.

Adjustments are modelled the way QBO models them, not as Desktop item lines:

* `discount` → a `DiscountLineDetail` line (QBO has no discount items; the form shows
  it as the document's discount, taken off the subtotal), on the account of
  `quickbooks_other_charge_discount_account` when set, else the company's default
  discount account. A "discount" that adds to the total (a negative value, which §6.2
  negates) cannot be a QBO discount and stays a line on the discount item.
* `tax` (and `tax_line_items[]` with `quickbooks_use_tax_line_items`) → their sum in
  `TxnTaxDetail.TotalTax` (QBO has no sales tax items; tax is the document's).
* `shipping`, `shipping_discount` → a `SalesItemLineDetail` line on the configured item
  with the value as Amount and no Qty (QBO's own shipping line needs a company
  preference qbsync cannot rely on).

Purchase orders have neither discount lines nor tax detail in QBO: every adjustment is
an item line there, as on the Desktop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from objects.types.base import ObjectView
from objects.types.sales import AdjustmentLine
from objects.types.values import PayloadError, is_blank, is_on
from qbo.mappers.amounts import line_amount, money, optional_number, round_cents, text
from qbo.mappers.base import Ref
from qbo.mappers.documents import item_ref

DESCRIPTION_MAX = 4000
# US companies take these two pseudo codes as TaxCodeRef values (no TaxCode record).
PSEUDO_TAX_CODES = ("TAX", "NON")
SALES_DETAIL = "SalesItemLineDetail"
PURCHASE_DETAIL = "ItemBasedExpenseLineDetail"


@dataclass(frozen=True)
class Priced:
    """What an item line books: Qty and UnitPrice when QBO is to multiply them."""

    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal


def first_value(line: Mapping[str, Any], *keys: str) -> tuple[Any, str]:
    for key in keys:
        if not is_blank(line.get(key)):
            return line[key], key
    return None, keys[-1]


def priced(line: Mapping[str, Any], rate_keys: tuple[str, ...], where: str) -> Priced:
    """Qty, UnitPrice and Amount of an item line (the Desktop's `line_value`, for QBO).

    * a value (`amount`) without a quantity (blank or 0) books that value, no Qty;
    * a quantity and a price book Qty × UnitPrice (a sent `amount` is ignored, as the
      Desktop's QuickBooks ignores it then);
    * a quantity and an amount without a price book the amount (QBO derives the price);
    * a price alone books one unit's price, no Qty;
    * neither price nor amount is refused: QBO does not fill in the item's price.
    """
    rate_raw, rate_key = first_value(line, *rate_keys)
    quantity = optional_number(line.get("quantity"), f"{where}.quantity")
    rate = optional_number(rate_raw, f"{where}.{rate_key}")
    amount = None if is_blank(line.get("amount")) else money(line["amount"], f"{where}.amount")
    if amount is not None and (quantity is None or quantity == 0):
        return Priced(None, None, amount)
    if quantity is not None and rate is not None:
        return Priced(quantity, rate, line_amount(quantity, rate))
    if quantity is not None and amount is not None:
        return Priced(quantity, None, amount)
    if rate is not None:
        return Priced(None, rate, round_cents(rate))
    raise PayloadError(
        f"{where}.{rate_keys[-1]}",
        "is required with a quantity (or send amount): QuickBooks Online does not fill in "
        "the item's own price",
    )


def tax_code_ref(value: Any, where: str) -> dict[str, str] | Ref:
    name = text(value, where, 100)
    if name.upper() in PSEUDO_TAX_CODES:
        return {"value": name.upper()}
    return Ref("TaxCode", name, "Name", where)


def item_line(
    view: ObjectView,
    line: Mapping[str, Any],
    index: int,
    detail_type: str = SALES_DETAIL,
    rate_keys: tuple[str, ...] = ("line_item_price", "price"),
) -> dict[str, Any]:
    """One `line_items[]` entry as a SalesItemLineDetail (or, on purchases,
    ItemBasedExpenseLineDetail) line."""
    where = f"line_items[{index}]"
    if not isinstance(line, Mapping):
        raise PayloadError(where, "must be an object")
    if is_blank(line.get("product_id")):
        raise PayloadError(f"{where}.product_id", "is required")
    if is_on(line.get("is_group")):
        raise PayloadError(
            f"{where}.is_group",
            "QuickBooks Online takes no group lines through its API; send the group's items",
        )
    value = priced(line, rate_keys, where)
    detail: dict[str, Any] = {
        "ItemRef": item_ref(view, str(line["product_id"]), f"{where}.product_id")
    }
    if value.quantity is not None:
        detail["Qty"] = value.quantity
    if value.unit_price is not None:
        detail["UnitPrice"] = value.unit_price
    tax_code = line.get("tax_code_id")
    if detail_type == SALES_DETAIL and not is_blank(tax_code):
        detail["TaxCodeRef"] = tax_code_ref(tax_code, f"{where}.tax_code_id")
    out: dict[str, Any] = {"DetailType": detail_type, "Amount": value.amount}
    description, key = first_value(line, "description", "name")
    if description is not None:
        out["Description"] = text(description, f"{where}.{key}", DESCRIPTION_MAX)
    out[detail_type] = detail
    return out


def adjustment_item_line(
    view: ObjectView, adjustment: AdjustmentLine, detail_type: str = SALES_DETAIL
) -> dict[str, Any]:
    """An adjustment booked on its item: the value as Amount, no Qty; the value as
    UnitPrice too unless the adjustment has its own `amount` or the flow sets
    use_amount_for_tax (the Desktop's Rate rule)."""
    entry, where = adjustment.entry, adjustment.where
    amount = money(adjustment.value, f"{where}.value")
    detail: dict[str, Any] = {"ItemRef": item_ref(view, adjustment.item, f"{where}.item")}
    use_amount = not is_blank(entry.get("amount")) or is_on(view.params.get("use_amount_for_tax"))
    if not use_amount:
        detail["UnitPrice"] = amount
    if detail_type == SALES_DETAIL and not is_blank(entry.get("tax_code_id")):
        detail["TaxCodeRef"] = tax_code_ref(entry["tax_code_id"], f"{where}.tax_code_id")
    out: dict[str, Any] = {"DetailType": detail_type, "Amount": amount}
    description, key = first_value(entry, "description", "name")
    if description is not None:
        out["Description"] = text(description, f"{where}.{key}", DESCRIPTION_MAX)
    out[detail_type] = detail
    return out


def discount_line(view: ObjectView, adjustment: AdjustmentLine) -> dict[str, Any]:
    entry, where = adjustment.entry, adjustment.where
    detail: dict[str, Any] = {"PercentBased": False}
    account = view.params.get(adjustment.account_parameter)
    if not is_blank(account):
        detail["DiscountAccountRef"] = Ref(
            "Account",
            text(account, f"parameters.{adjustment.account_parameter}", 100),
            "FullyQualifiedName",
            f"parameters.{adjustment.account_parameter}",
        )
    out: dict[str, Any] = {
        "DetailType": "DiscountLineDetail",
        # QBO's discount is positive and taken off; §6.2 made the value negative.
        "Amount": money(-adjustment.value, f"{where}.value"),
    }
    description, key = first_value(entry, "description", "name")
    if description is not None:
        out["Description"] = text(description, f"{where}.{key}", DESCRIPTION_MAX)
    out["DiscountLineDetail"] = detail
    return out


@dataclass
class Adjusted:
    lines: list[dict[str, Any]]
    total_tax: Decimal | None  # None: no tax adjustment at all


def adjustment_lines(
    view: ObjectView, adjustments: list[AdjustmentLine], *, is_sales: bool
) -> Adjusted:
    """The QBO lines and tax total of a document's adjustments (module docstring)."""
    lines: list[dict[str, Any]] = []
    total_tax: Decimal | None = None
    first_tax = ""
    for adjustment in adjustments:
        if not is_sales:
            lines.append(adjustment_item_line(view, adjustment, PURCHASE_DETAIL))
        elif adjustment.kind == "tax":
            value = money(adjustment.value, f"{adjustment.where}.value")
            total_tax = value if total_tax is None else total_tax + value
            first_tax = first_tax or adjustment.where
        elif adjustment.kind == "discount" and adjustment.value < 0:
            lines.append(discount_line(view, adjustment))
        else:
            lines.append(adjustment_item_line(view, adjustment))
    if total_tax is not None and total_tax < 0:
        raise PayloadError(
            first_tax, f"the tax adds up to {total_tax}; QuickBooks Online takes no negative tax"
        )
    return Adjusted(lines, total_tax)
