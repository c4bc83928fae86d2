"""The rows one webhook request touches, read and written set-level (objects.intake).

A request is validated whole first (objects.intake), so every identity it names is
known before anything is written: the rows that exist are read with one query, new
ones are inserted with one INSERT per kind, and history and dependency rows are
bulk-inserted in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connections, router, transaction

from connections.models import Connection, FlowConfig, new_guid
from objects.models import Mode, Phase, QueuedObject, QueuedObjectEvent
from objects.types import ITEM_TYPES, TYPES
from objects.types.base import Dependency, Follower, ObjectType
from qbsync.sql import from_rows, insert_values, select_list

if TYPE_CHECKING:
    from objects.backends import Backend


@dataclass
class Item:
    """One validated object of a request: one FlowLink sent, or a follower of one."""

    mapper: ObjectType
    payload: dict[str, Any]
    identity: str
    dependencies: list[Dependency]
    echo: dict[str, Any]  # what FlowLink gets back for it (nothing for followers)
    external_guid: str  # sent to QuickBooks on Add (generated when FlowLink sent none)
    where: str  # the request field it came from, for 400 messages
    followers: list[Follower] = field(default_factory=list)
    # The item it was derived from (an invoice for its payments); it depends on it.
    parent: Item | None = None


class RequestRows:
    """The rows one request touches: found with one query, new ones inserted in bulk.

    The unique (connection, type, identity) constraint stays the judge: when a
    concurrent request queued the same customer or product first, the bulk insert
    fails in its savepoint and the rows are read again (or, for the request's own
    objects, created one by one as get_or_create would). New dependencies are inserted
    in key order so two requests sharing products wait for each other, never deadlock.
    """

    def __init__(
        self,
        connection: Connection,
        backend: Backend,
        config: FlowConfig,
        route: str,
        request_id: str,
    ) -> None:
        self.connection = connection
        self.backend = backend
        self.config = config
        self.route = route
        self.request_id = request_id
        self.known: dict[tuple[str, str], QueuedObject] = {}
        self.events: list[QueuedObjectEvent] = []
        self.links: list[Any] = []
        # Rows inserted by precreate() whose "received" event is still to be written.
        self.fresh: set[tuple[str, str]] = set()
        # RefNumber -> (created_at, pk, identity) of the rows carrying it, read once.
        self.refs: dict[str, list[tuple[datetime, int, str]]] | None = None
        self.wanted_refs: set[str] = set()
        self.ref_type = ""
        # The field mapping version each type's objects are queued with (objects.intake).
        self.mapping_versions: dict[str, int | None] = {}

    def load(self, items: list[Item]) -> None:
        """Read, with one query, the rows of every object the request names and the rows
        already carrying the RefNumbers its objects derive (earlier_with_ref)."""
        params = self.config.parameters
        sent = [item for item in items if item.parent is None]
        self.wanted_refs = {
            ref
            for item in sent
            if (ref := self.ref_number(item.mapper, item.identity, item.payload, params))
        }
        keys = {(item.mapper.object_type, item.identity) for item in items}
        item_deps: dict[tuple[str, str], str] = {}
        for item in items:
            for dep in item.dependencies:
                key = (dep.object_type, TYPES[dep.object_type].identity(dep.payload))
                keys.add(key)
                if dep.object_type in ITEM_TYPES:
                    # ENSURE wins: a line that may create the item accepts only an item
                    # that will exist; a reference alone accepts any item of that name.
                    item_deps[key] = max(item_deps.get(key, dep.mode), dep.mode, key=_mode_rank)
        # An item dependency may be met by an item of any type (_item_of_another_type).
        named = keys | {(other, identity) for _, identity in item_deps for other in ITEM_TYPES}
        # The request's objects are of one type (one route), so are the rows to compare
        # RefNumbers with.
        ref_type = sent[0].mapper.object_type if sent else ""
        found = read_rows(self.connection.pk, named, ref_type, self.wanted_refs)
        every: dict[tuple[str, str], QueuedObject] = {}
        refs: dict[str, list[tuple[datetime, int, str]]] = {}
        for o in found:
            if (o.object_type, o.identity) in named:
                every[(o.object_type, o.identity)] = o
            if o.object_type == ref_type and o.ref_number in self.wanted_refs:
                refs.setdefault(o.ref_number, []).append((o.created_at, o.pk, o.identity))
        self.refs = refs if self.wanted_refs else None
        self.ref_type = ref_type
        self.known = {key: obj for key, obj in every.items() if key in keys}
        for key, mode in item_deps.items():
            if key not in self.known:
                other = _item_of_another_type(key, mode, every)
                if other is not None:
                    self.known[key] = other

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

    def precreate(self, items: list[Item]) -> None:
        """Insert the request's new dependencies and its new objects with one INSERT.

        Dependencies come first, in key order, so two requests sharing products lock
        them in the same order; the request's own objects follow in request order.
        Followers are left to the row-by-row path: they depend on their parent, whose
        phase this request may still change.
        """
        sent = [item for item in items if item.parent is None]
        own = {(item.mapper.object_type, item.identity) for item in sent}
        wanted: dict[tuple[str, str], Dependency] = {}
        dep_keys: list[list[tuple[str, str]]] = []
        for item in sent:
            keys = [
                (dep.object_type, TYPES[dep.object_type].identity(dep.payload))
                for dep in item.dependencies
            ]
            dep_keys.append(keys)
            for key, dep in zip(keys, item.dependencies, strict=True):
                if key not in own:
                    wanted.setdefault(key, dep)
        for _attempt in range(3):
            new_deps = {
                key: self.new_object(
                    TYPES[key[0]],
                    key[1],
                    wanted[key].payload,
                    wanted[key].mode,
                    False,
                    new_guid(),
                )
                for key, dep in sorted(wanted.items())
                if key not in self.known
            }
            rows = list(new_deps.values())
            taken: dict[tuple[str, str], None] = {}
            for item, keys in zip(sent, dep_keys, strict=True):
                key = (item.mapper.object_type, item.identity)
                if key in self.known or key in taken:
                    continue
                deps = [self.known.get(k) or new_deps.get(k) for k in keys]
                if any(dep is None for dep in deps):
                    continue  # depends on an object of this very request: row by row
                taken[key] = None
                waiting = any(dep is not None and dep.phase != Phase.PROCESSED for dep in deps)
                rows.append(
                    self.new_object(
                        item.mapper,
                        item.identity,
                        item.payload,
                        Mode.UPSERT,
                        waiting,
                        item.external_guid,
                    )
                )
            if self._insert(rows):
                return
            # A concurrent request inserted some of them first: read those, insert the rest.
            self._reload([*new_deps, *taken])
        # Still racing after three tries: the row-by-row path copes.

    def _insert(self, rows: list[QueuedObject]) -> bool:
        """Insert `rows`, skipping any a concurrent request inserted first; whether all went.

        ON CONFLICT DO NOTHING rather than a savepoint around a plain INSERT: the unique
        constraint still judges, and the two round trips of the savepoint were a fifth of
        a single-object webhook's statements."""
        if not rows:
            return True
        inserted = insert_skipping_conflicts(rows)
        for row in rows:
            key = (row.object_type, row.identity)
            if key in inserted:
                self.known[key] = row
                self.fresh.add(key)
                if self.refs is not None and row.object_type == self.ref_type:
                    if row.ref_number in self.wanted_refs:
                        # As the RefNumber query would have found it after the insert.
                        self.refs.setdefault(row.ref_number, []).append(
                            (row.created_at, row.pk, row.identity)
                        )
        if len(inserted) == len(rows):
            return True
        self.refs = None  # others' rows arrived meanwhile: read the RefNumbers again
        return False

    def _reload(self, keys: list[tuple[str, str]]) -> None:
        found = QueuedObject.objects.filter(
            connection=self.connection,
            object_type__in={object_type for object_type, _ in keys},
            identity__in={identity for _, identity in keys},
        )
        self.known.update({(o.object_type, o.identity): o for o in found})

    def record_created(self, obj: QueuedObject, dependencies: list[QueuedObject]) -> None:
        self.events.append(
            QueuedObjectEvent(
                queued_object=obj,
                from_phase="",
                to_phase=obj.phase,
                reason=f"received from FlowLink on /{self.route}"
                + (f" (request {self.request_id})" if self.request_id else ""),
            )
        )
        self.link(obj, dependencies)

    def earlier_with_ref(self, obj: QueuedObject) -> str | None:
        """The identity of the oldest other object carrying obj's RefNumber (flowlink §5.5).

        The RefNumbers of the whole request are read with one query. Objects later in
        this request are inserted already but, as when each object was written in turn,
        only earlier ones count as "the other".
        """
        if self.refs is None or obj.ref_number not in self.wanted_refs:
            self.wanted_refs.add(obj.ref_number)
            self.refs = {}
            rows = QueuedObject.objects.filter(
                connection=self.connection,
                object_type=obj.object_type,
                ref_number__in=self.wanted_refs,
            ).values_list("ref_number", "created_at", "pk", "identity")
            for ref, created_at, pk, identity in rows:
                self.refs.setdefault(ref, []).append((created_at, pk, identity))
        later = set(self.unreached())
        others = [
            row
            for row in self.refs.get(obj.ref_number, [])
            if row[1] != obj.pk and row[1] not in later
        ]
        return min(others)[2] if others else None

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
        if created and self.refs is not None and obj.ref_number:
            self.refs.setdefault(obj.ref_number, []).append((obj.created_at, obj.pk, obj.identity))
        return obj, created

    def link(self, obj: QueuedObject, dependencies: list[QueuedObject]) -> None:
        through = QueuedObject.dependencies.through
        self.links += [
            through(from_queuedobject_id=obj.pk, to_queuedobject_id=dep.pk) for dep in dependencies
        ]

    def new_object(
        self,
        mapper: ObjectType,
        identity: str,
        payload: dict[str, Any],
        mode: str,
        waiting: bool,
        external_guid: str,
    ) -> QueuedObject:
        """An unsaved row for an object this request queues for the first time."""
        config = self.config
        return QueuedObject(
            connection=self.connection,
            object_type=mapper.object_type,
            identity=identity,
            payload=payload,
            params=config.parameters,
            flow=self.route,
            config_version=config.version,
            mapping_version_id=self.mapping_versions.get(mapper.object_type),
            mode=mode,
            phase=Phase.TWO_PHASE_PENDING if waiting else Phase.PENDING,
            request_id=self.request_id,
            external_guid=external_guid,
            qb_id=self.backend.known_id(mapper.object_type, payload),
            ref_number=self.ref_number(mapper, identity, payload, config.parameters),
        )

    def ref_number(
        self, mapper: ObjectType, identity: str, payload: dict[str, Any], params: dict[str, Any]
    ) -> str:
        """The RefNumber (or DocNumber) the backend derives for a transaction, "" for none."""
        return self.backend.ref_number(mapper.object_type, identity, payload, params)

    def flush(self) -> None:
        """Write the collected history and dependency rows (same transaction as the rows).

        Both go in one statement, written out: two bulk_create() calls cost a round trip
        each and compiled more SQL than PostgreSQL spent running it (docs/benchmarks.md).
        """
        if not self.events and not self.links:
            return
        using = router.db_for_write(QueuedObject)
        db = connections[using]
        parts: list[str] = []
        params: list[Any] = []
        if self.events:
            event_meta = QueuedObjectEvent._meta
            rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(self.events))
            parts.append(
                f'INSERT INTO "{event_meta.db_table}" '
                '("queued_object_id", "from_phase", "to_phase", "reason", "at") '
                f"VALUES {rows}"
            )
            at = event_meta.get_field("at")
            for event in self.events:
                params += [
                    event.queued_object_id,
                    event.from_phase,
                    event.to_phase,
                    event.reason,
                    at.get_db_prep_save(event.at, db),
                ]
        if self.links:
            through = QueuedObject.dependencies.through._meta.db_table
            rows = ", ".join(["(%s, %s)"] * len(self.links))
            parts.append(
                f'INSERT INTO "{through}" ("from_queuedobject_id", "to_queuedobject_id") '
                f"VALUES {rows} ON CONFLICT DO NOTHING"
            )
            for link in self.links:
                params += [link.from_queuedobject_id, link.to_queuedobject_id]
        with db.cursor() as cursor:
            if len(parts) == 2 and db.vendor == "postgresql":
                # One round trip: a data-modifying WITH runs its INSERT whatever the outer
                # statement reads. SQLite has no such WITH, so it gets two statements.
                cursor.execute(f"WITH events AS ({parts[0]}) {parts[1]}", params)
            elif len(parts) == 2:
                split = 5 * len(self.events)
                cursor.execute(parts[0], params[:split])
                cursor.execute(parts[1], params[split:])
            else:
                cursor.execute(parts[0], params)
        self.events = []
        self.links = []


def read_rows(
    connection_id: int, named: set[tuple[str, str]], ref_type: str, refs: set[str]
) -> list[QueuedObject]:
    """The connection's rows with one of the `named` (type, identity) pairs, and its rows
    of `ref_type` carrying one of `refs`: one statement, written out (qbsync.sql).

    Each pair is looked up on all three columns of the unique constraint, so PostgreSQL
    uses that index whatever its statistics say. Written as two IN lists (types ×
    identities) it chose, on a table whose statistics lagged its growth, the RefNumber
    index on (connection, type) and filtered every row of the connection: 25 ms of
    PostgreSQL per webhook at 20,000 rows (docs/benchmarks.md).
    """
    if not named:
        return []
    using = router.db_for_read(QueuedObject)
    db = connections[using]
    fields = QueuedObject._meta.concrete_fields
    table = QueuedObject._meta.db_table
    pairs = sorted(named)
    params: list[Any]
    if db.vendor == "postgresql":
        # The pairs as two arrays: two parameters however many, joined row by row.
        sql = (
            f'SELECT {select_list(fields, "q")} FROM "{table}" q '
            "JOIN unnest(%s::text[], %s::text[]) AS w(object_type, identity) "
            'ON q."object_type" = w.object_type AND q."identity" = w.identity '
            'WHERE q."connection_id" = %s'
        )
        params = [[t for t, _ in pairs], [i for _, i in pairs], connection_id]
        if refs:
            sql += (
                f' UNION ALL SELECT {select_list(fields, "q")} FROM "{table}" q '
                'WHERE q."connection_id" = %s AND q."object_type" = %s '
                'AND q."ref_number" = ANY(%s::text[])'
            )
            params += [connection_id, ref_type, sorted(refs)]
    else:
        arms = ['("object_type" = %s AND "identity" = %s)'] * len(pairs)
        params = [connection_id, *(value for pair in pairs for value in pair)]
        if refs:
            arms.append(
                f'("object_type" = %s AND "ref_number" IN ({", ".join(["%s"] * len(refs))}))'
            )
            params += [ref_type, *sorted(refs)]
        sql = (
            f'SELECT {select_list(fields, "")} FROM "{table}" '
            f'WHERE "connection_id" = %s AND ({" OR ".join(arms)})'
        )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # A row both named and carrying a RefNumber comes twice from PostgreSQL's UNION ALL.
    pk = fields.index(QueuedObject._meta.pk)
    unique = {row[pk]: row for row in rows}
    return from_rows(QueuedObject, fields, unique.values(), using)


def insert_skipping_conflicts(rows: list[QueuedObject]) -> set[tuple[str, str]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the (type, identity) of the rows inserted,
    each of which gets its primary key; the others exist already (the constraint judged).

    bulk_create(ignore_conflicts=True) returns no keys, so the statement is written out
    (qbsync.sql), with every value prepared by its field as save() would.
    """
    using = router.db_for_write(QueuedObject)
    fields = [field for field in QueuedObject._meta.concrete_fields if not field.primary_key]
    values, params = insert_values(rows, fields, using)
    sql = (
        f'INSERT INTO "{QueuedObject._meta.db_table}" ({select_list(fields, "")}) '
        f'VALUES {values} ON CONFLICT DO NOTHING RETURNING "id", "object_type", "identity"'
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        returned = {(object_type, identity): pk for pk, object_type, identity in cursor}
    for row in rows:
        pk = returned.get((row.object_type, row.identity))
        if pk is not None:
            row.pk = pk
            row._state.adding = False
            row._state.db = using
    return set(returned)


def _mode_rank(mode: str) -> int:
    return 0 if mode == Mode.REQUIRE else 1


def _item_of_another_type(
    key: tuple[str, str], mode: str, every: dict[tuple[str, str], QueuedObject]
) -> QueuedObject | None:
    """The queued item of another type a transaction's item dependency is, if any.

    Item names are one name space in QuickBooks, so one item per name per connection:
    a non-inventory item FlowLink sent (or one a transaction created) is the item a
    later transaction names, not a second one auto-created as an inventory part, whose
    Add QuickBooks would refuse with 3100. One that will not create the item (a
    reference still unresolved) stands in only for another reference.
    """
    object_type, identity = key
    candidates = [
        obj
        for (other_type, other_identity), obj in every.items()
        if other_identity == identity
        and other_type != object_type
        and other_type in ITEM_TYPES
        and (obj.phase == Phase.PROCESSED or obj.mode != Mode.REQUIRE or mode == Mode.REQUIRE)
    ]
    # What FlowLink sent wins over what a transaction asked for, then the oldest.
    candidates.sort(key=lambda obj: (obj.mode != Mode.UPSERT, obj.created_at, obj.pk))
    return candidates[0] if candidates else None
