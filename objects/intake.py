"""Accept FlowLink webhooks: validate, store durably, answer (flowlink §5).

Everything a webhook accepts is committed before the HTTP answer; a payload that
cannot become valid qbXML is refused whole with a 400 naming the field, and nothing
of that request is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from connections.models import Connection, FlowConfig
from objects.models import Mode, Phase, QueuedObject, QueuedObjectEvent
from objects.qbxml.mappers import BY_PAYLOAD_TYPE, MAPPERS
from objects.qbxml.mappers.base import Dependency, Mapper, ObjectView
from objects.qbxml.values import PayloadError, is_blank

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
}


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


def resolve_connection(
    store: str | None, token: str | None, parameters: Mapping[str, Any]
) -> Connection:
    """flowlink §2.2/§2.3: parameters.connection_id overrides X-Hub-Store; token per connection."""
    connection_id = parameters.get("connection_id")
    if is_blank(connection_id):
        connection_id = store
    if is_blank(connection_id):
        raise IntakeError(401)
    connection = Connection.objects.filter(connection_id=str(connection_id)).first()
    # Compare a token even for unknown connections so timing tells nothing.
    if connection is None:
        Connection(webhook_token_hash="0" * 64).check_webhook_token(token or "x")
        raise IntakeError(401)
    if not connection.check_webhook_token(token):
        raise IntakeError(401)
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
        config = FlowConfig.objects.store(connection, route, dict(parameters))
        # Validate the whole request before writing: a 400 stores nothing either way, and
        # knowing every identity up front lets one query find the rows that already exist.
        checked = []
        for index, item in enumerate(items):
            where = key if not isinstance(raw, list) else f"{key}[{index}]"
            if not isinstance(item, Mapping):
                raise IntakeError(400, f"{where}: must be a JSON object")
            checked.append(_check(mapper, dict(item), config.parameters, where))
        batch = _Batch.load(connection, mapper, checked)
        batch.precreate(mapper, checked, config, route, request_id)
        for item_checked in checked:
            entry = _accept_one(connection, mapper, item_checked, config, route, request_id, batch)
            if entry:
                echo.append(entry)
        batch.flush()
    return Accepted(summary=summary_for(payload_type), echo_key=mapper.echo_key, echo=echo)


@dataclass
class _Checked:
    """One validated object of a request, with what FlowLink gets echoed."""

    payload: dict[str, Any]
    identity: str
    dependencies: list[Dependency]
    entry: dict[str, Any]
    generated_guid: str | None


def _check(
    mapper: Mapper, payload: dict[str, Any], params: Mapping[str, Any], where: str
) -> _Checked:
    entry: dict[str, Any] = {}
    if isinstance(payload.get("return_to_fl"), Mapping):
        entry.update(payload["return_to_fl"])
    generated = None
    if is_blank(payload.get("external_guid")) and is_blank(payload.get("qbe_id")):
        # flowlink §5.4: FlowLink stores the echoed GUID on its record.
        generated = "{" + str(uuid.uuid4()).upper() + "}"
        entry["external_guid"] = generated
    try:
        identity = mapper.identity(payload)
        mapper.validate(payload, params)
        dependencies = mapper.dependencies(payload, params)
        for dep in dependencies:
            _validate_dependency(dep, params)
    except PayloadError as exc:
        raise IntakeError(400, f"{where}.{exc.field}: {exc.reason}") from exc
    return _Checked(payload, identity, dependencies, entry, generated)


class _Batch:
    """The rows one request touches: found with one query, new ones inserted in bulk.

    The unique (connection, type, identity) constraint stays the judge: when a
    concurrent request queued the same customer or product first, the bulk insert
    fails in its savepoint and the rows are read again (or, for the request's own
    objects, created one by one as get_or_create would). New dependencies are inserted
    in key order so two requests sharing products wait for each other, never deadlock.
    """

    def __init__(self, connection: Connection, known: dict[tuple[str, str], QueuedObject]) -> None:
        self.connection = connection
        self.known = known
        self.events: list[QueuedObjectEvent] = []
        self.links: list[Any] = []
        # Rows inserted by precreate() whose "received" event is still to be written.
        self.fresh: set[tuple[str, str]] = set()

    @classmethod
    def load(cls, connection: Connection, mapper: Mapper, checked: list[_Checked]) -> _Batch:
        keys = {(mapper.object_type, item.identity) for item in checked}
        for item in checked:
            for dep in item.dependencies:
                keys.add((dep.object_type, MAPPERS[dep.object_type].identity(dep.payload)))
        found = QueuedObject.objects.filter(
            connection=connection,
            object_type__in={object_type for object_type, _ in keys},
            identity__in={identity for _, identity in keys},
        )
        known = {(o.object_type, o.identity): o for o in found}
        return cls(connection, {key: obj for key, obj in known.items() if key in keys})

    def get(self, object_type: str, identity: str) -> QueuedObject | None:
        return self.known.get((object_type, identity))

    def unreached(self) -> list[int]:
        """Rows precreate() inserted that the request has not come to yet."""
        return [self.known[key].pk for key in self.fresh]

    def take_fresh(self, obj: QueuedObject) -> bool:
        """Whether precreate() inserted `obj` and nobody has recorded it yet (true once)."""
        key = (obj.object_type, obj.identity)
        if key not in self.fresh:
            return False
        self.fresh.discard(key)
        return True

    def precreate(
        self,
        mapper: Mapper,
        checked: list[_Checked],
        config: FlowConfig,
        route: str,
        request_id: str,
    ) -> None:
        """Insert the request's new dependencies, then its new objects, one INSERT each."""
        own = {(mapper.object_type, item.identity) for item in checked}
        wanted: dict[tuple[str, str], Dependency] = {}
        for item in checked:
            for dep in item.dependencies:
                key = (dep.object_type, MAPPERS[dep.object_type].identity(dep.payload))
                if key not in own:
                    wanted.setdefault(key, dep)
        for _attempt in range(3):
            missing = sorted(key for key in wanted if key not in self.known)
            rows = [
                _new_object(
                    self.connection,
                    MAPPERS[key[0]],
                    key[1],
                    wanted[key].payload,
                    config,
                    route,
                    request_id,
                    wanted[key].mode,
                    False,
                    "{" + str(uuid.uuid4()).upper() + "}",
                )
                for key in missing
            ]
            if self._insert(rows):
                break
            self._reload(missing)
        else:
            return  # still racing: the row-by-row path copes
        rows = []
        taken: set[tuple[str, str]] = set()
        for item in checked:
            key = (mapper.object_type, item.identity)
            deps = [
                self.known.get((dep.object_type, MAPPERS[dep.object_type].identity(dep.payload)))
                for dep in item.dependencies
            ]
            if key in self.known or key in taken:
                continue
            if any(dep is None for dep in deps):
                continue  # depends on an object of this very request: row by row
            taken.add(key)
            rows.append(
                _new_object(
                    self.connection,
                    mapper,
                    item.identity,
                    item.payload,
                    config,
                    route,
                    request_id,
                    Mode.UPSERT,
                    any(dep is not None and dep.phase != Phase.PROCESSED for dep in deps),
                    str(item.generated_guid or item.payload.get("external_guid") or ""),
                )
            )
        self._insert(rows)

    def _insert(self, rows: list[QueuedObject]) -> bool:
        if not rows:
            return True
        try:
            with transaction.atomic():
                QueuedObject.objects.bulk_create(rows)
        except IntegrityError:
            return False
        for row in rows:
            key = (row.object_type, row.identity)
            self.known[key] = row
            self.fresh.add(key)
        return True

    def _reload(self, keys: list[tuple[str, str]]) -> None:
        found = QueuedObject.objects.filter(
            connection=self.connection,
            object_type__in={object_type for object_type, _ in keys},
            identity__in={identity for _, identity in keys},
        )
        self.known.update({(o.object_type, o.identity): o for o in found})

    def record_created(
        self, obj: QueuedObject, route: str, request_id: str, dependencies: list[QueuedObject]
    ) -> None:
        self.events.append(
            QueuedObjectEvent(
                queued_object=obj,
                from_phase="",
                to_phase=obj.phase,
                reason=f"received from FlowLink on /{route}"
                + (f" (request {request_id})" if request_id else ""),
            )
        )
        self.link(obj, dependencies)

    def create(self, obj: QueuedObject) -> tuple[QueuedObject, bool]:
        """Insert a new row, or return the one a concurrent request inserted first."""
        try:
            with transaction.atomic():
                obj.save(force_insert=True)
            created = True
        except IntegrityError:
            obj = QueuedObject.objects.get(
                connection=self.connection, object_type=obj.object_type, identity=obj.identity
            )
            created = False
        self.known[(obj.object_type, obj.identity)] = obj
        return obj, created

    def link(self, obj: QueuedObject, dependencies: list[QueuedObject]) -> None:
        through = QueuedObject.dependencies.through
        self.links += [
            through(from_queuedobject_id=obj.pk, to_queuedobject_id=dep.pk) for dep in dependencies
        ]

    def flush(self) -> None:
        """Write the collected history and dependency rows (same transaction as the rows)."""
        if self.events:
            QueuedObjectEvent.objects.bulk_create(self.events)
            self.events = []
        if self.links:
            QueuedObject.dependencies.through.objects.bulk_create(self.links, ignore_conflicts=True)
            self.links = []


def _accept_one(
    connection: Connection,
    mapper: Mapper,
    checked: _Checked,
    config: FlowConfig,
    route: str,
    request_id: str,
    batch: _Batch,
) -> dict[str, Any] | None:
    payload, identity, entry = checked.payload, checked.identity, checked.entry
    external_guid = str(checked.generated_guid or payload.get("external_guid") or "")
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
    if not entry:
        return None
    entry["id"] = payload.get("id", identity)
    return entry


def _validate_dependency(dep: Dependency, params: Mapping[str, Any]) -> None:
    mapper = MAPPERS[dep.object_type]
    try:
        mapper.identity(dep.payload)
        if dep.mode == Mode.ENSURE:
            mapper.validate(dep.payload, params)
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
    batch: _Batch,
) -> QueuedObject:
    mapper = MAPPERS[dep.object_type]
    identity = mapper.identity(dep.payload)
    existing = batch.get(dep.object_type, identity)
    if existing is not None and batch.take_fresh(existing):
        batch.record_created(existing, route, request_id, [])
        return existing
    if existing is not None:
        # An object FlowLink sent, or one already in QuickBooks, satisfies the dependency.
        # A failed one is tried again with what this transaction says about it.
        if existing.phase == Phase.FAILED:
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
        "{" + str(uuid.uuid4()).upper() + "}",
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
    batch: _Batch,
) -> QueuedObject:
    waiting = any(d.phase != Phase.PROCESSED for d in dependencies)
    qb_id = payload.get("list_id") or payload.get("qbe_id") or ""
    qb_id = str(qb_id) if len(str(qb_id)) <= 36 else ""
    obj = batch.get(mapper.object_type, identity)
    created = obj is not None and batch.take_fresh(obj)
    if obj is None:
        obj, created = batch.create(
            _new_object(
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
    obj.replace_payload(payload, config.parameters, request_id, config.version, mode, waiting)
    if external_guid and not obj.external_guid:
        QueuedObject.objects.filter(pk=obj.pk).update(external_guid=external_guid)
        obj.external_guid = external_guid
    if qb_id and not obj.qb_id:
        QueuedObject.objects.filter(pk=obj.pk).update(qb_id=qb_id)
        obj.qb_id = qb_id
    if dependencies:
        # Links of rows created earlier in this request must exist before set() reads them.
        batch.flush()
        obj.dependencies.set(dependencies)
    return obj


def _new_object(
    connection: Connection,
    mapper: Mapper,
    identity: str,
    payload: dict[str, Any],
    config: FlowConfig,
    route: str,
    request_id: str,
    mode: str,
    waiting: bool,
    external_guid: str,
) -> QueuedObject:
    qb_id = payload.get("list_id") or payload.get("qbe_id") or ""
    qb_id = str(qb_id) if len(str(qb_id)) <= 36 else ""
    return QueuedObject(
        connection=connection,
        object_type=mapper.object_type,
        identity=identity,
        payload=payload,
        params=config.parameters,
        flow=route,
        config_version=config.version,
        mode=mode,
        phase=Phase.TWO_PHASE_PENDING if waiting else Phase.PENDING,
        request_id=request_id,
        external_guid=external_guid,
        qb_id=qb_id,
        ref_number=_ref_number(mapper, identity, payload, config.parameters),
    )


def _ref_number(
    mapper: Mapper, identity: str, payload: dict[str, Any], params: dict[str, Any]
) -> str:
    ref_number_of = getattr(mapper, "ref_number", None)
    if ref_number_of is None:
        return ""
    return str(ref_number_of(ObjectView(mapper.object_type, identity, payload, params)))


def _check_ref_number(obj: QueuedObject, mapper: Mapper, batch: _Batch) -> None:
    """flowlink §5.5: two ids sharing the derived RefNumber must never overwrite each other."""
    if getattr(mapper, "ref_number", None) is None:
        return
    ref = _ref_number(mapper, obj.identity, obj.payload, obj.params)
    if obj.ref_number != ref:
        QueuedObject.objects.filter(pk=obj.pk).update(ref_number=ref)
        obj.ref_number = ref
    other = (
        QueuedObject.objects.filter(
            connection=obj.connection_id, object_type=obj.object_type, ref_number=ref
        )
        .exclude(pk=obj.pk)
        # Objects later in this request are inserted already but, as when each object
        # was written in turn, only earlier ones count as "the other".
        .exclude(pk__in=batch.unreached())
        .order_by("created_at")
        .values_list("identity", flat=True)
        .first()
    )
    if other is not None:
        batch.flush()  # the object's "received" event comes before its failure
        obj.fail(f"RefNumber {ref} collides with {other}")
