"""FlowLink values as QuickBooks Online transaction fields: money, quantities, dates, text.

QBO takes numbers as JSON numbers; the mappers keep them as `Decimal` so a body says
exactly what was computed (the client encodes them). Amounts are rounded half-up to
cents, the way QBO checks `Amount = Qty × UnitPrice` (6070 otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from objects.types.values import PayloadError, is_blank, kind_of, to_decimal

CENT = Decimal("0.01")
# QBO keeps unit prices and quantities to 5 decimals on its forms; more would be cut there.
FINE = Decimal("0.00001")
# Past this QBO answers a generic validation fault; say which field it was instead.
LARGEST = Decimal("1e13")

# QBO PhysicalAddress fields and their lengths (Intuit's API reference), by FlowLink key.
ADDRESS_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("address1", "Line1", 500),
    ("address2", "Line2", 500),
    ("address3", "Line3", 500),
    ("address4", "Line4", 500),
    ("address5", "Line5", 500),
    ("city", "City", 255),
    ("state", "CountrySubDivisionCode", 255),
    ("zipcode", "PostalCode", 30),
    ("country", "Country", 255),
)
_DATE_FORMATS = ("%m-%d-%Y", "%m/%d/%Y", "%Y/%m/%d")


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _bounded(value: Any, where: str) -> Decimal:
    number = to_decimal(value, where)
    if abs(number) >= LARGEST:
        raise PayloadError(where, f"{value!r} is too large for QuickBooks")
    return number


def money(value: Any, where: str) -> Decimal:
    """An amount in cents, rounded half-up."""
    return round_cents(_bounded(value, where))


def fine(value: Any, where: str) -> Decimal:
    """A unit price or quantity: up to five decimals, rounded half-up."""
    return _bounded(value, where).quantize(FINE, rounding=ROUND_HALF_UP)


def optional_number(value: Any, where: str) -> Decimal | None:
    return None if is_blank(value) else fine(value, where)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """What QBO books for a priced line: Qty × UnitPrice rounded half-up to cents."""
    return round_cents(quantity * unit_price)


def txn_date(value: Any, where: str) -> str:
    """A QBO date (YYYY-MM-DD) from an ISO date/datetime or a US-style date."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text_value = str(value).strip()
    try:
        return datetime.fromisoformat(text_value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text_value[:10], fmt).date().isoformat()
        except ValueError:
            continue
    raise PayloadError(where, f"{value!r} is not a date")


def text(value: Any, where: str, max_length: int) -> str:
    """A string field: numbers as their decimal text, never a list, object or boolean;
    too long is refused (QBO answers 2050), never cut."""
    if isinstance(value, bool | list | dict):
        raise PayloadError(where, f"must be a string, not {kind_of(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value)
    if len(out) > max_length:
        raise PayloadError(
            where, f"{out!r} is {len(out)} characters; QuickBooks Online allows {max_length}"
        )
    return out


def put_text(body: dict[str, Any], key: str, value: Any, where: str, max_length: int) -> None:
    if not is_blank(value):
        body[key] = text(value, where, max_length)


def put_date(body: dict[str, Any], key: str, value: Any, where: str) -> None:
    if not is_blank(value):
        body[key] = txn_date(value, where)


def address(value: Any, where: str) -> dict[str, str] | None:
    """A QBO PhysicalAddress, or None when FlowLink sent none (QBO keeps the customer's)."""
    if is_blank(value):
        return None
    if not isinstance(value, Mapping):
        raise PayloadError(where, f"must be an object (address1, city, …), not {kind_of(value)}")
    out = {
        key: text(value[flowlink], f"{where}.{flowlink}", max_length)
        for flowlink, key, max_length in ADDRESS_FIELDS
        if not is_blank(value.get(flowlink))
    }
    return out or None
