"""Turn queued objects into qbXML requests and apply QuickBooks' answers to them.

The Web Connector session loop (qbwc.loop) asks this module for the next objects,
for each object's request, and hands back each `…Rs`. Every rule about what a
status code means for an object lives here (qbxml.md §13).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import transaction

from connections.models import Connection
from objects.models import Mode, Phase, QueuedObject, transitions
from objects.models.transitions import Transition
from qbwc.mapping import DATA_EXT_PENDING, data_ext_request, pending_data_ext, write_request
from qbwc.qbxml.mappers import mapper_for
from qbwc.qbxml.mappers.base import ADD, DELETE, MOD, Element, LookupResult
from qbwc.qbxml.parse import Response
from qbwc.qbxml.values import PayloadError, is_on

log = logging.getLogger(__name__)

LOOKUP = "lookup"
# A custom field set after the record's write (qbwc.mapping: DataExt rules).
DATA_EXT = "data_ext"
# The write kinds ADD, MOD and DELETE come from the mapper contract: a mapper chooses them.

# Statuses that mean "a lookup found nothing" (qbxml.md §7.1): 1 (filter matched nothing),
# 500 (FullName not found, Warn) and 3120 (ListID/TxnID not found).
NOT_FOUND = {1, 500, 3120}
# "In use / modified by another user / could not be locked": try again later.
TRANSIENT = {1000, 3175, 3176, 3180}
TRANSIENT_3170_WORDS = ("in use", "locked", "another user", "modified by")
NOT_PROCESSED_TEXT = "has not been processed"
# "The name … of the list element is already in use" (qbxml.md §13).
NAME_IN_USE = 3100


@dataclass
class PlannedRequest:
    obj: QueuedObject
    kind: str
    element: Element


def promote_waiting(connection: Connection) -> int:
    return QueuedObject.objects.filter(connection=connection).promote_waiting()


def promote_dependents(connection: Connection, answered: list[int]) -> int:
    return QueuedObject.objects.filter(connection=connection).promote_dependents(answered)


def due_objects(
    connection: Connection, limit: int, now: datetime | None = None
) -> list[QueuedObject]:
    due = QueuedObject.objects.filter(connection=connection).due_objects(limit, now)
    for obj in due:
        obj.connection = connection  # notifications read its backend
    return due


def has_due_work(connection: Connection, now: datetime | None = None) -> bool:
    return QueuedObject.objects.filter(connection=connection).has_due_work(now)


def plan(obj: QueuedObject, qbxml_version: str) -> PlannedRequest | None:
    """Build the request for an object just claimed; fail it (and return None) if impossible."""
    view = obj.view(qbxml_version)
    mapper = mapper_for(obj.object_type)
    try:
        if obj.claimed_from == Phase.PENDING:
            return PlannedRequest(obj, LOOKUP, mapper.lookup(view))
        pending = view.qb_state.get(DATA_EXT_PENDING)
        if pending:
            return PlannedRequest(obj, DATA_EXT, data_ext_request(mapper, view, pending[0]))
        kind = mapper.write_kind(view)
        if kind is None:
            obj.process(view.qb_id, view.edit_sequence, "nothing left to write")
            return None
        return PlannedRequest(obj, kind, write_request(mapper, kind, view))
    except PayloadError as exc:
        obj.fail(f"Validation error: {exc.field}: {exc.reason}")
        return None


def apply_response(obj: QueuedObject, kind: str, rs: Response) -> None:
    """Apply one `…Rs` to the object whose request it answers."""
    with transaction.atomic(savepoint=False):
        if kind == LOOKUP:
            _apply_lookup(obj, _lookup_step(obj, rs), rs)
        else:
            _apply_write(obj, kind, rs)


def apply_responses(claimer: str, answers: list[tuple[QueuedObject, str, Response]]) -> None:
    """Apply a message's answers: the common outcomes set-level, every other one alone.

    Look-ups that lead to an Add or a Mod (`mark_found`) and successful Adds and Mods
    (`process`, with the line ids a sales form learnt) make up nearly every answer of a
    busy session; each of the two is one conditional update for all its objects
    (QueuedObjectQuerySet.take_claimed), decided as apply_response() decides it.
    Anything else (deletes, errors, "nothing to write") goes through apply_response().
    """
    found_rows: list[tuple[QueuedObject, Transition]] = []
    written_rows: list[tuple[QueuedObject, Transition]] = []
    with transaction.atomic(savepoint=False):
        for obj, kind, rs in answers:
            if kind == LOOKUP:
                step = _lookup_step(obj, rs)
                # A lookup that learnt details (line ids) keeps them: one at a time.
                if step.outcome == FOUND and not step.found.details:
                    found_rows.append((obj, _found(step.found)))
                    continue
                _apply_lookup(obj, step, rs)
            elif not rs.is_error and kind in (ADD, MOD) and not obj.mapping_version_id:
                written_rows.append((obj, _written(obj, kind, rs)))
            else:
                apply_response(obj, kind, rs)
        QueuedObject.objects.take_claimed(claimer, found_rows)
        QueuedObject.objects.take_claimed(claimer, written_rows)


# What a lookup's answer leads to (_lookup_step), carried out by _apply_lookup().
STALE_ID = "stale_id"  # the stored ListID/TxnID no longer exists
ERROR = "error"  # QuickBooks refused the query
CONFLICT = "conflict"  # found, but not what this object may be written over
EXISTS = "exists"  # a required reference is in QuickBooks
MISSING = "missing"  # a required reference is not
LINKED = "linked"  # a dependency found is linked as it is
DONE = "done"  # found or not, there is nothing to write
FOUND = "found"  # an Add or a Mod comes next


@dataclass(frozen=True)
class LookupStep:
    outcome: str
    found: LookupResult = field(default_factory=lambda: LookupResult(found=False))


def _lookup_step(obj: QueuedObject, rs: Response) -> LookupStep:
    """Decide what a lookup's answer means for its object, without changing anything."""
    mapper = mapper_for(obj.object_type)
    if rs.status_code == 3120 and obj.qb_id:
        return LookupStep(STALE_ID)
    if rs.status_code in NOT_FOUND or (rs.status_code < 1000 and not rs.rets):
        found = mapper.read_lookup(obj.view(), [])
    elif rs.is_error:
        return LookupStep(ERROR)
    else:
        found = mapper.read_lookup(obj.view(), rs.rets)
    if found.conflict:
        return LookupStep(CONFLICT, found)
    if obj.mode == Mode.REQUIRE:
        return LookupStep(EXISTS if found.found else MISSING, found)
    if obj.mode == Mode.ENSURE and found.found and not _may_update_found(obj, found):
        return LookupStep(LINKED, found)
    known = replace(
        obj.view(), qb_id=found.qb_id, edit_sequence=found.edit_sequence, qb_state=found.details
    )
    # e.g. a DELETE of a journal QuickBooks does not have, or an inventory adjustment
    # this very call already made before its answer was lost: done, nothing to send.
    return LookupStep(DONE if mapper.write_kind(known) is None else FOUND, found)


def _found(found: LookupResult) -> Transition:
    return transitions.found(found.qb_id, found.edit_sequence, found.details)


def _written(obj: QueuedObject, kind: str, rs: Response) -> Transition:
    """A successful Add or Mod: processed, with the ids and line ids the answer carries
    (ready again when its mapping has custom fields to set now that the record exists)."""
    # What the write learnt (a sales order's TxnLineIDs), else what was known.
    written = mapper_for(obj.object_type).read_write(rs.rets)
    verb = "added to" if kind == ADD else "modified in"
    custom_fields = pending_data_ext(obj.view()) if obj.mapping_version_id else []
    if custom_fields:
        return transitions.written_with_more(
            written.qb_id or obj.qb_id,
            written.edit_sequence,
            {**(written.details or obj.qb_state or {}), DATA_EXT_PENDING: custom_fields},
            f"{verb} QuickBooks; custom fields next" + _status_note(rs),
        )
    return transitions.processed(
        written.qb_id or obj.qb_id,
        written.edit_sequence,
        f"{verb} QuickBooks" + _status_note(rs),
        qb_state=written.details or None,
    )


def _status_note(rs: Response) -> str:
    return f" (status {rs.status_code}: {rs.message})" if rs.status_code else ""


def _apply_lookup(obj: QueuedObject, step: LookupStep, rs: Response) -> None:
    """Carry out what _lookup_step() decided for a lookup's answer `rs`."""
    found = step.found
    if step.outcome == STALE_ID:
        # Deleted in QuickBooks: forget it and look the object up by name/RefNumber again.
        obj.retry_now(Phase.PENDING, rs.message, rs.status_code, qb_id="", edit_sequence="")
    elif step.outcome == ERROR:
        _apply_error(obj, rs, back_to=Phase.PENDING)
    elif step.outcome == CONFLICT:
        obj.fail(found.conflict)
    elif step.outcome == MISSING:
        obj.fail(_missing_reference(obj))
    elif step.outcome in (EXISTS, LINKED):
        reason = "exists in QuickBooks" + ("; left unchanged" if step.outcome == LINKED else "")
        obj.process(found.qb_id, found.edit_sequence, reason, notify=False, qb_state=found.details)
    elif step.outcome == DONE:
        obj.process(
            found.qb_id,
            found.edit_sequence,
            "already in QuickBooks; nothing to write"
            if found.found
            else "not in QuickBooks; nothing to delete",
        )
    else:
        obj.take(_found(found))


def _missing_reference(obj: QueuedObject) -> str:
    """Name what is missing and how to fix it (flowlink §7.2)."""
    auto_create = " (or enable quickbooks_auto_create_products)"
    return obj.kind.missing(
        obj.identity,
        obj.payload,
        "QuickBooks",
        or_else=auto_create if obj.object_type == "products" else "",
    )


def _may_update_found(obj: QueuedObject, found: LookupResult) -> bool:
    """Whether a dependency found in QuickBooks is modified (flowlink §5.6) or linked as is."""
    return found.writable and is_on(obj.params.get("quickbooks_update_dependencies"))


def _apply_write(obj: QueuedObject, kind: str, rs: Response) -> None:
    if kind == DATA_EXT:
        _apply_data_ext(obj, rs)
        return
    if kind == DELETE:
        # 3120: the record is gone already, which is what the delete wanted.
        if not rs.is_error or rs.status_code == 3120:
            _apply_delete(obj, rs)
        else:
            _apply_error(obj, rs, back_to=Phase.READY)
        return
    if not rs.is_error:
        obj.take(_written(obj, kind, rs))
        return
    if rs.status_code == 3200:
        # Stale EditSequence: QuickBooks returns the current record inside the error.
        current = mapper_for(obj.object_type).read_write(rs.rets) if rs.rets else None
        if current and current.edit_sequence:
            obj.retry_now(
                Phase.READY, rs.message, rs.status_code, edit_sequence=current.edit_sequence
            )
        else:
            obj.retry_now(Phase.PENDING, rs.message, rs.status_code)
        return
    if (
        rs.status_code == NAME_IN_USE
        and kind == ADD
        and obj.mode == Mode.ENSURE
        and obj.last_status_code != NAME_IN_USE
    ):
        # A dependency's name is taken: by a record of another type sharing the name
        # space (a non-inventory item FlowLink sent for an item a transaction needs), or
        # one added since the lookup. Look it up again (items across every item type) and
        # link what is found; only a second 3100 in a row fails it, and its dependents.
        obj.retry_now(Phase.PENDING, rs.message, rs.status_code, qb_id="", edit_sequence="")
        return
    if rs.status_code == 3120 and kind == MOD:
        obj.retry_now(Phase.PENDING, rs.message, rs.status_code, qb_id="", edit_sequence="")
        return
    _apply_error(obj, rs, back_to=Phase.READY if kind != LOOKUP else Phase.PENDING)


def _apply_data_ext(obj: QueuedObject, rs: Response) -> None:
    """A custom field set: the next one, or processed once none is left."""
    if rs.is_error:
        # The record was written: a transient refusal looks it up and writes it again.
        _apply_error(obj, rs, back_to=Phase.READY)
        return
    pending = list(obj.qb_state.get(DATA_EXT_PENDING) or [])
    done, rest = pending[:1], pending[1:]
    state = {k: v for k, v in obj.qb_state.items() if k != DATA_EXT_PENDING}
    reason = f"custom field {', '.join(done)} set in QuickBooks" + _status_note(rs)
    if rest:
        obj.take(
            transitions.written_with_more(
                obj.qb_id, obj.edit_sequence, {**state, DATA_EXT_PENDING: rest}, reason
            )
        )
        return
    obj.take(transitions.processed(obj.qb_id, obj.edit_sequence, reason, qb_state=state))


def _apply_delete(obj: QueuedObject, rs: Response) -> None:
    """The delete is acknowledged: finish, or write anew (a replace) in a later request."""
    reason = f"deleted {obj.qb_id} from QuickBooks" + _status_note(rs)
    gone = replace(obj.view(), qb_id="", edit_sequence="", qb_state={})
    if mapper_for(obj.object_type).write_kind(gone) is None:
        obj.process("", "", reason)
    else:
        obj.forget_deleted(reason)


def _apply_error(obj: QueuedObject, rs: Response, back_to: str) -> None:
    message = rs.message.strip() or f"QuickBooks status {rs.status_code}"
    text = rs.message.lower()
    transient = (
        rs.status_code in TRANSIENT
        or (rs.status_code == 3170 and any(w in text for w in TRANSIENT_3170_WORDS))
        or NOT_PROCESSED_TEXT in text
    )
    if transient:
        # The write did not happen; go back one step (a lookup re-checks a write).
        obj.retry_later(Phase.PENDING, message, rs.status_code)
        return
    obj.fail(message, rs.status_code)


def reject(obj: QueuedObject, hresult: str, message: str) -> None:
    """QuickBooks refused the whole message and this object alone is in it: its request is bad."""
    obj.fail(f"QuickBooks rejected the request: {message}", hresult=hresult)
