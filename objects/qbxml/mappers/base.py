"""The contract every FlowLink object type implements to become qbXML.

A mapper is stateless. The session loop hands it an `ObjectView` (a plain copy of a
queued object) and gets request elements back; it hands it the `…Ret` elements of a
lookup answer and gets a `LookupResult`. Mappers list children strictly in XSD
order (qbxml.md §18) using objects.qbxml.elements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.parse import text_of
from objects.qbxml.values import PayloadError, is_blank

Element = etree._Element

# How a queued object is written (objects.models.QueuedObject.Mode mirrors these).
UPSERT = "upsert"  # FlowLink sent it: Add when missing, Mod when found.
ENSURE = "ensure"  # built from a transaction: Add when missing, leave an existing one alone.
REQUIRE = "require"  # referenced by a transaction: must already exist, never written.
# Payload key of a REQUIRE dependency: how to fix it when it is missing from QuickBooks
# (e.g. which parameter chose an adjustment item), appended to its failure notification.
NOT_FOUND_HINT = "not_found_hint"

# The writes objects.dispatch can plan once an object's lookup is known.
ADD = "add"
MOD = "mod"
DELETE = "delete"


@dataclass
class ObjectView:
    """What a mapper may know about a queued object."""

    object_type: str
    identity: str
    payload: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    qb_id: str = ""  # ListID or TxnID once known
    edit_sequence: str = ""
    external_guid: str = ""
    mode: str = UPSERT
    qbxml_version: str = "13.0"
    # What the last lookup learnt beyond ids (e.g. existing TxnLineIDs for a Mod).
    qb_state: dict[str, Any] = field(default_factory=dict)
    # ListID/TxnID of each object this one depends on, keyed "<object_type>:<identity>"
    # (a payment derived from an invoice reads the invoice's TxnID here).
    dependency_ids: dict[str, str] = field(default_factory=dict)
    # qb_state of the same dependencies (a shipment reads its sales order's TxnLineIDs).
    dependency_states: dict[str, dict[str, Any]] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Dependency:
    """A record a transaction needs in QuickBooks before it can be written."""

    object_type: str
    payload: dict[str, Any]
    mode: str  # ENSURE or REQUIRE


@dataclass(frozen=True)
class Follower:
    """An object queued after its parent and depending on it (an invoice's payments)."""

    object_type: str
    payload: dict[str, Any]
    where: str  # the parent's field it came from, for 400 messages


def require(payload: Mapping[str, Any], key: str) -> Any:
    value = payload.get(key)
    if is_blank(value):
        raise PayloadError(key, "is required")
    return value


def first_present(payload: Mapping[str, Any], *keys: str) -> tuple[str, Any]:
    for key in keys:
        if not is_blank(payload.get(key)):
            return key, payload[key]
    raise PayloadError(keys[0], "is required")


def param_source(obj: ObjectView, field_name: str) -> tuple[Any, str]:
    """The ref fallback chain of flowlink §6.1 (object, parameter, quickbooks_ parameter).

    Returns the value and the path it came from, so a refused value names the parameter
    it was read from rather than an object field FlowLink never sent.
    """
    for source, key, path in (
        (obj.payload, field_name, field_name),
        (obj.params, field_name, f"parameters.{field_name}"),
        (obj.params, f"quickbooks_{field_name}", f"parameters.quickbooks_{field_name}"),
    ):
        value = source.get(key)
        if not is_blank(value):
            return value, path
    return None, field_name


def param(obj: ObjectView, field_name: str) -> Any:
    """The value of the ref fallback chain of flowlink §6.1."""
    return param_source(obj, field_name)[0]


def add_param_ref(
    parent: Element, tag: str, obj: ObjectView, field_name: str, max_length: int = 209
) -> None:
    """Add a `…Ref` from the fallback chain, naming where the value came from."""
    value, path = param_source(obj, field_name)
    E.add_ref(parent, tag, value, path, max_length)


class Mapper:
    """Base for every type. Subclasses set the class attributes and build Add/Mod bodies."""

    object_type: ClassVar[str]  # internal type, e.g. "customers"
    payload_types: ClassVar[tuple[str, ...]]  # accepted payload_type spellings
    echo_key: ClassVar[str]  # key of the add response's echo list
    notice_name: ClassVar[str]  # "Customer" in "… successfully sent to Quickbooks Desktop"
    qb_type: ClassVar[str]  # "Customer" -> CustomerAddRq, CustomerModRq, CustomerQueryRq
    is_transaction: ClassVar[bool] = False
    name_max_length: ClassVar[int] = 41
    # Every webhook call is a new QuickBooks record (inventory adjustments): intake gives
    # each call a fresh ExternalGUID so a retry finds that call's record and no other.
    adds_on_every_call: ClassVar[bool] = False
    # The mapper reads ObjectView.dependency_ids/_states (a payment its invoice's TxnID):
    # only then does QueuedObject.view() query the dependencies.
    reads_dependencies: ClassVar[bool] = False
    # The webhook answer carries pending notifications like get_notifications (§5.3).
    answers_with_notifications: ClassVar[bool] = False

    # -- identity and validation --------------------------------------------
    def identity(self, payload: Mapping[str, Any]) -> str:
        """The full, unmodified identity value (flowlink §5.5)."""
        return values.identity_text(payload.get("name"), "name")

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        """Raise PayloadError when no valid request can be built from the payload.

        `adds_only`: the record is only ever added, never modified (an ENSURE dependency
        without quickbooks_update_dependencies), so its Mod is not built: at intake that
        Mod was a third of the work of a busy request (docs/benchmarks.md).
        """
        obj = ObjectView(self.object_type, self.identity(payload), dict(payload), dict(params))
        self.add(obj)
        if not adds_only:
            self.mod(ObjectView(**{**obj.__dict__, "qb_id": "0-0", "edit_sequence": "0"}))

    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        return []

    def followers(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> list[Follower]:
        """Objects to queue after this one, each depending on it (flowlink §5.6)."""
        return []

    def known_qb_id(self, payload: Mapping[str, Any]) -> str:
        """The ListID/TxnID FlowLink already knows for this object, if any (flowlink §5.5)."""
        value = payload.get("list_id") or payload.get("qbe_id") or ""
        return str(value)

    def reference(self, obj: ObjectView) -> str:
        """The object ref at the start of notification messages (flowlink §10.1).

        The `list_id` FlowLink sent with the object, else its full identity (§5.5): the
        ListID/TxnID QuickBooks gave us is not a ref FlowLink knows the object by.
        """
        list_id = obj.payload.get("list_id")
        return str(list_id) if not is_blank(list_id) else obj.identity

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


def ret_qb_id(ret: Element) -> str:
    return text_of(ret, "ListID") or text_of(ret, "TxnID")
