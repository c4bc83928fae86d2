"""Answering an operations API call whatever the backend (docs/api.md).

`ask` checks the backend can run the query, then lets it answer at once (QuickBooks
Online) or stores an Operation its next run answers (QuickBooks Desktop). Both end in
`shape`, so a record reads the same from either backend and from either path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse

from connections.models import Connection
from objects.api.queries import ApiError, EntityQuery, get_query
from objects.backends import backend_for
from objects.models import Operation, Phase


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any] | None = None  # answered now
    operation: Operation | None = None  # answered by the backend's next run


def ask(
    connection: Connection, query: EntityQuery, now: datetime, callback_url: str = ""
) -> Answer:
    """Answer now, or store the Operation a backend's next run answers (its result is
    POSTed to `callback_url` then, when given: objects.api.callbacks)."""
    backend = backend_for(connection)
    refusal = backend.api_refusal(query)
    if refusal:
        raise ApiError(400, refusal)
    records = backend.api_answer(connection, query)
    if records is not None:
        return Answer(body=shape(query, records))
    from objects.api.callbacks import check_url

    operation = Operation.objects.create(
        callback_url=check_url(connection, callback_url),
        connection=connection,
        kind=Operation.Kind.GET if query.is_get else Operation.Kind.QUERY,
        entity=query.entity,
        query=query.as_json(),
        created_at=now,
    )
    return Answer(operation=operation)


def shape(query: EntityQuery, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The body of an answer: one record for a get (404 when none), else a page."""
    if query.is_get:
        if not records:
            raise ApiError(404, f"no {query.entity} with id {query.value('id')}")
        return {"entity": query.entity, "record": records[0]}
    full = len(records) >= query.limit
    return {
        "entity": query.entity,
        "records": records,
        "count": len(records),
        "offset": query.offset,
        "limit": query.limit,
        # A full page may have a next one; a short page is the last.
        "next_offset": query.offset + len(records) if full else None,
    }


def write_outcome(operation: Operation) -> tuple[int, dict[str, Any]]:
    """Where a write stands: its queued object's phase (200 written, 202 on its way, 422
    refused by QuickBooks with its code and message)."""
    obj = operation.queued_object
    if obj is None:
        raise ApiError(410, "the object of this operation was purged")
    obj.refresh_from_db()
    body: dict[str, Any] = {"entity": operation.entity, "phase": obj.phase}
    if obj.phase == Phase.FAILED:
        code = "" if obj.last_status_code is None else str(obj.last_status_code)
        error = ApiError(422, obj.last_status_message or "refused", code)
        return 422, {**body, "error": error.as_json()}
    if obj.phase != Phase.PROCESSED:
        return 202, body
    body["qbe_id"] = obj.qb_id
    try:
        # A backend that answers at once reads the record back (Desktop would need a run).
        found = backend_for(operation.connection).api_answer(
            operation.connection, get_query(operation.entity, obj.qb_id)
        )
    except ApiError:
        found = None
    if found:
        body["record"] = found[0]
    return 200, body


def describe(site_root: str, operation: Operation) -> dict[str, Any]:
    """An operation as the API shows it; `site_root` makes its URL absolute."""
    path = reverse(
        "api-operation",
        kwargs={
            "connection_id": operation.connection.connection_id,
            "public_id": operation.public_id,
        },
    )
    return {
        "id": str(operation.public_id),
        "url": site_root.rstrip("/") + path,
        "kind": operation.kind,
        "entity": operation.entity,
        "state": operation.progress,
        "created_at": operation.created_at.isoformat(),
        "finished_at": operation.finished_at.isoformat() if operation.finished_at else None,
    }
