"""QuickBooks Desktop as a backend of the core (objects.backends).

An object is valid for Desktop when its qbXML requests can be built: the type's
mapper builds the Add (and the Mod, unless the record is only ever added) or the
look-up, and raises PayloadError naming the payload field that prevents it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from lxml import etree

from connections.models import Connection
from objects.api.queries import EntityQuery
from objects.backends import Exchange, Fields
from objects.mapping import Rule
from objects.models import QueuedObject
from qbwc.mapping import data_ext_values, target_error, write_request
from qbwc.models import Request
from qbwc.qbxml import entity_queries
from qbwc.qbxml.mappers import MAPPERS
from qbwc.qbxml.mappers.base import ADD, MOD, ObjectView, as_found
from qbwc.qbxml.mappers.transactions import TransactionMapper
from qbwc.qbxml.pretty import fragment

# qbXML IDTYPE: a ListID or TxnID is at most 36 characters.
IDTYPE_MAX = 36


class DesktopBackend:
    name = "desktop"
    product = "Quickbooks Desktop"

    def work_queued(self, connection: Connection) -> None:
        """The Web Connector polls on its schedule: nothing to start."""

    def health_details(self, connection: Connection) -> dict[str, Any]:
        """The Web Connector reports no company details beyond the connection's own."""
        return {}

    def validate(
        self,
        object_type: str,
        payload: Fields,
        params: Fields,
        *,
        adds_only: bool = False,
        rules: Sequence[Rule] = (),
    ) -> None:
        mapper = MAPPERS[object_type]
        if not rules:
            mapper.validate(payload, params, adds_only=adds_only)
            return
        view = replace(mapper.view(payload, params), rules=tuple(rules))
        write_request(mapper, ADD, view)
        data_ext_values(view)
        if not adds_only:
            write_request(mapper, MOD, as_found(view))

    def mapping_target_error(self, object_type: str, target: str) -> str:
        return target_error(object_type, target)

    def preview(self, connection: Connection, view: ObjectView) -> str:
        """The `…Add` (or `…Mod`) element exactly as the message carries it (the
        `…Rq` around it gets its requestID only when the message is built)."""
        mapper = MAPPERS[view.object_type]
        kind = MOD if view.qb_id else ADD
        rq = write_request(mapper, kind, view)
        return etree.tostring(rq[0], encoding="unicode")

    def validate_lookup(self, object_type: str, payload: Fields, params: Fields) -> None:
        mapper = MAPPERS[object_type]
        mapper.lookup(
            ObjectView(object_type, mapper.identity(payload), dict(payload), dict(params))
        )

    def known_id(self, object_type: str, payload: Fields) -> str:
        qb_id = MAPPERS[object_type].known_qb_id(payload)
        return qb_id if len(qb_id) <= IDTYPE_MAX else ""

    def ref_number(self, object_type: str, identity: str, payload: Fields, params: Fields) -> str:
        mapper = MAPPERS[object_type]
        if not isinstance(mapper, TransactionMapper):
            return ""  # list records have names, not RefNumbers
        return mapper.ref_number(ObjectView(object_type, identity, dict(payload), dict(params)))

    def api_refusal(self, query: EntityQuery) -> str:
        return entity_queries.refusal(query)

    def api_answer(self, connection: Connection, query: EntityQuery) -> None:
        """None: the query waits for the next Web Connector run (qbwc.operations)."""
        return None

    def api_push(self, connection: Connection) -> None:
        """Nothing: the Web Connector calls us, and its next run writes the object."""

    def api_order_entity(self, obj: QueuedObject) -> str:
        """A FlowLink order is always a SalesOrder on the Desktop (cancel_order closes it)."""
        return "SalesOrder"

    def serves_pull(self, route: str) -> bool:
        """Every get_* route is a qbXML query Desktop answers."""
        return True

    def exchanges(self, obj: QueuedObject, limit: int) -> list[Exchange]:
        """Each request is the object's own `…Rq`/`…Rs` out of the message it went in."""
        rows = (
            Request.objects.filter(queued_object=obj)
            .select_related("message")
            .order_by("-message__sent_at", "-pk")[:limit]
        )
        return [
            Exchange(
                sent_at=row.message.sent_at,
                kind=row.kind,
                status="" if row.status_code is None else str(row.status_code),
                message=row.status_message,
                sent=fragment(row.message.request_xml, row.request_id),
                received=fragment(row.message.response_xml, row.request_id),
            )
            for row in rows
        ]
