"""Web Connector sessions, the qbXML messages exchanged in them, and each request."""

from __future__ import annotations

import functools
import hashlib
import secrets
import weakref
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.db import connections, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from connections.models import Connection
from objects.models import QueuedObject, update_from_values
from qbsync.sql import from_row, select_list


def hash_ticket(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8")).hexdigest()


# A callback still marked in progress after this long belongs to a process that died (a
# worker killed mid-call): the Web Connector itself gives up on a call after about 2 minutes.
# On PostgreSQL a dead server is seen at once instead (Session.call_db_pid).
CALL_DEAD_AFTER = timedelta(minutes=5)


# Backend pid per open database connection (serving_db_pid). Keyed by the driver's
# connection object, not by Django's wrapper: the wrapper outlives reconnects, and a new
# connection is a new backend. Weak keys: a closed connection drops out by itself.
_backend_pids: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def serving_db_pid() -> int | None:
    """The PostgreSQL backend serving this process's connection (None elsewhere).

    The backend ends with the connection, and the connection with the process: a web
    process killed mid-call leaves a pid no longer in pg_stat_activity. It is asked of the
    server once per connection: every callback needs it, and it cannot change while the
    connection lives. (Not psycopg's `info.backend_pid`: behind a pooler that is the
    pooler's own number, which pg_stat_activity never lists.)
    """
    if db.vendor != "postgresql":
        return None
    db.ensure_connection()
    raw = db.connection
    pid = _backend_pids.get(raw)
    if pid is None:
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            row = cursor.fetchone()
        if row is None:
            return None
        pid = _backend_pids[raw] = int(row[0])
    return pid


def db_pid_alive(pid: int) -> bool:
    with db.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def new_ticket() -> str:
    """128 random bits from the OS CSPRNG (qbwc-protocol §7)."""
    return secrets.token_hex(16)


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Failed"


class SessionQuerySet(models.QuerySet["Session"]):
    def live(self) -> SessionQuerySet:
        return self.filter(status=Session.Status.ACTIVE)

    def stale(self, now: datetime) -> SessionQuerySet:
        """Active sessions idle past the limit (qbwc.tasks.expire_sessions)."""
        idle = timedelta(minutes=settings.QBWC_SESSION_IDLE_MINUTES)
        return self.live().filter(last_call_at__lt=now - idle)

    def purge_ended(self, before: datetime) -> int:
        """Delete sessions that ended before `before`, with their transcripts."""
        ended = self.exclude(status=Session.Status.ACTIVE).filter(last_call_at__lt=before)
        _, counts = ended.delete()
        return counts.get("qbwc.Session", 0)

    def create_refused(self, connection: Connection, ticket_hash: str, error: str) -> Session:
        """A session refused at authenticate: its ticket serves no work, only `error` to
        getLastError (qbwc.loop.app_url_mismatch)."""
        now = timezone.now()
        return self.create(
            connection=connection,
            ticket_hash=ticket_hash,
            status=Session.Status.FAILED,
            closed_at=now,
            last_error=error,
        )

    def for_ticket(self, ticket: str | None) -> Session | None:
        if not ticket:
            return None
        return self.select_related("connection").filter(ticket_hash=hash_ticket(ticket)).first()

    def begin_call(self, ticket: str, app_connection_id: str | None) -> Session | None:
        """The session of `ticket` with one of its callbacks begun (Session.begin_call) and
        its connection touched, in one statement; None unless the session is live and, when
        the call came to /qbwc/<app_connection_id>/, belongs to that connection.

        None says only that this fast path did not apply: the caller then reads the
        session and decides as before (expire an idle one, refuse another AppURL's ticket),
        so this never ends, refuses or expires anything itself. Every callback begins this
        way, and three statements each (read, begin, touch) were most of a session's cost
        (bench.profile sessions). Hand-written: the ORM has no UPDATE … RETURNING, nor
        data-modifying WITH. PostgreSQL only; elsewhere always None.

        The connection row is updated before the session row, the order authenticate()
        takes them in (connection FOR UPDATE, then take_over() of its sessions): the other
        order could deadlock the two. The session update is still conditional on the
        session being active, so a take_over() committed meanwhile makes it miss.
        """
        if connections[self.db].vendor != "postgresql":
            return None
        sql, session_fields, connection_fields = _begin_call_sql(app_connection_id is not None)
        now = timezone.now()
        params: dict[str, str | int | datetime | None] = {
            "ticket_hash": hash_ticket(ticket),
            "active": Session.Status.ACTIVE.value,
            "idle_cutoff": now - timedelta(minutes=settings.QBWC_SESSION_IDLE_MINUTES),
            "now": now,
            "pid": serving_db_pid(),
            "app": app_connection_id,
        }
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        split = len(session_fields)
        session = from_row(Session, session_fields, row[:split], self.db)
        session.connection = from_row(Connection, connection_fields, row[split:], self.db)
        session._enter_call()
        return session


@functools.cache
def _begin_call_sql(
    check_app_url: bool,
) -> tuple[str, list[models.Field[Any, Any]], list[models.Field[Any, Any]]]:
    """SessionQuerySet.begin_call's statement, and the fields of the row it returns."""
    session_fields = list(Session._meta.concrete_fields)
    connection_fields = list(Connection._meta.concrete_fields)
    sessions, connections_ = Session._meta.db_table, Connection._meta.db_table
    app_url = 'JOIN "{c}" c ON c."id" = s."connection_id" AND c."connection_id" = %(app)s'
    returning = f"{select_list(session_fields, 's')}, {select_list(connection_fields, 'touched')}"
    sql = f"""
        WITH target AS (
            SELECT s."id", s."connection_id" FROM "{sessions}" s
            {app_url.format(c=connections_) if check_app_url else ""}
            WHERE s."ticket_hash" = %(ticket_hash)s AND s."status" = %(active)s
              AND s."last_call_at" >= %(idle_cutoff)s
        ), touched AS (
            UPDATE "{connections_}" c SET "last_contact_at" = %(now)s
            FROM target WHERE c."id" = target."connection_id"
            RETURNING c.*
        )
        UPDATE "{sessions}" s
        SET "last_call_at" = %(now)s, "call_started_at" = %(now)s, "call_db_pid" = %(pid)s
        FROM target JOIN touched ON touched."id" = target."connection_id"
        WHERE s."id" = target."id" AND s."status" = %(active)s
          AND s."last_call_at" >= %(idle_cutoff)s
        RETURNING {returning}
    """
    return sql, session_fields, connection_fields


class Session(models.Model):
    """One Web Connector update: authenticate … closeConnection."""

    # Module-level so Meta's index conditions can name the statuses too.
    Status = SessionStatus

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="sessions")
    # Only a hash of the ticket is stored: it is a bearer token for the session.
    ticket_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    last_call_at = models.DateTimeField(default=timezone.now)
    # Set while one of this session's callbacks is being processed (begin_call/end_call):
    # a new authenticate takes a session over at once unless this is set (take_over).
    call_started_at = models.DateTimeField(null=True, blank=True)
    # The PostgreSQL backend of the process serving that callback: once it is gone, so is
    # the process (killed mid-call), and take_over() need not wait for CALL_DEAD_AFTER.
    call_db_pid = models.IntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    qbxml_version = models.CharField(max_length=5, default="13.0")
    client_version = models.CharField(max_length=30, blank=True)
    company_file = models.CharField(max_length=500, blank=True)
    country = models.CharField(max_length=4, blank=True)
    round_trips = models.PositiveIntegerField(default=0)
    requests_answered = models.PositiveIntegerField(default=0)
    progress = models.IntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Groups of queued-object ids to resend one group per message after QuickBooks
    # rejected a whole message (0x80040400): bisection isolates the bad request.
    bisect_queue = models.JSONField(default=list, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        indexes = [
            # SessionQuerySet.live()/stale(): the busy check in authenticate and expiry.
            models.Index(
                fields=["connection", "last_call_at"],
                name="session_active_idx",
                condition=Q(status=SessionStatus.ACTIVE),
            ),
            # SessionQuerySet.purge_ended() (hourly retention): ended sessions by age.
            models.Index(
                fields=["last_call_at"],
                name="session_retention_idx",
                condition=~Q(status=SessionStatus.ACTIVE),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.connection} session {self.pk}"

    @property
    def claimer(self) -> str:
        return f"session:{self.pk}"

    @property
    def is_live(self) -> bool:
        if self.status != self.Status.ACTIVE:
            return False
        idle = timedelta(minutes=settings.QBWC_SESSION_IDLE_MINUTES)
        return self.last_call_at >= timezone.now() - idle

    def begin_call(self) -> bool:
        """Mark one of this session's callbacks as being processed; False if it has ended.

        Conditional on the session still being active, so a callback and a take_over()
        racing for the same row never both win: either the callback runs and the new
        authenticate answers busy, or the session is taken over and the callback is
        answered as expired. (SessionQuerySet.begin_call does the same in one statement
        with the read; this is the path of the sessions it does not serve.)
        """
        now = timezone.now()
        pid = serving_db_pid()
        won = (
            Session.objects.filter(pk=self.pk, status=self.Status.ACTIVE).update(
                last_call_at=now, call_started_at=now, call_db_pid=pid
            )
            == 1
        )
        if won:
            self.last_call_at = self.call_started_at = now
            self.call_db_pid = pid
            self.connection.touch(now)
            self._enter_call()
        return won

    def _enter_call(self) -> None:
        """From here until end_call(), what the call records waits for end_call() (_note)."""
        self._noted = {}

    @property
    def is_in_call(self) -> bool:
        """Whether this instance began a callback (begin_call) not yet ended (end_call)."""
        return self._noted is not None

    def end_call(self) -> None:
        """The callback begun by begin_call() has been answered.

        One UPDATE clears the call's mark and writes what the call recorded on the way
        (_note): until this commits, take_over() still sees the call as in progress.
        """
        fields = self._ending_call()
        Session.objects.filter(pk=self.pk).update(**fields)
        self._left_call(fields)

    def _ending_call(self, **fields: Any) -> dict[str, Any]:
        """`fields`, plus what ends the call: the columns it noted and the cleared mark."""
        return {**(self._noted or {}), **fields, "call_started_at": None, "call_db_pid": None}

    def _left_call(self, fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            setattr(self, key, value)
        self._noted = None

    def take_over(self) -> bool:
        """End this session because its Web Connector authenticated again; False if one of
        its callbacks is being processed right now (the caller then answers busy).

        The Web Connector never runs two sessions of one application at once, so a fresh
        authenticate with valid credentials means this session's run died (the machine
        rebooted after sendRequestXML): waiting for it to go idle would only lock the
        company out. What it held is released as end() does.
        """
        dead_call = timezone.now() - CALL_DEAD_AFTER
        idle = Q(call_started_at__isnull=True) | Q(call_started_at__lt=dead_call)
        if self.call_db_pid is not None and not db_pid_alive(self.call_db_pid):
            # The process serving the call is gone. Conditional on the same pid: a call
            # begun since by a live process keeps the session.
            idle |= Q(call_db_pid=self.call_db_pid)
        return self.end(
            self.Status.EXPIRED,
            "the Web Connector authenticated again; this session's run was abandoned",
            only_if=idle,
        )

    def end(self, status: str, error: str = "", only_if: Q | None = None) -> bool:
        """End the session once; objects still in flight are released (outcome unknown)."""
        fields: dict[str, object] = {
            "status": status,
            "closed_at": timezone.now(),
            "call_started_at": None,
            "call_db_pid": None,
        }
        if error:
            fields["last_error"] = error
        ending = Session.objects.filter(pk=self.pk, status=self.Status.ACTIVE)
        if only_if is not None:
            ending = ending.filter(only_if)
        with transaction.atomic():
            if ending.update(**fields) != 1:
                return False
            for key, value in fields.items():
                setattr(self, key, value)
            for obj in QueuedObject.objects.held_by(self.claimer):
                obj.release(f"session {self.pk} ended before QuickBooks answered; verifying first")
            Message.objects.filter(session=self, status=Message.Status.SENT).update(
                status=Message.Status.LOST
            )
        return True

    def expire(self) -> bool:
        """End a session whose Web Connector stopped calling."""
        return self.end(self.Status.EXPIRED, "Session expired")

    def expire_if_idle(self) -> None:
        if self.status == self.Status.ACTIVE and not self.is_live:
            self.expire()

    # -- bookkeeping of the session loop (qbwc.loop) ----------------------------------
    # No state changes here: only the session's own callbacks write these columns, and a
    # Web Connector makes one call at a time, so a plain update is enough; the in-memory
    # row is kept in step for the rest of the call.
    # What a call begun by begin_call() records with _note(), waiting for end_call() to
    # write it (None outside a call).
    _noted: dict[str, Any] | None = None

    def _record(self, **fields: Any) -> None:
        """Write now: for columns that must commit with the call's other changes."""
        Session.objects.filter(pk=self.pk).update(**fields)
        for key, value in fields.items():
            setattr(self, key, value)

    def _note(self, **fields: Any) -> None:
        """Write with the end of the call: nothing reads these columns before it ends
        (getLastError, closeConnection and the admin come later), and end_call() writes
        them with the statement it makes anyway instead of one UPDATE each. Outside a
        call they are written at once."""
        if self._noted is None:
            self._record(**fields)
            return
        self._noted.update(fields)
        for key, value in fields.items():
            setattr(self, key, value)

    def use_version(self, version: str) -> None:
        """The qbXML version negotiated for this session (qbwc.loop.negotiate)."""
        self._note(qbxml_version=version, client_version="hcp")

    def record_error(self, text: str) -> None:
        """What getLastError answers next."""
        self._note(last_error=text)

    def count_answered(self, requests: int) -> None:
        self._note(requests_answered=self.requests_answered + requests)

    def record_progress(self, value: int) -> int:
        """Store the percent done, never lower than already reported; return it."""
        value = max(value, self.progress)
        self._note(progress=value)
        return value

    def outstanding_message(self) -> Message | None:
        """The message sent and not yet answered (None: an answer now is unsolicited)."""
        return self.messages.filter(status=Message.Status.SENT).order_by("-number").first()

    def send_message(
        self, xml: str, requests: list[tuple[QueuedObject | None, str, str, str]]
    ) -> Message:
        """Record the next round trip: its qbXML and its requests, as (object, kind,
        requestID, request tag)."""
        # The message is the last thing a sendRequestXML writes (its answer is this qbXML),
        # so the update that counts it also ends the call (end_call): one statement fewer.
        fields: dict[str, Any] = {"round_trips": self.round_trips + 1}
        ending = self.is_in_call
        if ending:
            fields = self._ending_call(**fields)
        with transaction.atomic():
            message = Message.objects.create(
                session=self, number=self.round_trips + 1, request_xml=xml
            )
            Request.objects.bulk_create(
                Request(message=message, queued_object=o, request_id=r, kind=k, request_tag=t)
                for o, k, r, t in requests
            )
            Session.objects.filter(pk=self.pk).update(**fields)
            if ending:
                # Over only once committed: rolled back (here or by a caller's transaction),
                # the call is still marked, and _call() ends it with end_call().
                transaction.on_commit(lambda: self._left_call(fields))
        for key, value in fields.items():
            if key not in ("call_started_at", "call_db_pid"):
                setattr(self, key, value)
        return message

    def resend_in_halves(self, ids: list[int]) -> None:
        """Resend these objects (a rejected message's) in two groups, ahead of any other."""
        half = len(ids) // 2
        self._record(bisect_queue=[ids[:half], ids[half:], *self.bisect_queue])

    def next_resend_group(self) -> list[int] | None:
        """Take the next group queued by resend_in_halves(), if any."""
        if not self.bisect_queue:
            return None
        group, *rest = self.bisect_queue
        self._record(bisect_queue=rest)
        return list(group)


class Message(models.Model):
    """One sendRequestXML / receiveResponseXML round trip."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        REJECTED = "rejected", "Rejected by QuickBooks"
        LOST = "lost", "Never answered"
        TOO_LARGE = "too_large", "Answer over QBWC_MAX_BODY_BYTES"

    session = models.ForeignKey(Session, models.CASCADE, related_name="messages")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    request_xml = models.TextField()
    response_xml = models.TextField(blank=True)
    hresult = models.CharField(max_length=20, blank=True)
    hresult_message = models.TextField(blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Size of an answer refused as too large (refuse_too_large): later messages ask for
    # this one's objects in smaller groups (RequestQuerySet.answer_shares).
    answer_bytes = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="message_unique_number")
        ]

    def __str__(self) -> str:
        return f"message {self.number} of session {self.session_id}"

    def refuse_too_large(self, size: int) -> bool:
        """QuickBooks' answer to this message was over the body limit and was not read."""
        return self._settle(self.Status.TOO_LARGE, answer_bytes=size)

    def _settle(self, status: str, **fields: Any) -> bool:
        """Move this sent message to `status` once; False if it was settled already (a
        replayed answer, or the session ended and marked it lost)."""
        fields["answered_at"] = timezone.now()
        won = Message.objects.filter(pk=self.pk, status=self.Status.SENT).update(
            status=status, **fields
        )
        if won == 1:
            self.status = status
            for key, value in fields.items():
                setattr(self, key, value)
        return won == 1

    def answer(self, response_xml: str, hresult: str = "", hresult_message: str = "") -> bool:
        """QuickBooks answered (`hresult_message` says why the answer could not be read)."""
        return self._settle(
            self.Status.ANSWERED,
            response_xml=response_xml,
            hresult=hresult[:20],
            hresult_message=hresult_message,
        )

    def reject(self, hresult: str, hresult_message: str, response_xml: str = "") -> bool:
        """QuickBooks refused the whole message with an HRESULT."""
        return self._settle(
            self.Status.REJECTED,
            response_xml=response_xml,
            hresult=hresult[:20],
            hresult_message=hresult_message,
        )


class RequestQuerySet(models.QuerySet["Request"]):
    def answer_shares(self, object_ids: list[int]) -> dict[int, int]:
        """Per object whose answer was once refused as too large: that answer's bytes
        divided by its message's requests (the largest, if several).

        The estimate that built such a message was wrong for these objects; without this
        every later run would ask for the same refused answer again.
        """
        refused = list(
            self.filter(
                queued_object_id__in=object_ids, message__status=Message.Status.TOO_LARGE
            ).values_list("queued_object_id", "message_id", "message__answer_bytes")
        )
        if not refused:
            return {}
        counts = dict(
            self.filter(message_id__in={message for _, message, _ in refused})
            .values("message_id")
            .annotate(requests=Count("id"))
            .values_list("message_id", "requests")
        )
        shares: dict[int, int] = {}
        for obj_id, message_id, size in refused:
            share = (size or 0) // max(1, counts.get(message_id, 1))
            shares[obj_id] = max(shares.get(obj_id, 0), share)
        return shares

    def record_statuses(self, statuses: list[tuple[int, int, str]]) -> None:
        """Store (pk, statusCode, statusMessage) of a message's requests with one UPDATE
        (QuickBooks' status texts name the record, so they differ per request)."""
        update_from_values(
            Request, [("status_code", "integer"), ("status_message", "text")], statuses
        )


class Request(models.Model):
    """One request inside a message, tied to the queued object it serves by requestID."""

    message = models.ForeignKey(Message, models.CASCADE, related_name="requests")
    queued_object = models.ForeignKey(
        QueuedObject, models.SET_NULL, null=True, blank=True, related_name="qb_requests"
    )
    request_id = models.CharField(max_length=40, unique=True)
    # qbwc.dispatch.LOOKUP / ADD / MOD / DELETE / DATA_EXT
    kind = models.CharField(max_length=10)
    request_tag = models.CharField(max_length=60)
    status_code = models.IntegerField(null=True, blank=True)
    status_message = models.TextField(blank=True)

    objects = RequestQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.request_tag} {self.request_id}"
