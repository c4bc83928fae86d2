"""The contract of a QuickBooks Online mapper: one FlowLink type written as QBO JSON.

A mapper extends its objects.types type (as the Desktop mappers of qbwc.qbxml.mappers
do) and is pure: it builds request bodies and reads answers, and never calls QuickBooks.
The push pass (qbo.push) runs the state machine of objects.models with it:

1. pending  -> `lookup(view)`: by Id when the object has one, else by natural key (a
   query); `read_lookup(view, records)` says what was found (`Found`).
2. ready    -> `write_kind(view)` (CREATE, UPDATE, DELETE, VOID or None = nothing to
   write), then `create(view)` or `update(view, current)` (a sparse body with Id and
   SyncToken, built over the record just read) or `delete(view, current)`.
3. the answer's record gives the object its Id and SyncToken (`read_write`).

References a mapper cannot know the Id of (an account named in the flow parameters, an
item by name) are `Ref` placeholders in the body; the pass resolves each by a query
(cached for the pass) and fails the object naming the reference when it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from objects.types.base import ObjectType, ObjectView

# The writes a mapper can ask for once the lookup is known.
CREATE = "create"
UPDATE = "update"
DELETE = "delete"  # transactions: ?operation=delete
VOID = "void"  # invoices: ?operation=void; payments, sales receipts: update&include=void

# QuickBooks Online's own lengths (spec qbo-api.md; Intuit's API reference).
DOC_NUMBER_MAX = 21
DISPLAY_NAME_MAX = 500
ITEM_NAME_MAX = 100


@dataclass(frozen=True)
class Ref:
    """A reference by name, resolved to `{"value": Id, "name": …}` by the push pass.

    `field` is the property the query matches (`DisplayName` for customers and vendors,
    `FullyQualifiedName` for items and accounts, `Name` for payment methods and tax
    codes, `DocNumber` for transactions). `where` names the payload field or flow
    parameter it came from, for the failure message when nothing matches.
    """

    entity: str
    value: str
    field: str = "Name"
    where: str = ""

    def as_json(self, qb_id: str) -> dict[str, str]:
        if self.field == "DocNumber":
            return {"value": qb_id}
        return {"value": qb_id, "name": self.value}


@dataclass(frozen=True)
class Lookup:
    """How to find the object's record: by `qb_id` (GET) when set, else `statement`."""

    entity: str
    qb_id: str = ""
    statement: str = ""  # a complete SELECT (qbo.mappers.query builds them)


@dataclass
class Found:
    """What a lookup learnt (the QBO twin of qbwc's LookupResult)."""

    found: bool
    qb_id: str = ""
    sync_token: str = ""
    # A non-empty conflict fails the object with this text instead of writing.
    conflict: str = ""
    # Kept on the object as qb_state: at least {"entity": …} once found or written.
    details: dict[str, Any] = field(default_factory=dict)
    # False when the record found is not this mapper's to modify (a Service item found
    # for an inventory product a transaction needs): a dependency links it unchanged.
    writable: bool = True


def q(text: str) -> str:
    """A string literal of the query language: single quotes, ' and \\ escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class QboMapper(ObjectType):
    """Base of every type's QuickBooks Online half."""

    entity: ClassVar[str]  # the QBO entity written ("Customer", "Item", "Invoice" …)
    # The property a record is found by when no Id is known.
    natural_key: ClassVar[str] = "DisplayName"

    def entity_for(self, view: ObjectView) -> str:
        """The entity this object is written as (orders choose by a flow parameter)."""
        return str(view.qb_state.get("entity") or self.entity)

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        """Raise PayloadError (naming the payload field) when QBO would refuse the write:
        QBO's required fields and lengths, not qbXML's."""
        view = self.view(payload, params)
        self.create(view)
        if not adds_only:
            found = replace(view, qb_id="1", edit_sequence="0", qb_state={"entity": self.entity})
            self.update(found, {"Id": "1", "SyncToken": "0"})

    def key_value(self, view: ObjectView) -> str:
        """The natural key's value for this object (its name or DocNumber)."""
        return view.identity

    def lookup(self, view: ObjectView) -> Lookup:
        entity = self.entity_for(view)
        if view.qb_id:
            return Lookup(entity, qb_id=view.qb_id)
        return Lookup(
            entity,
            statement=(
                f"SELECT * FROM {entity} WHERE {self.natural_key} = {q(self.key_value(view))}"
            ),
        )

    def read_lookup(self, view: ObjectView, records: list[dict[str, Any]]) -> Found:
        if not records:
            return Found(found=False)
        return self.read_write(self.entity_for(view), records[0])

    def read_write(self, entity: str, record: Mapping[str, Any]) -> Found:
        """Identity of the record a lookup found or a write returned."""
        return Found(
            found=True,
            qb_id=str(record.get("Id", "")),
            sync_token=str(record.get("SyncToken", "")),
            details={"entity": entity},
        )

    def write_kind(self, view: ObjectView) -> str | None:
        """CREATE, UPDATE, DELETE, VOID, or None when nothing is left to write. Called
        after the lookup (qb_id empty when nothing was found)."""
        return UPDATE if view.qb_id else CREATE

    def create(self, view: ObjectView) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        """A sparse update of `current` (the record as just read): Id, SyncToken,
        "sparse": true and the fields FlowLink sent."""
        body = self.create(view)
        body.update({"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True})
        return body

    def delete(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        """The body of a delete or void of `current`."""
        return {"Id": current["Id"], "SyncToken": current["SyncToken"]}

    def ref_number(self, view: ObjectView) -> str:
        """The DocNumber this object gets ("" for name lists)."""
        return ""
