"""What every QuickBooks Online transaction mapper shares: DocNumber, PrivateNote, refs.

A transaction is found by its Id once written, else by `DocNumber` (the FlowLink id; the
last 21 characters of a longer one, as the Desktop keeps the last 11 of a RefNumber).
DocNumbers need not be unique in QBO, so our record is the one whose `PrivateNote`
carries our FlowLink id; a single record without a FlowLink note (made before qbsync)
is adopted, and anything else is a conflict rather than a guess (flowlink §5.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.types.base import REQUIRE, ObjectView
from objects.types.items import ITEM_TYPES
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import text
from qbo.mappers.base import DOC_NUMBER_MAX, ITEM_NAME_MAX, Found, QboMapper, Ref

PRIVATE_NOTE_MAX = 4000
# The first line of the PrivateNote of every document qbsync writes.
NOTE_MARK = "FlowLink id: "
# What QBO puts in the PrivateNote of a voided document.
VOIDED = "Voided"


def doc_number(identity: str) -> str:
    """The DocNumber of a FlowLink id: the last 21 characters of a longer one."""
    return identity[-DOC_NUMBER_MAX:]


def private_note(view: ObjectView, memo: Any = None, where: str = "memo") -> str:
    """Our FlowLink id on the first line (how a lookup knows the record is ours), then
    the object's memo."""
    note = NOTE_MARK + view.identity
    if not is_blank(memo):
        note += "\n" + text(memo, where, PRIVATE_NOTE_MAX - len(note) - 1)
    if len(note) > PRIVATE_NOTE_MAX:
        raise PayloadError("id", f"is too long for QuickBooks Online's PrivateNote ({len(note)})")
    return note


def noted_id(record: Mapping[str, Any]) -> str | None:
    """The FlowLink id a record's PrivateNote names, None when it names none."""
    first = str(record.get("PrivateNote") or "").split("\n", 1)[0]
    return first[len(NOTE_MARK) :] if first.startswith(NOTE_MARK) else None


def is_voided(record: Mapping[str, Any]) -> bool:
    return str(record.get("PrivateNote") or "").startswith(VOIDED)


def known_id(view: ObjectView, object_types: tuple[str, ...] | frozenset[str], name: str) -> str:
    """The QBO Id of a dependency written or found before this object (ObjectView.dependency_ids),
    "" when not known. Names are matched exactly first, then case-insensitively (items
    share one name space whatever their case)."""
    for object_type in object_types:
        qb_id = view.dependency_ids.get(f"{object_type}:{name}")
        if qb_id:
            return qb_id
    wanted = {f"{t}:{name}".upper() for t in object_types}
    for key, qb_id in view.dependency_ids.items():
        if qb_id and key.upper() in wanted:
            return qb_id
    return ""


def item_ref(view: ObjectView, name: str, where: str) -> dict[str, str] | Ref:
    """ItemRef of an item line: the dependency's Id when known, else by FullyQualifiedName."""
    qb_id = known_id(view, ITEM_TYPES, name)
    if qb_id:
        return {"value": qb_id, "name": name}
    for part in name.split(":"):
        # A sub-item is "Parent:Child"; QBO limits each name, not the qualified one.
        text(part, where, ITEM_NAME_MAX)
    return Ref("Item", name, "FullyQualifiedName", where)


def party_ref(
    view: ObjectView, object_type: str, entity: str, ref: Any, where: str
) -> dict[str, str] | Ref:
    """CustomerRef / VendorRef from `objects.types` (`customer_name`, `vendor_ref`): an
    object with `list_id` is the QBO Id; a name is the dependency's Id when known, else a
    reference by DisplayName."""
    if isinstance(ref, Mapping):
        return {"value": text(ref["list_id"], where, 40)}
    name = text(ref, where, 500)
    qb_id = known_id(view, (object_type,), name)
    if qb_id:
        return {"value": qb_id, "name": name}
    return Ref(entity, name, "DisplayName", where)


class DocumentMapper(QboMapper):
    """Base of every transaction found by Id, else by DocNumber."""

    natural_key = "DocNumber"
    # The noun of collision messages ("invoice").
    label: ClassVar[str]

    def ref_number(self, view: ObjectView) -> str:
        return doc_number(view.identity)

    def key_value(self, view: ObjectView) -> str:
        return self.ref_number(view)

    def read_lookup(self, view: ObjectView, records: list[dict[str, Any]]) -> Found:
        if not records:
            return Found(found=False)
        chosen = self.choose_ours(view, records)
        if chosen is None:
            entity = self.entity_for(view)
            return Found(
                found=False,
                conflict=(
                    f"DocNumber {self.key_value(view)} is already used by QuickBooks Online "
                    f"{entity} {records[0].get('Id')}, which is not FlowLink's {view.identity}"
                ),
            )
        return self.read_write(self.entity_for(view), chosen)

    def choose_ours(self, view: ObjectView, records: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Ours by Id, else by the FlowLink id in the PrivateNote; a single record without
        one (written before qbsync) is adopted, and so is a single record when the object
        is only referenced (REQUIRE: we never wrote it)."""
        for record in records:
            if view.qb_id and str(record.get("Id")) == view.qb_id:
                return record
        for record in records:
            if noted_id(record) == view.identity:
                return record
        if view.mode == REQUIRE and len(records) == 1:
            return records[0]
        unnoted = [r for r in records if noted_id(r) is None]
        return unnoted[0] if len(unnoted) == 1 else None

    def read_write(self, entity: str, record: Mapping[str, Any]) -> Found:
        found = super().read_write(entity, record)
        if is_voided(record):
            found.details["voided"] = True
        return found
