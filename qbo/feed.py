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
connection's poll interval has passed or `nudge` asked for a run. This module plans
the run and keeps its bookkeeping (Feed, FeedState, the poll cursors); qbo.feed_reader
reads QuickBooks and qbo.feed_store buffers what it read.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from connections.models import Connection
from objects.models import PollConfig
from qbo.client import QboClient
from qbo.errors import Invalid, QboError
from qbo.feed_models import MIN_INTERVAL_SECONDS, Feed, FeedState
from qbo.feed_reader import ChangeReader, statement, updated
from qbo.feed_store import FeedStore
from qbo.pulls import QBO_ROUTES

log = logging.getLogger(__name__)

__all__ = ["FeedSummary", "is_due", "nudge", "run_feed"]

# CDC looks back 30 days; older watermarks are caught up with queries (qbo-api §7).
CDC_MAX_AGE = timedelta(days=29)
# Read again what changed shortly before the watermark: QBO's clock has one-second
# resolution and a write may become visible after a read that is later on the clock.
OVERLAP = timedelta(minutes=2)


@dataclass
class FeedSummary:
    connection_id: str
    ran: bool = False
    skipped: str = ""
    stored: int = 0  # route records buffered (new versions, tombstones)
    changes: int = 0  # record versions told to the triggers
    error: str = ""
    entities: dict[str, str] = field(default_factory=dict)  # entity → how it was read


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
    run = _Run(connection, client, now, summary)
    try:
        run.run(configs)
    except QboError as exc:
        summary.error = str(exc)
        log.warning("QBO change feed of %s stopped: %s", connection.connection_id, exc)
    summary.stored, summary.changes = run.store.stored, run.store.changes
    Feed.objects.filter(pk=feed.pk).update(last_error=summary.error)
    return summary


class _Run:
    def __init__(
        self, connection: Connection, client: QboClient, now: datetime, summary: FeedSummary
    ) -> None:
        self.connection = connection
        self.now = now
        self.summary = summary
        self.reader = ChangeReader(client, now, summary.entities)
        self.store = FeedStore(connection, now)

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
        state.sweep_upper = self.reader.qbo_now()
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

    def _sweep(self, state: FeedState, configs: list[PollConfig]) -> None:
        assert state.sweep_upper is not None
        upper = state.sweep_upper
        lower = state.sweep_lower

        def from_lower(after: datetime | None) -> str:
            start = lower if after is None or (lower is not None and lower > after) else after
            return statement(state.entity, start, upper)

        # The routes read for the first time (with their quickbooks_since), or again.
        initial = {
            c.route: (c.cursor if c.route not in state.routes else None)
            for c in configs
            if c.route not in state.routes or c.full_pending or c.cursor is None
        }
        # An entity's very first read is the baseline: the triggers hear of changes after it.
        tell = state.watermark is not None
        pages = self.reader.pages(from_lower, state.sweep_after, state.sweep_skip)
        for rows, after, skip, done in pages:
            with transaction.atomic():
                self.store.store(state.entity, configs, rows, initial, tell=tell)
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
                changes = self.reader.changes(entities, since)
            except Invalid as exc:
                if "changedSince" not in str(exc):
                    raise
                # Past CDC's look-back by QuickBooks' clock (ours may lag behind it).
                for entity in entities:
                    self._plan_sweep(states[entity], configs[entity], refused=True)
                    self._sweep(states[entity], configs[entity])
                continue
            for entity, (records, time) in changes.items():
                records.sort(key=lambda r: updated(r) or since)
                with transaction.atomic():
                    self.store.store(entity, configs[entity], records, {})
                    new_mark = max(watermark, time)
                    FeedState.objects.filter(pk=states[entity].pk).update(watermark=new_mark)
                    states[entity].watermark = new_mark
                self.summary.entities.setdefault(entity, "cdc")

    # -- inventory quantities ------------------------------------------------------------

    def _scan_quantities(self, configs: list[PollConfig]) -> None:
        """get_inventories: QtyOnHand moves without a new SyncToken or LastUpdatedTime,
        so every run reads the inventory items again; unchanged quantities are skipped."""
        upper = self.reader.qbo_now()

        def inventory(after: datetime | None) -> str:
            return statement("Item", after, upper, extra=["Type = 'Inventory'"])

        rows = self.reader.all_rows(inventory)
        with transaction.atomic():
            for config in configs:
                first = config.cursor is None
                self.store.store_route(
                    config, QBO_ROUTES[config.route], rows, initial=first, since=None
                )
                PollConfig.objects.filter(pk=config.pk).update(cursor=upper)
