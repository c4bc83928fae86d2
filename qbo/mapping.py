"""Field mappings on QuickBooks Online: rules set into the JSON body a mapper built.

The rules' values come from objects.mapping; this module says which properties of each
entity a rule may set (QBO publishes no schema to read at runtime, so the writable header
fields are declared here from Intuit's API reference) and is the one place that sets them
into a create or sparse-update body. The push pass, intake's validation and the admin's
preview all build bodies through `create_body` / `update_body`, so a preview is what is
sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connections.models import Connection
from objects.mapping import resolve
from objects.types.base import ObjectView
from objects.types.values import PayloadError
from qbo.client import QboClient, encode_json
from qbo.mappers import MAPPERS
from qbo.mappers.base import QboMapper
from qbo.models import QboConnection
from qbo.references import References

STRING = "string"
DATE = "date"
NUMBER = "number"

_ADDRESS = ("Line1", "Line2", "Line3", "City", "CountrySubDivisionCode", "PostalCode", "Country")


def _address(prefix: str) -> dict[str, tuple[str, int]]:
    return {
        f"{prefix}.{part}": (STRING, 500 if part.startswith("Line") else 255) for part in _ADDRESS
    }


_SALES: dict[str, tuple[str, int]] = {
    "PrivateNote": (STRING, 4000),
    "CustomerMemo.value": (STRING, 1000),
    "DocNumber": (STRING, 21),
    "TxnDate": (DATE, 0),
    "ShipDate": (DATE, 0),
    "ShipMethodRef.value": (STRING, 100),
    "ShipMethodRef.name": (STRING, 100),
    "TrackingNum": (STRING, 31),
    "BillEmail.Address": (STRING, 100),
    "ClassRef.value": (STRING, 100),
    "DepartmentRef.value": (STRING, 100),
    "TxnTaxDetail.TxnTaxCodeRef.value": (STRING, 100),
    "ExchangeRate": (NUMBER, 0),
    **_address("BillAddr"),
    **_address("ShipAddr"),
}
_PARTY: dict[str, tuple[str, int]] = {
    "CompanyName": (STRING, 100),
    "GivenName": (STRING, 100),
    "MiddleName": (STRING, 100),
    "FamilyName": (STRING, 100),
    "Title": (STRING, 16),
    "Suffix": (STRING, 16),
    "PrintOnCheckName": (STRING, 110),
    "PrimaryEmailAddr.Address": (STRING, 100),
    "PrimaryPhone.FreeFormNumber": (STRING, 30),
    "Mobile.FreeFormNumber": (STRING, 30),
    "Fax.FreeFormNumber": (STRING, 30),
    "WebAddr.URI": (STRING, 1000),
    **_address("BillAddr"),
}

# entity -> property path -> (kind, maximum length; 0 = none): what a rule may set.
WRITABLE: dict[str, dict[str, tuple[str, int]]] = {
    "Invoice": {**_SALES, "DueDate": (DATE, 0), "SalesTermRef.value": (STRING, 100)},
    "SalesReceipt": {
        **_SALES,
        "PaymentMethodRef.value": (STRING, 100),
        "PaymentRefNum": (STRING, 21),
        "DepositToAccountRef.value": (STRING, 100),
    },
    "CreditMemo": dict(_SALES),
    "RefundReceipt": {
        **_SALES,
        "PaymentMethodRef.value": (STRING, 100),
        "PaymentRefNum": (STRING, 21),
        "DepositToAccountRef.value": (STRING, 100),
    },
    "Estimate": {**_SALES, "ExpirationDate": (DATE, 0)},
    "Customer": {
        **_PARTY,
        **_address("ShipAddr"),
        "Notes": (STRING, 2000),
        "ResaleNum": (STRING, 16),
        "SalesTermRef.value": (STRING, 100),
        "PaymentMethodRef.value": (STRING, 100),
    },
    "Vendor": {
        **_PARTY,
        "AcctNum": (STRING, 100),
        "TaxIdentifier": (STRING, 20),
        "TermRef.value": (STRING, 100),
    },
    "Item": {
        "Description": (STRING, 4000),
        "PurchaseDesc": (STRING, 1000),
        "Sku": (STRING, 100),
        "UnitPrice": (NUMBER, 0),
        "PurchaseCost": (NUMBER, 0),
    },
    "Payment": {
        "PrivateNote": (STRING, 4000),
        "PaymentRefNum": (STRING, 21),
        "TxnDate": (DATE, 0),
        "PaymentMethodRef.value": (STRING, 100),
        "DepositToAccountRef.value": (STRING, 100),
    },
    "PurchaseOrder": {
        "PrivateNote": (STRING, 4000),
        "Memo": (STRING, 4000),
        "DocNumber": (STRING, 21),
        "TxnDate": (DATE, 0),
        "DueDate": (DATE, 0),
        "ShipMethodRef.value": (STRING, 100),
        "POEmail.Address": (STRING, 100),
        **_address("VendorAddr"),
        **_address("ShipAddr"),
    },
    "JournalEntry": {
        "PrivateNote": (STRING, 4000),
        "DocNumber": (STRING, 21),
        "TxnDate": (DATE, 0),
    },
}


# `CustomField.<DefinitionId>`: a custom field of a sales form or purchase order, set as
# {"DefinitionId", "Type": "StringType", "StringValue"} inside the body's CustomField list.
CUSTOM_FIELD = re.compile(r"^CustomField\.([1-9][0-9]{0,9})$")
CUSTOM_FIELD_ENTITIES = frozenset(
    {"Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt", "Estimate", "PurchaseOrder"}
)
# Intuit's limit on a custom field's StringValue.
CUSTOM_FIELD_MAX = 31


def create_body(mapper: QboMapper, view: ObjectView) -> dict[str, Any]:
    """The create body of `view`, with its mapping's fields set."""
    return apply_rules(mapper.create(view), view, mapper.entity_for(view))


def update_body(mapper: QboMapper, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
    """The sparse update of `current`, with the mapping's fields set."""
    return apply_rules(mapper.update(view, current), view, mapper.entity_for(view))


def preview(connection: Connection, view: ObjectView) -> str:
    """The JSON the push pass would send for `view` now: its create, or its update of the
    record as QuickBooks Online holds it. References are resolved by querying QBO (reads
    only), as the pass resolves them, and the body is encoded as the client encodes it,
    so the text is what is then sent."""
    mapper = MAPPERS[view.object_type]
    qbo = QboConnection.objects.get(connection=connection)
    with QboClient(qbo) as client:
        refs = References(client)
        if view.qb_id:
            current = client.get(mapper.entity_for(view), view.qb_id)
            body = update_body(mapper, view, current)
        else:
            body = create_body(mapper, view)
        return encode_json(refs.resolve(body))


def apply_rules(body: dict[str, Any], view: ObjectView, entity: str) -> dict[str, Any]:
    writable = WRITABLE.get(entity, {})
    for target, text in resolve(view.rules, view.payload) if view.rules else ():
        custom = CUSTOM_FIELD.match(target)
        if custom is not None and entity in CUSTOM_FIELD_ENTITIES:
            _set_custom_field(body, custom.group(1), _typed(target, text, STRING, CUSTOM_FIELD_MAX))
            continue
        if target not in writable:
            continue  # an order written as another entity than the mapping was checked for
        kind, limit = writable[target]
        _set(body, target.split("."), _typed(target, text, kind, limit))
    return body


def target_error(object_type: str, target: str) -> str:
    """Why `target` cannot be set on the type's entity ("" when it can)."""
    mapper = MAPPERS.get(object_type)
    if mapper is None:
        return f"QuickBooks Online does not write {object_type}"
    if CUSTOM_FIELD.match(target):
        if mapper.entity in CUSTOM_FIELD_ENTITIES:
            return ""
        return f"{mapper.entity} has no custom fields"
    if target not in WRITABLE.get(mapper.entity, {}):
        return f"{mapper.entity} has no field {target!r} a mapping may set"
    return ""


def _typed(target: str, text: str, kind: str, limit: int) -> Any:
    if kind == NUMBER:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise PayloadError(target, f"{text!r} is not a number") from None
    if kind == DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise PayloadError(target, f"{text!r} is not a date (YYYY-MM-DD)") from None
    if limit and len(text) > limit:
        raise PayloadError(
            target, f"{text!r} is {len(text)} characters; QuickBooks Online allows {limit}"
        )
    return text


def _set_custom_field(body: dict[str, Any], definition_id: str, value: str) -> None:
    """Replace the custom field's entry (a mapper's, or another rule's) or add it."""
    fields = [
        entry
        for entry in body.get("CustomField") or []
        if not (isinstance(entry, dict) and entry.get("DefinitionId") == definition_id)
    ]
    fields.append({"DefinitionId": definition_id, "Type": "StringType", "StringValue": value})
    body["CustomField"] = fields


def _set(body: dict[str, Any], parts: list[str], value: Any) -> None:
    node = body
    for part in parts[:-1]:
        held = node.get(part)
        # A copy: a mapper may share nested dicts between bodies. Anything else (a Ref
        # placeholder the mapper put there) is replaced by what the rule says.
        node[part] = dict(held) if isinstance(held, dict) else {}
        node = node[part]
    node[parts[-1]] = value
