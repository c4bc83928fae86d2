"""Format FlowLink values as qbXML simple types (qbxml.md §4)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# FlowLink's reading of values is backend-neutral (objects.types.values); re-exported here
# for the modules that have always imported it from this one.
from objects.types.values import (
    PayloadError,
    guid,
    identity_text,
    is_blank,
    is_on,
    kind_of,
    to_decimal,
)

__all__ = [
    "PayloadError",
    "amount",
    "boolean",
    "guid",
    "identity_text",
    "is_blank",
    "is_on",
    "kind_of",
    "latin1",
    "percent",
    "price",
    "qb_date",
    "qb_datetime",
    "quantity",
    "text",
    "to_decimal",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _quantize(number: Decimal, step: Decimal, value: Any, field: str) -> Decimal:
    # Decimal refuses to quantize numbers past its precision (about 1e23 and up).
    if abs(number) >= Decimal("1e15"):
        raise PayloadError(field, f"{value!r} is too large for QuickBooks")
    return number.quantize(step, rounding=ROUND_HALF_UP)


def amount(value: Any, field: str = "amount") -> str:
    """AMTTYPE: exactly two decimals, no separators (13 integer digits at most)."""
    number = _quantize(to_decimal(value, field), Decimal("0.01"), value, field)
    text = f"{number:.2f}"
    if len(text.lstrip("-").split(".")[0]) > 13:
        raise PayloadError(field, f"{value!r} is too large for QuickBooks")
    return text


def price(value: Any, field: str = "price") -> str:
    """PRICETYPE / QUANTYPE / PERCENTTYPE: up to five decimals, ten integer digits."""
    number = _quantize(to_decimal(value, field), Decimal("0.00001"), value, field)
    text = f"{number:.5f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    if len(text.lstrip("-").split(".")[0]) > 10:
        raise PayloadError(field, f"{value!r} is too large for QuickBooks")
    return text


quantity = price
percent = price


def boolean(value: Any) -> str:
    return "true" if is_on(value) else "false"


_DATE_FORMATS = ("%m-%d-%Y", "%m/%d/%Y", "%Y/%m/%d")


def qb_date(value: Any, field: str = "date") -> str:
    """DATETYPE (YYYY-MM-DD) from an ISO date/datetime or a US-style date."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    raise PayloadError(field, f"{value!r} is not a date")


def qb_datetime(value: datetime) -> str:
    """DATETIMETYPE: whole seconds with an explicit offset, never 'Z'."""
    if value.tzinfo is None:
        raise ValueError("qbXML datetimes need an offset")
    return value.replace(microsecond=0).isoformat()


def latin1(text: str) -> str:
    """Keep what QuickBooks can store (ISO-8859-1); transliterate the rest."""
    if text.isascii():
        return text  # nearly every value: skip the per-character walk
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        kept = "".join(c for c in decomposed if ord(c) < 256 and not unicodedata.combining(c))
        out.append(kept or "?")
    return "".join(out)


def text(value: Any, field: str, max_length: int | None = None) -> str:
    """STRTYPE: control characters stripped, Latin-1 only, length checked (never cut).

    Numbers become their decimal text; a list, object or boolean is refused rather than
    sent as Python's repr ("['x']", "True").
    """
    if isinstance(value, (bool, list, dict)):  # a tuple: hot, see objects.types.values.is_blank
        raise PayloadError(field, f"must be a string, not {kind_of(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cleaned = latin1(_CONTROL.sub("", str(value)))
    if max_length is not None and len(cleaned) > max_length:
        raise PayloadError(
            field, f"{cleaned!r} is {len(cleaned)} characters; QuickBooks allows {max_length}"
        )
    return cleaned
