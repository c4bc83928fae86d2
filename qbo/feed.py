"""The QuickBooks Online change feed: fill the get_* buffer from QBO (docs/qbo-pulls.md).

objects.pulls registers what to poll (PollConfig) and hands the buffered records out
(PulledRecord); this module fills that buffer for a QBO connection, per entity:

1. A **sweep** reads everything up to an upper edge taken from QuickBooks' own clock
   (a CDC answer's `time`), page by page, ordered by LastUpdatedTime and keyed on it
   (`LastUpdatedTime >= the last page's newest`), so a record written or changed while
   the sweep runs moves past the upper edge and is left to CDC instead of shifting the
   pages. The first read of a route, `return_all`, and a watermark older than CDC's
   look-back are sweeps.
2. After that, **Change Data Capture** since the watermark minus an overlap. An answer
   at the 1,000-object cap may be cut short: it is asked again entity by entity, then
   an entity's window is halved (CDC from the middle, LastUpdatedTime queries below it).
3. Each version is stored once per route (PulledRecord, de-duplicated by Id and
   SyncToken like Desktop's EditSequence), and told once to the triggers
   (`qbo.signals.record_changed`, on commit). The watermark moves in the transaction
   that stores the last record below it.

`run_feed` is called at the end of every push pass: it returns at once unless the
connection's poll interval has passed or `nudge` asked for a run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.models import Connection
from objects.models import PollConfig, PulledRecord
from objects.types.values import is_on
from qbo.client import QboClient
from qbo.errors import Invalid, QboError
from qbo.feed_models import MIN_INTERVAL_SECONDS, Feed, FeedRecord, FeedState
from qbo.pulls import QBO_ROUTES, QboRoute, tombstone
from qbo.readers.common import Record, string
from qbo.signals import record_changed

log = logging.getLogger(__name__)

__all__ = ["FeedSummary", "is_due", "nudge", "run_feed"]

# CDC answers at most this many objects in all, without paging (qbo-api §7).
CDC_LIMIT = 1000
# CDC looks back 30 days; older watermarks are caught up with queries (qbo-api §7).
CDC_MAX_AGE = timedelta(days=29)
# Read again what changed shortly before the watermark: QBO's clock has one-second
# resolution and a write may become visible after a read that is later on the clock.
OVERLAP = timedelta(minutes=2)
# The entities QBO keeps as name lists: queries leave their inactive records out
# unless asked (qbo-api §6), and deactivating is their deletion.
NAME_LISTS = frozenset({"Customer", "Vendor", "Item"})
# Rows per query page when the connection sets none (QBO's maximum).


@dataclass
class FeedSummary:
    connection_id: str
    ran: bool = False
    skipped: str = ""
    stored: int = 0  # route records buffered (new versions, tombstones)
    changes: int = 0  # record versions told to the triggers
    error: str = ""
    entities: dict[str, str] = field(default_factory=dict)  # entity → how it was read


def cdc_limit() -> int:
    return int(getattr(settings, "QBO_CDC_LIMIT", CDC_LIMIT))


def qbo_time(value: Any) -> datetime | None:
    """A QBO date-time (always with an offset) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _updated(record: Record) -> datetime | None:
    return qbo_time(record.get("MetaData", {}).get("LastUpdatedTime"))


def _literal(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# -- when to run ---------------------------------------------------------------------------


def _wanted(connection: Connection, now: datetime) -> list[PollConfig]:
    return [
        config
        for config in PollConfig.objects.filter(connection=connection).wanted(now)
        if config.route in QBO_ROUTES
    ]


def is_due(connection: Connection, now: datetime) -> bool:
    """Whether `run_feed` would read QuickBooks now (cheap: two small look-ups)."""
    if not _wanted(connection, now):
        return False
    feed = Feed.objects.filter(connection=connection).first()
    return feed is None or feed.next_run_at is None or feed.next_run_at <= now


def nudge(connection: Connection) -> None:
    """Make the next run due at once (an Intuit webhook named the realm)."""
    Feed.objects.filter(connection=connection).update(next_run_at=None)


def _claim(connection: Connection, now: datetime) -> Feed | None:
    """Take the run: a conditional update, so of two passes one reads QuickBooks."""
    feed, _ = Feed.objects.get_or_create(connection=connection)
    if feed.next_run_at is not None and feed.next_run_at > now:
        return None
    interval = timedelta(seconds=max(feed.interval_seconds, MIN_INTERVAL_SECONDS))
    won = Feed.objects.filter(pk=feed.pk, next_run_at=feed.next_run_at).update(
        next_run_at=now + interval, last_run_at=now
    )
    return feed if won == 1 else None


# -- the run ---------------------------------------------------------------------------------


def run_feed(connection: Connection, client: QboClient, now: datetime) -> FeedSummary:
    """Read what changed in QuickBooks Online for the connection's get_* polls, if due.

    Safe to call on every push pass: without due polls it returns `skipped`. A QBO
    error stops the run (recorded in `error` and Feed.last_error); what was stored
    stays stored and the next run resumes from the watermarks.
    """
    summary = FeedSummary(connection.connection_id)
    configs = _wanted(connection, now)
    if not configs:
        summary.skipped = "no get_* polls"
        return summary
    feed = _claim(connection, now)
    if feed is None:
        summary.skipped = "not due"
        return summary
    summary.ran = True
    reader = _Run(connection, client, now, summary)
    try:
        reader.run(configs)
    except QboError as exc:
        summary.error = str(exc)
        log.warning("QBO change feed of %s stopped: %s", connection.connection_id, exc)
    Feed.objects.filter(pk=feed.pk).update(last_error=summary.error)
    return summary


class _Run:
    def __init__(
        self, connection: Connection, client: QboClient, now: datetime, summary: FeedSummary
    ) -> None:
        self.connection = connection
        self.client = client
        self.now = now
        self.summary = summary
        self.stamp = timezone.localtime(now, ZoneInfo(settings.PULL_TIMEZONE)).isoformat(
            timespec="seconds"
        )
        self.page_size = min(max(client.qbo.max_results or PAGE_DEFAULT, 1), PAGE_DEFAULT)
        self._qbo_now: datetime | None = None

    # -- planning ----------------------------------------------------------------------

    def run(self, configs: list[PollConfig]) -> None:
        by_entity: dict[str, list[PollConfig]] = defaultdict(list)
        quantities: list[PollConfig] = []
        for config in configs:
            route = QBO_ROUTES[config.route]
            (quantities if route.is_quantity else by_entity[route.entity]).append(config)
        caught_up: dict[str, FeedState] = {}
        for entity, entity_configs in sorted(by_entity.items()):
            state, _ = FeedState.objects.get_or_create(connection=self.connection, entity=entity)
            self._plan_sweep(state, entity_configs)
            if state.is_sweeping:
                self._sweep(state, entity_configs)
            caught_up[entity] = state
        self._cdc(caught_up, by_entity)
        if quantities:
            self._scan_quantities(quantities)
        for entity, entity_configs in by_entity.items():
            # The cursor echoed to FlowLink (quickbooks_since) is the entity's watermark.
            PollConfig.objects.filter(pk__in=[c.pk for c in entity_configs]).update(
                cursor=caught_up[entity].watermark
            )
        PollConfig.objects.filter(pk__in=[c.pk for c in configs]).update(
            last_completed_at=self.now, last_error=""
        )

    def qbo_now(self) -> datetime:
        """QuickBooks' clock now: the `time` of a CDC answer (never ours)."""
        if self._qbo_now is None:
            # A CDC call since our own "now" reads next to nothing; only its time is used.
            answer = self.client.cdc(["Customer"], self.now)
            found = qbo_time(answer.get("time"))
            if found is None:
                raise Invalid(status=200, message="CDC answer without time")
            self._qbo_now = found
        return self._qbo_now

    def _is_stale(self, watermark: datetime) -> bool:
        """Past CDC's look-back. Our clock only chooses how to read (CDC or queries);
        the watermarks themselves are QuickBooks' times."""
        return watermark < self.now - CDC_MAX_AGE

    def _plan_sweep(
        self, state: FeedState, configs: list[PollConfig], *, refused: bool = False
    ) -> None:
        """Start a sweep when one is needed and none is under way (`refused`: CDC refused
        the watermark as too old, whatever our clock says)."""
        if state.is_sweeping:
            return
        # A route read before but without a cursor now was rewound (PollConfig.rewind).
        new = [c.route for c in configs if c.route not in state.routes or c.cursor is None]
        full = [c.route for c in configs if c.full_pending]
        stale = state.watermark is not None and (refused or self._is_stale(state.watermark))
        if not new and not full and not stale:
            return
        state.sweep_upper = self.qbo_now()
        # Catching up a stale watermark reads from it; a new route, or return_all, all.
        state.sweep_lower = (
            state.watermark - OVERLAP
            if stale and not new and not full and state.watermark
            else None
        )
        state.sweep_after = None
        state.sweep_skip = 0
        state.sweep_routes = sorted(set(new) | set(full) | set(state.routes))
        state.save()
        self.summary.entities[state.entity] = "stale: queries" if stale else "sweep"

    # -- sweeps ------------------------------------------------------------------------

    def _statement(
        self,
        entity: str,
        lower: datetime | None,
        upper: datetime,
        *,
        upper_inclusive: bool = True,
        extra: Iterable[str] = (),
    ) -> str:
        conditions = list(extra)
        if entity in NAME_LISTS:
            conditions.append("Active IN (true, false)")
        if lower is not None:
            conditions.append(f"MetaData.LastUpdatedTime >= '{_literal(lower)}'")
        op = "<=" if upper_inclusive else "<"
        conditions.append(f"MetaData.LastUpdatedTime {op} '{_literal(upper)}'")
        return (
            f"SELECT * FROM {entity} WHERE {' AND '.join(conditions)}"
            " ORDERBY MetaData.LastUpdatedTime"
        )

    def _pages(
        self,
        statement_for: Callable[[datetime | None], str],
        after: datetime | None,
        skip: int,
    ) -> Iterable[tuple[list[Record], datetime | None, int, bool]]:
        """Pages of a LastUpdatedTime-ordered query, keyed on the newest time read.

        Each page asks `LastUpdatedTime >= after` from the start of that second's rows
        and skips only the rows of that very second already read, so a record that
        changes meanwhile (and leaves the range) shifts nothing but its own second. A
        page of one second alone (a bulk import) steps through that second by position.
        Yields (rows, after, skip, done) with the position to resume from.
        """
        while True:
            answer = self.client.query(
                f"{statement_for(after)} STARTPOSITION {skip + 1} MAXRESULTS {self.page_size}"
            )
            rows = _rows(answer)
            if len(rows) < self.page_size:
                yield rows, after, skip, True
                return
            times = [_updated(r) for r in rows]
            newest = times[-1]
            if newest is None or any(t is None for t in times):
                raise Invalid(status=200, message="query row without MetaData.LastUpdatedTime")
            if all(t == newest for t in times):
                skip = skip + len(rows) if newest == after else len(rows)
            else:
                skip = 0
            after = newest
            yield rows, after, skip, False

    def _sweep(self, state: FeedState, configs: list[PollConfig]) -> None:
        assert state.sweep_upper is not None
        upper = state.sweep_upper
        lower = state.sweep_lower

        def statement(after: datetime | None) -> str:
            start = lower if after is None or (lower is not None and lower > after) else after
            return self._statement(state.entity, start, upper)

        # The routes read for the first time (with their quickbooks_since), or again.
        initial = {
            c.route: (c.cursor if c.route not in state.routes else None)
            for c in configs
            if c.route not in state.routes or c.full_pending or c.cursor is None
        }
        # An entity's very first read is the baseline: the triggers hear of changes after it.
        tell = state.watermark is not None
        for rows, after, skip, done in self._pages(statement, state.sweep_after, state.sweep_skip):
            with transaction.atomic():
                self._store(state.entity, configs, rows, initial, tell=tell)
                fields: dict[str, Any] = {"sweep_after": after, "sweep_skip": skip}
                if done:
                    # Changes after the upper edge are CDC's: it starts from there, unless
                    # CDC already reads this entity from an earlier (and recent) watermark.
                    watermark = upper
                    catching_up = state.sweep_lower is not None
                    if (
                        state.watermark is not None
                        and not catching_up
                        and not self._is_stale(state.watermark)
                    ):
                        watermark = min(state.watermark, upper)
                    fields.update(
                        watermark=watermark,
                        routes=state.sweep_routes,
                        sweep_upper=None,
                        sweep_lower=None,
                        sweep_after=None,
                        sweep_skip=0,
                        sweep_routes=[],
                    )
                    PollConfig.objects.filter(
                        pk__in=[c.pk for c in configs if c.route in initial]
                    ).update(full_pending=False)
                FeedState.objects.filter(pk=state.pk).update(**fields)
                for name, value in fields.items():
                    setattr(state, name, value)

    # -- change data capture ------------------------------------------------------------

    def _cdc(self, states: dict[str, FeedState], configs: dict[str, list[PollConfig]]) -> None:
        groups: dict[datetime, list[str]] = defaultdict(list)
        for entity, state in states.items():
            if state.watermark is not None and not state.is_sweeping:
                groups[state.watermark].append(entity)
        for watermark, entities in sorted(groups.items()):
            since = watermark - OVERLAP
            try:
                changes = self._changes(entities, since)
            except Invalid as exc:
                if "changedSince" not in str(exc):
                    raise
                # Past CDC's look-back by QuickBooks' clock (ours may lag behind it).
                for entity in entities:
                    self._plan_sweep(states[entity], configs[entity], refused=True)
                    self._sweep(states[entity], configs[entity])
                continue
            for entity, (records, time) in changes.items():
                records.sort(key=lambda r: _updated(r) or since)
                with transaction.atomic():
                    self._store(entity, configs[entity], records, {})
                    new_mark = max(watermark, time)
                    FeedState.objects.filter(pk=states[entity].pk).update(watermark=new_mark)
                    states[entity].watermark = new_mark
                self.summary.entities.setdefault(entity, "cdc")

    def _changes(
        self, entities: list[str], since: datetime
    ) -> dict[str, tuple[list[Record], datetime]]:
        """What changed since `since`, per entity, with the QBO time it is complete to."""
        answer = self.client.cdc(entities, since)
        time = qbo_time(answer.get("time"))
        if time is None:
            raise Invalid(status=200, message="CDC answer without time")
        found = _cdc_rows(answer, entities)
        if sum(len(rows) for rows in found.values()) < cdc_limit():
            return {entity: (found[entity], time) for entity in entities}
        if len(entities) > 1:
            # The cap is for the whole answer: each entity on its own may fit.
            out: dict[str, tuple[list[Record], datetime]] = {}
            for entity in entities:
                out.update(self._changes([entity], since))
            return out
        return {entities[0]: self._split(entities[0], since, time, found[entities[0]])}

    def _split(
        self, entity: str, since: datetime, time: datetime, capped: list[Record]
    ) -> tuple[list[Record], datetime]:
        """One entity with more changes than a CDC answer holds: CDC gives the newer half
        (recursively halved until it fits), LastUpdatedTime queries the older half."""
        middle = since + (time - since) / 2
        middle = middle.replace(microsecond=0)
        if middle <= since:
            # A window of a second or two over the cap: queries alone.
            middle = time
            newer: list[Record] = []
        else:
            newer, time = self._changes([entity], middle)[entity]
        self.summary.entities[entity] = "cdc split"
        older: list[Record] = []

        def statement(after: datetime | None) -> str:
            start = since if after is None or after < since else after
            return self._statement(entity, start, middle, upper_inclusive=False)

        for rows, _after, _skip, _done in self._pages(statement, None, 0):
            older += rows
        # Deletion markers are not queryable: those of the older half come from the
        # capped answer (docs/qbo-pulls.md names the limit).
        older += [
            r for r in capped if r.get("status") == "Deleted" and (_updated(r) or middle) < middle
        ]
        return older + newer, time

    # -- inventory quantities ------------------------------------------------------------

    def _scan_quantities(self, configs: list[PollConfig]) -> None:
        """get_inventories: QtyOnHand moves without a new SyncToken or LastUpdatedTime,
        so every run reads the inventory items again; unchanged quantities are skipped."""
        upper = self.qbo_now()
        rows: list[Record] = []

        def statement(after: datetime | None) -> str:
            return self._statement("Item", after, upper, extra=["Type = 'Inventory'"])

        for page, _after, _skip, _done in self._pages(statement, None, 0):
            rows += page
        with transaction.atomic():
            for config in configs:
                first = config.cursor is None
                self.summary.stored += self._store_route(
                    config, QBO_ROUTES[config.route], rows, initial=first, since=None
                )
                PollConfig.objects.filter(pk=config.pk).update(cursor=upper)

    # -- storing -------------------------------------------------------------------------

    def _store(
        self,
        entity: str,
        configs: list[PollConfig],
        records: list[Record],
        initial: dict[str, datetime | None],
        *,
        tell: bool = True,
    ) -> None:
        """Store a batch of one entity's records for every route it feeds, and tell the
        triggers of each new version. Runs inside the caller's transaction."""
        if not records:
            return
        self._tell(entity, records, tell)
        for config in configs:
            route = QBO_ROUTES[config.route]
            self.summary.stored += self._store_route(
                config,
                route,
                records,
                initial=config.route in initial,
                since=initial.get(config.route),
            )

    def _tell(self, entity: str, records: list[Record], tell: bool) -> None:
        ids = {string(r, "Id") or "" for r in records}
        seen = {
            f.qb_id: f
            for f in FeedRecord.objects.filter(
                connection=self.connection, entity=entity, qb_id__in=ids
            )
        }
        # A first read meets thousands of records it never saw: one INSERT for them all.
        new: list[FeedRecord] = []
        for record in records:
            qb_id = string(record, "Id") or ""
            deleted = record.get("status") == "Deleted"
            token = "" if deleted else string(record, "SyncToken") or ""
            active = record.get("Active") is not False
            updated = _updated(record) or self.now
            prev = seen.get(qb_id)
            if prev is not None and (prev.sync_token, prev.is_deleted) == (token, deleted):
                continue
            if deleted:
                change = "deleted"
            elif entity in NAME_LISTS and not active and (prev is None or prev.is_active):
                change = "deleted"  # a name list's deletion is its deactivation (qbo-api §15.5)
            elif prev is None or record.get("MetaData", {}).get("CreateTime") == record.get(
                "MetaData", {}
            ).get("LastUpdatedTime"):
                change = "created"
            else:
                change = "updated"
            fields = {
                "sync_token": token,
                "is_active": active,
                "is_deleted": deleted,
                "last_updated": updated,
            }
            if prev is None:
                seen[qb_id] = FeedRecord(
                    connection=self.connection, entity=entity, qb_id=qb_id, **fields
                )
                new.append(seen[qb_id])
            else:
                FeedRecord.objects.filter(pk=prev.pk).update(**fields)
                prev.sync_token, prev.is_deleted, prev.is_active = token, deleted, active
            if tell:
                self.summary.changes += 1
                transaction.on_commit(
                    _signal(self.connection, entity, qb_id, change, _plain(record), token)
                )
        FeedRecord.objects.bulk_create(new)

    def _insert(self, creates: dict[str, PulledRecord]) -> None:
        """New buffered versions in one INSERT; one by one only when another run stored an
        undelivered version of one of them meanwhile (the unique constraint), which is
        then replaced in place."""
        if not creates:
            return
        try:
            with transaction.atomic():
                PulledRecord.objects.bulk_create(list(creates.values()))
            return
        except IntegrityError:
            pass
        for row in creates.values():
            fields = {
                "version": row.version,
                "time_modified": row.time_modified,
                "record": row.record,
                "is_deleted": row.is_deleted,
                "pulled_at": row.pulled_at,
            }
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                PulledRecord.objects.filter(
                    connection=self.connection,
                    route=row.route,
                    qb_id=row.qb_id,
                    delivered_at__isnull=True,
                ).update(**fields)

    def _store_route(
        self,
        config: PollConfig,
        route: QboRoute,
        records: list[Record],
        *,
        initial: bool,
        since: datetime | None,
    ) -> int:
        """Buffer a route's records the way qbwc.polls.store buffers Desktop's: an
        unchanged version is skipped, an undelivered one replaced in place."""
        include_inactive = is_on(config.params.get("query_inactive"))
        latest: dict[str, PulledRecord] = {}
        for pulled in PulledRecord.objects.filter(
            connection=self.connection,
            route=config.route,
            qb_id__in={string(r, "Id") or "" for r in records},
        ).order_by("-id"):
            latest.setdefault(pulled.qb_id, pulled)
        stored = 0
        creates: dict[str, PulledRecord] = {}
        for record in records:
            qb_id = string(record, "Id") or ""
            modified = _updated(record) or self.now
            prev = latest.get(qb_id)
            deleted = record.get("status") == "Deleted"
            if deleted:
                if prev is None and initial:
                    continue  # a first read has no use for deletions FlowLink never saw
                if prev is None and route.item_type is not None:
                    continue  # an unseen item's deletion may be of another type
                row = tombstone(route, record, prev.record if prev is not None else None)
                version = f"deleted:{string(record, 'MetaData.LastUpdatedTime')}"
            else:
                if not route.wants(record):
                    continue
                row = route.read(record, self.stamp)
                version = route.version(record)
            if prev is not None and prev.version == version:
                continue
            if prev is None and row.get("is_active") is False and not include_inactive:
                continue
            if since is not None and modified < since:
                continue
            fields = {
                "version": version[:100],
                "time_modified": modified,
                "record": row,
                "is_deleted": deleted,
                "pulled_at": self.now,
            }
            replaced = 0
            if prev is not None and prev.delivered_at is None:
                # Conditional: if a hand-out took it meanwhile, this version is a new row.
                replaced = PulledRecord.objects.filter(
                    pk=prev.pk, delivered_at__isnull=True
                ).update(**fields)
                prev.version = version[:100]
            if not replaced:
                creates[qb_id] = PulledRecord(
                    connection=self.connection, route=config.route, qb_id=qb_id, **fields
                )
                latest[qb_id] = creates[qb_id]
            stored += 1
        self._insert(creates)
        if stored:
            PollConfig.objects.filter(pk=config.pk).update(
                records_pulled=config.records_pulled + stored
            )
            config.records_pulled += stored
        return stored


PAGE_DEFAULT = 1000


def _signal(
    connection: Connection, entity: str, qb_id: str, change: str, record: Record, version: str
) -> Any:
    def send() -> None:
        record_changed.send(
            sender=FeedRecord,
            connection=connection,
            entity=entity,
            qb_id=qb_id,
            change=change,
            record=record,
            version=version,
        )

    return send


def _plain(value: Any) -> Any:
    """The record with QBO's money as strings (Decimal is not JSON), as Django writes it."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _rows(page: dict[str, Any]) -> list[Record]:
    for key, found in page.items():
        if key not in ("startPosition", "maxResults", "totalCount") and isinstance(found, list):
            return found
    return []


def _cdc_rows(answer: dict[str, Any], entities: list[str]) -> dict[str, list[Record]]:
    """Each entity's objects of a CDC answer (one QueryResponse per entity, in order)."""
    found: dict[str, list[Record]] = {entity: [] for entity in entities}
    for block in answer.get("CDCResponse") or []:
        for response in block.get("QueryResponse") or []:
            for entity in entities:
                rows = response.get(entity)
                if isinstance(rows, list):
                    found[entity] += rows
    return found
