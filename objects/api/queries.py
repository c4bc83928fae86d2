"""The API's vocabulary: entities, their filters, and a query parsed from a URL (docs/api.md).

A filter is (field, operator, value) with the operators `eq`, `like` and `gte` (seed
003's list: "ID Equals", "Display Name Like", "Due Date Greater Or Equal" …). The
fields are named as the records the API answers name them (the FlowLink records of the
get_* readers); which of them a backend can express is the backend's answer
(`Backend.api_refusal`): a filter it cannot express is refused, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

EQ, LIKE, GTE = "eq", "like", "gte"
OPERATORS = (EQ, LIKE, GTE)
# The most records one answer carries (QuickBooks Online's MAXRESULTS ceiling).
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
# Query parameters that are not filters (callback_url: objects.api.callbacks).
RESERVED = ("limit", "offset", "order_by", "callback_url")


class ApiError(Exception):
    """A call the API refuses or a backend failed; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"status": self.status, "message": self.message}
        if self.code:
            error["code"] = self.code
        return error

    @classmethod
    def from_json(cls, error: Mapping[str, Any]) -> ApiError:
        return cls(int(error["status"]), str(error["message"]), str(error.get("code", "")))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # "id", "text", "date", "datetime", "bool", "money"
    ops: tuple[str, ...]


FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("id", "id", (EQ,)),
        FieldSpec("customer_id", "id", (EQ,)),
        FieldSpec("vendor_id", "id", (EQ,)),
        FieldSpec("display_name", "text", (EQ, LIKE)),
        FieldSpec("name", "text", (EQ, LIKE)),
        FieldSpec("email", "text", (EQ, LIKE)),
        FieldSpec("is_active", "bool", (EQ,)),
        FieldSpec("balance", "money", (GTE,)),
        FieldSpec("type", "text", (EQ,)),
        FieldSpec("ref_number", "text", (EQ,)),
        FieldSpec("transaction_date", "date", (GTE,)),
        FieldSpec("due_date", "date", (GTE,)),
        FieldSpec("created_at", "datetime", (GTE,)),
        FieldSpec("updated_at", "datetime", (GTE,)),
    )
}
_STAMPS = ("created_at", "updated_at")
_NAMES = ("id", "display_name", "is_active", "email", "balance", *_STAMPS)
_SALES = ("id", "customer_id", "ref_number", "transaction_date", *_STAMPS)


@dataclass(frozen=True)
class Entity:
    name: str  # as QuickBooks names it
    filters: tuple[str, ...]
    is_transaction: bool
    types: tuple[str, ...] = ()  # the values its `type` filter takes, when it has a list


# An account's type as the API names it: qbXML's AccountType (QuickBooks Online spells
# the same types with spaces; qbo.operations translates).
ACCOUNT_TYPES = (
    "AccountsPayable", "AccountsReceivable", "Bank", "CostOfGoodsSold", "CreditCard", "Equity",
    "Expense", "FixedAsset", "Income", "LongTermLiability", "NonPosting", "OtherAsset",
    "OtherCurrentAsset", "OtherCurrentLiability", "OtherExpense", "OtherIncome",
)  # fmt: skip


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("Customer", _NAMES, False),
        Entity("Vendor", _NAMES, False),
        Entity("Item", ("id", "name", "is_active", "type", *_STAMPS), False),
        Entity("Invoice", (*_SALES, "due_date"), True),
        Entity("SalesReceipt", _SALES, True),
        Entity("Estimate", _SALES, True),
        Entity("SalesOrder", _SALES, True),
        Entity("CreditMemo", _SALES, True),
        Entity("Payment", ("id", "customer_id", "transaction_date", *_STAMPS), True),
        Entity(
            "PurchaseOrder", ("id", "vendor_id", "ref_number", "transaction_date", *_STAMPS), True
        ),  # fmt: skip
        Entity("JournalEntry", ("id", "ref_number", "transaction_date", *_STAMPS), True),
        Entity("Account", ("id", "name", "is_active", "type", *_STAMPS), False, ACCOUNT_TYPES),
    )
}


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any  # str, bool, Decimal, date or an aware datetime

    @property
    def label(self) -> str:
        """How the URL spelled it: `display_name__like`."""
        return self.field if self.op == EQ else f"{self.field}__{self.op}"


@dataclass(frozen=True)
class EntityQuery:
    """A query of one entity (or, with `is_get`, one record by its QuickBooks id)."""

    entity: str
    filters: tuple[Filter, ...] = ()
    order_by: str = ""
    descending: bool = False
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    is_get: bool = False

    def value(self, name: str, op: str = EQ) -> Any:
        return next((f.value for f in self.filters if f.field == name and f.op == op), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "filters": [[f.field, f.op, _dump(f.value)] for f in self.filters],
            "order_by": self.order_by,
            "descending": self.descending,
            "limit": self.limit,
            "offset": self.offset,
            "is_get": self.is_get,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityQuery:
        return cls(
            entity=data["entity"],
            filters=tuple(Filter(n, op, parse_value(n, v)) for n, op, v in data["filters"]),
            order_by=data.get("order_by", ""),
            descending=bool(data.get("descending")),
            limit=int(data.get("limit", DEFAULT_LIMIT)),
            offset=int(data.get("offset", 0)),
            is_get=bool(data.get("is_get")),
        )


def _dump(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def entity_named(name: str) -> Entity:
    entity = ENTITIES.get(name)
    if entity is None:
        raise ApiError(404, f"unknown entity {name!r}; known: {', '.join(ENTITIES)}")
    return entity


def parse_value(name: str, raw: Any) -> Any:
    """A filter's value as its field's kind, or ApiError naming the field."""
    kind = FIELDS[name].kind
    text = str(raw).strip()
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise ApiError(400, f"{name}: {raw!r} is not true or false")
        return text.lower() == "true"
    if kind == "money":
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ApiError(400, f"{name}: {raw!r} is not a number") from None
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ApiError(400, f"{name}: {raw!r} is not a date (YYYY-MM-DD)") from None
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, f"{name}: {raw!r} is not an ISO-8601 date-time") from None
        if moment.tzinfo is None:
            # Like quickbooks_since: no offset means the configured pull time zone.
            moment = moment.replace(tzinfo=ZoneInfo(settings.PULL_TIMEZONE))
        return moment
    if not text or len(text) > 200:
        raise ApiError(400, f"{name}: must be 1 to 200 characters")
    return text


def _whole(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        number = int(str(raw))
    except ValueError:
        raise ApiError(400, f"{name}: {raw!r} is not a whole number") from None
    if not low <= number <= high:
        raise ApiError(400, f"{name}: must be {low} to {high}")
    return number


def parse_query(entity_name: str, params: Mapping[str, str]) -> EntityQuery:
    """The query a URL's parameters ask for: `field=v`, `field__like=v`, `field__gte=v`,
    `limit`, `offset` and `order_by` (`-field` descending)."""
    entity = entity_named(entity_name)
    filters: list[Filter] = []
    for key, raw in params.items():
        if key in RESERVED:
            continue
        name, _, op = key.partition("__")
        op = op or EQ
        if name not in entity.filters or op not in OPERATORS:
            raise ApiError(
                400,
                f"{key}: not a filter of {entity.name}; its filters are "
                + ", ".join(_labels(entity)),
            )
        if op not in FIELDS[name].ops:
            raise ApiError(400, f"{key}: {name} takes {' or '.join(FIELDS[name].ops)}, not {op}")
        value = parse_value(name, raw)
        if name == "type" and entity.types and value not in entity.types:
            raise ApiError(400, f"type: {entity.name} types are {', '.join(entity.types)}")
        filters.append(Filter(name, op, value))
    order = str(params.get("order_by") or "").strip()
    descending = order.startswith("-")
    order = order.lstrip("-")
    if order and order not in entity.filters:
        raise ApiError(400, f"order_by: {order!r} is not a field of {entity.name}")
    return EntityQuery(
        entity=entity.name,
        filters=tuple(filters),
        order_by=order,
        descending=descending,
        limit=_whole(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_whole(params, "offset", 0, 0, 1_000_000),
    )


def get_query(entity_name: str, qb_id: str) -> EntityQuery:
    entity = entity_named(entity_name)
    return EntityQuery(
        entity=entity.name, filters=(Filter("id", EQ, parse_value("id", qb_id)),), limit=1,
        is_get=True,
    )  # fmt: skip


def _labels(entity: Entity) -> list[str]:
    return [
        name if op == EQ else f"{name}__{op}" for name in entity.filters for op in FIELDS[name].ops
    ]
