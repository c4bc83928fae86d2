"""FlowLink values written as QuickBooks Online JSON: text within QBO's lengths, numbers,
flags, addresses and references by name (the `Ref` placeholders of qbo.mappers.base).

Every refusal is a PayloadError naming the FlowLink field (or flow parameter) the value
came from, so intake answers 400 with the field FlowLink has to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from objects.types.base import ObjectView, param_source
from objects.types.values import PayloadError, is_blank, is_on, kind_of, to_decimal
from qbo.mappers.base import Ref

# QuickBooks Online's lengths (Intuit's API reference; the double checks the name ones the
# same: qbo/double/entities.py NAME_LENGTHS and the Item lengths).
GIVEN_NAME_MAX = 100
MIDDLE_NAME_MAX = 100
FAMILY_NAME_MAX = 100
COMPANY_NAME_MAX = 100
TITLE_MAX = 16
PRINT_ON_CHECK_NAME_MAX = 110
ADDRESS_LINE_MAX = 500
CITY_MAX = 255
COUNTRY_SUB_DIVISION_MAX = 255
POSTAL_CODE_MAX = 30
COUNTRY_MAX = 255
EMAIL_MAX = 100
PHONE_MAX = 30
NOTES_MAX = 2000
ACCOUNT_NUMBER_MAX = 100
TAX_IDENTIFIER_MAX = 20
SKU_MAX = 100
DESCRIPTION_MAX = 4000
PURCHASE_DESCRIPTION_MAX = 1000
# QBO sets no length on a reference's path (FullyQualifiedName); this only bounds the
# text a look-up query carries.
REF_NAME_MAX = 1000
# A QBO Id is a decimal counter; anything else FlowLink sends is some other system's id.
ID_MAX = 20

# FlowLink address keys (flowlink §6.1) -> PhysicalAddress properties and their lengths.
ADDRESS_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("address1", "Line1", ADDRESS_LINE_MAX),
    ("address2", "Line2", ADDRESS_LINE_MAX),
    ("address3", "Line3", ADDRESS_LINE_MAX),
    ("address4", "Line4", ADDRESS_LINE_MAX),
    ("address5", "Line5", ADDRESS_LINE_MAX),
    ("city", "City", CITY_MAX),
    ("state", "CountrySubDivisionCode", COUNTRY_SUB_DIVISION_MAX),
    ("zipcode", "PostalCode", POSTAL_CODE_MAX),
    ("country", "Country", COUNTRY_MAX),
)


def is_qbo_id(value: Any) -> bool:
    text_ = str(value)
    return text_.isascii() and text_.isdigit() and len(text_) <= ID_MAX


def text(value: Any, field: str, max_length: int) -> str:
    """A scalar as QBO text; a list, object or boolean, or text over `max_length`, is refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PayloadError(field, f"must be text, not {kind_of(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value)
    if len(result) > max_length:
        raise PayloadError(
            field, f"is {len(result)} characters; QuickBooks Online allows {max_length}"
        )
    return result


def put_text(body: dict[str, Any], key: str, value: Any, field: str, max_length: int) -> None:
    if not is_blank(value):
        body[key] = text(value, field, max_length)


def number(value: Any, field: str) -> int | float:
    """A JSON number: an integer when the value is whole (QBO echoes 10, not 10.0)."""
    amount = to_decimal(value, field)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def put_number(body: dict[str, Any], key: str, value: Any, field: str) -> None:
    if not is_blank(value):
        body[key] = number(value, field)


def put_flag(body: dict[str, Any], key: str, value: Any) -> None:
    if not is_blank(value):
        body[key] = is_on(value)


def put_wrapped(
    body: dict[str, Any], key: str, inner: str, value: Any, field: str, max_length: int
) -> None:
    """PrimaryEmailAddr {"Address"}, PrimaryPhone {"FreeFormNumber"} and the like."""
    if not is_blank(value):
        body[key] = {inner: text(value, field, max_length)}


def address(value: Any, field: str) -> dict[str, str] | None:
    """A FlowLink address object as a PhysicalAddress (None when nothing is in it)."""
    if is_blank(value):
        return None
    if not isinstance(value, Mapping):
        raise PayloadError(field, f"must be an address object, not {kind_of(value)}")
    result: dict[str, str] = {}
    for key, prop, max_length in ADDRESS_FIELDS:
        put_text(result, prop, value.get(key), f"{field}.{key}", max_length)
    return result or None


def put_address(body: dict[str, Any], key: str, value: Any, field: str) -> None:
    built = address(value, field)
    if built is not None:
        body[key] = built


def name_ref(entity: str, value: Any, field: str, by: str) -> Ref | dict[str, str]:
    """A reference FlowLink gave by name (text) or as an object (flowlink §6.1).

    An object's `qbo_id`/`list_id` is used as the Id when it can be a QBO Id; otherwise its
    `full_name` or `name` is looked up like text.
    """
    if isinstance(value, Mapping):
        for key in ("qbo_id", "list_id"):
            if not is_blank(value.get(key)) and is_qbo_id(value[key]):
                return {"value": str(value[key])}
        for key in ("full_name", "name"):
            if not is_blank(value.get(key)):
                return Ref(
                    entity, text(value[key], f"{field}.{key}", REF_NAME_MAX), by, where=field
                )
        raise PayloadError(field, "needs a name (or the QuickBooks Online Id as qbo_id)")
    return Ref(entity, text(value, field, REF_NAME_MAX), by, where=field)


def account_ref(view: ObjectView, key: str, default: str | None) -> Ref | dict[str, str] | None:
    """An account from the ref fallback chain of flowlink §6.1 (object, parameter,
    quickbooks_ parameter), else `default` (an account of QBO's starter chart)."""
    value, path = param_source(view, key)
    if value is None:
        if default is None:
            return None
        return Ref("Account", default, "FullyQualifiedName", where=f"parameters.quickbooks_{key}")
    return name_ref("Account", value, path, "FullyQualifiedName")
