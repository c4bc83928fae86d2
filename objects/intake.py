"""Accept FlowLink webhooks: validate, store durably, answer (flowlink §5).

Everything a webhook accepts is committed before the HTTP answer; a payload that
cannot become valid qbXML is refused whole with a 400 naming the field, and nothing
of that request is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from connections.models import Connection, FlowConfig, new_guid
from objects.intake_rows import Checked, RequestRows, new_object, ref_number, storable_qb_id
from objects.models import Mode, Phase, QueuedObject
from objects.qbxml.mappers import BY_PAYLOAD_TYPE, ITEM_TYPES, MAPPERS
from objects.qbxml.mappers.base import Dependency, Follower, Mapper, ObjectView
from objects.qbxml.values import PayloadError, guid, is_blank, is_on

# Write routes of this release and the payload_type each falls back to (flowlink §4.1).
WRITE_ROUTES: dict[str, str] = {
    "add_customers": "customer",
    "add_vendors": "vendor",
    "add_products": "product",
    "add_noninventoryproducts": "noninventoryproduct",
    "add_serviceproducts": "serviceproduct",
    "add_discountproducts": "discountproduct",
    "add_salestaxproducts": "salestaxproduct",
    "add_otherchargeproducts": "otherchargeproduct",
    "add_orders": "order",
    # Sales side (issue 3 part A).
    "cancel_order": "order",
    "add_invoices": "invoice",
    "add_creditmemos": "credit_memo",
    "add_creditmemosaspayments": "credit_memo",
    "add_payments": "payment",
    "add_shipments": "shipment",
    # Issue 3 part B.
    "add_salesreceipts": "sales_receipt",
    "add_returns": "return",
    "add_purchaseorders": "purchase_order",
    "add_journals": "journal",
    "set_inventory": "inventory",
    "add_inventories": "inventory",
}

# flowlink §7.1: these routes keep a stored configuration unless none exists yet or the
# request sets quickbooks_force_config; every other write route overwrites it.
CONFIG_KEPT_ROUTES = frozenset({"set_inventory", "add_inventories"})


# Routes that change the object before storing it (flowlink §5.1).
CANCEL_ROUTES = frozenset({"cancel_order"})


class IntakeError(Exception):
    """A request refused before anything was stored."""

    def __init__(self, status: int, summary: str = "") -> None:
        super().__init__(summary)
        self.status = status
        self.summary = summary


@dataclass
class Accepted:
    summary: str
    echo_key: str
    echo: list[dict[str, Any]]
    # flowlink §5.3: set_inventory answers with pending notifications like get_notifications.
    with_notifications: bool = False


def resolve_connection(
    store: str | None, token: str | None, parameters: Mapping[str, Any]
) -> Connection:
    """flowlink §2.2/§2.3: parameters.connection_id overrides X-Hub-Store; token per connection."""
    connection_id = parameters.get("connection_id")
    if is_blank(connection_id):
        connection_id = store
    if is_blank(connection_id):
        raise IntakeError(401, "X-Hub-Store: is required (or parameters.connection_id)")
    # An id holding a NUL names no connection (PostgreSQL could not even compare it).
    connection = (
        Connection.objects.filter(connection_id=str(connection_id)).first()
        if "\x00" not in str(connection_id)
        else None
    )
    # Compare a token even for unknown connections so timing tells nothing.
    # One answer for both: which connection ids exist is not for an unauthenticated caller.
    refused = (
        "X-Hub-Token: does not match the connection named (X-Hub-Store or parameters.connection_id)"
    )
    if connection is None:
        Connection(webhook_token_hash="0" * 64).check_webhook_token(token or "x")
        raise IntakeError(401, refused)
    if not connection.check_webhook_token(token):
        raise IntakeError(401, refused)
    return connection


def mapper_for_request(route: str, parameters: Mapping[str, Any]) -> tuple[Mapper, str, str]:
    """(mapper, body key, payload_type as sent); payload_type is the authority (flowlink §3.1)."""
    sent = parameters.get("payload_type")
    payload_type = str(sent) if not is_blank(sent) else WRITE_ROUTES[route]
    mapper = BY_PAYLOAD_TYPE.get(payload_type.replace("_", "").lower())
    if mapper is None:
        raise IntakeError(
            400, f"parameters.payload_type: {payload_type!r} is not an object type qbsync can write"
        )
    return mapper, payload_type, payload_type


def summary_for(payload_type: str) -> str:
    name = payload_type.replace("_", "")
    return f"{name[:1].upper()}{name[1:]} waiting for Quickbooks Desktop scheduler"


def accept(connection: Connection, route: str, body: Mapping[str, Any]) -> Accepted:
    parameters = body.get("parameters") or {}
    mapper, key, payload_type = mapper_for_request(route, parameters)
    if key not in body:
        raise IntakeError(400, f"{key}: is required (the object named by parameters.payload_type)")
    raw = body[key]
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise IntakeError(400, f"{key}: is empty")
    request_id = "" if body.get("request_id") is None else str(body["request_id"])
    echo: list[dict[str, Any]] = []
    with transaction.atomic():
        force = route not in CONFIG_KEPT_ROUTES or is_on(parameters.get("quickbooks_force_config"))
        config = FlowConfig.objects.store(connection, route, dict(parameters), force=force)
        # Validate the whole request before writing: a 400 stores nothing either way, and
        # knowing every identity up front lets one query find the rows that already exist.
        checked = []
        for index, item in enumerate(items):
            where = key if not isinstance(raw, list) else f"{key}[{index}]"
            if not isinstance(item, Mapping):
                raise IntakeError(400, f"{where}: must be a JSON object")
            payload = dict(item)
            if route in CANCEL_ROUTES:
                payload = _cancelled(connection, mapper, payload)
            checked.append(_check(mapper, payload, config.parameters, where))
        batch = RequestRows.load(connection, mapper, checked)
        batch.precreate(mapper, checked, config, route, request_id)
        for item_checked in checked:
            entry = _accept_one(connection, mapper, item_checked, config, route, request_id, batch)
            if entry and mapper.echo_key:
                echo.append(entry)
        batch.flush()
        _supersede_item_stand_ins(connection, mapper, checked, route, batch)
    return Accepted(
        summary=summary_for(payload_type),
        echo_key=mapper.echo_key,
        echo=echo,
        with_notifications=mapper.answers_with_notifications,
    )


def _cancelled(connection: Connection, mapper: Mapper, payload: dict[str, Any]) -> dict[str, Any]:
    """cancel_order: status forced to cancelled, merged into the order qbsync already holds.

    FlowLink often sends only the id; merging keeps the lines of an order that is still
    queued (not yet in QuickBooks) so it can be added closed instead of failing.
    """
    try:
        identity = mapper.identity(payload)
    except PayloadError:
        return {**payload, "status": "cancelled"}
    held = QueuedObject.objects.filter(
        connection=connection, object_type=mapper.object_type, identity=identity
    ).first()
    base = dict(held.payload) if held is not None else {}
    return {**base, **payload, "status": "cancelled"}


def _check(
    mapper: Mapper, payload: dict[str, Any], params: Mapping[str, Any], where: str
) -> Checked:
    entry: dict[str, Any] = {}
    if isinstance(payload.get("return_to_fl"), Mapping):
        entry.update(payload["return_to_fl"])
    generated = None
    if is_blank(payload.get("external_guid")) and is_blank(payload.get("qbe_id")):
        # flowlink §5.4: FlowLink stores the echoed GUID on its record.
        generated = new_guid()
        entry["external_guid"] = generated
    try:
        identity = mapper.identity(payload)
        mapper.validate(payload, params)
        dependencies = mapper.dependencies(payload, params)
        for dep in dependencies:
            validate_dependency(dep, params)
        followers = mapper.followers(payload, params)
    except PayloadError as exc:
        raise IntakeError(400, f"{where}.{exc.field}: {exc.reason}") from exc
    # Kept normalised: only a GUID ever reaches QuickBooks (values.guid), and anything
    # else FlowLink sends there need not fit the column.
    external_guid = generated or guid(payload.get("external_guid")) or ""
    if mapper.adds_on_every_call:
        # A new record per call: this call's own GUID, never echoed (flowlink §5.3, §6.11).
        external_guid = new_guid()
    return Checked(payload, identity, dependencies, entry, external_guid, where, followers)


def _accept_one(
    connection: Connection,
    mapper: Mapper,
    checked: Checked,
    config: FlowConfig,
    route: str,
    request_id: str,
    batch: RequestRows,
) -> dict[str, Any] | None:
    payload, identity, entry = checked.payload, checked.identity, checked.entry
    external_guid = checked.external_guid
    deps = [
        _queue_dependency(connection, dep, config, route, request_id, batch)
        for dep in checked.dependencies
    ]
    obj = _queue(
        connection,
        mapper,
        identity,
        payload,
        config,
        route,
        request_id,
        Mode.UPSERT,
        deps,
        external_guid,
        batch,
    )
    _check_ref_number(obj, mapper, batch)
    for follower in checked.followers:
        _accept_follower(
            connection,
            follower,
            config,
            route,
            request_id,
            f"{checked.where}.{follower.where}",
            batch,
        )
    if not entry:
        return None
    entry["id"] = payload.get("id", identity)
    return entry


def _accept_follower(
    connection: Connection,
    follower: Follower,
    config: FlowConfig,
    route: str,
    request_id: str,
    where: str,
    batch: RequestRows,
) -> None:
    """Queue an object derived from its parent (e.g. an invoice's payment), after the parent."""
    mapper = MAPPERS[follower.object_type]
    params = config.parameters
    try:
        identity = mapper.identity(follower.payload)
        mapper.validate(follower.payload, params)
        dependencies = mapper.dependencies(follower.payload, params)
        for dep in dependencies:
            validate_dependency(dep, params)
    except PayloadError as exc:
        raise IntakeError(400, f"{where}.{exc.field}: {exc.reason}") from exc
    deps = [
        _queue_dependency(connection, dep, config, route, request_id, batch) for dep in dependencies
    ]
    external_guid = guid(follower.payload.get("external_guid")) or new_guid()
    obj = _queue(
        connection,
        mapper,
        identity,
        follower.payload,
        config,
        route,
        request_id,
        Mode.UPSERT,
        deps,
        external_guid,
        batch,
    )
    _check_ref_number(obj, mapper, batch)


# Digests of dependencies that validated. The same customer and products recur across
# many orders, and whether they validate depends only on their payload, mode and the
# flow parameters, so each is built once per worker rather than once per order
# (docs/benchmarks.md). Bounded by clearing: a miss only costs one validation.
_VALID_DEPENDENCIES: set[bytes] = set()
VALID_DEPENDENCIES_MAX = 16384


def validate_dependency(dep: Dependency, params: Mapping[str, Any]) -> None:
    # repr for non-JSON values keeps Decimal("1") and "1" apart.
    text = json.dumps(
        [dep.object_type, dep.mode, dep.payload, params], sort_keys=True, default=repr
    )
    key = hashlib.blake2b(text.encode(), digest_size=16).digest()
    if key in _VALID_DEPENDENCIES:
        return
    _validate_dependency(dep, params)
    if len(_VALID_DEPENDENCIES) >= VALID_DEPENDENCIES_MAX:
        _VALID_DEPENDENCIES.clear()
    _VALID_DEPENDENCIES.add(key)


def _validate_dependency(dep: Dependency, params: Mapping[str, Any]) -> None:
    mapper = MAPPERS[dep.object_type]
    try:
        identity = mapper.identity(dep.payload)
        # Even a record that is only looked up must make a valid lookup (e.g. a name that
        # is blank once control characters are removed).
        mapper.lookup(ObjectView(dep.object_type, identity, dict(dep.payload), dict(params)))
        if dep.mode == Mode.ENSURE:
            # Without quickbooks_update_dependencies an existing record is left alone, so
            # only its Add can ever be sent (objects.dispatch).
            updates = is_on(params.get("quickbooks_update_dependencies"))
            mapper.validate(dep.payload, params, adds_only=not updates)
    except PayloadError as exc:
        raise PayloadError(
            f"{mapper.notice_name.lower()} dependency {exc.field}", exc.reason
        ) from exc


def _queue_dependency(
    connection: Connection,
    dep: Dependency,
    config: FlowConfig,
    route: str,
    request_id: str,
    batch: RequestRows,
) -> QueuedObject:
    mapper = MAPPERS[dep.object_type]
    identity = mapper.identity(dep.payload)
    existing = batch.get(dep.object_type, identity)
    if existing is not None and batch.take_fresh(existing):
        batch.record_created(existing, route, request_id, [])
        return existing
    if existing is not None and existing.object_type != dep.object_type:
        # The item queued under its own type (intake_rows: one item per name): depend on
        # it as it is. A failed one is tried again with its own payload.
        if existing.phase == Phase.FAILED:
            existing.retry(f"needed again by a transaction received on /{route}")
        return existing
    if existing is not None:
        # An object FlowLink sent, or one already in QuickBooks, satisfies the dependency.
        # A failed one is tried again with what this transaction says about it; and when
        # the flow asked for its transactions' data to win (flowlink §5.6), the record
        # written for an earlier transaction is looked up and modified once more.
        refresh = (
            dep.mode == Mode.ENSURE
            and existing.phase == Phase.PROCESSED
            and is_on(config.parameters.get("quickbooks_update_dependencies"))
        )
        if existing.phase == Phase.FAILED or refresh:
            existing.replace_payload(
                dep.payload,
                config.parameters,
                request_id,
                config.version,
                dep.mode if existing.mode != Mode.UPSERT else Mode.UPSERT,
                False,
            )
        elif dep.mode == Mode.ENSURE and existing.mode == Mode.REQUIRE and existing.is_active:
            QueuedObject.objects.filter(pk=existing.pk).update(
                mode=Mode.ENSURE, payload=dep.payload
            )
            existing.mode, existing.payload = Mode.ENSURE, dep.payload
        return existing
    return _queue(
        connection,
        mapper,
        identity,
        dep.payload,
        config,
        route,
        request_id,
        dep.mode,
        [],
        new_guid(),
        batch,
    )


def _queue(
    connection: Connection,
    mapper: Mapper,
    identity: str,
    payload: dict[str, Any],
    config: FlowConfig,
    route: str,
    request_id: str,
    mode: str,
    dependencies: list[QueuedObject],
    external_guid: str,
    batch: RequestRows,
) -> QueuedObject:
    waiting = any(d.phase != Phase.PROCESSED for d in dependencies)
    obj = batch.get(mapper.object_type, identity)
    created = obj is not None and batch.take_fresh(obj)
    if obj is None:
        obj, created = batch.create(
            new_object(
                connection,
                mapper,
                identity,
                payload,
                config,
                route,
                request_id,
                mode,
                waiting,
                external_guid,
            )
        )
    if created:
        batch.record_created(obj, route, request_id, dependencies)
        return obj
    obj.replace_payload(
        payload,
        config.parameters,
        request_id,
        config.version,
        mode,
        waiting,
        external_guid=external_guid if mapper.adds_on_every_call else "",
    )
    if external_guid and not obj.external_guid:
        QueuedObject.objects.filter(pk=obj.pk).update(external_guid=external_guid)
        obj.external_guid = external_guid
    qb_id = storable_qb_id(mapper, payload)
    if qb_id and not obj.qb_id:
        QueuedObject.objects.filter(pk=obj.pk).update(qb_id=qb_id)
        obj.qb_id = qb_id
    if dependencies:
        # Links of rows created earlier in this request must exist before set() reads them.
        batch.flush()
        obj.dependencies.set(dependencies)
    return obj


def _supersede_item_stand_ins(
    connection: Connection,
    mapper: Mapper,
    checked: list[Checked],
    route: str,
    batch: RequestRows,
) -> None:
    """One item per name: an item a transaction queued under another type waits for this one.

    A transaction that arrived before FlowLink sent its item (an order auto-creating
    `SOIL-MIX-10L` as an inventory part, then `/add_noninventoryproducts`) queued the
    item under the type it guessed. Both Adds would race in one run and QuickBooks would
    refuse the second with 3100; instead the guess waits for the item FlowLink sent and
    then finds it by name (look-ups span every item type) and links it unchanged.
    """
    if mapper.object_type not in ITEM_TYPES:
        return
    stand_ins = QueuedObject.objects.filter(
        connection=connection,
        object_type__in=ITEM_TYPES - {mapper.object_type},
        identity__in={item.identity for item in checked},
        mode__in=(Mode.ENSURE, Mode.REQUIRE),
        phase__in=(Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY),
    )
    for stand_in in stand_ins:
        sent = batch.get(mapper.object_type, stand_in.identity)
        if sent is not None and sent.phase != Phase.FAILED:
            stand_in.wait_for(sent, f"waits for the {mapper.notice_name.lower()} sent on /{route}")


def _check_ref_number(obj: QueuedObject, mapper: Mapper, batch: RequestRows) -> None:
    """flowlink §5.5: two ids sharing the derived RefNumber must never overwrite each other."""
    if getattr(mapper, "ref_number", None) is None:
        return
    ref = ref_number(mapper, obj.identity, obj.payload, obj.params)
    if obj.ref_number != ref:
        QueuedObject.objects.filter(pk=obj.pk).update(ref_number=ref)
        obj.ref_number = ref
        batch.refs = None  # read the RefNumbers again, this one included
    other = batch.earlier_with_ref(obj)
    if other is not None:
        batch.flush()  # the object's "received" event comes before its failure
        obj.fail(f"RefNumber {ref} collides with {other}")
