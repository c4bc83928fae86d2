"""Format FlowLink values as qbXML simple types (qbxml.md §4)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_GUID = re.compile(
    r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$"
)
_TRUE = {"1", "true"}


class PayloadError(ValueError):
    """A FlowLink payload that cannot become valid qbXML; names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def is_on(value: Any) -> bool:
    """Tell whether a FlowLink flag is set: 1, "1", true and "true" are on."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def to_decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise PayloadError(field, f"{value!r} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise PayloadError(field, f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise PayloadError(field, f"{value!r} is not a number")
    return number


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


def kind_of(value: Any) -> str:
    """A JSON value's kind, for refusals: "a list", "a boolean (true)"."""
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def identity_text(value: Any, field: str) -> str:
    """An id or name FlowLink identifies an object by: text, or a number as its decimal
    text (7 and 7.0 are "7"); never a list, object or boolean, never only spaces."""
    if is_blank(value):
        raise PayloadError(field, "is required")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(field, f"must be a string, not {kind_of(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    identity = str(value)
    if not identity.strip():
        raise PayloadError(field, "is required (it is only spaces)")
    return identity


def text(value: Any, field: str, max_length: int | None = None) -> str:
    """STRTYPE: control characters stripped, Latin-1 only, length checked (never cut).

    Numbers become their decimal text; a list, object or boolean is refused rather than
    sent as Python's repr ("['x']", "True").
    """
    if isinstance(value, bool | list | dict):
        raise PayloadError(field, f"must be a string, not {kind_of(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cleaned = latin1(_CONTROL.sub("", str(value)))
    if max_length is not None and len(cleaned) > max_length:
        raise PayloadError(
            field, f"{cleaned!r} is {len(cleaned)} characters; QuickBooks allows {max_length}"
        )
    return cleaned


def guid(value: Any) -> str | None:
    """GUIDTYPE from a FlowLink value: braces added to a bare UUID; None when unusable."""
    if is_blank(value):
        return None
    match = _GUID.match(str(value).strip())
    if match is None:
        return None
    return "{" + match.group(1).upper() + "}"
