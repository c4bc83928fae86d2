"""The operations API on QuickBooks Online: a query becomes one statement of QBO's query
language, answered at once (docs/api.md, qbo-api.md §6).

Each API field is a QBO property; a value is written as a literal of its kind. Paging
is STARTPOSITION/MAXRESULTS (at most 1000, Intuit's ceiling, which the core already
enforces); ordering is ORDERBY. QBO's Faults come back as ApiErrors with its code and
message, so a caller reads "4001: Invalid query …" instead of a bare 502.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connections.models import Connection
from objects.api.queries import EQ, GTE, LIKE, ApiError, EntityQuery, Filter
from qbo.client import QboClient
from qbo.errors import (
    AccessDenied,
    NotFound,
    Paused,
    QboError,
    ReconnectNeeded,
    Throttled,
    Transient,
)
from qbo.models import QboConnection
from qbo.push import run_pass
from qbo.readers import ledger, lists, txns
from qbo.readers.common import Record

PRODUCT = "QuickBooks Online"

# API field -> QBO property.
PROPERTIES = {
    "id": "Id",
    "customer_id": "CustomerRef",
    "vendor_id": "VendorRef",
    "display_name": "DisplayName",
    "name": "Name",
    "email": "PrimaryEmailAddr",
    "is_active": "Active",
    "balance": "Balance",
    "type": "Type",
    "ref_number": "DocNumber",
    "transaction_date": "TxnDate",
    "due_date": "DueDate",
    "created_at": "MetaData.CreateTime",
    "updated_at": "MetaData.LastUpdatedTime",
}
# An account's type is its AccountType, in QBO's spelling (qbo.readers.ledger).
_ACCOUNT_TYPES = {api: qbo for qbo, api in ledger.ACCOUNT_TYPES.items()}
_OPERATORS = {EQ: "=", LIKE: "LIKE", GTE: ">="}
_ITEM_READERS: dict[str, Callable[[Record], Record]] = {
    "Inventory": lists.read_inventory,
    "NonInventory": lists.read_non_inventory,
    "Service": lists.read_service,
}


def _read_item(record: Record) -> Record:
    # Categories, groups and bundles read like non-inventory items: a name and no stock.
    return _ITEM_READERS.get(str(record.get("Type")), lists.read_non_inventory)(record)


# Every API filter of these entities is a QBO property (PROPERTIES), so nothing is refused
# once the entity exists; the readers are the get_* pulls' (qbo.readers).
ENTITIES: dict[str, Callable[[Record], Record]] = {
    "Customer": lists.read_customer,
    "Vendor": lists.read_vendor,
    "Item": _read_item,
    "Invoice": txns.read_invoice,
    "SalesReceipt": txns.read_sales_receipt,
    "Estimate": txns.read_estimate,
    "CreditMemo": txns.read_credit_memo,
    "Payment": txns.read_payment,
    "PurchaseOrder": txns.read_purchase_order,
    "JournalEntry": ledger.read_journal_entry,
    "Account": ledger.read_account,
}
_MISSING = {
    "SalesOrder": "QuickBooks Online has no SalesOrder; its pre-invoice document is the Estimate",
}


def refusal(query: EntityQuery) -> str:
    """Why QBO cannot run `query` ("" when it can)."""
    if query.entity not in ENTITIES:
        return _MISSING.get(query.entity, f"{PRODUCT} has no {query.entity}")
    kind = query.value("type")
    if query.entity == "Account" and kind is not None and kind not in _ACCOUNT_TYPES:
        return f"type: {PRODUCT} has no {kind} accounts"
    return ""


def literal(value: Any) -> str:
    """A value as QBO's query language writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _condition(entity: str, flt: Filter) -> str:
    if entity == "Account" and flt.field == "type":
        return f"AccountType = {literal(_ACCOUNT_TYPES[flt.value])}"
    return f"{PROPERTIES[flt.field]} {_OPERATORS[flt.op]} {literal(flt.value)}"


def statement(query: EntityQuery) -> str:
    """`SELECT * FROM Invoice WHERE … ORDERBY … STARTPOSITION n MAXRESULTS m`."""
    parts = [f"SELECT * FROM {query.entity}"]
    if query.filters:
        parts.append("WHERE " + " AND ".join(_condition(query.entity, f) for f in query.filters))
    if query.order_by:
        parts.append(
            f"ORDERBY {PROPERTIES[query.order_by]} {'DESC' if query.descending else 'ASC'}"
        )
    parts.append(f"STARTPOSITION {query.offset + 1} MAXRESULTS {query.limit}")
    return " ".join(parts)


def _no_wait(seconds: float) -> None:
    # A caller waits for its answer: tell it to come back rather than hold it a minute.
    raise ApiError(503, f"{PRODUCT} is throttling this company; retry in {seconds:.0f} s", "429")


def explain(error: QboError) -> ApiError:
    """A QBO refusal as the API's answer: QBO's code and message, a fitting status."""
    text = error.reason
    if isinstance(error, NotFound):
        return ApiError(404, text, error.code or "610")
    if isinstance(error, ReconnectNeeded | AccessDenied):
        return ApiError(
            409, f"{PRODUCT} refused this connection ({text}); reconnect it", error.code
        )
    if isinstance(error, Paused):
        return ApiError(409, "the connection is paused", error.code)
    if isinstance(error, Throttled):
        return ApiError(503, f"{PRODUCT} is throttling this company: {text}", error.code or "429")
    if isinstance(error, Transient):
        return ApiError(502, f"{PRODUCT} did not answer: {text}", error.code)
    return ApiError(400, text, error.code)


def answer(connection: Connection, query: EntityQuery) -> list[dict[str, Any]]:
    """Run `query` against the connection's company now."""
    qbo = QboConnection.objects.filter(connection=connection).first()
    if qbo is None:
        raise ApiError(409, f"the connection is not connected to {PRODUCT}")
    read = ENTITIES[query.entity]
    try:
        with QboClient(qbo, sleep=_no_wait) as client:
            if query.is_get:
                return [read(client.get(query.entity, str(query.value("id"))))]
            page = client.query(statement(query))
    except QboError as error:
        raise explain(error) from error
    return [read(row) for row in page.get(query.entity, [])]


# An API write's caller waits at most this long for the pass that writes it; a longer
# backlog answers 202 and the operation URL.
PUSH_BUDGET_SECONDS = 20.0


def push_now(connection: Connection) -> None:
    """Run the connection's push pass now (after intake committed), as a task would."""
    run_pass(connection, budget_seconds=PUSH_BUDGET_SECONDS)
