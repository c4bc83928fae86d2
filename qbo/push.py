"""One push pass of a QuickBooks Online connection: its due objects, written through the
shared state machine (objects.models), one HTTP call at a time.

The pass is the QBO twin of a Web Connector run (qbwc.loop + qbwc.dispatch): it claims
due objects, looks each up (by Id, else by its natural key), writes it (create, sparse
update, delete or void), and applies the answer with the same transitions, so queue,
history, retries and notifications behave as on Desktop. What differs is that the call
and its answer happen here, synchronously:

* one pass per connection at a time across workers: a lease on the QboConnection row,
  taken and renewed by conditional updates (a killed worker's lease runs out);
* work that arrives while a pass runs sets `push_requested`; the pass loops once more
  instead of a second pass starting (tasks coalesce through that flag);
* a 429 (after the client's own waits), a dead grant or a realm QuickBooks refuses stops
  the pass and gives every claimed object back untouched (no attempt counted): nothing
  fails because of auth or throttling;
* an answer that never came (timeout, 5xx, dropped connection) sends the object back to
  `pending`: the next pass looks it up by natural key before writing, and every write
  carries a `requestid` stable for that claim, so a lost answer never makes a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from connections.models import Connection
from objects.models import Mode, Phase, QueuedObject, transitions
from objects.types.base import ObjectView
from objects.types.values import PayloadError, is_on
from qbo import events
from qbo.client import QboClient
from qbo.errors import (
    AccessDenied,
    AuthFailed,
    Duplicate,
    NotFound,
    QboError,
    ReconnectNeeded,
    Stale,
    Throttled,
    Transient,
)
from qbo.feed import FeedSummary, run_feed
from qbo.mappers import mapper_for
from qbo.mappers.base import CREATE, DELETE, UPDATE, VOID, Found
from qbo.mapping import create_body, update_body
from qbo.models import QboConnection
from qbo.recorder import CallRecorder
from qbo.references import MissingReference, References

log = logging.getLogger(__name__)

# Objects claimed at a time; each is one to three calls.
BATCH_SIZE = 50
# A pass holds its lease this long without renewing it (renewed every batch).
LEASE = timedelta(minutes=5)
# Stale SyncToken (5010): re-read and reapply at most this many times.
STALE_RETRIES = 3
# Without other calls, a pass reads CompanyInfo this often to prove QBO is reachable.
PING_EVERY = timedelta(minutes=2)


class PassStopped(Exception):
    """Nothing more can be sent in this pass (throttled, grant dead, realm refused)."""

    def __init__(self, reason: str, throttled_for: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.throttled_for = throttled_for


@dataclass
class PassSummary:
    connection_id: str
    looked_up: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    processed: int = 0
    failed: int = 0
    retried: int = 0
    calls: int = 0
    skipped: str = ""  # why the pass did not run ("" when it ran)
    stopped: str = ""  # why it stopped before its work was done
    throttled_for: float | None = None
    # The budget ran out with work left: the caller runs another pass.
    more: bool = False
    feed: FeedSummary | None = None

    def as_line(self) -> str:
        if self.skipped:
            return f"{self.connection_id}: {self.skipped}"
        line = (
            f"{self.connection_id}: {self.processed} processed, {self.failed} failed, "
            f"{self.retried} to retry ({self.created} created, {self.updated} updated, "
            f"{self.deleted} deleted or voided; {self.calls} calls to QuickBooks Online)"
        )
        if self.feed is not None and self.feed.ran:
            line += f"; change feed: {self.feed.stored} records buffered for get_* calls"
            if self.feed.error:
                line += f" (stopped: {self.feed.error})"
        return line + (f"; stopped: {self.stopped}" if self.stopped else "")


def request_push(connection: Connection) -> bool:
    """Ask for a pass soon; True when the caller should enqueue one (no request was
    outstanding). Coalesces a burst of webhooks into one task."""
    return (
        QboConnection.objects.filter(connection=connection, push_requested=False).update(
            push_requested=True
        )
        == 1
    )


def run_pass(
    connection: Connection,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
    budget_seconds: float | None = None,
) -> PassSummary:
    """Push everything due for `connection` now; return what happened.

    `budget_seconds`: stop taking new objects after this long (a Celery task must end
    within its time limit) and leave `more` set; None runs until nothing is due.
    """
    summary = PassSummary(connection.connection_id)
    qbo = QboConnection.objects.select_related("connection").filter(connection=connection).first()
    if qbo is None:
        summary.skipped = "not a QuickBooks Online connection (no realm set up)"
        return summary
    skipped = _why_not(qbo, now or timezone.now())
    if skipped:
        summary.skipped = skipped
        return summary
    owner = f"qbo-pass:{uuid.uuid4().hex}"
    if not _take_lease(qbo, owner):
        # Another worker's pass runs: it loops again for the work that woke us.
        request_push(connection)
        summary.skipped = "a pass is already running"
        return summary
    recorder = CallRecorder(connection)
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    try:
        with QboClient(qbo, sleep=sleep, record=recorder) as client:
            Pass(connection, qbo, client, recorder, owner, summary, deadline).run()
            if not summary.stopped:
                # The get_* change feed, when a poll is due (cheap when none is).
                summary.feed = run_feed(connection, client, timezone.now())
                if summary.feed.ran and recorder.reached:
                    connection.touch()
    finally:
        summary.calls = recorder.calls
        QboConnection.objects.filter(pk=qbo.pk, pass_owner=owner).update(
            pass_owner="", pass_until=None, last_pass_at=timezone.now()
        )
    return summary


def _why_not(qbo: QboConnection, now: datetime) -> str:
    connection = qbo.connection
    if not connection.is_active or qbo.status == QboConnection.Status.PAUSED:
        return "paused"
    if qbo.status == QboConnection.Status.NEEDS_RECONNECT:
        return f"needs reconnecting: {qbo.last_error or 'the authorization ended'}"
    if not qbo.is_connected:
        return "not connected to QuickBooks Online yet (no realm or refresh token)"
    if qbo.throttled_until is not None and qbo.throttled_until > now:
        return f"throttled by QuickBooks Online until {qbo.throttled_until:%H:%M:%S}"
    return ""


def _take_lease(qbo: QboConnection, owner: str) -> bool:
    now = timezone.now()
    free = Q(pass_owner="") | Q(pass_until__lt=now)
    return (
        QboConnection.objects.filter(free, pk=qbo.pk).update(
            pass_owner=owner, pass_until=now + LEASE, push_requested=False
        )
        == 1
    )


class Pass:
    """The work of one pass; holds the lease named `owner`."""

    def __init__(
        self,
        connection: Connection,
        qbo: QboConnection,
        client: QboClient,
        recorder: CallRecorder,
        owner: str,
        summary: PassSummary,
        deadline: float | None,
    ) -> None:
        self.connection = connection
        self.qbo = qbo
        self.client = client
        self.recorder = recorder
        self.owner = owner
        self.summary = summary
        self.deadline = deadline
        self.refs = References(client)

    # -- the loop -------------------------------------------------------------------
    def run(self) -> None:
        queue = QueuedObject.objects.filter(connection=self.connection)
        try:
            while self._renew_lease():
                if self.deadline is not None and time.monotonic() > self.deadline:
                    self.summary.more = True
                    break
                queue.promote_waiting()
                due = queue.due_objects(BATCH_SIZE)
                if not due:
                    if self._more_requested():
                        continue
                    break
                claimed = QueuedObject.objects.claim_for(self.owner, due)
                self._send(claimed)
                queue.promote_dependents([o.pk for o in claimed])
            self._read_company()
            self._ping_if_quiet()
        except PassStopped as stop:
            self.summary.stopped = stop.reason
            self.summary.throttled_for = stop.throttled_for
            if stop.throttled_for:
                until = timezone.now() + timedelta(seconds=stop.throttled_for)
                QboConnection.objects.filter(pk=self.qbo.pk).update(throttled_until=until)
        finally:
            if self.recorder.reached:
                self.connection.touch()

    def _renew_lease(self) -> bool:
        now = timezone.now()
        return (
            QboConnection.objects.filter(pk=self.qbo.pk, pass_owner=self.owner).update(
                pass_until=now + LEASE
            )
            == 1
        )

    def _more_requested(self) -> bool:
        """Work arrived during the pass (push_requested set): look again, once per request."""
        return (
            QboConnection.objects.filter(
                pk=self.qbo.pk, pass_owner=self.owner, push_requested=True
            ).update(push_requested=False)
            == 1
        )

    def _send(self, claimed: list[QueuedObject]) -> None:
        for index, obj in enumerate(claimed):
            # Notifications name the QuickBooks the object went to: no query for it.
            obj.connection = self.connection
            self.recorder.current = obj
            try:
                self._step(obj)
            except PassStopped as stop:
                for rest in claimed[index:]:
                    rest.refresh_from_db(fields=["phase", "claimed_by"])
                    if rest.phase == Phase.IN_PROGRESS and rest.claimed_by == self.owner:
                        rest.unclaim(rest.claimed_from or Phase.PENDING, f"not sent: {stop}")
                raise
            finally:
                self.recorder.current = None

    def _read_company(self) -> None:
        """CompanyInfo once a day (seed 001: name, legal name, country, fiscal year)."""
        try:
            events.refresh_company_info(self.connection, self.client)
        except (ReconnectNeeded, AuthFailed, AccessDenied) as exc:
            raise PassStopped(str(exc)) from exc
        except Throttled as exc:
            raise PassStopped(str(exc), exc.retry_after or 60.0) from exc
        except QboError as exc:
            log.warning("could not read CompanyInfo of %s: %s", self.connection, exc)

    def _ping_if_quiet(self) -> None:
        """No object needed QuickBooks: prove it is reachable now and then (health)."""
        if self.recorder.calls:
            return
        last = self.connection.last_contact_at
        if last is not None and timezone.now() - last < PING_EVERY:
            return
        try:
            info = self.client.company_info()
        except (ReconnectNeeded, AuthFailed, AccessDenied) as exc:
            raise PassStopped(str(exc)) from exc
        except Throttled as exc:
            raise PassStopped(str(exc), exc.retry_after or 60.0) from exc
        except QboError as exc:
            self.summary.stopped = f"QuickBooks Online did not answer: {exc}"
            return
        name = str(info.get("CompanyName") or "")
        if name and name != self.connection.company_name:
            self.connection.record_host(company_name=name)

    # -- one object -----------------------------------------------------------------
    def _step(self, obj: QueuedObject) -> None:
        try:
            if obj.claimed_from == Phase.PENDING:
                self._look_up(obj)
            else:
                self._write(obj, current=None)
        except (ReconnectNeeded, AccessDenied) as exc:
            raise PassStopped(str(exc)) from exc
        except AuthFailed as exc:
            # Refreshed and retried once already: stop rather than burn attempts.
            raise PassStopped(f"QuickBooks Online refused the access token: {exc}") from exc
        except Throttled as exc:
            raise PassStopped(str(exc), exc.retry_after or 60.0) from exc
        except Transient as exc:
            # The write may have landed: look it up again before writing (next pass).
            obj.retry_later(Phase.PENDING, f"QuickBooks Online: {exc.notice_text}", exc.status_code)
            self.summary.retried += 1
        except MissingReference as exc:
            self._fail(obj, str(exc))
        except PayloadError as exc:
            self._fail(obj, f"Validation error: {exc.field}: {exc.reason}")
        except QboError as exc:
            self._fail(obj, exc.notice_text, exc.status_code)

    def _fail(self, obj: QueuedObject, message: str, code: int | None = None) -> None:
        if obj.fail(message, code):
            self.summary.failed += 1

    def _processed(self, obj: QueuedObject, found: Found, reason: str, notify: bool = True) -> None:
        if obj.process(
            found.qb_id, found.sync_token, reason, notify=notify, qb_state=found.details or None
        ):
            self.summary.processed += 1

    def _look_up(self, obj: QueuedObject) -> None:
        mapper = mapper_for(obj.object_type)
        view = obj.view()
        lookup = mapper.lookup(view)
        self.summary.looked_up += 1
        if lookup.qb_id:
            try:
                records = [self.client.get(lookup.entity, lookup.qb_id)]
            except NotFound as exc:
                # Deleted (or made inactive) in QuickBooks: find it by its key again.
                obj.retry_now(
                    Phase.PENDING, exc.notice_text, exc.status_code, qb_id="", edit_sequence=""
                )
                return
        else:
            answer = self.client.query(lookup.statement)
            records = list(answer.get(lookup.entity, []))
        found = mapper.read_lookup(view, records)
        current = records[0] if found.found and records else None
        if found.conflict:
            self._fail(obj, found.conflict)
            return
        if obj.mode == Mode.REQUIRE:
            if found.found:
                self._processed(obj, found, "exists in QuickBooks Online", notify=False)
            else:
                self._fail(obj, _missing(obj))
            return
        may_update = found.writable and is_on(obj.params.get("quickbooks_update_dependencies"))
        if obj.mode == Mode.ENSURE and found.found and not may_update:
            self._processed(obj, found, "exists in QuickBooks Online; left unchanged", notify=False)
            return
        known = replace(
            view, qb_id=found.qb_id, edit_sequence=found.sync_token, qb_state=found.details
        )
        if mapper.write_kind(known) is None:
            self._processed(
                obj,
                found,
                "already in QuickBooks Online; nothing to write"
                if found.found
                else "not in QuickBooks Online; nothing to delete",
            )
            return
        if not obj.take(transitions.found(found.qb_id, found.sync_token, found.details)):
            return
        # Write at once with the record just read: no second read (reads are metered).
        if obj.claim(self.owner):
            self._write(obj, current=current)

    def _write(self, obj: QueuedObject, current: dict[str, Any] | None) -> None:
        mapper = mapper_for(obj.object_type)
        view = obj.view()
        kind = mapper.write_kind(view)
        if kind is None:
            self._processed(obj, Found(True, obj.qb_id, obj.edit_sequence), "nothing left to write")
            return
        entity = mapper.entity_for(view)
        request_id = _request_id(obj, kind)
        if kind == CREATE:
            self._create(obj, view, entity, request_id)
            return
        for attempt in range(STALE_RETRIES + 1):
            if current is None or attempt:
                try:
                    current = self.client.get(entity, view.qb_id)
                except NotFound as exc:
                    obj.retry_now(
                        Phase.PENDING, exc.notice_text, exc.status_code, qb_id="", edit_sequence=""
                    )
                    self.summary.retried += 1
                    return
            assert current is not None
            try:
                if kind == UPDATE:
                    body = self.refs.resolve(update_body(mapper, view, current))
                    record = self.client.update(entity, body, f"{request_id}-{attempt}")
                    found = mapper.read_write(entity, record)
                    self.summary.updated += 1
                    self._processed(obj, found, "modified in QuickBooks Online")
                else:
                    self._remove(obj, view, kind, entity, current, f"{request_id}-{attempt}")
                return
            except Stale as exc:
                if attempt == STALE_RETRIES:
                    obj.retry_later(Phase.PENDING, exc.notice_text, exc.status_code)
                    self.summary.retried += 1
                    return
                continue  # re-read, reapply

    def _create(self, obj: QueuedObject, view: ObjectView, entity: str, request_id: str) -> None:
        mapper = mapper_for(obj.object_type)
        body = self.refs.resolve(create_body(mapper, view))
        try:
            record = self.client.create(entity, body, request_id)
        except Duplicate as exc:
            code = exc.status_code
            if obj.last_status_code != code:
                # Taken since the lookup, or by a record the lookup cannot see (an
                # inactive one, another item type): look up again and link what is found.
                obj.retry_now(Phase.PENDING, exc.notice_text, code, qb_id="", edit_sequence="")
                self.summary.retried += 1
            else:
                self._fail(
                    obj, f"{exc.notice_text} (the name or number is used by another record)", code
                )
            return
        found = mapper.read_write(entity, record)
        self.summary.created += 1
        self._processed(obj, found, "added to QuickBooks Online")

    def _remove(
        self,
        obj: QueuedObject,
        view: ObjectView,
        kind: str,
        entity: str,
        current: dict[str, Any],
        request_id: str,
    ) -> None:
        mapper = mapper_for(obj.object_type)
        body = mapper.delete(view, current)
        if kind == VOID:
            record = self.client.void(entity, body, request_id)
            self.summary.deleted += 1
            self._processed(obj, mapper.read_write(entity, record), "voided in QuickBooks Online")
            return
        assert kind == DELETE
        self.client.delete(entity, body, request_id)
        self.summary.deleted += 1
        reason = f"deleted {view.qb_id} from QuickBooks Online"
        gone = replace(view, qb_id="", edit_sequence="", qb_state={})
        if mapper.write_kind(gone) is None:
            if obj.process("", "", reason):
                self.summary.processed += 1
        else:
            obj.forget_deleted(reason)


def _request_id(obj: QueuedObject, kind: str) -> str:
    """Stable for every retry of this claim's call (the client's 401 and 429 retries),
    new for the next claim: QBO replays a known requestid instead of writing twice."""
    claim = obj.claimed_at.isoformat() if obj.claimed_at else ""
    digest = hashlib.sha256(f"{obj.pk}:{kind}:{claim}".encode()).hexdigest()[:24]
    return f"qbsync-{obj.pk}-{digest}"


def _missing(obj: QueuedObject) -> str:
    return obj.kind.missing(obj.identity, obj.payload, "QuickBooks Online")
