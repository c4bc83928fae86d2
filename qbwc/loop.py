"""The Web Connector session loop: one function per QBWC callback.

A session keeps going round trip by round trip — look up, create missing
dependencies, add or modify — until nothing eligible is left, so a new order with
a new customer and new items lands in one Web Connector run (qbwc-protocol §6).
Every problem is reported through the protocol's own channels; nothing here raises
into the SOAP layer.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from lxml import etree

import qbsync
from connections.models import Connection
from objects.models import QueuedObject
from qbwc import batch, dispatch, host, operations, polls
from qbwc.models import Message, Request, Session, hash_ticket, new_ticket
from qbwc.qbxml.envelope import build_message
from qbwc.qbxml.mappers.base import Element
from qbwc.qbxml.parse import QbxmlParseError, read_responses, tag_of

log = logging.getLogger(__name__)

MIN_CLIENT_VERSION = (2, 1, 0, 30)
PARSE_ERROR_HRESULT = "0x80040400"
BUSY_POSTPONE_SECONDS = "60"
POLL_TRANSCRIPT_CHARS = 200_000
# progress() counts the work left on every receiveResponseXML; counting stops here so a
# backlog of 100,000 costs what one of 1,000 does (the bar is approximate anyway).
PROGRESS_COUNT_CAP = 1000
# Used once to equalise the time of unknown-user and wrong-password answers.
_DUMMY_PASSWORD_HASH = make_password(None)


def server_version() -> str:
    return f"qbsync {qbsync.__version__}"


def client_version_reply(version: str) -> str:
    """'' lets the update run; 'O:<v>' asks for a newer Web Connector (qbwc-protocol §4.2)."""
    parts: list[int] = []
    for piece in (version or "").split("."):
        if not piece.isdigit():
            return ""
        parts.append(int(piece))
    if parts and tuple(parts) < MIN_CLIENT_VERSION:
        return "O:" + ".".join(str(p) for p in MIN_CLIENT_VERSION)
    return ""


# -- authenticate ------------------------------------------------------------------
def authenticate(
    username: str | None, password: str | None, app_connection_id: str | None = None
) -> list[str]:
    # A QuickBooks Online connection has no Web Connector: its name logs nobody in.
    connection = (
        Connection.objects.filter(qbwc_username=username or "")
        .filter(backend=Connection.Backend.DESKTOP)
        .first()
    )
    if connection is None:
        make_password(password or "")  # same cost as a real check: no user enumeration
        return [new_ticket(), "nvu"]
    if not connection.check_qbwc_password(password or ""):
        log.warning("Web Connector login failed for connection %s", connection.connection_id)
        return [new_ticket(), "nvu"]
    mismatch = app_url_mismatch(connection, app_connection_id)
    if mismatch:
        # Refused without touching the connection's sessions, work or health (nothing
        # syncs through a misconfigured .qwc): the ticket only lets sendRequestXML answer
        # "" and getLastError explain (never `nvu`, which would send the user after a
        # password that is right).
        ticket = new_ticket()
        Session.objects.create_refused(connection, hash_ticket(ticket), mismatch)
        return [ticket, connection.company_file or ""]
    connection.touch()
    if not connection.is_active:
        # Paused by an operator: "none" is the Web Connector's quiet "no work" (an `nvu`
        # would show a password error the QuickBooks user cannot fix).
        return [new_ticket(), "none"]
    with transaction.atomic():
        # Serialise authenticates of one connection so two never both open a session.
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        for session in Session.objects.live().filter(connection=locked):
            if not session.take_over():
                return [new_ticket(), "busy", BUSY_POSTPONE_SECONDS]
        dispatch.promote_waiting(locked)
        # A due poll, or an API query waiting for an answer, is work too.
        if (
            not dispatch.has_due_work(locked)
            and not has_due_polls(locked)
            and not operations.has_due(locked)
        ):
            return [new_ticket(), "none"]
        ticket = new_ticket()
        Session.objects.create(connection=locked, ticket_hash=hash_ticket(ticket))
    return [ticket, connection.company_file or ""]


def app_url_mismatch(connection: Connection, app_connection_id: str | None) -> str:
    """Why a call that came to /qbwc/<app_connection_id>/ may not use this connection ("" if
    it may): a .qwc whose AppURL names another connection is a misconfiguration, and
    serving it the ticket's connection would hand one company's data to another's URL."""
    if app_connection_id is None or app_connection_id == connection.connection_id:
        return ""
    return (
        f"This Web Connector application's AppURL (/qbwc/{app_connection_id[:100]}/) does not "
        f"match the connection of its ticket ({connection.connection_id}). Remove it and add "
        f"the .qwc file of connection {connection.connection_id} again."
    )


def _begin(ticket: str | None, app_connection_id: str | None) -> Session | None:
    """The live session of a ticket with one of its callbacks begun; an idle one is expired
    on the spot, and a ticket used at another connection's AppURL gets none."""
    if not ticket:
        return None
    # The common case, a live session at its own AppURL, costs one statement; any other
    # is read and judged below exactly as before.
    session = Session.objects.begin_call(ticket, app_connection_id)
    if session is not None:
        return session
    session = Session.objects.for_ticket(ticket)
    if session is None or app_url_mismatch(session.connection, app_connection_id):
        return None
    session.expire_if_idle()
    if not session.begin_call():
        return None
    return session


@contextmanager
def _call(ticket: str | None, app_connection_id: str | None) -> Iterator[Session | None]:
    """Run one sendRequestXML/receiveResponseXML with the session marked as in a call."""
    session = _begin(ticket, app_connection_id)
    try:
        yield session
    finally:
        # Unless the call's last write ended it already (Session.send_message).
        if session is not None and session.is_in_call:
            session.end_call()


# -- sendRequestXML ------------------------------------------------------------------
def send_request(
    ticket: str | None,
    hcp_response: str | None,
    company_file: str | None,
    country: str | None,
    major: int | None,
    minor: int | None,
    app_connection_id: str | None = None,
) -> str:
    with _call(ticket, app_connection_id) as session:
        if session is None:
            return ""
        refusal = host.settle(session, hcp_response, company_file, country, major, minor)
        if refusal:
            session.record_error(refusal)
            return ""
        return build_next_message(session)


def build_next_message(session: Session) -> str:
    """The next message: the writes of due objects, else poll queries, else a harmless
    query (work vanished between authenticate and now: QBWC's run stays clean and
    receiveResponseXML then reports 100)."""
    planned = batch.next_writes(session)
    if planned:
        for item in planned:
            item.element.set("requestID", secrets.token_hex(8))
        return _send(session, [(item.obj, item.kind, item.element) for item in planned])
    # Once the run's writes are done, API queries and then poll queries go in messages
    # of their own (a caller waits for the first; the second fill a buffer).
    asked = operations.next_requests(session)
    if asked:
        return _send(session, [(None, operations.API, rq) for rq in asked])
    queries = next_polls(session)
    if queries:
        return _send(session, [(None, POLL, rq) for rq in queries])
    xml = build_message([etree.Element("HostQueryRq", requestID="noop")], session.qbxml_version)
    session.send_message(xml, [])
    return xml


def _send(session: Session, requests: list[tuple[QueuedObject | None, str, Element]]) -> str:
    xml = build_message([rq for _, _, rq in requests], session.qbxml_version)
    session.send_message(
        xml, [(obj, kind, rq.get("requestID", ""), tag_of(rq)) for obj, kind, rq in requests]
    )
    return xml


# -- receiveResponseXML ------------------------------------------------------------------
def receive_response(
    ticket: str | None,
    response: str | None,
    hresult: str | None,
    message: str | None,
    app_connection_id: str | None = None,
) -> int:
    response, hresult, text = response or "", hresult or "", message or ""
    with _call(ticket, app_connection_id) as session:
        if session is None:
            return -1
        sent = session.outstanding_message()
        if sent is None:
            # Nothing of ours is outstanding: an unsolicited or replayed response is ignored.
            log.warning("session %s: response with no request outstanding ignored", session.pk)
            return progress(session)
        requests = {r.request_id: r for r in sent.requests.select_related("queued_object")}
        if requests and all(r.kind == POLL for r in requests.values()):
            receive_polls(session, sent, response, hresult, text)
        elif requests and all(r.kind == operations.API for r in requests.values()):
            receive_operations(session, sent, list(requests), response, hresult, text)
        elif hresult and not response.strip():
            return _whole_message_rejected(session, sent, list(requests.values()), hresult, text)
        else:
            _apply_answers(session, sent, requests, response)
        return progress(session)


def _apply_answers(
    session: Session, sent: Message, requests: dict[str, Request], response: str
) -> None:
    try:
        answers = read_responses(response)
    except QbxmlParseError as exc:
        if sent.answer(response[:1_000_000], hresult_message=f"unreadable: {exc}"):
            _release(session, requests.values(), f"QuickBooks' answer was unreadable ({exc})")
        return
    # One transaction for the whole answer: each object's change still is a conditional
    # update with its history row, but the message commits once instead of once per object.
    # Should it roll back, the objects stay claimed and are verified by look-up later.
    with transaction.atomic():
        if not sent.answer(response):
            return  # answered meanwhile by a replay of this same call
        statuses: list[tuple[int, int, str]] = []
        mine = []
        unknown: list[str] = []
        for rs in answers:
            request = requests.pop(rs.request_id, None)
            if request is None:
                if rs.request_id != "noop":
                    # Never apply an answer to a request this session did not send (forgery).
                    unknown.append(rs.request_id)
                continue
            statuses.append((request.pk, rs.status_code, rs.message[:2000]))
            obj = request.queued_object
            if obj is not None and obj.is_claimed_by(session.claimer):
                mine.append((obj, request.kind, rs))
        if unknown:
            # One line however many: a large forged answer must not flood the log.
            log.warning(
                "session %s: %d answers with unknown requestIDs ignored (first %r)",
                session.pk,
                len(unknown),
                unknown[0],
            )
        Request.objects.record_statuses(statuses)
        dispatch.apply_responses(session.claimer, mine)
        dispatch.promote_dependents(session.connection, [obj.pk for obj, _, _ in mine])
        _release(session, requests.values(), "QuickBooks' answer had no response for this request")
    # Written with the end of the call (Session._note): counted only once the answer's
    # changes have committed.
    session.count_answered(len(mine))


def _claimed(session: Session, requests: Iterable[Request]) -> list[QueuedObject]:
    """The objects of `requests` this session still holds."""
    held = [
        r.queued_object
        for r in requests
        if r.queued_object is not None and r.queued_object.is_claimed_by(session.claimer)
    ]
    for obj in held:
        # Their notifications name the connection's QuickBooks without a query each.
        obj.connection = session.connection
    return held


def _release(session: Session, requests: Iterable[Request], why: str) -> None:
    """The outcome of these requests is unknown: their objects are verified by look-up."""
    for obj in _claimed(session, requests):
        obj.release(f"{why}; verifying")


def _whole_message_rejected(
    session: Session, sent: Message, requests: list[Request], hresult: str, text: str
) -> int:
    if not sent.reject(hresult, text):
        return progress(session)  # settled meanwhile by a replay of this same call
    claimed = _claimed(session, requests)
    if hresult.upper() == PARSE_ERROR_HRESULT.upper():
        if len(claimed) == 1:
            dispatch.reject(claimed[0], hresult, text)
        elif claimed:
            # QuickBooks ran none of the requests: give them back untouched and resend
            # in halves, recursively, until the one bad request stands alone.
            for obj in claimed:
                obj.give_back(f"message rejected ({hresult}); resending in smaller groups")
            session.resend_in_halves([obj.pk for obj in claimed])
        return progress(session)
    # Any other HRESULT is about QuickBooks itself (dialog open, not ready …): end the run.
    for obj in claimed:
        obj.postpone(f"QuickBooks returned {hresult}: {text}")
    session.connection.record_connection_error(hresult, text)
    session.record_error(f"QuickBooks returned {hresult}: {text}")
    return -101


def refuse_oversized_response(
    ticket: str, size: int, limit: int, app_connection_id: str | None = None
) -> int:
    """A receiveResponseXML over QBWC_MAX_BODY_BYTES: end the round trip inside the protocol.

    The negative answer makes the Web Connector call getLastError, which says why. The
    message remembers the size, so later runs ask for its objects in smaller groups
    (qbwc.batch); they stay in flight until the session ends and are then verified by
    look-up. An object whose answer alone is too large fails: asked again, it would end
    every run the same way.
    """
    with _call(ticket, app_connection_id) as session:
        if session is None:
            return -1
        sent = session.outstanding_message()
        if sent is not None and sent.refuse_too_large(size):
            requests = list(sent.requests.select_related("queued_object"))
            alone = _claimed(session, requests) if len(requests) == 1 else []
            for obj in alone:
                obj.fail(
                    f"QuickBooks' answer about this object alone was {size:,} bytes, more "
                    f"than this server accepts ({limit:,} bytes, QBWC_MAX_BODY_BYTES); "
                    "raise the limit, then requeue it."
                )
        session.record_error(
            f"QuickBooks' answer was {size:,} bytes, more than this server accepts "
            f"({limit:,} bytes, QBWC_MAX_BODY_BYTES). The next run asks for less at a time; "
            "if this repeats, raise QBWC_MAX_BODY_BYTES or lower QBWC_BATCH_ANSWER_BYTES.",
        )
        return -101


def progress(session: Session) -> int:
    """Percent done; 100 when nothing eligible is left or the session hit its cap."""
    connection = session.connection
    # An unfinished poll iteration restarts in the next run, so polls get a budget of
    # their own on top of the writes'.
    polls_due = polls_left(session) + operations.due_count(session)
    cap = settings.QBWC_MAX_ROUND_TRIPS + (settings.PULL_MAX_ROUND_TRIPS if polls_due else 0)
    at_cap = session.round_trips >= cap
    if at_cap:
        session.record_error("round-trip limit reached; the rest waits for the next run")
    if at_cap or (
        not session.bisect_queue and not dispatch.has_due_work(connection) and not polls_due
    ):
        return session.record_progress(100)
    remaining = (
        QueuedObject.objects.filter(connection=connection).count_left(
            timezone.now(), PROGRESS_COUNT_CAP
        )
        + polls_due
    )
    done = session.requests_answered
    return session.record_progress(min(99, (100 * done) // max(1, done + remaining)))


# -- the rest ------------------------------------------------------------------------
def connection_error(
    ticket: str | None,
    hresult: str | None,
    message: str | None,
    app_connection_id: str | None = None,
) -> str:
    """QBWC could not open QuickBooks: record why, end the session (retrying rarely helps)."""
    session = Session.objects.for_ticket(ticket)
    if session is not None and not app_url_mismatch(session.connection, app_connection_id):
        session.connection.record_connection_error(hresult or "", message or "")
        session.end(
            Session.Status.FAILED, f"QuickBooks could not be opened: {hresult} {message}".strip()
        )
    return "done"


def last_error(ticket: str | None, app_connection_id: str | None = None) -> str:
    session = Session.objects.for_ticket(ticket)
    if session is None:
        return "Session expired"
    mismatch = app_url_mismatch(session.connection, app_connection_id)
    if mismatch:
        return mismatch
    session.expire_if_idle()
    return session.last_error or (
        "Session expired" if session.status != Session.Status.ACTIVE else "No error"
    )


def close_connection(ticket: str | None, app_connection_id: str | None = None) -> str:
    session = Session.objects.for_ticket(ticket)
    if session is None:
        return "OK"
    mismatch = app_url_mismatch(session.connection, app_connection_id)
    if mismatch:
        # Not this URL's session to end: its own Web Connector may still be running it.
        return mismatch
    if not session.end(Session.Status.CLOSED):
        # Ended meanwhile (expired, failed, taken over): answer with the row as it ended.
        # Once end() won, the row is the one read above plus end()'s own columns: only
        # this session's callbacks write the rest, and each had ended before this began.
        session.refresh_from_db()
    if session.last_error and session.status == Session.Status.FAILED:
        return f"Ended with an error: {session.last_error}"
    return (
        f"Complete! {session.requests_answered} requests answered in "
        f"{session.round_trips} round trips."
    )


def expire_stale_sessions() -> int:
    """End sessions that stopped calling; their in-flight objects are released."""
    ended = 0
    for session in Session.objects.stale(timezone.now()):
        ended += session.expire()
    return ended


# -- polls: the pull side of a run, all through qbwc.polls ----------------------------
POLL = polls.POLL


def has_due_polls(connection: Connection) -> bool:
    return polls.has_due_polls(connection, timezone.now())


def next_polls(session: Session) -> list[Element]:
    """One iterator page of every due stream, for a message of their own."""
    return polls.next_requests(
        session.connection, session.claimer, timezone.now(), session.qbxml_version
    )


def polls_left(session: Session) -> int:
    return polls.pending_count(session.connection, session.claimer, timezone.now())


def receive_polls(session: Session, sent: Message, response: str, hresult: str, text: str) -> None:
    """A poll answer is read as a stream and stored by qbwc.polls; the transcript keeps
    only its head (the records are in PulledRecord)."""
    now = timezone.now()
    head = response[:POLL_TRANSCRIPT_CHARS]
    settled = (
        sent.reject(hresult, text, head) if hresult else sent.answer(head, hresult_message=text)
    )
    if not settled:
        return  # settled meanwhile by a replay of this same call
    if hresult and not response.strip():
        polls.abandon(session.connection, session.claimer, now, f"{hresult}: {text}")
    else:
        polls.receive(session.connection, session.claimer, response, now)
    session.count_answered(sent.requests.count())


def receive_operations(
    session: Session, sent: Message, request_ids: list[str], response: str, hresult: str,
    text: str,
) -> None:  # fmt: skip
    """An answer to API queries: kept in the transcript, read by qbwc.operations."""
    settled = (
        sent.reject(hresult, text, response[:POLL_TRANSCRIPT_CHARS])
        if hresult
        else sent.answer(response[:POLL_TRANSCRIPT_CHARS], hresult_message=text)
    )
    if not settled:
        return  # settled meanwhile by a replay of this same call
    operations.receive(session, request_ids, response, hresult, text)
    session.count_answered(len(request_ids))
