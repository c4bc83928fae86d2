"""Writes of the operations API: FlowLink objects through the same intake (docs/api.md).

An add or a modify is exactly what a FlowLink add_* webhook of the entity's type would
queue (objects.intake): the same validation, queue, state machine, history and
notifications. The Operation records which queued object the call made, under the
caller's Idempotency-Key, so a retried call returns the operation of the first instead
of queueing anything again. A modify is sparse: the fields sent are merged over the
payload qbsync last wrote for that record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from connections.models import Connection, FlowConfig
from objects import intake
from objects.api.queries import ApiError, EntityQuery, entity_named
from objects.backends import backend_for
from objects.models import Operation, QueuedObject
from objects.types import type_for

# The FlowLink write route of each entity. No Estimate: FlowLink orders become the
# QuickBooks Online entity the flow parameter qbo_order_as chooses, not always one.
ROUTES = {
    "Customer": "add_customers",
    "Vendor": "add_vendors",
    "Invoice": "add_invoices",
    "SalesReceipt": "add_salesreceipts",
    "SalesOrder": "add_orders",
    "CreditMemo": "add_creditmemos",
    "Payment": "add_payments",
    "PurchaseOrder": "add_purchaseorders",
    "JournalEntry": "add_journals",
}
# Entities the API only reads, and why.
READ_ONLY = {
    "Account": "the chart of accounts is read-only through this API (accounts are kept "
    "in QuickBooks, by whoever keeps the books)",
}
# Item: the route by the payload's `type` (the API's item types).
ITEM_ROUTES = {
    "Inventory": "add_products",
    "NonInventory": "add_noninventoryproducts",
    "Service": "add_serviceproducts",
    "OtherCharge": "add_otherchargeproducts",
    "Discount": "add_discountproducts",
    "SalesTax": "add_salestaxproducts",
}
MAX_KEY = 200
# What DELETE does, per entity: lists are made inactive (QuickBooks keeps them for the
# transactions that name them); what a FlowLink order became is cancelled through
# cancel_order, as its mapper does it (the Desktop closes its sales order; QuickBooks
# Online voids its SalesReceipt or Invoice and deletes its Estimate); a journal entry is
# deleted through add_journals' action DELETE. No mapper voids or deletes anything else.
DEACTIVATED = ("Customer", "Vendor", "Item")
ORDER_DOCUMENTS = ("SalesOrder", "SalesReceipt", "Invoice", "Estimate")


def route_for(entity: str, payload: Mapping[str, Any]) -> str:
    _check_writable(entity)
    if entity not in ROUTES and entity != "Item":
        raise ApiError(405, f"adding a {entity} is not offered (docs/api.md)")
    if entity != "Item":
        return ROUTES[entity]
    kind = payload.get("type")
    if kind not in ITEM_ROUTES:
        raise ApiError(400, f"type: an Item to add needs one of {', '.join(ITEM_ROUTES)}")
    return ITEM_ROUTES[str(kind)]


def _check_writable(entity: str) -> None:
    if entity in READ_ONLY:
        raise ApiError(405, f"{entity}: {READ_ONLY[entity]}")


def _object_types(entity: str) -> list[str]:
    routes = ITEM_ROUTES.values() if entity == "Item" else [ROUTES[entity]]
    return [intake.route_type(route).object_type for route in routes]


def write(
    connection: Connection,
    entity: str,
    fields: Any,
    key: str,
    now: datetime,
    qb_id: str = "",
    kind: str = Operation.Kind.ADD,
) -> Operation:
    """Queue an add (or, with `qb_id`, a sparse modify or a delete) of `entity`; the same
    operation again for an Idempotency-Key seen before."""
    if len(key) > MAX_KEY:
        raise ApiError(400, f"Idempotency-Key: at most {MAX_KEY} characters")
    if key:
        seen = Operation.objects.filter(connection=connection, idempotency_key=key).first()
        if seen is not None:
            return _same_call(seen, entity, kind)
    entity_named(entity)
    refusal = backend_for(connection).api_refusal(EntityQuery(entity))
    if refusal:
        raise ApiError(400, refusal)
    if not isinstance(fields, dict):
        raise ApiError(400, "body: must be a JSON object (the FlowLink record)")
    if kind == Operation.Kind.DELETE:
        route, payload = _deleted(connection, entity, qb_id)
    elif qb_id:
        route, payload = _modified(connection, entity, qb_id, fields)
    else:
        route, payload = route_for(entity, fields), fields
    try:
        with transaction.atomic():
            obj = _queue(connection, route, payload)
            return Operation.objects.create(
                connection=connection, kind=kind, entity=entity, queued_object=obj,
                idempotency_key=key, created_at=now,
            )  # fmt: skip
    except IntegrityError:
        # The same key in a concurrent call that committed first: its operation wins and
        # this call's intake rolled back with it.
        seen = Operation.objects.filter(connection=connection, idempotency_key=key).first()
        if seen is None:
            raise
        return _same_call(seen, entity, kind)


def _same_call(seen: Operation, entity: str, kind: str) -> Operation:
    if seen.kind != kind or seen.entity != entity:
        raise ApiError(422, "Idempotency-Key: already used for another call")
    return seen


def _deleted(connection: Connection, entity: str, qb_id: str) -> tuple[str, dict[str, Any]]:
    _check_writable(entity)
    if entity in DEACTIVATED:
        return _modified(connection, entity, qb_id, {"is_active": False})
    if entity == "JournalEntry":
        obj = _written(connection, entity, qb_id)
        return obj.flow, {**obj.payload, "action": "DELETE"}
    if entity in ORDER_DOCUMENTS:
        return "cancel_order", dict(_order_written(connection, entity, qb_id).payload)
    raise ApiError(
        405, f"deleting or voiding a {entity} is not offered (docs/api.md lists what DELETE does)"
    )


def _order_written(connection: Connection, entity: str, qb_id: str) -> QueuedObject:
    """The FlowLink order qbsync wrote as this record (404 for a sales order it did not
    write; 405 for another entity, which no mapper but the orders' voids or deletes)."""
    backend = backend_for(connection)
    orders = QueuedObject.objects.filter(
        connection=connection, object_type__in=_object_types("SalesOrder"), qb_id=qb_id
    ).order_by("-updated_at")
    # Ids are unique per entity only: an order written as an Invoice may share its id
    # with a SalesReceipt.
    found = next((obj for obj in orders if backend.api_order_entity(obj) == entity), None)
    if found is not None:
        return found
    if entity == "SalesOrder":
        raise ApiError(404, f"qbsync wrote no SalesOrder {qb_id}: DELETE closes the sales "
                       "orders qbsync wrote from FlowLink orders")  # fmt: skip
    raise ApiError(
        405,
        f"deleting or voiding {entity} {qb_id} is not offered: DELETE voids or deletes a "
        f"{entity} only when qbsync wrote it from a FlowLink order (cancel_order), and no "
        f"order qbsync wrote became this {entity} (docs/api.md lists what DELETE does)",
    )


def _modified(
    connection: Connection, entity: str, qb_id: str, fields: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The route and the merged payload of a sparse modify of a record qbsync wrote."""
    obj = _written(connection, entity, qb_id)
    payload = {**obj.payload, **fields}
    if type_for(obj.object_type).identity(payload) != obj.identity:
        raise ApiError(400, "a modify cannot change the field that identifies the record")
    return obj.flow, payload


def _written(connection: Connection, entity: str, qb_id: str) -> QueuedObject:
    """The queued object qbsync last wrote as this record (404 when none)."""
    _check_writable(entity)
    if entity not in ROUTES and entity != "Item":
        raise ApiError(405, f"changing a {entity} is not offered (docs/api.md)")
    obj = (
        QueuedObject.objects.filter(
            connection=connection, object_type__in=_object_types(entity), qb_id=qb_id
        )
        .order_by("-updated_at")
        .first()
    )
    if obj is None or obj.flow not in intake.WRITE_ROUTES:
        raise ApiError(
            404,
            f"qbsync wrote no {entity} {qb_id}: a modify merges the fields sent over the "
            "record qbsync last wrote (add it through the API or FlowLink first)",
        )
    return obj


def _queue(connection: Connection, route: str, payload: dict[str, Any]) -> QueuedObject:
    """What a FlowLink webhook of `route` carrying `payload` would queue, with the flow
    parameters FlowLink last sent on that route (kept as they are)."""
    stored = FlowConfig.objects.filter(connection=connection, flow=route).first()
    body = {
        "parameters": dict(stored.parameters) if stored else {},
        intake.WRITE_ROUTES[route]: payload,
    }
    try:
        intake.accept(connection, route, body)
    except intake.IntakeError as exc:
        raise ApiError(exc.status, exc.summary) from exc
    mapper = intake.route_type(route)
    return QueuedObject.objects.get(
        connection=connection, object_type=mapper.object_type, identity=mapper.identity(payload)
    )
