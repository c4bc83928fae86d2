"""Poll QuickBooks for the get_* webhooks: the qbXML half of pulls (qbxml §8–§10).

objects.pulls registers what to poll (PollConfig) and objects.models.pulls hands the
buffered records out; this module fills that buffer from Web Connector sessions:

1. Once a session's writes are done, qbwc.loop asks `next_requests` for poll queries:
   one iterator page of every due stream per message, plus the deleted-object query of
   each poll at the start of its iteration.
2. `receive` reads the answer as a stream (qbwc.qbxml.stream) and stores every record
   (PulledRecord) before the next page is asked for. When every stream of an iteration
   is complete the cursor moves to the greatest TimeModified/TimeDeleted stored: a
   QuickBooks-clock value, so a workstation clock that differs from ours never skips
   records, and never beyond what was read.

Iterators die with the QuickBooks session (3391): an iteration a session did not finish
restarts from the unchanged cursor in the next one; records read twice are de-duplicated
by version (EditSequence).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.models import Connection
from objects.models import PollConfig, PulledRecord
from objects.types.pulls import MAX_PAGE_SIZE
from qbwc.qbxml.parse import QbxmlParseError
from qbwc.qbxml.queries import (
    PollKind,
    deleted_query,
    items_by_name,
    poll_kind,
)
from qbwc.qbxml.queries import poll_query as build_poll_query
from qbwc.qbxml.readers.common import Element, Record, text
from qbwc.qbxml.readers.stock import read_deleted
from qbwc.qbxml.stream import RsEnd, iter_rets
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import is_on

log = logging.getLogger(__name__)

POLL = "poll"  # qbwc Request.kind of a poll query
DELETED = "deleted"  # the state key of the deleted-object query of an iteration
FOLLOWUP = "items"  # the state key of the by-name item reads after touched transactions
TOUCHED = "_touched"  # item names the touched transactions named
_ITERATOR_GONE = 3391
_DELETED_RETS = ("ListDeletedRet", "TxnDeletedRet")
_MAX_RESTARTS = 2


# -- 1. asking QuickBooks ------------------------------------------------------------------------


def has_due_polls(connection: Connection, now: datetime) -> bool:
    """For authenticate: is there a poll worth opening QuickBooks for?"""
    return PollConfig.objects.filter(connection=connection).due(now).exists()


def _pending(connection: Connection, session_key: str, now: datetime) -> list[PollConfig]:
    """Due polls this session has not finished (each session polls a type once)."""
    return list(
        PollConfig.objects.filter(connection=connection)
        .due(now)
        .exclude(polled_session_key=session_key)
        .order_by("id")
    )


def pending_count(connection: Connection, session_key: str, now: datetime) -> int:
    return len(_pending(connection, session_key, now))


def _page_size(kind: PollKind, params: dict[str, Any]) -> int:
    raw = params.get("quickbooks_max_returned")
    try:
        size = int(str(raw).strip()) if raw not in (None, "") else kind.page_size
    except ValueError:
        size = kind.page_size
    # A page, not a cap: whatever FlowLink asks, every record still comes (flowlink §8.3).
    return max(1, min(size, MAX_PAGE_SIZE))


def _query_since(config: PollConfig, kind: PollKind) -> datetime | None:
    if kind.is_full_scan or config.full_pending or config.cursor is None:
        return None
    local = config.cursor.astimezone(ZoneInfo(settings.PULL_TIMEZONE))
    return local - timedelta(seconds=settings.PULL_OVERLAP_SECONDS)


def _start_iteration(config: PollConfig, kind: PollKind, session_key: str, now: datetime) -> None:
    state: dict[str, Any] = {name: {"iterator_id": "", "done": False} for name in kind.stream_names}
    if kind.deleted_types:
        state[DELETED] = {"done": False}
    if kind.has_followup:
        state[FOLLOWUP] = {"done": False, "offset": 0}
        state[TOUCHED] = []
    restarts = config.state.get("_restarts", 0) if config.session_key == session_key else 0
    state["_restarts"] = restarts
    config.state = state
    config.session_key = session_key
    config.iteration_started_at = now
    config.iteration_max_modified = None


def _streams(state: dict[str, Any]) -> list[str]:
    return [name for name in state if not name.startswith("_")]


def next_requests(
    connection: Connection, session_key: str, now: datetime, qbxml_version: str
) -> list[Element]:
    """The poll queries of the next message: one page of every unfinished stream."""
    out: list[Element] = []
    for config in _pending(connection, session_key, now):
        kind = poll_kind(config.route)
        if config.session_key != session_key or not _streams(config.state):
            _start_iteration(config, kind, session_key, now)
        since = _query_since(config, kind)
        page_size = _page_size(kind, config.params)
        site = str(config.params.get("quickbooks_site") or config.params.get("site_name") or "")
        built: list[Element] = []
        for name, stream_state in config.state.items():
            if name.startswith("_") or stream_state.get("done"):
                continue
            if name == DELETED:
                rq = deleted_query(kind, since)
            elif name == FOLLOWUP:
                if not _followup_due(config.state):
                    continue
                offset = stream_state["offset"]
                names = config.state[TOUCHED][offset : offset + page_size]
                stream_state["sent"] = len(names)
                rq = items_by_name(names)
            else:
                rq = build_poll_query(
                    kind,
                    kind.stream(name),
                    since=since,
                    page_size=page_size,
                    iterator_id=stream_state.get("iterator_id", ""),
                    site=site,
                )
            request_id = f"p{config.pk}-{secrets.token_hex(6)}"
            rq.set("requestID", request_id)
            stream_state["request_id"] = request_id
            built.append(rq)
        if not built:
            # Cannot happen with a consistent state; never let a poll spin a session.
            _give_up(config, session_key, now, "poll state had nothing left to ask")
            continue
        errors = [e for rq in built for e in errors_in_request(rq, qbxml_version)][:1]
        if errors:
            # Our own query is wrong (e.g. a site name QuickBooks cannot take): this
            # poll waits, the session and every other poll go on.
            _give_up(config, session_key, now, f"invalid poll query: {errors[0]}")
            continue
        config.save(update_fields=["state", "session_key", "iteration_started_at",
                                   "iteration_max_modified"])  # fmt: skip
        out.extend(built)
    return out


def _followup_due(state: dict[str, Any]) -> bool:
    """The by-name item reads wait until every transaction stream has named its items."""
    return all(s.get("done") for k, s in state.items() if not k.startswith("_") and k != FOLLOWUP)


def _give_up(config: PollConfig, session_key: str, now: datetime, message: str) -> None:
    """Skip this poll for the rest of the session and retry it later from the same cursor."""
    log.warning("poll %s of connection %s: %s", config.route, config.connection_id, message)
    PollConfig.objects.filter(pk=config.pk).update(
        state={},
        session_key="",
        polled_session_key=session_key,
        last_error=message[:2000],
        next_poll_at=now + timedelta(seconds=settings.PULL_RETRY_SECONDS),
    )


def abandon(connection: Connection, session_key: str, now: datetime, message: str) -> None:
    """QuickBooks rejected a whole poll message: every poll of it waits for a later run."""
    for config in PollConfig.objects.filter(connection=connection, session_key=session_key):
        _give_up(config, session_key, now, message)


# -- 2. storing what came back ------------------------------------------------------------------


@dataclass
class Row:
    qb_id: str
    version: str
    time_modified: datetime
    record: Record
    is_deleted: bool = False


def _moment(value: str | None, fallback: datetime) -> datetime:
    if not value:
        return fallback
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return fallback
    if moment.tzinfo is None:
        # QuickBooks writes offsets; a bare value is workstation time, assumed to be ours.
        moment = moment.replace(tzinfo=ZoneInfo(settings.PULL_TIMEZONE))
    return moment


def _row(kind: PollKind, ret: Element, config: PollConfig, now: datetime, stamp: str) -> Row:
    if ret.tag in _DELETED_RETS:
        record = read_deleted(ret, kind.deleted_id_from, kind.key)
        deleted_at = _moment(record.get("deleted_at"), now)
        return Row(record["qbe_id"], f"deleted:{record.get('deleted_at')}", deleted_at, record,
                   is_deleted=True)  # fmt: skip
    stream = next(s for s in kind.streams if s.ret_tag == ret.tag and s.reader is not None)
    assert stream.reader is not None
    record = stream.reader(ret, stamp)
    modified = _moment(text(ret, "TimeModified"), now)
    qb_id = text(ret, "ListID") or text(ret, "TxnID") or ""
    version = ":".join(
        [text(ret, "EditSequence") or text(ret, "TimeModified") or ""]
        + [text(ret, name) or "" for name in kind.version_fields]
    )
    if kind.is_full_scan:
        # Item sites: one row per item and site; re-sent on every scan unless the flow
        # asks for changed quantities only (flowlink §8.3, upstream's behaviour by default).
        qb_id = str(record["id"])
        if is_on(config.params.get("quickbooks_only_changed_sites")):
            quantities = {k: v for k, v in record.items() if k.startswith("quantity")}
            version = hashlib.sha256(repr(sorted(quantities.items())).encode()).hexdigest()[:32]
        else:
            version = f"scan:{stamp}"
    return Row(qb_id, version[:100], modified, record)


def store(connection: Connection, config: PollConfig, rows: list[Row], now: datetime) -> int:
    """Buffer records; an unchanged version is skipped, an undelivered one replaced.

    Inactive records are kept only when the flow asks for them (query_inactive) or when
    FlowLink already holds an active version: then it is a deactivation FlowLink must
    see. Tombstones are kept for records handed out before, or met by an incremental
    poll (a full first sync has no use for old deletions of unknown records).
    """
    if not rows:
        return 0
    include_inactive = is_on(config.params.get("query_inactive"))
    latest: dict[str, PulledRecord] = {}
    for pulled in PulledRecord.objects.filter(
        connection=connection, route=config.route, qb_id__in={r.qb_id for r in rows}
    ).order_by("-id"):
        latest.setdefault(pulled.qb_id, pulled)
    stored = 0
    for row in rows:
        prev = latest.get(row.qb_id)
        if prev is not None and prev.version == row.version:
            continue
        if prev is None and row.record.get("is_active") is False and not include_inactive:
            continue
        if prev is None and row.is_deleted and config.cursor is None:
            continue
        fields = {
            "version": row.version,
            "time_modified": row.time_modified,
            "record": row.record,
            "is_deleted": row.is_deleted,
            "pulled_at": now,
        }
        replaced = 0
        if prev is not None and prev.delivered_at is None:
            # Conditional: if a hand-out took it meanwhile, this version becomes a new row.
            replaced = PulledRecord.objects.filter(pk=prev.pk, delivered_at__isnull=True).update(
                **fields
            )
        if not replaced:
            try:
                with transaction.atomic():
                    latest[row.qb_id] = PulledRecord.objects.create(
                        connection=connection, route=config.route, qb_id=row.qb_id, **fields
                    )
            except IntegrityError:
                PulledRecord.objects.filter(
                    connection=connection, route=config.route, qb_id=row.qb_id,
                    delivered_at__isnull=True,
                ).update(**fields)  # fmt: skip
        elif prev is not None:
            prev.version = row.version
        stored += 1
    return stored


def receive(connection: Connection, session_key: str, response: str | bytes, now: datetime) -> int:
    """Store every record of a poll answer, stream by stream; return how many were new."""
    configs = {
        c.pk: c for c in PollConfig.objects.filter(connection=connection, session_key=session_key)
    }
    owner: dict[str, tuple[PollConfig, str]] = {}
    ret_tags = {"ListDeletedRet", "TxnDeletedRet"}
    rs_tags = {"ListDeletedQueryRs", "TxnDeletedQueryRs"}
    for config in configs.values():
        kind = poll_kind(config.route)
        ret_tags.update(s.ret_tag for s in kind.streams)
        rs_tags.update(s.query_tag[:-2] + "Rs" for s in kind.streams)
        if kind.has_followup:
            rs_tags.add("ItemQueryRs")
        for name, stream_state in config.state.items():
            if not name.startswith("_") and stream_state.get("request_id"):
                owner[stream_state["request_id"]] = (config, name)
    stamp = timezone.localtime(now, ZoneInfo(settings.PULL_TIMEZONE)).isoformat(timespec="seconds")
    rows: list[Row] = []
    touched: set[str] = set()
    stored = 0
    try:
        for item in iter_rets(response, ret_tags, rs_tags):
            if isinstance(item, RsEnd):
                found = owner.pop(item.rs.request_id, None)
                if found is not None:
                    stored += _finish_page(
                        connection, *found, item.rs, rows, touched, session_key, now
                    )
                rows, touched = [], set()
                continue
            rs, ret = item
            found = owner.get(rs.request_id)
            if found is None or rs.is_error:
                continue  # never store answers to requests this session did not send
            kind = poll_kind(found[0].route)
            if found[1] not in (DELETED, FOLLOWUP) and kind.stream(found[1]).touches:
                touched.update(ref.findtext("FullName") or "" for ref in ret.iter("ItemRef"))
                touched.discard("")
                continue
            if ret.tag not in _DELETED_RETS and not any(
                s.ret_tag == ret.tag and s.reader is not None for s in kind.streams
            ):
                continue  # e.g. a service item named on an invoice, read by name
            rows.append(_row(kind, ret, found[0], now, stamp))
    except QbxmlParseError as exc:
        abandon(connection, session_key, now, f"unreadable poll answer: {exc}")
        return stored
    for config, _name in owner.values():
        # Asked but not answered: restart from the unchanged cursor.
        _restart(config, session_key, now, "QuickBooks' answer had no response for it")
    return stored


def _restart(config: PollConfig, session_key: str, now: datetime, why: str) -> None:
    config.refresh_from_db()
    restarts = int(config.state.get("_restarts", 0)) + 1
    if restarts > _MAX_RESTARTS:
        _give_up(config, session_key, now, f"iteration restarted too often: {why}")
        return
    PollConfig.objects.filter(pk=config.pk).update(state={"_restarts": restarts})


def _finish_page(
    connection: Connection,
    config: PollConfig,
    name: str,
    rs: Any,
    rows: list[Row],
    touched: set[str],
    session_key: str,
    now: datetime,
) -> int:
    config.refresh_from_db()
    if name not in config.state:
        # Another stream of this iteration failed earlier in the same answer and the
        # iteration was dropped: nothing of it may count towards the cursor.
        return 0
    if rs.status_code == _ITERATOR_GONE:
        _restart(config, session_key, now, rs.message)
        return 0
    if rs.is_error:
        _give_up(config, session_key, now, f"QuickBooks error {rs.status_code}: {rs.message}")
        return 0
    with transaction.atomic():
        stored = store(connection, config, rows, now)
        stream_state = config.state.get(name, {})
        newest = max((r.time_modified for r in rows), default=None)
        if newest is not None and (
            config.iteration_max_modified is None or newest > config.iteration_max_modified
        ):
            config.iteration_max_modified = newest
        if name == FOLLOWUP:
            stream_state["offset"] += stream_state.pop("sent", 0)
        elif name == DELETED or not rs.iterator_remaining:
            stream_state.update(done=True, iterator_id="")
        else:
            stream_state["iterator_id"] = rs.iterator_id
        stream_state.pop("request_id", None)
        config.state[name] = stream_state
        if touched:
            config.state[TOUCHED] = sorted(set(config.state.get(TOUCHED, [])) | touched)
        followup = config.state.get(FOLLOWUP)
        if followup is not None and _followup_due(config.state):
            followup["done"] = followup["offset"] >= len(config.state.get(TOUCHED, []))
        config.records_pulled += stored
        if all(s.get("done") for k, s in config.state.items() if not k.startswith("_")):
            _complete(config, session_key, now)
        config.save(
            update_fields=[
                "state", "iteration_max_modified", "records_pulled", "cursor", "full_pending",
                "polled_session_key", "session_key", "last_completed_at", "next_poll_at",
                "last_error",
            ]
        )  # fmt: skip
    return stored


def _complete(config: PollConfig, session_key: str, now: datetime) -> None:
    """The whole iteration is stored: move the cursor (never past what was read)."""
    kind = poll_kind(config.route)
    if not kind.is_full_scan and config.iteration_max_modified is not None:
        if config.cursor is None or config.iteration_max_modified > config.cursor:
            config.cursor = config.iteration_max_modified
    interval = (
        settings.PULL_SITES_MIN_INTERVAL_SECONDS
        if kind.is_full_scan
        else settings.PULL_MIN_INTERVAL_SECONDS
    )
    config.full_pending = False
    config.polled_session_key = session_key
    config.session_key = ""
    config.state = {}
    config.last_completed_at = now
    config.next_poll_at = now + timedelta(seconds=interval) if interval else None
    config.last_error = ""
