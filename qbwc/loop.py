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
from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from lxml import etree

import qbsync
from connections.models import Connection
from objects import dispatch
from objects.models import Phase, QueuedObject
from objects.qbxml.envelope import MIN_VERSION, build_message, version_tuple
from objects.qbxml.parse import QbxmlParseError, parse_document, read_responses, tag_of, text_of
from objects.qbxml.validate import errors_in_message, errors_in_request
from qbwc import polls as pulls
from qbwc.models import Message, Request, Session, hash_ticket, new_ticket

log = logging.getLogger(__name__)

MIN_CLIENT_VERSION = (2, 1, 0, 30)
PARSE_ERROR_HRESULT = "0x80040400"
BUSY_POSTPONE_SECONDS = "60"
POLL_TRANSCRIPT_CHARS = 200_000
# progress() counts the work left on every receiveResponseXML; counting stops here so a
# backlog of 100,000 costs what one of 1,000 does (the bar is approximate anyway).
PROGRESS_COUNT_CAP = 1000
# expected_answer_bytes(): a record's answer without lines, and each line's.
ANSWER_RECORD_BYTES = 4_000
ANSWER_LINE_BYTES = 1_000
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
    connection = Connection.objects.filter(qbwc_username=username or "").first()
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
        # pulls hook: a due poll is work too (objects.pulls).
        if not dispatch.has_due_work(locked) and not pulls.has_due_polls(locked, timezone.now()):
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
    session = Session.objects.for_ticket(ticket)
    if session is None or app_url_mismatch(session.connection, app_connection_id):
        return None
    if session.status == Session.Status.ACTIVE and not session.is_live:
        session.end(Session.Status.EXPIRED, "Session expired")
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
        if session is not None:
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
        return _send_request(session, hcp_response, company_file, country, major, minor)


def _send_request(
    session: Session,
    hcp_response: str | None,
    company_file: str | None,
    country: str | None,
    major: int | None,
    minor: int | None,
) -> str:
    if hcp_response:
        _store_hcp(session, hcp_response, company_file, country, major, minor)
    elif session.round_trips == 0 and not session.client_version:
        _negotiate(session, [], major, minor)
    if (country or "US").upper() != "US":
        _set_error(
            session, f"qbsync supports US editions of QuickBooks only (this one is {country})."
        )
        return ""
    if version_tuple(session.qbxml_version) < version_tuple(MIN_VERSION):
        _set_error(
            session,
            f"QuickBooks too old (qbXML {session.qbxml_version}); qbXML 13.0 or later is required.",
        )
        return ""
    xml = build_next_message(session)
    return xml


def _store_hcp(
    session: Session,
    hcp: str,
    company_file: str | None,
    country: str | None,
    major: int | None,
    minor: int | None,
) -> None:
    supported: list[str] = []
    fields: dict[str, str] = {
        "reported_company_file": company_file or "",
        "country": (country or "")[:4],
    }
    try:
        root = parse_document(hcp)
        host = root.find(".//HostRet")
        supported = (
            [v.text or "" for v in host.findall("SupportedQBXMLVersion")]
            if host is not None
            else []
        )
        fields["product_name"] = text_of(host, "ProductName")
        fields["company_name"] = text_of(root.find(".//CompanyRet"), "CompanyName")
        fields["qbxml_versions"] = ",".join(supported)[:200]
    except QbxmlParseError as exc:
        log.warning("unreadable HCP response in session %s: %s", session.pk, exc)
    session.connection.record_host(**fields)
    _negotiate(session, supported, major, minor)


def _negotiate(
    session: Session, supported: list[str], major: int | None, minor: int | None
) -> None:
    """version = min(highest the company supports, what QBWC reports, qbsync's maximum)."""
    ceiling = version_tuple(settings.QBXML_MAX_VERSION)
    if major:
        ceiling = min(ceiling, (int(major), int(minor or 0)))
    candidates = []
    for value in supported:
        try:
            candidates.append(version_tuple(value))
        except ValueError:
            continue
    usable = [v for v in candidates if v <= ceiling]
    chosen = max(usable) if usable else (ceiling if not candidates else max(candidates))
    # 14.0/15.0 add no request type qbsync uses; anything between maps to a schema we check.
    version = f"{chosen[0]}.{chosen[1]}"
    Session.objects.filter(pk=session.pk).update(qbxml_version=version, client_version="hcp")
    session.qbxml_version = version
    session.client_version = "hcp"


def _set_error(session: Session, text: str) -> None:
    Session.objects.filter(pk=session.pk).update(last_error=text)
    session.last_error = text


def build_next_message(session: Session) -> str:
    """Claim the next objects, build and validate their requests, persist and return them."""
    connection = session.connection
    planned: list[dispatch.PlannedRequest] = []
    for _attempt in range(5):
        candidates = _next_candidates(session)
        # Answers promote their own dependents (receive_response); the full sweep is
        # only needed when nothing else is due.
        if not candidates and dispatch.promote_waiting(connection):
            candidates = _next_candidates(session)
        if not candidates:
            break
        # Objects another request took first are simply not among those claimed.
        items = []
        for obj in QueuedObject.objects.claim_for(session.claimer, candidates):
            item = dispatch.plan(obj, session.qbxml_version)
            if item is not None:
                items.append(item)
        planned += _valid_requests(items, session.qbxml_version)
        if planned:
            break
    number = session.round_trips + 1
    if not planned:
        # -- pulls hook (objects.pulls): once the run's writes are done, poll queries go
        # in messages of their own, one iterator page of every due stream per message.
        polls = pulls.next_requests(
            connection, session.claimer, timezone.now(), session.qbxml_version
        )
        if polls:
            return _send_polls(session, number, polls)
        # -- end pulls hook
        # Work vanished between authenticate and now: a harmless query keeps QBWC's run
        # clean; receiveResponseXML then reports 100.
        xml = build_message([_host_query()], session.qbxml_version)
        Message.objects.create(session=session, number=number, request_xml=xml)
        _count_round_trip(session)
        return xml
    with transaction.atomic():
        message = Message.objects.create(session=session, number=number, request_xml="")
        rows = []
        for item in planned:
            request_id = secrets.token_hex(8)
            item.element.set("requestID", request_id)
            rows.append(
                Request(
                    message=message,
                    queued_object=item.obj,
                    request_id=request_id,
                    kind=item.kind,
                    request_tag=tag_of(item.element),
                )
            )
        Request.objects.bulk_create(rows)
        xml = build_message([item.element for item in planned], session.qbxml_version)
        Message.objects.filter(pk=message.pk).update(request_xml=xml)
    _count_round_trip(session)
    return xml


def _send_polls(session: Session, number: int, polls: list[etree._Element]) -> str:
    with transaction.atomic():
        message = Message.objects.create(session=session, number=number, request_xml="")
        Request.objects.bulk_create(
            Request(
                message=message,
                request_id=rq.get("requestID", ""),
                kind=pulls.POLL,
                request_tag=tag_of(rq),
            )
            for rq in polls
        )
        xml = build_message(polls, session.qbxml_version)
        Message.objects.filter(pk=message.pk).update(request_xml=xml)
    _count_round_trip(session)
    return xml


def _valid_requests(
    items: list[dispatch.PlannedRequest], version: str
) -> list[dispatch.PlannedRequest]:
    """The requests that are valid qbXML; an invalid one fails its object, never the message.

    Validating the whole message once is enough when it is valid (each request then is);
    only otherwise is each request validated alone, to name the object at fault.
    """
    if not items or not errors_in_message(
        build_message([deepcopy(item.element) for item in items], version), version
    ):
        return items
    valid = []
    for item in items:
        errors = errors_in_request(item.element, version)
        if errors:
            # Our own request is wrong: quarantine this object, never the message.
            item.obj.fail(
                f"Validation error: the {tag_of(item.element)} request is not valid qbXML "
                f"{version}: {errors[0]}"
            )
            continue
        valid.append(item)
    return valid


def _host_query() -> etree._Element:
    return etree.Element("HostQueryRq", requestID="noop")


def _count_round_trip(session: Session) -> None:
    session.round_trips += 1
    Session.objects.filter(pk=session.pk).update(round_trips=session.round_trips)


def _next_candidates(session: Session) -> list[QueuedObject]:
    if session.bisect_queue:
        queue = list(session.bisect_queue)
        group = queue.pop(0)
        Session.objects.filter(pk=session.pk).update(bisect_queue=queue)
        session.bisect_queue = queue
        return list(
            QueuedObject.objects.filter(
                pk__in=group, phase__in=[Phase.PENDING, Phase.READY]
            ).order_by("created_at", "id")
        )
    due = dispatch.due_objects(session.connection, settings.QBWC_BATCH_SIZE)
    return _within_answer_budget(due, settings.QBWC_BATCH_ANSWER_BYTES)


def _within_answer_budget(candidates: list[QueuedObject], budget: int) -> list[QueuedObject]:
    """The first candidates whose expected answers fit `budget` bytes (always at least one).

    Counting requests alone let 50 orders of 160 lines ask for one multi-MB answer, which
    every later run asked for again; the rest here simply waits for the next round trip.
    """
    kept: list[QueuedObject] = []
    total = 0
    # What an answer refused as too large taught about these objects beats the estimate.
    learnt = Request.objects.answer_shares([obj.pk for obj in candidates])
    for obj in candidates:
        total += max(expected_answer_bytes(obj.payload), learnt.get(obj.pk, 0))
        if kept and total > budget:
            break
        kept.append(obj)
    return kept


def expected_answer_bytes(payload: object) -> int:
    """About how many bytes QuickBooks' answer about one object takes inside the SOAP body.

    A look-up answers the whole record just as the write does, so both are estimated from
    the payload: a Ret's header, and per line (any object in a list: order lines,
    journal lines …) a …LineRet. Real LineRets are 200-850 bytes once XML-escaped
    (../shared/qbxml-samples); 1,000 leaves room for long descriptions and custom fields.
    """
    lines = 0
    stack = [payload]
    while stack:  # iterative: a stored payload's depth is FlowLink's to choose
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            lines += sum(1 for item in value if isinstance(item, dict))
            stack.extend(value)
    return ANSWER_RECORD_BYTES + ANSWER_LINE_BYTES * lines


# -- receiveResponseXML ------------------------------------------------------------------
def receive_response(
    ticket: str | None,
    response: str | None,
    hresult: str | None,
    message: str | None,
    app_connection_id: str | None = None,
) -> int:
    with _call(ticket, app_connection_id) as session:
        if session is None:
            return -1
        return _receive_response(session, response, hresult, message)


def _receive_response(
    session: Session, response: str | None, hresult: str | None, message: str | None
) -> int:
    sent = session.messages.filter(status=Message.Status.SENT).order_by("-number").first()
    if sent is None:
        # Nothing of ours is outstanding: an unsolicited or replayed response is ignored.
        log.warning("session %s: response with no request outstanding ignored", session.pk)
        return progress(session)
    requests = {r.request_id: r for r in sent.requests.select_related("queued_object")}
    if requests and all(r.kind == pulls.POLL for r in requests.values()):
        return _receive_polls(session, sent, response or "", hresult or "", message or "")
    if hresult and not (response or "").strip():
        return _whole_message_rejected(session, sent, requests, hresult, message or "")
    try:
        answers = read_responses(response or "")
    except QbxmlParseError as exc:
        Message.objects.filter(pk=sent.pk).update(
            status=Message.Status.ANSWERED,
            response_xml=(response or "")[:1_000_000],
            answered_at=timezone.now(),
            hresult="",
            hresult_message=f"unreadable: {exc}",
        )
        for unread in requests.values():
            if unread.queued_object is not None:
                unread.queued_object.release(
                    f"QuickBooks' answer was unreadable ({exc}); verifying"
                )
        return progress(session)
    # One transaction for the whole answer: each object's change still is a conditional
    # update with its history row, but the message commits once instead of once per object.
    # Should it roll back, the objects stay claimed and are verified by look-up later.
    with transaction.atomic():
        Message.objects.filter(pk=sent.pk).update(
            status=Message.Status.ANSWERED, response_xml=response or "", answered_at=timezone.now()
        )
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
            if obj is None or not obj.is_claimed_by(session.claimer):
                continue
            mine.append((obj, request.kind, rs))
        if unknown:
            # One line however many: a large forged answer must not flood the log.
            log.warning(
                "session %s: %d answers with unknown requestIDs ignored (first %r)",
                session.pk,
                len(unknown),
                unknown[0],
            )
        dispatch.apply_responses(session.claimer, mine)
        answered = len(mine)
        Request.objects.record_statuses(statuses)
        for request in requests.values():
            obj = request.queued_object
            if obj is not None and obj.is_claimed_by(session.claimer):
                obj.release("QuickBooks' answer had no response for this request; verifying")
        session.requests_answered += answered
        Session.objects.filter(pk=session.pk).update(requests_answered=session.requests_answered)
        dispatch.promote_dependents(session.connection, [obj.pk for obj, _, _ in mine])
    return progress(session)


def _receive_polls(session: Session, sent: Message, response: str, hresult: str, text: str) -> int:
    """pulls hook: a poll answer is read as a stream and stored by objects.pulls."""
    now = timezone.now()
    Message.objects.filter(pk=sent.pk).update(
        status=Message.Status.ANSWERED if not hresult else Message.Status.REJECTED,
        # The transcript keeps the head of a poll answer; the records are in PulledRecord.
        response_xml=response[:POLL_TRANSCRIPT_CHARS],
        answered_at=now,
        hresult=hresult[:20],
        hresult_message=text,
    )
    if hresult and not response.strip():
        pulls.abandon(session.connection, session.claimer, now, f"{hresult}: {text}")
    else:
        pulls.receive(session.connection, session.claimer, response, now)
    session.requests_answered += sent.requests.count()
    Session.objects.filter(pk=session.pk).update(requests_answered=session.requests_answered)
    return progress(session)


def refuse_oversized_response(
    ticket: str, size: int, limit: int, app_connection_id: str | None = None
) -> int:
    """A receiveResponseXML over QBWC_MAX_BODY_BYTES: end the round trip inside the protocol.

    The negative answer makes the Web Connector call getLastError, which says why. The
    message remembers the size, so later runs ask for its objects in smaller groups
    (_within_answer_budget); they stay in flight until the session ends and are then
    verified by look-up. An object whose answer alone is too large fails: asked again,
    it would end every run the same way.
    """
    with _call(ticket, app_connection_id) as session:
        if session is None:
            return -1
        sent = session.messages.filter(status=Message.Status.SENT).order_by("-number").first()
        if sent is not None and sent.refuse_too_large(size):
            requests = list(sent.requests.select_related("queued_object"))
            obj = requests[0].queued_object if len(requests) == 1 else None
            if obj is not None and obj.is_claimed_by(session.claimer):
                obj.fail(
                    f"QuickBooks' answer about this object alone was {size:,} bytes, more "
                    f"than this server accepts ({limit:,} bytes, QBWC_MAX_BODY_BYTES); "
                    "raise the limit, then requeue it."
                )
        _set_error(
            session,
            f"QuickBooks' answer was {size:,} bytes, more than this server accepts "
            f"({limit:,} bytes, QBWC_MAX_BODY_BYTES). The next run asks for less at a time; "
            "if this repeats, raise QBWC_MAX_BODY_BYTES or lower QBWC_BATCH_ANSWER_BYTES.",
        )
        return -101


def _whole_message_rejected(
    session: Session,
    sent: Message,
    requests: dict[str, Request],
    hresult: str,
    text: str,
) -> int:
    Message.objects.filter(pk=sent.pk).update(
        status=Message.Status.REJECTED,
        hresult=hresult[:20],
        hresult_message=text,
        answered_at=timezone.now(),
    )
    claimed = [
        (r, r.queued_object)
        for r in requests.values()
        if r.queued_object is not None and r.queued_object.is_claimed_by(session.claimer)
    ]
    if hresult.upper() == PARSE_ERROR_HRESULT.upper():
        if len(claimed) == 1:
            dispatch.reject(claimed[0][1], hresult, text)
        elif claimed:
            # QuickBooks ran none of the requests: give them back untouched and resend
            # in halves, recursively, until the one bad request stands alone.
            ids = []
            for request, obj in claimed:
                back = Phase.PENDING if request.kind == dispatch.LOOKUP else Phase.READY
                obj.unclaim(back, f"message rejected ({hresult}); resending in smaller groups")
                ids.append(obj.pk)
            half = len(ids) // 2
            queue = [ids[:half], ids[half:], *session.bisect_queue]
            Session.objects.filter(pk=session.pk).update(bisect_queue=queue)
            session.bisect_queue = queue
        return progress(session)
    # Any other HRESULT is about QuickBooks itself (dialog open, not ready …): end the run.
    for _request, obj in claimed:
        obj.retry_later(Phase.PENDING, f"QuickBooks returned {hresult}: {text}", None)
    session.connection.record_connection_error(hresult, text)
    _set_error(session, f"QuickBooks returned {hresult}: {text}")
    return -101


def progress(session: Session) -> int:
    """Percent done; 100 when nothing eligible is left or the session hit its cap."""
    connection = session.connection
    # pulls hook: an unfinished poll iteration restarts in the next run, so polls get a
    # budget of their own on top of the writes' (objects.pulls).
    polls = pulls.pending_count(connection, session.claimer, timezone.now())
    cap = settings.QBWC_MAX_ROUND_TRIPS + (settings.PULL_MAX_ROUND_TRIPS if polls else 0)
    at_cap = session.round_trips >= cap
    if at_cap:
        _set_error(session, "round-trip limit reached; the rest waits for the next run")
    if at_cap or (not session.bisect_queue and not dispatch.has_due_work(connection) and not polls):
        value = 100
    else:
        objects = QueuedObject.objects.filter(connection=connection)
        remaining = (
            objects.due(timezone.now())[:PROGRESS_COUNT_CAP].count()
            + objects.filter(phase=Phase.TWO_PHASE_PENDING)[:PROGRESS_COUNT_CAP].count()
            + polls
        )
        done = session.requests_answered
        value = min(99, (100 * done) // max(1, done + remaining))
    value = max(value, session.progress)
    Session.objects.filter(pk=session.pk).update(progress=value)
    session.progress = value
    return value


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
    if session.status == Session.Status.ACTIVE and not session.is_live:
        session.end(Session.Status.EXPIRED, "Session expired")
    return session.last_error or ("Session expired" if session.status != "active" else "No error")


def close_connection(ticket: str | None, app_connection_id: str | None = None) -> str:
    session = Session.objects.for_ticket(ticket)
    if session is None:
        return "OK"
    mismatch = app_url_mismatch(session.connection, app_connection_id)
    if mismatch:
        # Not this URL's session to end: its own Web Connector may still be running it.
        return mismatch
    session.end(Session.Status.CLOSED)
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
        ended += session.end(Session.Status.EXPIRED, "Session expired")
    return ended
