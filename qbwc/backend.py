"""QuickBooks Desktop as a backend of the core (objects.backends).

An object is valid for Desktop when its qbXML requests can be built: the type's
mapper builds the Add (and the Mod, unless the record is only ever added) or the
look-up, and raises PayloadError naming the payload field that prevents it.
"""

from __future__ import annotations

from objects.backends import Fields
from objects.qbxml.mappers import MAPPERS
from objects.qbxml.mappers.base import ObjectView
from objects.qbxml.mappers.transactions import TransactionMapper

# qbXML IDTYPE: a ListID or TxnID is at most 36 characters.
IDTYPE_MAX = 36


class DesktopBackend:
    name = "desktop"

    def validate(
        self, object_type: str, payload: Fields, params: Fields, *, adds_only: bool = False
    ) -> None:
        MAPPERS[object_type].validate(payload, params, adds_only=adds_only)

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
