"""What a backend (a kind of accounting system qbsync writes to) provides to the core.

The core (intake, the queue and its state machine) is the same for every backend; what
differs is how an object becomes a request the backend accepts. Each backend registers
one `Backend` from its app's `ready()` (QuickBooks Desktop: qbwc.backend), and the core
asks `backend_for(connection)` instead of importing a transport.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from connections.models import Connection
    from objects.api.queries import EntityQuery
    from objects.mapping import Rule
    from objects.models import QueuedObject
    from objects.types.base import ObjectView

# What a connection without a backend of its own writes to (every connection made
# before QuickBooks Online arrived).
DEFAULT_BACKEND = "desktop"

# A FlowLink object or flow parameters, as JSON.
Fields = Mapping[str, Any]


@dataclass(frozen=True)
class Exchange:
    """One request an object sent to its backend and the answer, as operators read it."""

    sent_at: datetime
    kind: str  # look-up, add, mod, delete …
    status: str  # the backend's status code, "" when there was none
    message: str  # the backend's status message
    sent: str  # the request, formatted for reading ("" when not recorded)
    received: str  # the answer, formatted for reading ("" when none came)


class Backend(Protocol):
    """The transport-specific part of validating an object before it is queued."""

    name: str
    # How FlowLink's texts name it: "… successfully sent to Quickbooks Desktop".
    product: str

    def validate(
        self,
        object_type: str,
        payload: Fields,
        params: Fields,
        *,
        adds_only: bool = False,
        rules: Sequence[Rule] = (),
    ) -> None:
        """Raise PayloadError (naming the payload field) when no valid write can be built.

        `adds_only`: the record is only ever created, never modified, so only its
        creation needs to be valid. `rules`: the field mapping the write is built with.
        """

    def mapping_target_error(self, object_type: str, target: str) -> str:
        """Why a mapping rule cannot set `target` on the type's write ("" when it can):
        a field the backend's request for the type does not have, or not a plain value."""

    def preview(self, connection: Connection, view: ObjectView) -> str:
        """The exact text of the write `view` would send now (the Add, or the Mod once it
        has a backend id), built by the code that sends it; PayloadError when it cannot."""

    def validate_lookup(self, object_type: str, payload: Fields, params: Fields) -> None:
        """Raise PayloadError when the record cannot even be looked up by its identity."""

    def known_id(self, object_type: str, payload: Fields) -> str:
        """The backend's own id FlowLink sent for the object, when it can be one ("" if not)."""

    def exchanges(self, obj: QueuedObject, limit: int) -> list[Exchange]:
        """The object's newest requests and answers, newest first (the admin shows them)."""

    def work_queued(self, connection: Connection) -> None:
        """Objects were just queued for `connection` (inside intake's transaction): a
        backend that pushes (QuickBooks Online) schedules a pass on commit; one that is
        polled (the Web Connector) has nothing to do."""

    def ref_number(self, object_type: str, identity: str, payload: Fields, params: Fields) -> str:
        """The document number the backend will give a transaction ("" for a type without
        one): intake refuses two ids of one connection that would share it (flowlink §5.5)."""

    def health_details(self, connection: Connection) -> dict[str, Any]:
        """What get_health_check adds under `details` for `connection` ({}: nothing, and
        the answer keeps FlowLink's two keys)."""

    def serves_pull(self, route: str) -> bool:
        """Whether the backend can read what a get_* route hands out (QuickBooks Online has
        no discount items or inventory sites, for instance)."""

    def api_refusal(self, query: EntityQuery) -> str:
        """Why the backend cannot run an operations API query ("" when it can): names the
        entity or the filter it cannot express (docs/api.md), for a 400."""

    def api_answer(self, connection: Connection, query: EntityQuery) -> list[dict[str, Any]] | None:
        """The records `query` finds, read at once (raising objects.api.queries.ApiError
        when the backend refuses), or None: the query waits, as an Operation, for the
        backend's next run (the Web Connector's)."""

    def api_push(self, connection: Connection) -> None:
        """An API write was queued and its caller waits: write it now if the backend can
        be called (QuickBooks Online runs a push pass); a polled one cannot."""

    def api_order_entity(self, obj: QueuedObject) -> str:
        """The API entity the FlowLink order `obj` was written as ("" when not yet): a
        DELETE of that record cancels the order (cancel_order), as the order's mapper
        closes, voids or deletes it."""


_BACKENDS: dict[str, Backend] = {}


def register(backend: Backend) -> None:
    """Make `backend` available under its name (called from its app's ready())."""
    _BACKENDS[backend.name] = backend


def backend_named(name: str) -> Backend:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise LookupError(
            f"no backend {name!r} is registered (is its app in INSTALLED_APPS?)"
        ) from None


def product_name(connection: Connection) -> str:
    """What FlowLink's texts call the QuickBooks `connection` writes to."""
    return backend_for(connection).product


def backend_for(connection: Connection) -> Backend:
    """The backend `connection` writes to."""
    return backend_named(connection.backend or DEFAULT_BACKEND)
