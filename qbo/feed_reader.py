"""Reading QuickBooks Online's changes for the change feed (qbo.feed): CDC answers and
LastUpdatedTime-ordered query pages, with QuickBooks' own clock (docs/qbo-pulls.md).

Nothing here stores anything: qbo.feed decides what to read and qbo.feed_store buffers it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings

from qbo.client import QboClient
from qbo.errors import Invalid
from qbo.readers.common import Record

# CDC answers at most this many objects in all, without paging (qbo-api §7).
CDC_LIMIT = 1000
# The entities QBO keeps as name lists: queries leave their inactive records out
# unless asked (qbo-api §6), and deactivating is their deletion.
NAME_LISTS = frozenset({"Customer", "Vendor", "Item"})
# Rows per query page when the connection sets none (QBO's maximum).
PAGE_DEFAULT = 1000


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


def updated(record: Record) -> datetime | None:
    """The record's MetaData.LastUpdatedTime."""
    return qbo_time(record.get("MetaData", {}).get("LastUpdatedTime"))


def statement(
    entity: str,
    lower: datetime | None,
    upper: datetime,
    *,
    upper_inclusive: bool = True,
    extra: Iterable[str] = (),
) -> str:
    """A query of the entity's records last updated between `lower` and `upper`, oldest first."""
    conditions = list(extra)
    if entity in NAME_LISTS:
        conditions.append("Active IN (true, false)")
    if lower is not None:
        conditions.append(f"MetaData.LastUpdatedTime >= '{_literal(lower)}'")
    op = "<=" if upper_inclusive else "<"
    conditions.append(f"MetaData.LastUpdatedTime {op} '{_literal(upper)}'")
    return (
        f"SELECT * FROM {entity} WHERE {' AND '.join(conditions)} ORDERBY MetaData.LastUpdatedTime"
    )


class ChangeReader:
    """One run's reads of a connection's QuickBooks Online company.

    `notes` is the run's "how each entity was read" (FeedSummary.entities); the reader
    marks there the entities whose CDC answer it had to split.
    """

    def __init__(self, client: QboClient, now: datetime, notes: dict[str, str]) -> None:
        self.client = client
        self.now = now
        self.notes = notes
        self.page_size = min(max(client.qbo.max_results or PAGE_DEFAULT, 1), PAGE_DEFAULT)
        self._qbo_now: datetime | None = None

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

    def pages(
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
            times = [updated(r) for r in rows]
            newest = times[-1]
            if newest is None or any(t is None for t in times):
                raise Invalid(status=200, message="query row without MetaData.LastUpdatedTime")
            if all(t == newest for t in times):
                skip = skip + len(rows) if newest == after else len(rows)
            else:
                skip = 0
            after = newest
            yield rows, after, skip, False

    def all_rows(self, statement_for: Callable[[datetime | None], str]) -> list[Record]:
        """Every row of a LastUpdatedTime-ordered query, page after page."""
        found: list[Record] = []
        for rows, _after, _skip, _done in self.pages(statement_for, None, 0):
            found += rows
        return found

    def changes(
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
                out.update(self.changes([entity], since))
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
            newer, time = self.changes([entity], middle)[entity]
        self.notes[entity] = "cdc split"

        def older_than_middle(after: datetime | None) -> str:
            start = since if after is None or after < since else after
            return statement(entity, start, middle, upper_inclusive=False)

        older = self.all_rows(older_than_middle)
        # Deletion markers are not queryable: those of the older half come from the
        # capped answer (docs/qbo-pulls.md names the limit).
        older += [
            r for r in capped if r.get("status") == "Deleted" and (updated(r) or middle) < middle
        ]
        return older + newer, time


def _literal(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


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
