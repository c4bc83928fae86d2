"""QuickBooks Online as a backend of the core (objects.backends).

An object is valid for QBO when its JSON bodies can be built: the type's mapper
(qbo.mappers) builds the create (and the sparse update, unless the record is only ever
created) or the look-up, and raises PayloadError naming the payload field QBO would
refuse. Every object type with a mapper works, lists and transactions alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from connections.models import Connection
from objects.api.queries import EntityQuery
from objects.backends import Exchange, Fields
from objects.mapping import Rule
from objects.models import QueuedObject
from objects.types.base import ObjectView
from objects.types.values import is_blank
from qbo import events, operations
from qbo.mappers import mapper_for
from qbo.mappers.fields import is_qbo_id
from qbo.mapping import create_body, preview, target_error, update_body
from qbo.models import QboCall


def _readable(head: str, body: str) -> str:
    """`head` over the JSON body pretty-printed (as sent when it is not JSON)."""
    if not body:
        return head
    try:
        shown = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        shown = body
    return f"{head}\n{shown}"


class QboBackend:
    name = "qbo"
    product = "Quickbooks Online"

    def work_queued(self, connection: Connection) -> None:
        """Push soon after intake commits: one pass per connection, coalesced."""
        from qbo.tasks import schedule

        schedule(connection)

    def validate(
        self,
        object_type: str,
        payload: Fields,
        params: Fields,
        *,
        adds_only: bool = False,
        rules: Sequence[Rule] = (),
    ) -> None:
        mapper = mapper_for(object_type)
        if not rules:
            mapper.validate(payload, params, adds_only=adds_only)
            return
        view = replace(mapper.view(payload, params), rules=tuple(rules))
        create_body(mapper, view)
        if not adds_only:
            found = replace(view, qb_id="1", edit_sequence="0", qb_state={"entity": mapper.entity})
            update_body(mapper, found, {"Id": "1", "SyncToken": "0"})

    def mapping_target_error(self, object_type: str, target: str) -> str:
        return target_error(object_type, target)

    def preview(self, connection: Connection, view: ObjectView) -> str:
        return preview(connection, view)

    def validate_lookup(self, object_type: str, payload: Fields, params: Fields) -> None:
        mapper = mapper_for(object_type)
        mapper.lookup(
            ObjectView(object_type, mapper.identity(payload), dict(payload), dict(params))
        )

    def known_id(self, object_type: str, payload: Fields) -> str:
        """A QBO Id is a decimal counter: a Desktop ListID or another system's id FlowLink
        still holds is not one, and would be read as a record that does not exist."""
        sent = payload.get("qbo_id")
        qb_id = str(sent) if not is_blank(sent) else mapper_for(object_type).known_qb_id(payload)
        return qb_id if qb_id and is_qbo_id(qb_id) else ""

    def ref_number(self, object_type: str, identity: str, payload: Fields, params: Fields) -> str:
        mapper = mapper_for(object_type)
        return mapper.ref_number(ObjectView(object_type, identity, dict(payload), dict(params)))

    def health_details(self, connection: Connection) -> dict[str, Any]:
        return events.health_details(connection)

    def api_refusal(self, query: EntityQuery) -> str:
        return operations.refusal(query)

    def api_answer(self, connection: Connection, query: EntityQuery) -> list[dict[str, Any]]:
        return operations.answer(connection, query)

    def api_push(self, connection: Connection) -> None:
        operations.push_now(connection)

    def api_order_entity(self, obj: QueuedObject) -> str:
        """The SalesReceipt, Invoice or Estimate `qbo_order_as` chose when it was written
        (remembered, so a later change of the parameter does not matter)."""
        return str(obj.qb_state.get("entity") or "")

    def serves_pull(self, route: str) -> bool:
        from qbo.pulls import serves

        return serves(route)

    def exchanges(self, obj: QueuedObject, limit: int) -> list[Exchange]:
        rows = QboCall.objects.filter(queued_object=obj).order_by("-sent_at", "-pk")[:limit]
        return [
            Exchange(
                sent_at=row.sent_at,
                kind=row.kind,
                status=row.code or ("" if row.http_status is None else str(row.http_status)),
                message=row.message,
                sent=_readable(f"{row.method} {row.path}", row.request_body),
                received=_readable(
                    "" if row.http_status is None else f"HTTP {row.http_status}",
                    row.response_body,
                ),
            )
            for row in rows
        ]
