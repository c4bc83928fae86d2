"""The in-memory company file: records, indexes, identifiers, the clock, the deletion log.

Records are stored as the `…Ret` elements QuickBooks would return. Each kind keeps its
records in a dict ordered by TimeModified (a modification moves the record to the end),
so queries and iterators page in a stable order without sorting.
"""

from __future__ import annotations

import contextlib
import heapq
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeAlias

from lxml import etree

from qbwc.qbxml.parse import tag_of
from qbwc.simulator import qb_kinds as kinds
from qbwc.simulator.qb_order import sort_children

Element: TypeAlias = etree._Element

DUMP_FORMAT = "qbsync-fake-quickbooks"


class QbError(Exception):
    """A request failed with a QuickBooks status; `rets` go inside the error Rs (3200)."""

    def __init__(self, code: int, message: str, rets: list[Element] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.rets = rets or []


@dataclass
class Meta:
    kind: str
    created: int
    modified: int
    name: str = ""  # lists: FullName (or Name/Initial); transactions: RefNumber


def parse_offset(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, _, minutes = offset.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def sub(parent: Element, tag: str, text: str | None = None) -> Element:
    node = etree.SubElement(parent, tag)
    if text is not None:
        node.text = text
    return node


def set_text(record: Element, tag: str, text: str, before: tuple[str, ...] = ()) -> None:
    """Set a child's text, creating it before the first of `before` (else at the end)."""
    node = record.find(tag)
    if node is None:
        node = etree.Element(tag)
        anchor = next((c for c in record if c.tag in before), None)
        if anchor is not None:
            anchor.addprevious(node)
        else:
            record.append(node)
    node.text = text


class Store:
    def __init__(
        self,
        *,
        utc_offset: str,
        start_time: int,
        wall_clock: Callable[[], float] | None = None,
        orders: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.utc_offset = utc_offset
        self.tz = parse_offset(utc_offset)
        self.now = start_time - 1
        self.wall_clock = wall_clock
        self.orders = orders or {}
        self.records: dict[str, dict[str, Element]] = {}
        self.meta: dict[str, Meta] = {}
        self.names: dict[str, dict[str, str]] = {}
        self.refnums: dict[str, dict[str, list[str]]] = {}
        self.deleted: list[dict[str, Any]] = []
        self.company_ext: list[Element] = []
        self.list_counter = 0x80000001
        self.txn_counter = 0x10
        self.txn_number = 1
        self.ref_counters: dict[str, int] = {}

    # --- clock and identifiers --------------------------------------------------------

    def tick(self) -> int:
        """Advance the clock by at least a second so TimeModified values strictly increase."""
        self.now += 1
        if self.wall_clock is not None:
            self.now = max(self.now, int(self.wall_clock()))
        return self.now

    def stamp(self, unix: int) -> str:
        local = datetime.fromtimestamp(unix, self.tz)
        return local.strftime("%Y-%m-%dT%H:%M:%S") + self.utc_offset

    def today(self) -> date:
        return datetime.fromtimestamp(self.now, self.tz).date()

    def parse_datetime(self, text: str, end_of_day: bool = False) -> int | None:
        """Read a DATETIMETYPE; no offset means company time, a bare date covers the whole day."""
        text = text.strip()
        try:
            if len(text) == 10:
                day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=self.tz)
                if end_of_day:
                    day += timedelta(days=1, seconds=-1)
                return int(day.timestamp())
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return int(moment.astimezone(UTC).timestamp())

    def new_list_id(self, created: int) -> str:
        value = f"{self.list_counter:08X}-{created}"
        self.list_counter += 1
        return value

    def new_txn_id(self, created: int) -> str:
        value = f"{self.txn_counter:X}-{created}"
        self.txn_counter += 1
        return value

    @contextlib.contextmanager
    def refusable(self) -> Iterator[None]:
        """Undo clock and counter moves when a request ends in a QbError (it changed nothing)."""
        saved = (self.now, self.list_counter, self.txn_counter, self.txn_number)
        refs = dict(self.ref_counters)
        try:
            yield
        except QbError:
            self.now, self.list_counter, self.txn_counter, self.txn_number = saved
            self.ref_counters = refs
            raise

    def next_ref_number(self, kind: str) -> str:
        number = self.ref_counters.get(kind, 1)
        self.ref_counters[kind] = number + 1
        return str(number)

    def note_ref_number(self, kind: str, ref_number: str) -> None:
        # QuickBooks continues numbering after the highest number it was given.
        if ref_number.isdigit() and int(ref_number) >= self.ref_counters.get(kind, 1):
            self.ref_counters[kind] = int(ref_number) + 1

    # --- lookups ------------------------------------------------------------------------

    def get(self, record_id: str) -> Element | None:
        meta = self.meta.get(record_id)
        if meta is None:
            return None
        return self.records[meta.kind].get(record_id)

    def kind_records(self, kind: str) -> dict[str, Element]:
        return self.records.setdefault(kind, {})

    def by_name(self, namespace: str, name: str) -> str | None:
        return self.names.get(namespace, {}).get(name.upper())

    def find_list(self, targets: Iterable[str], list_id: str, full_name: str) -> str | None:
        allowed = set(targets)
        if list_id:
            meta = self.meta.get(list_id)
            return list_id if meta is not None and meta.kind in allowed else None
        for namespace in {kinds.namespace_of(k) for k in allowed}:
            found = self.by_name(namespace, full_name)
            if found is not None and self.meta[found].kind in allowed:
                return found
        return None

    def by_ref_number(self, kind: str, ref_number: str) -> list[str]:
        return list(self.refnums.get(kind, {}).get(ref_number.upper(), []))

    def name_of(self, record_id: str) -> str:
        meta = self.meta.get(record_id)
        return meta.name if meta is not None else ""

    def is_empty(self, targets: Iterable[str]) -> bool:
        return all(not self.records.get(kind) for kind in targets)

    def iter_kinds(self, kind_list: Iterable[str]) -> Iterator[tuple[str, Element]]:
        """Yield (id, record) of several kinds, oldest TimeModified first."""
        streams = [
            ((self.meta[rid].modified, rid, rec) for rid, rec in self.records.get(kind, {}).items())
            for kind in kind_list
        ]
        for _, rid, rec in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
            yield rid, rec

    # --- writes ---------------------------------------------------------------------------

    def insert(self, kind: str, record_id: str, record: Element, meta: Meta) -> None:
        self.kind_records(kind)[record_id] = record
        self.meta[record_id] = meta
        self._index(record_id, meta)

    def _index(self, record_id: str, meta: Meta) -> None:
        if kinds.is_list(meta.kind):
            if meta.name:
                space = self.names.setdefault(kinds.namespace_of(meta.kind), {})
                space[meta.name.upper()] = record_id
        elif meta.name:
            self.refnums.setdefault(meta.kind, {}).setdefault(meta.name.upper(), []).append(
                record_id
            )

    def _unindex(self, record_id: str, meta: Meta) -> None:
        if kinds.is_list(meta.kind):
            space = self.names.get(kinds.namespace_of(meta.kind), {})
            if space.get(meta.name.upper()) == record_id:
                del space[meta.name.upper()]
        elif meta.name:
            ids = self.refnums.get(meta.kind, {}).get(meta.name.upper(), [])
            if record_id in ids:
                ids.remove(record_id)

    def rename(self, record_id: str, name: str) -> None:
        meta = self.meta[record_id]
        self._unindex(record_id, meta)
        meta.name = name
        self._index(record_id, meta)

    def touch(self, record_id: str) -> None:
        """Stamp a modification: new TimeModified and EditSequence, move to the end."""
        meta = self.meta[record_id]
        record = self.records[meta.kind].pop(record_id)
        meta.modified = self.tick()
        set_text(record, "TimeModified", self.stamp(meta.modified))
        set_text(record, "EditSequence", str(meta.modified))
        self.records[meta.kind][record_id] = record

    def replace(self, record_id: str, record: Element) -> None:
        meta = self.meta[record_id]
        self.records[meta.kind][record_id] = record

    def remove(self, record_id: str) -> dict[str, Any]:
        """Delete a record and log it for ListDeletedQuery/TxnDeletedQuery."""
        meta = self.meta.pop(record_id)
        self.records[meta.kind].pop(record_id)
        self._unindex(record_id, meta)
        entry = {
            "kind": meta.kind,
            "id": record_id,
            "created": meta.created,
            "deleted": self.tick(),
            "name": meta.name,
            "is_list": kinds.is_list(meta.kind),
        }
        self.deleted.append(entry)
        return entry

    # --- output -----------------------------------------------------------------------------

    def rename_refs(self, record_id: str) -> None:
        """Rewrite every reference to a renamed record; QuickBooks stores ids, not names."""
        name = self.meta[record_id].name
        for items in self.records.values():
            for record in items.values():
                for node in record.iter("ListID"):
                    ref = node.getparent()
                    if node.text != record_id or ref is None or not tag_of(ref).endswith("Ref"):
                        continue
                    full = ref.find("FullName")
                    if full is None:
                        full = sub(ref, "FullName")
                    full.text = name

    def arrange(self, record: Element) -> None:
        """Put a Ret (and its lines) in schema order when the XSDs are known."""
        order = self.orders.get(tag_of(record))
        if order is None:
            return
        sort_children(record, order, drop_unknown=True)
        for child in record:
            line_order = self.orders.get(child.tag) if isinstance(child.tag, str) else None
            if line_order is not None and len(child):
                sort_children(child, line_order, drop_unknown=True)

    # --- persistence ---------------------------------------------------------------------------

    def dump_state(self) -> dict[str, Any]:
        records: dict[str, list[dict[str, Any]]] = {}
        for kind, items in self.records.items():
            records[kind] = [
                {
                    "xml": etree.tostring(rec, encoding="unicode"),
                    "created": self.meta[rid].created,
                    "modified": self.meta[rid].modified,
                    "name": self.meta[rid].name,
                }
                for rid, rec in items.items()
            ]
        return {
            "format": DUMP_FORMAT,
            "version": 1,
            "utc_offset": self.utc_offset,
            "now": self.now,
            "list_counter": self.list_counter,
            "txn_counter": self.txn_counter,
            "txn_number": self.txn_number,
            "ref_counters": self.ref_counters,
            "records": records,
            "deleted": self.deleted,
            "company_ext": [etree.tostring(e, encoding="unicode") for e in self.company_ext],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if state.get("format") != DUMP_FORMAT:
            raise ValueError("not a fake QuickBooks company file")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        self.records, self.meta, self.names, self.refnums = {}, {}, {}, {}
        self.now = int(state["now"])
        self.list_counter = int(state["list_counter"])
        self.txn_counter = int(state["txn_counter"])
        self.txn_number = int(state["txn_number"])
        self.ref_counters = {k: int(v) for k, v in state.get("ref_counters", {}).items()}
        self.deleted = list(state.get("deleted", []))
        self.company_ext = [etree.fromstring(x, parser) for x in state.get("company_ext", [])]
        for kind, items in state["records"].items():
            self.kind_records(kind)
            for item in items:
                record = etree.fromstring(item["xml"], parser)
                record_id = record.findtext("ListID") or record.findtext("TxnID") or ""
                meta = Meta(kind, int(item["created"]), int(item["modified"]), item["name"])
                self.insert(kind, record_id, record, meta)


def write_json(path: str, state: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(state, indent=1), encoding="utf-8")


def read_json(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data
