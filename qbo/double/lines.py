"""Transaction lines and totals, computed the way QBO does: Amount = Qty x UnitPrice rounded
half-up to cents (6070 otherwise), a SubTotal line appended, discounts, tax, balanced journals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qbo.double import faults
from qbo.double.faults import ErrorItem

CENT = Decimal("0.01")
ZERO = Decimal("0")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any) -> Decimal | None:
    """A JSON number (or numeric string, as some SDKs send) as Decimal; None when absent."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class LineErrors:
    """Collects every line error so one answer lists them all, like QBO's `Error[]`."""

    def __init__(self) -> None:
        self.errors: list[ErrorItem] = []

    def add(self, error: ErrorItem) -> None:
        self.errors.append(error)


def priced_amount(line: dict[str, Any], detail: dict[str, Any], errors: LineErrors) -> Decimal:
    """Check or fill Amount from Qty and UnitPrice; fill UnitPrice from Amount / Qty."""
    qty, price, amount = (
        number(detail.get("Qty")),
        number(detail.get("UnitPrice")),
        number(line.get("Amount")),
    )
    if amount is None:
        if qty is None or price is None:
            errors.add(faults.required("Line.Amount"))
            return ZERO
        amount = round2(qty * price)
    elif qty is not None and price is not None:
        if round2(qty * price) != round2(amount):
            errors.add(faults.amount_mismatch("Line.Amount", line.get("Amount")))
    elif qty not in (None, ZERO) and price is None:
        assert qty is not None
        detail["UnitPrice"] = (amount / qty).quantize(Decimal("0.00001")).normalize()
    line["Amount"] = round2(amount)
    return round2(amount)


def number_lines(lines: list[dict[str, Any]]) -> None:
    for index, line in enumerate(lines, start=1):
        line["Id"] = str(index)
        line["LineNum"] = index


def sales_lines(record: dict[str, Any], item_type: Any, errors: LineErrors) -> Decimal:
    """Compute a sales document's lines and return TotalAmt; `item_type(id)` gives Item.Type."""
    lines = [
        line
        for line in record.get("Line") or []
        if isinstance(line, dict) and line.get("DetailType") != "SubTotalLineDetail"
    ]
    subtotal, discounts = ZERO, []
    for line in lines:
        kind = line.get("DetailType")
        if kind == "SalesItemLineDetail":
            detail = line.setdefault("SalesItemLineDetail", {})
            ref = detail.get("ItemRef")
            if not isinstance(ref, dict) or not ref.get("value"):
                errors.add(faults.required("Line.SalesItemLineDetail.ItemRef"))
            else:
                kind_of_item = item_type(str(ref["value"]))
                if kind_of_item == "Inventory" and detail.get("Qty") is None:
                    errors.add(faults.missing_quantity("Line.SalesItemLineDetail.Qty"))
                if kind_of_item == "Category":
                    errors.add(faults.business("A category cannot be sold.", "ItemRef"))
            subtotal += priced_amount(line, detail, errors)
        elif kind == "DiscountLineDetail":
            discounts.append(line)
        elif kind == "DescriptionOnly":
            line.setdefault("DescriptionLineDetail", {})
            line.pop("Amount", None)
        else:
            errors.add(faults.invalid_value("Line.DetailType", f"Unsupported DetailType {kind}"))
    discount_total = ZERO
    for line in discounts:
        detail = line.setdefault("DiscountLineDetail", {})
        percent = number(detail.get("DiscountPercent"))
        if detail.get("PercentBased") and percent is not None:
            line["Amount"] = round2(subtotal * percent / 100)
        elif number(line.get("Amount")) is None:
            errors.add(faults.required("Line.Amount"))
            continue
        line["Amount"] = round2(number(line["Amount"]) or ZERO)
        discount_total += line["Amount"]
    number_lines(lines)
    lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    record["Line"] = lines
    tax_detail = record.get("TxnTaxDetail")
    tax = number(tax_detail.get("TotalTax")) if isinstance(tax_detail, dict) else None
    if isinstance(tax_detail, dict):
        tax_detail["TotalTax"] = round2(tax or ZERO)
    return subtotal - discount_total + round2(tax or ZERO)


def purchase_lines(record: dict[str, Any], errors: LineErrors) -> Decimal:
    total = ZERO
    lines = [line for line in record.get("Line") or [] if isinstance(line, dict)]
    for line in lines:
        kind = line.get("DetailType")
        if kind == "ItemBasedExpenseLineDetail":
            detail = line.setdefault(kind, {})
            if not isinstance(detail.get("ItemRef"), dict):
                errors.add(faults.required("Line.ItemBasedExpenseLineDetail.ItemRef"))
            total += priced_amount(line, detail, errors)
        elif kind == "AccountBasedExpenseLineDetail":
            detail = line.setdefault(kind, {})
            if not isinstance(detail.get("AccountRef"), dict):
                errors.add(faults.required("Line.AccountBasedExpenseLineDetail.AccountRef"))
            amount = number(line.get("Amount"))
            if amount is None:
                errors.add(faults.required("Line.Amount"))
            line["Amount"] = round2(amount or ZERO)
            total += line["Amount"]
        else:
            errors.add(faults.invalid_value("Line.DetailType", f"Unsupported DetailType {kind}"))
    number_lines(lines)
    record["Line"] = lines
    return total


def journal_lines(record: dict[str, Any], errors: LineErrors) -> Decimal:
    debits, credits = ZERO, ZERO
    lines = [line for line in record.get("Line") or [] if isinstance(line, dict)]
    for line in lines:
        detail = line.get("JournalEntryLineDetail")
        amount = number(line.get("Amount"))
        if line.get("DetailType") != "JournalEntryLineDetail" or not isinstance(detail, dict):
            errors.add(faults.required("Line.JournalEntryLineDetail"))
            continue
        if not isinstance(detail.get("AccountRef"), dict):
            errors.add(faults.required("Line.JournalEntryLineDetail.AccountRef"))
        if amount is None or amount < 0:
            errors.add(faults.required("Line.Amount"))
            continue
        line["Amount"] = round2(amount)
        if detail.get("PostingType") == "Debit":
            debits += line["Amount"]
        elif detail.get("PostingType") == "Credit":
            credits += line["Amount"]
        else:
            errors.add(faults.required("Line.JournalEntryLineDetail.PostingType"))
    if not errors.errors and debits != credits:
        errors.add(
            faults.business(f"Transaction is not balanced: debits {debits}, credits {credits}.")
        )
    number_lines(lines)
    record["Line"] = lines
    return debits


def line_refs(record: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(element, entity, reference) for every reference inside the lines."""
    found: list[tuple[str, str, Any]] = []
    for line in record.get("Line") or []:
        if not isinstance(line, dict):
            continue
        for key, value in line.items():
            if not key.endswith("Detail") or not isinstance(value, dict):
                continue
            for ref_key, entity in (
                ("ItemRef", "Item"),
                ("AccountRef", "Account"),
                ("TaxCodeRef", "TaxCode"),
                ("CustomerRef", "Customer"),
            ):
                if ref_key in value:
                    found.append((f"Line.{key}.{ref_key}", entity, value[ref_key]))
    return found
