"""What qbsync knows about a FlowLink object type, whatever backend writes it.

An object type is stateless. Intake asks it for an object's identity, the records it
depends on (`Dependency`) and the objects queued after it (`Follower`); notifications ask
it for the object's reference and name. How the object becomes a request is the backend's:
qbwc.qbxml.mappers extends each type with its qbXML building.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from objects.types.values import PayloadError, identity_text, is_blank

# How a queued object is written (objects.models.QueuedObject.Mode mirrors these).
UPSERT = "upsert"  # FlowLink sent it: Add when missing, Mod when found.
ENSURE = "ensure"  # built from a transaction: Add when missing, leave an existing one alone.
REQUIRE = "require"  # referenced by a transaction: must already exist, never written.
# Payload key of a REQUIRE dependency: how to fix it when it is missing from QuickBooks
# (e.g. which parameter chose an adjustment item), appended to its failure notification.
NOT_FOUND_HINT = "not_found_hint"

if TYPE_CHECKING:
    from objects.mapping import Rule

# The writes qbwc.dispatch can plan once an object's lookup is known.
ADD = "add"
MOD = "mod"
DELETE = "delete"


@dataclass
class ObjectView:
    """What a type or a backend may know about a queued object."""

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
    # The rules of the field mapping the object was queued with (objects.mapping); each
    # backend sets their values into the Add/Mod it builds. Empty: today's request.
    rules: tuple[Rule, ...] = ()


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


class ObjectType:
    """Base of every FlowLink object type. Subclasses set the class attributes."""

    object_type: ClassVar[str]  # internal type, e.g. "customers"
    payload_types: ClassVar[tuple[str, ...]]  # accepted payload_type spellings
    echo_key: ClassVar[str]  # key of the add response's echo list
    notice_name: ClassVar[str]  # "Customer" in "… successfully sent to Quickbooks Desktop"
    is_transaction: ClassVar[bool] = False
    # Every webhook call is a new QuickBooks record (inventory adjustments): intake gives
    # each call a fresh ExternalGUID so a retry finds that call's record and no other.
    adds_on_every_call: ClassVar[bool] = False
    # The backend reads ObjectView.dependency_ids/_states (a payment its invoice's TxnID):
    # only then does QueuedObject.view() query the dependencies.
    reads_dependencies: ClassVar[bool] = False
    # The webhook answer carries pending notifications like get_notifications (§5.3).
    answers_with_notifications: ClassVar[bool] = False

    def identity(self, payload: Mapping[str, Any]) -> str:
        """The full, unmodified identity value (flowlink §5.5)."""
        return identity_text(payload.get("name"), "name")

    def view(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> ObjectView:
        """A fresh object of this type, as intake sees it before anything is known."""
        return ObjectView(self.object_type, self.identity(payload), dict(payload), dict(params))

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

    def missing(
        self, identity: str, payload: Mapping[str, Any], product: str, *, or_else: str = ""
    ) -> str:
        """Why a required record fails: what is missing from QuickBooks (`product`) and
        how to fix it (flowlink §7.2), with `or_else` the backend's other way out."""
        # A required "products" record may be an item of any type (the lookup asks for items).
        noun = "item" if self.object_type == "products" else self.notice_name.lower()
        missing = f"{noun} '{identity}' not found in {product}; "
        hint = payload.get(NOT_FOUND_HINT)
        if hint:
            # The transaction that needs it said how to fix it (e.g. which parameter names it).
            return missing + str(hint)
        return missing + f"create it in {product} or send it to qbsync first" + or_else


class TransactionType(ObjectType):
    """Base of every transaction FlowLink identifies by its `id` (flowlink §5.5)."""

    is_transaction = True

    def identity(self, payload: Mapping[str, Any]) -> str:
        return identity_text(payload.get("id"), "id").strip()
