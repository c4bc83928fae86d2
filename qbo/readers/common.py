"""Helpers that read QBO JSON values the way the Desktop readers write qbXML ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeAlias

Record: TypeAlias = dict[str, Any]

ADDRESS_FIELDS = (
    ("Line1", "address1"),
    ("Line2", "address2"),
    ("Line3", "address3"),
    ("Line4", "address4"),
    ("Line5", "address5"),
    ("City", "city"),
    ("CountrySubDivisionCode", "state"),
    ("Country", "country"),
    ("PostalCode", "zip_code"),
    ("Note", "note"),
)


def value(record: Record | None, path: str) -> Any:
    """The value at a dotted path (`MetaData.CreateTime`), or None."""
    found: Any = record
    for part in path.split("."):
        if not isinstance(found, dict):
            return None
        found = found.get(part)
    return found


def string(record: Record | None, path: str) -> str | None:
    """A scalar as the string QuickBooks sent (Decimal money keeps its digits)."""
    found = value(record, path)
    if found is None or isinstance(found, dict | list):
        return None
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, Decimal):
        return format(found, "f")
    return str(found)


def _decimal(record: Record | None, path: str) -> Decimal | None:
    found = value(record, path)
    if found is None or isinstance(found, bool | dict | list):
        return None
    try:
        number = Decimal(str(found))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def money(record: Record | None, path: str) -> str | None:
    """An amount with at least two decimals ("150.00"), as Desktop writes amounts; QBO's
    JSON drops trailing zeros (150.0)."""
    number = _decimal(record, path)
    if number is None:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        number = number.quantize(Decimal("0.01"))
    return format(number, "f")


def quantity(record: Record | None, path: str) -> str | None:
    """A quantity without trailing zeros ("25", "2.5"), as Desktop writes quantities."""
    number = _decimal(record, path)
    if number is None:
        return None
    if number == number.to_integral_value():
        return format(number.quantize(Decimal(1)), "f")
    return format(number.normalize(), "f")


def flag(record: Record | None, path: str) -> bool | None:
    found = value(record, path)
    return found if isinstance(found, bool) else None


def integer(record: Record | None, path: str) -> int | None:
    found = value(record, path)
    if isinstance(found, bool) or found is None:
        return None
    try:
        return int(found)
    except (TypeError, ValueError):
        return None


def blank(record: Record | None, path: str) -> str:
    """Upstream stringified missing dates to "" (flowlink §9): keep that."""
    return string(record, path) or ""


def ref_name(record: Record | None, key: str) -> str | None:
    return string(record, f"{key}.name")


def ref_id(record: Record | None, key: str) -> str | None:
    return string(record, f"{key}.value")


def address(node: Any) -> Record:
    """Address sub-object with only the keys QuickBooks returned (may be {})."""
    out: Record = {}
    if not isinstance(node, dict):
        return out
    for source, key in ADDRESS_FIELDS:
        found = string(node, source)
        if found is not None:
            out[key] = found
    return out


def linked_txns(record: Record) -> list[Record]:
    """LinkedTxn: QBO names only the type and Id of the other transaction."""
    out = []
    for link in record.get("LinkedTxn") or []:
        out.append(
            {
                "qbe_transaction_id": string(link, "TxnId"),
                "qbe_reference_number": None,
                "transaction_type": string(link, "TxnType"),
                "transaction_date": None,
                "link_type": None,
                "amount": None,
                "line_item_amount": None,
            }
        )
    return out


def stamps(record: Record) -> Record:
    return {
        "created_at": string(record, "MetaData.CreateTime"),
        "modified_at": string(record, "MetaData.LastUpdatedTime"),
    }
