"""Operations API queries answered by a Web Connector run (docs/api.md).

A query to a QuickBooks Desktop connection is an Operation (objects.models) until its
Web Connector next runs: once the run's writes are done, `next_requests` sends every
due one (each a …QueryRq of qbwc.qbxml.entity_queries, validated against the XSD of
the session's qbXML version) in a message of its own; `receive` reads the answer with
the get_* readers and finishes each operation with its records, or fails it with
QuickBooks' status code and message.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from connections.models import Connection
from objects.api.answers import shape
from objects.api.queries import ApiError, EntityQuery
from objects.models import Operation, OperationCallback
from objects.tasks import deliver_operation_callback
from qbwc.models import Session
from qbwc.qbxml import entity_queries
from qbwc.qbxml.mappers.base import Element
from qbwc.qbxml.parse import QbxmlParseError, read_responses
from qbwc.qbxml.validate import errors_in_request

API = "api"  # qbwc Request.kind of an operations API query
# Queries sent in one message: each answer is at most entity_queries.MAX_RECORDS records.
PER_MESSAGE = 10


def has_due(connection: Connection) -> bool:
    """For authenticate: is an API query waiting for this connection's QuickBooks?"""
    return Operation.objects.due_for(connection, "").exists()


def due_count(session: Session) -> int:
    return Operation.objects.due_for(session.connection, session.claimer).count()


def next_requests(session: Session) -> list[Element]:
    """The queries of the next message (each claimed for this session)."""
    now = timezone.now()
    out: list[Element] = []
    due = Operation.objects.due_for(session.connection, session.claimer).order_by("created_at")
    for operation in due[:PER_MESSAGE]:
        query = EntityQuery.from_json(operation.query)
        rq = entity_queries.build(query)
        errors = errors_in_request(rq, session.qbxml_version)
        if errors:
            # Our own request is wrong (a value QuickBooks cannot take): say so, send nothing.
            operation.fail(ApiError(400, f"invalid qbXML query: {errors[0]}").as_json(), now)
            continue
        if operation.claim(session.claimer, now):
            rq.set("requestID", f"a{operation.pk}-{secrets.token_hex(4)}")
            out.append(rq)
    return out


def receive(session: Session, request_ids: list[str], response: str, hresult: str,
            text: str) -> None:  # fmt: skip
    """Finish the operations of one answered message (`request_ids`: what it asked)."""
    now = timezone.now()
    mine = {rid: _operation(session, rid) for rid in request_ids}
    if hresult and not response.strip():
        _fail_all(mine.values(), ApiError(502, f"QuickBooks returned {hresult}: {text}"), now)
        return
    try:
        answers = read_responses(response)
    except QbxmlParseError as exc:
        _fail_all(mine.values(), ApiError(502, f"QuickBooks' answer was unreadable: {exc}"), now)
        return
    for rs in answers:
        operation = mine.pop(rs.request_id, None)
        if operation is None:
            continue  # never an answer to a request this session did not send
        query = EntityQuery.from_json(operation.query)
        try:
            records = entity_queries.read(query, rs)
            operation.finish(shape(query, records), now)
        except entity_queries.AnswerError as exc:
            operation.fail(ApiError(400, exc.message, str(exc.code)).as_json(), now)
        except ApiError as exc:  # a get that found nothing
            operation.fail(exc.as_json(), now)
        call_back(operation)
    # Asked and not answered: left `sent`, so the next session asks again (a query
    # changes nothing in QuickBooks).


def _fail_all(operations: Iterable[Operation | None], error: ApiError, now: datetime) -> None:
    """QuickBooks answered none of them: each fails with the same reason."""
    for operation in operations:
        if operation is not None:
            operation.fail(error.as_json(), now)
            call_back(operation)


def call_back(operation: Operation) -> None:
    """A finished operation with a callback URL: send it once this commits."""
    callback = OperationCallback.objects.filter(operation=operation).first()
    if callback is not None:
        deliver_operation_callback.delay_on_commit(callback.pk)


def _operation(session: Session, request_id: str) -> Operation | None:
    """The operation a requestID of this session names, while this session holds it."""
    pk = request_id[1:].partition("-")[0]
    if not pk.isdigit():
        return None
    return Operation.objects.filter(
        pk=int(pk),
        connection=session.connection,
        claimed_by=session.claimer,
        state=Operation.State.SENT,
    ).first()
