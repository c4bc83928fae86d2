"""List and transaction queries, iterators and deleted-object queries (qbxml.md §7, §8, §10).

Filters implemented: ListID/FullName, TxnID/RefNumber/RefNumberCaseSensitive,
MaxReturned, ActiveStatus, FromModifiedDate/ToModifiedDate, ModifiedDateRangeFilter,
NameFilter, NameRangeFilter, TxnDateRangeFilter (dates and the common DateMacros),
EntityFilter, AccountFilter, RefNumberFilter, RefNumberRangeFilter, PaidStatus,
AccountType; IncludeLineItems, IncludeRetElement, OwnerID, metaData and iterators.
Other type-specific filters (TotalBalanceFilter, ClassFilter, CurrencyFilter, …) are
ignored: the query then returns more records than QuickBooks would.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from lxml import etree

from qbwc.simulator import qb_kinds as kinds
from qbwc.simulator.qb_store import Element, QbError, Store, sub

Predicate = Callable[[str, Element], bool]


@dataclass
class Outcome:
    """What one request answers: status, `…Ret` elements and extra Rs attributes."""

    code: int = 0
    message: str = kinds.OK_TEXT
    rets: list[Element] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Shape:
    """How records are rendered in a response."""

    include_lines: bool = True
    include: frozenset[str] = frozenset()
    owners: frozenset[str] = frozenset()
    # QuickBooks lists a transaction's LinkedTxn only when the query asks for them.
    include_links: bool = True


@dataclass
class IteratorState:
    session: int
    ids: list[str]
    page_size: int
    shape: Shape


def shape_of(rq: Element, default_lines: bool) -> Shape:
    lines = rq.findtext("IncludeLineItems")
    return Shape(
        include_lines=default_lines if lines is None else lines.strip() in ("true", "1"),
        include=frozenset((e.text or "").strip() for e in rq.findall("IncludeRetElement")),
        owners=frozenset((e.text or "").strip() for e in rq.findall("OwnerID")),
        # Only queries filter links; an Add/Mod answer shows the record as written.
        include_links=not str(rq.tag).endswith("QueryRq")
        or (rq.findtext("IncludeLinkedTxns") or "").strip() in ("true", "1"),
    )


def render(record: Element, shape: Shape) -> Element:
    """Copy a stored record for a response, applying IncludeLineItems/IncludeRetElement/OwnerID."""
    out = copy.deepcopy(record)
    for child in list(out):
        if not isinstance(child.tag, str):
            continue
        if child.tag == "DataExtRet":
            if child.findtext("OwnerID") not in shape.owners:
                out.remove(child)
        elif not shape.include_lines and kinds.is_line_tag(child.tag):
            out.remove(child)
        elif child.tag == "LinkedTxn" and not shape.include_links:
            out.remove(child)
        elif shape.include and child.tag not in shape.include:
            out.remove(child)
    return out


def _text_set(rq: Element, tag: str) -> list[str]:
    return [(e.text or "").strip() for e in rq.findall(tag)]


class QueryRunner:
    """Runs `…QueryRq`s and keeps the iterators of the current QuickBooks session."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.iterators: dict[str, IteratorState] = {}
        self.session = 1

    def new_session(self) -> None:
        self.session += 1
        self.iterators.clear()

    # --- entry point ------------------------------------------------------------------

    def run(self, kind_list: tuple[str, ...], rq: Element) -> Outcome:
        is_txn = kinds.is_txn(kind_list[0])
        iterator = rq.get("iterator")
        if iterator in ("Continue", "Stop"):
            return self._continue(rq, iterator)
        shape = shape_of(rq, default_lines=not is_txn)
        direct = self._direct(kind_list, rq, is_txn)
        if direct is not None:
            ids, code, message = direct
            return self._answer(rq, ids, shape, code, message)
        matches = self._matches(rq, is_txn)
        ids = [rid for rid, rec in self.store.iter_kinds(kind_list) if matches(rid, rec)]
        page = _int(rq.findtext("MaxReturned"))
        if iterator == "Start":
            return self._start(rq, ids, page, shape)
        if page is not None:
            ids = ids[:page]
        return self._answer(rq, ids, shape)

    # --- lookups by identity ------------------------------------------------------------------

    def _direct(
        self, kind_list: tuple[str, ...], rq: Element, is_txn: bool
    ) -> tuple[list[str], int, str] | None:
        id_tag = "TxnID" if is_txn else "ListID"
        wanted = _text_set(rq, id_tag)
        if wanted:
            found = []
            for record_id in wanted:
                meta = self.store.meta.get(record_id)
                if meta is None or meta.kind not in kind_list:
                    raise QbError(3120, kinds.not_found_text(record_id))
                found.append(record_id)
            return found, 0, kinds.OK_TEXT
        if not is_txn and rq.find("FullName") is not None:
            named: list[str] = []
            missing: list[str] = []
            for name in _text_set(rq, "FullName"):
                match = self.store.find_list(kind_list, "", name)
                if match is None:
                    missing.append(name)
                else:
                    named.append(match)
            if missing:
                return named, 500, kinds.missing_element_text(missing[0])
            return named, 0, kinds.OK_TEXT
        for tag in ("RefNumber", "RefNumberCaseSensitive"):
            numbers = _text_set(rq, tag)
            if not numbers:
                continue
            found = []
            for number in numbers:
                for kind in kind_list:
                    for record_id in self.store.by_ref_number(kind, number):
                        if tag == "RefNumber" or self.store.name_of(record_id) == number:
                            found.append(record_id)
            # RefNumbers are not unique; a miss behaves like a filter (status 1, unverified).
            return found, 0, kinds.OK_TEXT
        return None

    # --- filters -----------------------------------------------------------------------------

    def _matches(self, rq: Element, is_txn: bool) -> Predicate:
        tests: list[Predicate] = []
        store = self.store
        if not is_txn:
            active = (rq.findtext("ActiveStatus") or "ActiveOnly").strip()
            if active != "All":
                wanted = active == "ActiveOnly"
                tests.append(lambda rid, rec: (rec.findtext("IsActive") != "false") == wanted)
            dates: Element | None = rq
        else:
            dates = rq.find("ModifiedDateRangeFilter")
        if dates is not None:
            low = store.parse_datetime(dates.findtext("FromModifiedDate") or "")
            high = store.parse_datetime(dates.findtext("ToModifiedDate") or "", end_of_day=True)
            if low is not None:
                tests.append(lambda rid, rec: store.meta[rid].modified >= low)
            if high is not None:
                tests.append(lambda rid, rec: store.meta[rid].modified <= high)
        tests.extend(self._name_tests(rq, "NameFilter", "NameRangeFilter", "Name"))
        tests.extend(self._name_tests(rq, "RefNumberFilter", "RefNumberRangeFilter", "RefNumber"))
        account_type = rq.findtext("AccountType")
        if account_type:
            tests.append(lambda rid, rec: rec.findtext("AccountType") == account_type)
        paid = rq.findtext("PaidStatus")
        if paid in ("PaidOnly", "NotPaidOnly"):
            flag = "true" if paid == "PaidOnly" else "false"
            tests.append(lambda rid, rec: rec.findtext("IsPaid") == flag)
        tests.extend(self._txn_tests(rq))
        return lambda rid, rec: all(test(rid, rec) for test in tests)

    def _name_tests(
        self, rq: Element, match_tag: str, range_tag: str, field: str
    ) -> list[Predicate]:
        store = self.store
        match = rq.find(match_tag)
        if match is not None:
            criterion = match.findtext("MatchCriterion") or "StartsWith"
            needle = (match.findtext(field) or "").upper()
            checks: dict[str, Callable[[str], bool]] = {
                "StartsWith": lambda s: s.startswith(needle),
                "Contains": lambda s: needle in s,
                "EndsWith": lambda s: s.endswith(needle),
            }
            check = checks.get(criterion, checks["StartsWith"])
            return [lambda rid, rec: check(store.name_of(rid).upper())]
        span = rq.find(range_tag)
        if span is None:
            return []
        low = (span.findtext(f"From{field}") or "").upper()
        high = (span.findtext(f"To{field}") or "").upper()

        def within(rid: str, rec: Element) -> bool:
            name = store.name_of(rid).upper()
            return (not low or name >= low) and (not high or name <= high)

        return [within]

    def _txn_tests(self, rq: Element) -> list[Predicate]:
        tests: list[Predicate] = []
        span = rq.find("TxnDateRangeFilter")
        if span is not None:
            low, high = self._txn_dates(span)
            if low:
                tests.append(lambda rid, rec: (rec.findtext("TxnDate") or "") >= low)
            if high:
                tests.append(lambda rid, rec: (rec.findtext("TxnDate") or "") <= high)
        for tag in ("EntityFilter", "AccountFilter"):
            node = rq.find(tag)
            if node is not None:
                tests.append(self._ref_filter(node, tag == "AccountFilter"))
        return tests

    def _txn_dates(self, span: Element) -> tuple[str, str]:
        macro = span.findtext("DateMacro")
        if not macro:
            return span.findtext("FromTxnDate") or "", span.findtext("ToTxnDate") or ""
        today = self.store.today()
        first_of_month = today.replace(day=1)
        last_month_end = first_of_month - timedelta(days=1)
        ranges: dict[str, tuple[date, date]] = {
            "Today": (today, today),
            "Yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
            "ThisMonth": (
                first_of_month,
                (first_of_month + timedelta(days=32)).replace(day=1) - timedelta(days=1),
            ),
            "ThisMonthToDate": (first_of_month, today),
            "LastMonth": (last_month_end.replace(day=1), last_month_end),
            "ThisYear": (today.replace(month=1, day=1), today.replace(month=12, day=31)),
            "ThisYearToDate": (today.replace(month=1, day=1), today),
            "LastYear": (
                today.replace(year=today.year - 1, month=1, day=1),
                today.replace(year=today.year - 1, month=12, day=31),
            ),
        }
        low, high = ranges.get(macro, (date.min, date.max))
        return low.isoformat(), high.isoformat()

    def _ref_filter(self, node: Element, accounts: bool) -> Predicate:
        store = self.store
        targets = ("Account",) if accounts else kinds.ENTITY_KINDS
        ids = set(_text_set(node, "ListID"))
        for name in _text_set(node, "FullName"):
            found = store.find_list(targets, "", name)
            if found:
                ids.add(found)
        parents = set(_text_set(node, "ListIDWithChildren"))
        for name in _text_set(node, "FullNameWithChildren"):
            found = store.find_list(targets, "", name)
            if found:
                parents.add(found)
        prefixes = tuple(store.name_of(p).upper() + ":" for p in parents)
        ids |= parents

        def refers(rid: str, rec: Element) -> bool:
            for ref in rec.iter():
                tag = ref.tag if isinstance(ref.tag, str) else ""
                wanted = (
                    tag.endswith("AccountRef")
                    if accounts
                    else tag
                    in (
                        "CustomerRef",
                        "VendorRef",
                        "EntityRef",
                        "PayeeEntityRef",
                    )
                )
                if not wanted:
                    continue
                ref_id = ref.findtext("ListID") or ""
                if ref_id in ids or (
                    prefixes and store.name_of(ref_id).upper().startswith(prefixes)
                ):
                    return True
            return False

        return refers

    # --- answers and iterators --------------------------------------------------------

    def _answer(
        self,
        rq: Element,
        ids: list[str],
        shape: Shape,
        code: int = 0,
        message: str = kinds.OK_TEXT,
        total: int | None = None,
    ) -> Outcome:
        records = [r for r in (self.store.get(i) for i in ids) if r is not None]
        outcome = Outcome(code, message)
        meta_data = rq.get("metaData", "NoMetaData")
        if meta_data != "NoMetaData":
            outcome.attrs["retCount"] = str(len(records) if total is None else total)
        if meta_data != "MetaDataOnly":
            outcome.rets = [render(r, shape) for r in records]
        if not records and code == 0:
            outcome.code, outcome.message = 1, kinds.EMPTY_TEXT
        return outcome

    def _start(self, rq: Element, ids: list[str], page: int | None, shape: Shape) -> Outcome:
        size = page if page and page > 0 else max(len(ids), 1)
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        rest = ids[size:]
        if rest:
            self.iterators[iterator_id] = IteratorState(self.session, rest, size, shape)
        outcome = self._answer(rq, ids[:size], shape, total=len(ids))
        outcome.attrs["iteratorRemainingCount"] = str(len(rest))
        outcome.attrs["iteratorID"] = iterator_id
        return outcome

    def _continue(self, rq: Element, iterator: str) -> Outcome:
        iterator_id = rq.get("iteratorID", "")
        state = self.iterators.get(iterator_id)
        if state is None or state.session != self.session:
            # Iterators live only inside one QuickBooks session (qbxml.md §8).
            raise QbError(3391, kinds.bad_iterator_text(iterator_id))
        if iterator == "Stop":
            del self.iterators[iterator_id]
            return Outcome()
        size = _int(rq.findtext("MaxReturned")) or state.page_size
        page, state.ids = state.ids[:size], state.ids[size:]
        if not state.ids:
            del self.iterators[iterator_id]
        outcome = self._answer(rq, page, state.shape)
        outcome.attrs["iteratorRemainingCount"] = str(len(state.ids))
        outcome.attrs["iteratorID"] = iterator_id
        return outcome


def deleted_query(store: Store, rq: Element, lists: bool) -> Outcome:
    """Answer ListDeletedQueryRq/TxnDeletedQueryRq from the deletion log."""
    type_tag = "ListDelType" if lists else "TxnDelType"
    wanted = set(_text_set(rq, type_tag))
    span = rq.find("DeletedDateRangeFilter")
    low = high = None
    if span is not None:
        low = store.parse_datetime(span.findtext("FromDeletedDate") or "")
        high = store.parse_datetime(span.findtext("ToDeletedDate") or "", end_of_day=True)
    include = set(_text_set(rq, "IncludeRetElement"))
    outcome = Outcome()
    for entry in store.deleted:
        if entry["is_list"] != lists or entry["kind"] not in wanted:
            continue
        if (low is not None and entry["deleted"] < low) or (
            high is not None and entry["deleted"] > high
        ):
            continue
        ret = etree.Element("ListDeletedRet" if lists else "TxnDeletedRet")
        values = (
            (type_tag, entry["kind"]),
            ("ListID" if lists else "TxnID", entry["id"]),
            ("TimeCreated", store.stamp(entry["created"])),
            ("TimeDeleted", store.stamp(entry["deleted"])),
            ("FullName" if lists else "RefNumber", entry["name"]),
        )
        for tag, text in values:
            if text and (not include or tag in include):
                sub(ret, tag, str(text))
        outcome.rets.append(ret)
    if not outcome.rets:
        outcome.code, outcome.message = 1, kinds.EMPTY_TEXT
    return outcome


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None
