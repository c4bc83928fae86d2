"""Accept FlowLink webhooks: validate, store durably, answer (flowlink §5).

Everything a webhook accepts is committed before the HTTP answer; a payload the
connection's backend could not write (objects.backends: for Desktop, no valid qbXML)
is refused whole with a 400 naming the field, and nothing of that request is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from connections.models import Connection, FlowConfig, new_guid
from objects.backends import DEFAULT_BACKEND, Backend, backend_for, backend_named
from objects.intake_rows import Item, RequestRows
from objects.mapping import Rule
from objects.models import (
    CustomRoute,
    FieldMapping,
    FieldMappingVersion,
    Mode,
    Phase,
    QueuedObject,
)
from objects.types import BY_PAYLOAD_TYPE, ITEM_TYPES, TYPES
from objects.types.base import Dependency, ObjectType
from objects.types.pulls import GET_ROUTES
from objects.types.values import PayloadError, guid, is_blank, is_on

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

# Every route qbsync serves itself: a custom route (objects.models.CustomRoute) takes none
# of these names.
BUILT_IN_ROUTES = frozenset({*WRITE_ROUTES, *GET_ROUTES, "get_notifications", "get_health_check"})


def route_type(route: str) -> ObjectType:
    """The object type a built-in write route queues (by its payload_type)."""
    return BY_PAYLOAD_TYPE[WRITE_ROUTES[route].replace("_", "")]


def payload_type_of(object_type: str) -> str:
    """The payload_type (and body key) FlowLink sends objects of `object_type` under."""
    for route, payload_type in WRITE_ROUTES.items():
        if route_type(route).object_type == object_type:
            return payload_type
    return TYPES[object_type].payload_types[0]


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
    store: str | None, token: str | None, parameters: Mapping[str, Any], flow: str = ""
) -> Connection:
    """flowlink §2.2/§2.3: parameters.connection_id overrides X-Hub-Store; token per connection.

    With `flow`, the connection's configuration of that route is read in the same query
    (ConnectionQuerySet.get_with_flow_config). Nothing is cached between requests: a rotated
    token or a paused connection counts from the next request on, in every process.
    """
    connection_id = parameters.get("connection_id")
    if is_blank(connection_id):
        connection_id = store
    if is_blank(connection_id):
        raise IntakeError(401, "X-Hub-Store: is required (or parameters.connection_id)")
    # An id holding a NUL names no connection (PostgreSQL could not even compare it).
    connection = (
        None
        if "\x00" in str(connection_id)
        else Connection.objects.get_with_flow_config(str(connection_id), flow)
        if flow
        else Connection.objects.filter(connection_id=str(connection_id)).first()
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


def mapper_for_request(
    route: str, parameters: Mapping[str, Any], default_type: str = ""
) -> tuple[ObjectType, str, str]:
    """(mapper, body key, payload_type as sent); payload_type is the authority (flowlink §3.1).

    `default_type`: the payload_type of a custom route (built-in ones read WRITE_ROUTES)."""
    sent = parameters.get("payload_type")
    payload_type = str(sent) if not is_blank(sent) else default_type or WRITE_ROUTES[route]
    mapper = BY_PAYLOAD_TYPE.get(payload_type.replace("_", "").lower())
    if mapper is None:
        raise IntakeError(
            400, f"parameters.payload_type: {payload_type!r} is not an object type qbsync can write"
        )
    return mapper, payload_type, payload_type


def summary_for(payload_type: str, product: str = "Quickbooks Desktop") -> str:
    name = payload_type.replace("_", "")
    return f"{name[:1].upper()}{name[1:]} waiting for {product} scheduler"


def accept(
    connection: Connection,
    route: str,
    body: Mapping[str, Any],
    custom: CustomRoute | None = None,
) -> Accepted:
    return Intake(connection, route, body, custom).accept()


class Intake:
    """One webhook request on its way into the queue, step by step from accept().

    The request is validated whole before anything is written: a 400 stores nothing
    either way, and knowing every identity up front lets one query find the rows that
    already exist (objects.intake_rows). Objects derived from another (an invoice's
    payments) are items like the others, queued after their parent.
    """

    def __init__(
        self,
        connection: Connection,
        route: str,
        body: Mapping[str, Any],
        custom: CustomRoute | None = None,
    ) -> None:
        self.connection = connection
        self.route = route
        self.body = body
        # A custom route: its type's objects are built with its mapping.
        self.custom = custom
        self.parameters: Mapping[str, Any] = body.get("parameters") or {}
        self.mapper, self.key, self.payload_type = mapper_for_request(
            route, self.parameters, custom.payload_type if custom is not None else ""
        )
        self.request_id = "" if body.get("request_id") is None else str(body["request_id"])
        self.backend = backend_for(connection)
        self.echo: list[dict[str, Any]] = []
        # The active field mapping version of each type (read at the first object).
        self.mapping_versions: dict[str, FieldMappingVersion] | None = None

    def accept(self) -> Accepted:
        sent = self.sent_objects()
        # No savepoint inside the webhook's own transaction (objects.webhooks): a refusal
        # rolls that back whole anyway, and a savepoint costs two round trips.
        with transaction.atomic(savepoint=False):
            self.config = self.store_config()
            self.params = self.config.parameters
            items = self.check_all(sent)
            self.rows = RequestRows(
                self.connection, self.backend, self.config, self.route, self.request_id
            )
            self.rows.mapping_versions = {
                object_type: version.pk
                for object_type, version in (self.mapping_versions or {}).items()
            }
            self.rows.load(items)
            self.check_updates(items)
            self.rows.precreate(items)
            for item in items:
                self.queue_item(item)
            self.rows.flush()
            self.supersede_item_stand_ins(items)
            self.backend.work_queued(self.connection)
        return Accepted(
            summary=summary_for(self.payload_type, self.backend.product),
            echo_key=self.mapper.echo_key,
            echo=self.echo,
            with_notifications=self.mapper.answers_with_notifications,
        )

    def sent_objects(self) -> list[tuple[str, Any]]:
        """(field, value) of each object the body carries under its key."""
        if self.key not in self.body:
            raise IntakeError(
                400, f"{self.key}: is required (the object named by parameters.payload_type)"
            )
        raw = self.body[self.key]
        if not isinstance(raw, list):
            return [(self.key, raw)]
        if not raw:
            raise IntakeError(400, f"{self.key}: is empty")
        return [(f"{self.key}[{index}]", item) for index, item in enumerate(raw)]

    def store_config(self) -> FlowConfig:
        kept = self.route in CONFIG_KEPT_ROUTES
        force = not kept or is_on(self.parameters.get("quickbooks_force_config"))
        return FlowConfig.objects.store(
            self.connection, self.route, dict(self.parameters), force=force
        )

    def check_all(self, sent: list[tuple[str, Any]]) -> list[Item]:
        """Every object of the request validated, each followed by its followers."""
        checked = []
        for where, value in sent:
            if not isinstance(value, Mapping):
                raise IntakeError(400, f"{where}: must be a JSON object")
            payload = dict(value)
            if self.route in CANCEL_ROUTES:
                payload = self.cancelled(payload)
            checked.append(self.check(self.mapper, payload, where))
        # The objects FlowLink sent are checked before any follower, so a 400 names the
        # first of them that is wrong.
        return [each for item in checked for each in self.with_followers(item)]

    def with_followers(self, item: Item) -> list[Item]:
        out = [item]
        for follower in item.followers:
            mapper = TYPES[follower.object_type]
            where = f"{item.where}.{follower.where}"
            out += self.with_followers(self.check(mapper, follower.payload, where, parent=item))
        return out

    def cancelled(self, payload: dict[str, Any]) -> dict[str, Any]:
        """cancel_order: status forced to cancelled, merged into the order qbsync already holds.

        FlowLink often sends only the id; merging keeps the lines of an order that is still
        queued (not yet in QuickBooks) so it can be added closed instead of failing.
        """
        try:
            identity = self.mapper.identity(payload)
        except PayloadError:
            return {**payload, "status": "cancelled"}
        held = QueuedObject.objects.filter(
            connection=self.connection, object_type=self.mapper.object_type, identity=identity
        ).first()
        base = dict(held.payload) if held is not None else {}
        return {**base, **payload, "status": "cancelled"}

    def check(
        self, mapper: ObjectType, payload: dict[str, Any], where: str, parent: Item | None = None
    ) -> Item:
        """The one validation of an object: through its backend, dependencies included."""
        echo: dict[str, Any] = {}
        if parent is None and isinstance(payload.get("return_to_fl"), Mapping):
            echo.update(payload["return_to_fl"])
        try:
            identity = mapper.identity(payload)
            # The Add only: the update is checked once load() knows whether one is due
            # (check_updates).
            self.backend.validate(
                mapper.object_type,
                payload,
                self.params,
                adds_only=True,
                rules=self.rules_for(mapper.object_type),
            )
            dependencies = mapper.dependencies(payload, self.params)
            for dep in dependencies:
                validate_dependency(dep, self.params, self.backend, self.rules_for(dep.object_type))
            followers = mapper.followers(payload, self.params)
        except PayloadError as exc:
            raise IntakeError(400, f"{where}.{exc.field}: {exc.reason}") from exc
        external_guid = self.external_guid(mapper, payload, echo, parent)
        return Item(
            mapper, payload, identity, dependencies, echo, external_guid, where, followers, parent
        )

    def check_updates(self, items: list[Item]) -> None:
        """Validate the update of every object that will likely be sent as one: qbsync
        holds it already, or FlowLink names its QuickBooks id.

        A new object is sent as an update only if its look-up finds it in QuickBooks, so
        its update is built, and checked, then: should it be impossible, the object fails
        with the validation error in its notification instead of the request failing
        here. Building both for every new object was a tenth of a single-object
        webhook's CPU (docs/benchmarks.md).
        """
        for item in items:
            object_type = item.mapper.object_type
            if item.mapper.adds_on_every_call:
                continue  # never updated
            held = self.rows.get(object_type, item.identity) is not None
            if not held and not self.backend.known_id(object_type, item.payload):
                continue
            try:
                self.backend.validate(
                    object_type, item.payload, self.params, rules=self.rules_for(object_type)
                )
            except PayloadError as exc:
                raise IntakeError(400, f"{item.where}.{exc.field}: {exc.reason}") from exc

    def rules_for(self, object_type: str) -> tuple[Rule, ...]:
        """The rules `object_type`'s objects are built with: the connection's default
        mapping of the type, read once per request."""
        if self.mapping_versions is None:
            self.mapping_versions = (
                FieldMapping.objects.active_versions(self.connection)
                if self.connection.uses_field_mappings
                else {}
            )
            if self.custom is not None and self.custom.mapping is not None:
                chosen = self.custom.mapping.active_version
                self.mapping_versions.pop(self.custom.object_type, None)
                if chosen is not None:
                    self.mapping_versions[self.custom.object_type] = chosen
        version = self.mapping_versions.get(object_type)
        return tuple(version.parsed_rules()) if version is not None else ()

    def mapping_version_id(self, object_type: str) -> int | None:
        version = (self.mapping_versions or {}).get(object_type)
        return version.pk if version is not None else None

    def external_guid(
        self, mapper: ObjectType, payload: dict[str, Any], echo: dict[str, Any], parent: Item | None
    ) -> str:
        """The GUID sent to QuickBooks on Add; a generated one is echoed (flowlink §5.4)."""
        sent = guid(payload.get("external_guid"))
        if parent is not None:
            return sent or new_guid()
        generated = ""
        if is_blank(payload.get("external_guid")) and is_blank(payload.get("qbe_id")):
            # FlowLink stores the echoed GUID on its record.
            generated = echo["external_guid"] = new_guid()
        if mapper.adds_on_every_call:
            # A new record per call: this call's own GUID, never echoed (flowlink §5.3, §6.11).
            return new_guid()
        # Kept normalised: only a GUID ever reaches QuickBooks (values.guid), and anything
        # else FlowLink sends there need not fit the column.
        return generated or sent or ""

    def queue_item(self, item: Item) -> None:
        deps = [self.queue_dependency(dep) for dep in item.dependencies]
        self.order_dependencies(item.dependencies, deps)
        obj = self.queue(
            item.mapper, item.identity, item.payload, Mode.UPSERT, deps, item.external_guid
        )
        self.check_ref_number(obj, item.mapper)
        if item.echo and self.mapper.echo_key:
            item.echo["id"] = item.payload.get("id", item.identity)
            self.echo.append(item.echo)

    def order_dependencies(self, wanted: list[Dependency], rows: list[QueuedObject]) -> None:
        """A dependency that needs others of the same item waits for them.

        A shipment for an order qbsync does not hold creates that order: the order names
        the shipment's customer and items, so it is written after them, not before (in
        key order `orders:` sorts first and the order failed on its missing items).
        """
        by_key = {(row.object_type, row.identity): row for row in rows}
        for dep, row in zip(wanted, rows, strict=True):
            if row.phase != Phase.PENDING or row.qb_id:
                continue  # written already, waiting already, or known to QuickBooks
            mapper = TYPES[dep.object_type]
            for own in mapper.dependencies(dep.payload, self.params):
                first = by_key.get((own.object_type, TYPES[own.object_type].identity(own.payload)))
                if first is not None and first is not row and first.phase != Phase.PROCESSED:
                    self.rows.flush()  # its "received" event comes before it starts waiting
                    row.wait_for(first, f"waits for {first} (it names it)")

    def queue_dependency(self, dep: Dependency) -> QueuedObject:
        mapper = TYPES[dep.object_type]
        identity = mapper.identity(dep.payload)
        existing = self.rows.get(dep.object_type, identity)
        if existing is None:
            return self.queue(mapper, identity, dep.payload, dep.mode, [], new_guid())
        if self.rows.take_fresh(existing):
            self.rows.record_created(existing, [])
        elif existing.object_type != dep.object_type:
            # The item queued under its own type (intake_rows: one item per name): depend on
            # it as it is. A failed one is tried again with its own payload.
            if existing.phase == Phase.FAILED:
                existing.retry(f"needed again by a transaction received on /{self.route}")
        elif existing.phase == Phase.FAILED or self.refreshes(dep, existing):
            # An object FlowLink sent, or one already in QuickBooks, satisfies the dependency.
            # A failed one is tried again with what this transaction says about it.
            mode = dep.mode if existing.mode != Mode.UPSERT else Mode.UPSERT
            existing.replace_payload(
                dep.payload,
                self.params,
                self.request_id,
                self.config.version,
                mode,
                False,
                mapping_version_id=self.mapping_version_id(dep.object_type),
            )
        elif dep.mode == Mode.ENSURE and existing.mode == Mode.REQUIRE and existing.is_active:
            existing.allow_creation(dep.payload)
        return existing

    def refreshes(self, dep: Dependency, existing: QueuedObject) -> bool:
        """The flow asked for its transactions' data to win (flowlink §5.6): the record
        written for an earlier transaction is looked up and modified once more."""
        return (
            dep.mode == Mode.ENSURE
            and existing.phase == Phase.PROCESSED
            and is_on(self.params.get("quickbooks_update_dependencies"))
        )

    def queue(
        self,
        mapper: ObjectType,
        identity: str,
        payload: dict[str, Any],
        mode: str,
        dependencies: list[QueuedObject],
        external_guid: str,
    ) -> QueuedObject:
        waiting = any(d.phase != Phase.PROCESSED for d in dependencies)
        obj = self.rows.get(mapper.object_type, identity)
        created = obj is not None and self.rows.take_fresh(obj)
        if obj is None:
            new = self.rows.new_object(mapper, identity, payload, mode, waiting, external_guid)
            obj, created = self.rows.create(new)
        if created:
            self.rows.record_created(obj, dependencies)
            return obj
        obj.replace_payload(
            payload,
            self.params,
            self.request_id,
            self.config.version,
            mode,
            waiting,
            external_guid=external_guid if mapper.adds_on_every_call else "",
            mapping_version_id=self.mapping_version_id(mapper.object_type),
        )
        if external_guid and not obj.external_guid:
            obj.adopt_external_guid(external_guid)
        qb_id = self.backend.known_id(mapper.object_type, payload)
        if qb_id and not obj.qb_id:
            obj.adopt_qb_id(qb_id)
        if dependencies:
            # Links of rows created earlier in this request must exist before set() reads them.
            self.rows.flush()
            obj.dependencies.set(dependencies)
        return obj

    def check_ref_number(self, obj: QueuedObject, mapper: ObjectType) -> None:
        """flowlink §5.5: two ids sharing the derived RefNumber must never overwrite each other."""
        ref = self.rows.ref_number(mapper, obj.identity, obj.payload, obj.params)
        if not ref:
            return
        if obj.ref_number != ref:
            obj.renumber(ref)
            self.rows.refs = None  # read the RefNumbers again, this one included
        other = self.rows.earlier_with_ref(obj)
        if other is not None:
            self.rows.flush()  # the object's "received" event comes before its failure
            obj.fail(f"RefNumber {ref} collides with {other}")

    def supersede_item_stand_ins(self, items: list[Item]) -> None:
        """One item per name: an item a transaction queued under another type waits for this one.

        A transaction that arrived before FlowLink sent its item (an order auto-creating
        `SOIL-MIX-10L` as an inventory part, then `/add_noninventoryproducts`) queued the
        item under the type it guessed. Both Adds would race in one run and QuickBooks would
        refuse the second with 3100; instead the guess waits for the item FlowLink sent and
        then finds it by name (look-ups span every item type) and links it unchanged.
        """
        object_type = self.mapper.object_type
        if object_type not in ITEM_TYPES:
            return
        stand_ins = QueuedObject.objects.filter(
            connection=self.connection,
            object_type__in=ITEM_TYPES - {object_type},
            identity__in={item.identity for item in items if item.parent is None},
            mode__in=(Mode.ENSURE, Mode.REQUIRE),
            phase__in=(Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY),
        )
        for stand_in in stand_ins:
            sent = self.rows.get(object_type, stand_in.identity)
            if sent is not None and sent.phase != Phase.FAILED:
                reason = f"waits for the {self.mapper.notice_name.lower()} sent on /{self.route}"
                stand_in.wait_for(sent, reason)


# Digests of dependencies that validated. The same customer and products recur across
# many orders, and whether they validate depends only on their payload, mode, the flow
# parameters and the backend, so each is built once per worker rather than once per
# order (docs/benchmarks.md). Bounded by clearing: a miss only costs one validation.
_VALID_DEPENDENCIES: set[bytes] = set()
VALID_DEPENDENCIES_MAX = 16384


def validate_dependency(
    dep: Dependency,
    params: Mapping[str, Any],
    backend: Backend | None = None,
    rules: tuple[Rule, ...] = (),
) -> None:
    backend = backend or backend_named(DEFAULT_BACKEND)
    # repr for non-JSON values keeps Decimal("1") and "1" apart.
    text = json.dumps(
        [backend.name, dep.object_type, dep.mode, dep.payload, params, repr(rules)],
        sort_keys=True,
        default=repr,
    )
    key = hashlib.blake2b(text.encode(), digest_size=16).digest()
    if key in _VALID_DEPENDENCIES:
        return
    _validate_dependency(dep, params, backend, rules)
    if len(_VALID_DEPENDENCIES) >= VALID_DEPENDENCIES_MAX:
        _VALID_DEPENDENCIES.clear()
    _VALID_DEPENDENCIES.add(key)


def _validate_dependency(
    dep: Dependency, params: Mapping[str, Any], backend: Backend, rules: tuple[Rule, ...]
) -> None:
    mapper = TYPES[dep.object_type]
    try:
        mapper.identity(dep.payload)
        # Even a record that is only looked up must make a valid lookup (e.g. a name that
        # is blank once control characters are removed).
        backend.validate_lookup(dep.object_type, dep.payload, params)
        if dep.mode == Mode.ENSURE:
            # Without quickbooks_update_dependencies an existing record is left alone, so
            # only its Add can ever be sent (qbwc.dispatch).
            updates = is_on(params.get("quickbooks_update_dependencies"))
            backend.validate(
                dep.object_type, dep.payload, params, adds_only=not updates, rules=rules
            )
    except PayloadError as exc:
        raise PayloadError(
            f"{mapper.notice_name.lower()} dependency {exc.field}", exc.reason
        ) from exc
