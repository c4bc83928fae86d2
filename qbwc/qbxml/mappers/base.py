"""The contract every FlowLink object type implements to become qbXML.

A mapper is stateless. The session loop hands it an `ObjectView` (a plain copy of a
queued object) and gets request elements back; it hands it the `…Ret` elements of a
lookup answer and gets a `LookupResult`. Mappers list children strictly in XSD
order (qbxml.md §18) using qbwc.qbxml.elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from lxml import etree

# The backend-neutral half of every type (objects.types.base), re-exported for the modules
# that have always imported these names from here.
from objects.types.base import (
    ADD,
    DELETE,
    ENSURE,
    MOD,
    NOT_FOUND_HINT,
    REQUIRE,
    UPSERT,
    Dependency,
    Follower,
    ObjectType,
    ObjectView,
    first_present,
    param,
    param_source,
    require,
)
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.parse import text_of

__all__ = [
    "ADD",
    "DELETE",
    "Dependency",
    "ENSURE",
    "Element",
    "Follower",
    "LookupResult",
    "MOD",
    "Mapper",
    "NOT_FOUND_HINT",
    "ObjectType",
    "ObjectView",
    "REQUIRE",
    "UPSERT",
    "add_param_ref",
    "as_found",
    "first_present",
    "param",
    "param_source",
    "require",
    "ret_qb_id",
]

Element = etree._Element


@dataclass
class LookupResult:
    found: bool
    qb_id: str = ""
    edit_sequence: str = ""
    # A non-empty conflict fails the object with this text instead of writing.
    conflict: str = ""
    # Kept on the object as qb_state and handed back to mod() (e.g. line ids).
    details: dict[str, Any] = field(default_factory=dict)
    # False when the record found is not this mapper's to modify (an item of another
    # type found for a transaction's item): a dependency then links it unchanged.
    writable: bool = True


def add_param_ref(
    parent: Element, tag: str, obj: ObjectView, field_name: str, max_length: int = 209
) -> None:
    """Add a `…Ref` from the fallback chain, naming where the value came from."""
    value, path = param_source(obj, field_name)
    E.add_ref(parent, tag, value, path, max_length)


class Mapper(ObjectType):
    """Base of every type's qbXML half. Subclasses extend their objects.types type, set
    `qb_type` and build the Add/Mod bodies."""

    qb_type: ClassVar[str]  # "Customer" -> CustomerAddRq, CustomerModRq, CustomerQueryRq
    name_max_length: ClassVar[int] = 41

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        """Raise PayloadError when no valid request can be built from the payload.

        `adds_only`: the record is only ever added, never modified (an ENSURE dependency
        without quickbooks_update_dependencies), so its Mod is not built: at intake that
        Mod was a third of the work of a busy request (docs/benchmarks.md).
        """
        obj = self.view(payload, params)
        self.add(obj)
        if not adds_only:
            self.mod(as_found(obj))

    # -- requests -------------------------------------------------------------
    def full_name(self, obj: ObjectView) -> str:
        return obj.identity

    def lookup(self, obj: ObjectView) -> Element:
        """A query that finds the object, by ListID when known, else by FullName.

        FullName and ListID lookups also return inactive records (ActiveStatus only
        applies to filters), so an inactive record is modified rather than re-added.
        """
        rq = E.element(f"{self.qb_type}QueryRq")
        if obj.qb_id:
            E.child(rq, "ListID", obj.qb_id)
        else:
            E.child(rq, "FullName", values.text(self.full_name(obj), "name", 209))
        return rq

    def read_lookup(self, obj: ObjectView, rets: list[Element]) -> LookupResult:
        if not rets:
            return LookupResult(found=False)
        ret = rets[0]
        return LookupResult(
            found=True,
            qb_id=text_of(ret, "ListID") or text_of(ret, "TxnID"),
            edit_sequence=text_of(ret, "EditSequence"),
        )

    def write_kind(self, obj: ObjectView) -> str | None:
        """The write an object needs now (ADD, MOD or DELETE), or None when it needs none.

        Called after the lookup with what it found (qb_id empty when nothing) and again
        after a DELETE succeeded, so a type can replace a record by deleting it first.
        """
        return MOD if obj.qb_id else ADD

    def delete(self, obj: ObjectView) -> Element:
        """A TxnDelRq/ListDelRq removing the record found for the object."""
        if self.is_transaction:
            rq = E.element("TxnDelRq")
            E.child(rq, "TxnDelType", self.qb_type)
            E.child(rq, "TxnID", obj.qb_id)
        else:
            rq = E.element("ListDelRq")
            E.child(rq, "ListDelType", self.qb_type)
            E.child(rq, "ListID", obj.qb_id)
        return rq

    def add(self, obj: ObjectView) -> Element:
        raise NotImplementedError

    def mod(self, obj: ObjectView) -> Element:
        raise NotImplementedError

    def read_write(self, rets: list[Element]) -> LookupResult:
        """Identity of the record an Add/Mod returned."""
        return self.read_lookup(ObjectView(self.object_type, "", {}), rets)


def as_found(obj: ObjectView) -> ObjectView:
    """The object as if its lookup had found it, to check that its Mod builds."""
    return replace(obj, qb_id="0-0", edit_sequence="0")


def ret_qb_id(ret: Element) -> str:
    return text_of(ret, "ListID") or text_of(ret, "TxnID")
