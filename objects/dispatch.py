"""Turn queued objects into qbXML requests and apply QuickBooks' answers to them.

The Web Connector session loop (qbwc.loop) asks this module for the next objects,
for each object's request, and hands back each `…Rs`. Every rule about what a
status code means for an object lives here (qbxml.md §13).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connections.models import Connection
from objects.models import Mode, Notification, Phase, QueuedObject
from objects.qbxml.mappers.base import ADD, DELETE, MOD, NOT_FOUND_HINT, Element, LookupResult
from objects.qbxml.parse import Response
from objects.qbxml.values import PayloadError, is_on

log = logging.getLogger(__name__)

LOOKUP = "lookup"
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
    """Move two-phase objects whose dependencies are all in QuickBooks to pending."""
    return QueuedObject.objects.filter(connection=connection).promote_all()


def promote_dependents(connection: Connection, answered: list[int]) -> int:
    """promote_waiting() limited to the objects that depend on those just answered.

    After each answer only their dependents can have become promotable; looking at
    those alone keeps a long run from checking every waiting order's dependencies on
    every round trip (docs/benchmarks.md). Anything this misses (a dependency that
    finished while its dependent's webhook was still being stored) is promoted by
    promote_waiting() once nothing else is due.
    """
    if not answered:
        return 0
    links = QueuedObject.dependencies.through.objects.filter(to_queuedobject_id__in=answered)
    return (
        QueuedObject.objects.filter(connection=connection)
        .filter(pk__in=links.values("from_queuedobject_id"))
        .promote_all()
    )


def due_objects(
    connection: Connection, limit: int, now: datetime | None = None
) -> list[QueuedObject]:
    """The next objects to send: oldest first, lookups and writes alike."""
    now = now or timezone.now()
    return list(
        QueuedObject.objects.filter(connection=connection)
        .due(now)
        .order_by("created_at", "id")[:limit]
    )


def has_due_work(connection: Connection, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    objects = QueuedObject.objects.filter(connection=connection)
    return objects.due(now).exists() or objects.promotable().exists()


def plan(obj: QueuedObject, qbxml_version: str) -> PlannedRequest | None:
    """Build the request for an object just claimed; fail it (and return None) if impossible."""
    view = obj.view(qbxml_version)
    mapper = obj.mapper
    try:
        if obj.claimed_from == Phase.PENDING:
            return PlannedRequest(obj, LOOKUP, mapper.lookup(view))
        kind = mapper.write_kind(view)
        if kind is None:
            obj.process(view.qb_id, view.edit_sequence, "nothing left to write")
            return None
        build = {ADD: mapper.add, MOD: mapper.mod, DELETE: mapper.delete}[kind]
        return PlannedRequest(obj, kind, build(view))
    except PayloadError as exc:
        obj.fail(f"Validation error: {exc.field}: {exc.reason}")
        return None


def apply_response(obj: QueuedObject, kind: str, rs: Response) -> None:
    """Apply one `…Rs` to the object whose request it answers."""
    with transaction.atomic(savepoint=False):
        if kind == LOOKUP:
            _apply_lookup(obj, rs)
        else:
            _apply_write(obj, kind, rs)


def apply_responses(claimer: str, answers: list[tuple[QueuedObject, str, Response]]) -> None:
    """Apply a message's answers: the common outcomes set-level, every other one alone.

    Look-ups that lead to an Add or a Mod (`mark_found`) and successful Adds and Mods
    (`process`, with the line ids a sales form learnt) make up nearly every answer of a
    busy session; each of the two is one conditional update for all its objects
    (QueuedObjectQuerySet.move_claimed), with the same rules as apply_response().
    Anything else (deletes, errors, "nothing to write") goes through apply_response().
    """
    found_rows: list[tuple[QueuedObject, LookupResult]] = []
    written_rows: list[tuple[QueuedObject, str, Response, LookupResult]] = []
    with transaction.atomic(savepoint=False):
        for obj, kind, rs in answers:
            if kind == LOOKUP:
                found = _plain_lookup(obj, rs)
                if found is not None:
                    found_rows.append((obj, found))
                    continue
            elif not rs.is_error and kind != DELETE:
                written_rows.append((obj, kind, rs, obj.mapper.read_write(rs.rets)))
                continue
            apply_response(obj, kind, rs)
        _mark_found_many(claimer, found_rows)
        _process_many(claimer, written_rows)


def _plain_lookup(obj: QueuedObject, rs: Response) -> LookupResult | None:
    """The lookup result when `_apply_lookup` would end in mark_found with no details."""
    if rs.status_code == 3120 and obj.qb_id:
        return None
    if rs.status_code in NOT_FOUND or (rs.status_code < 1000 and not rs.rets):
        found = obj.mapper.read_lookup(obj.view(), [])
    elif rs.is_error:
        return None
    else:
        found = obj.mapper.read_lookup(obj.view(), rs.rets)
    if found.conflict or found.details or obj.mode == Mode.REQUIRE:
        return None
    if obj.mode == Mode.ENSURE and found.found and not _may_update_found(obj, found):
        return None
    known = replace(obj.view(), qb_id=found.qb_id, edit_sequence=found.edit_sequence)
    if obj.mapper.write_kind(known) is None:
        return None  # nothing to write: _apply_lookup() finishes the object
    return found


def _mark_found_many(claimer: str, rows: list[tuple[QueuedObject, LookupResult]]) -> None:
    QueuedObject.objects.move_claimed(
        claimer,
        Phase.READY,
        [obj for obj, _ in rows],
        [
            f"found in QuickBooks as {found.qb_id}" if found.qb_id else "not in QuickBooks yet"
            for _, found in rows
        ],
        per_object={
            "qb_id": [found.qb_id for _, found in rows],
            "edit_sequence": [found.edit_sequence for _, found in rows],
        },
        qb_state={},
    )


def _process_many(
    claimer: str, rows: list[tuple[QueuedObject, str, Response, LookupResult]]
) -> None:
    moved = QueuedObject.objects.move_claimed(
        claimer,
        Phase.PROCESSED,
        [obj for obj, *_ in rows],
        [
            f"{'added to' if kind == ADD else 'modified in'} QuickBooks"
            + (f" (status {rs.status_code}: {rs.message})" if rs.status_code else "")
            for _, kind, rs, _ in rows
        ],
        per_object={
            "qb_id": [written.qb_id or obj.qb_id for obj, _, _, written in rows],
            "edit_sequence": [written.edit_sequence for *_, written in rows],
            # What the write learnt (a sales order's TxnLineIDs), else what was known.
            "qb_state": [written.details or obj.qb_state for obj, _, _, written in rows],
        },
        last_status_code=0,
        last_status_message="",
        next_attempt_at=None,
    )
    Notification.objects.bulk_create(
        Notification(
            connection_id=obj.connection_id,
            queued_object=obj,
            object_type=obj.object_type,
            kind=Notification.Kind.SUCCESS,
            message=f"{obj.reference}: {obj.mapper.notice_name} successfully sent to "
            "Quickbooks Desktop",
            request_id=obj.request_id,
        )
        for obj in moved
    )
    newer = set(
        QueuedObject.objects.filter(
            pk__in=[obj.pk for obj in moved], pending_payload__isnull=False
        ).values_list("pk", flat=True)
    )
    for obj in moved:
        if obj.pk in newer:
            obj.apply_newer_payload()


def _apply_lookup(obj: QueuedObject, rs: Response) -> None:
    mapper = obj.mapper
    if rs.status_code == 3120 and obj.qb_id:
        # The stored ListID/TxnID no longer exists (deleted in QuickBooks): forget it
        # and look the object up by name/RefNumber once more.
        obj.retry_now(Phase.PENDING, rs.message, rs.status_code, qb_id="", edit_sequence="")
        return
    if rs.status_code in NOT_FOUND or (rs.status_code < 1000 and not rs.rets):
        found = mapper.read_lookup(obj.view(), [])
    elif rs.is_error:
        _apply_error(obj, rs, back_to=Phase.PENDING)
        return
    else:
        found = mapper.read_lookup(obj.view(), rs.rets)
    if found.conflict:
        obj.fail(found.conflict)
        return
    if obj.mode == Mode.REQUIRE:
        if found.found:
            obj.process(
                found.qb_id,
                found.edit_sequence,
                "exists in QuickBooks",
                notify=False,
                qb_state=found.details,
            )
        else:
            obj.fail(_missing_reference(obj))
        return
    if obj.mode == Mode.ENSURE and found.found and not _may_update_found(obj, found):
        obj.process(
            found.qb_id,
            found.edit_sequence,
            "exists in QuickBooks; left unchanged",
            notify=False,
            qb_state=found.details,
        )
        return
    known = replace(
        obj.view(), qb_id=found.qb_id, edit_sequence=found.edit_sequence, qb_state=found.details
    )
    if mapper.write_kind(known) is None:
        # e.g. a DELETE of a journal QuickBooks does not have, or an inventory adjustment
        # this very call already made before its answer was lost: done, nothing to send.
        obj.process(
            found.qb_id,
            found.edit_sequence,
            "already in QuickBooks; nothing to write"
            if found.found
            else "not in QuickBooks; nothing to delete",
        )
        return
    obj.mark_found(found.qb_id, found.edit_sequence, found.details)


def _missing_reference(obj: QueuedObject) -> str:
    """Name what is missing and how to fix it (flowlink §7.2)."""
    # A required "products" record may be an item of any type (the lookup is ItemQueryRq).
    noun = "item" if obj.object_type == "products" else obj.mapper.notice_name.lower()
    missing = f"{noun} '{obj.identity}' not found in QuickBooks; "
    hint = obj.payload.get(NOT_FOUND_HINT)
    if hint:
        # The transaction that needs it said how to fix it (e.g. which parameter names it).
        return missing + str(hint)
    return (
        missing
        + "create it in QuickBooks or send it to qbsync first"
        + (" (or enable quickbooks_auto_create_products)" if obj.object_type == "products" else "")
    )


def _may_update_found(obj: QueuedObject, found: LookupResult) -> bool:
    """Whether a dependency found in QuickBooks is modified (flowlink §5.6) or linked as is."""
    return found.writable and is_on(obj.params.get("quickbooks_update_dependencies"))


def _apply_write(obj: QueuedObject, kind: str, rs: Response) -> None:
    if kind == DELETE:
        # 3120: the record is gone already, which is what the delete wanted.
        if not rs.is_error or rs.status_code == 3120:
            _apply_delete(obj, rs)
        else:
            _apply_error(obj, rs, back_to=Phase.READY)
        return
    if not rs.is_error:
        written = obj.mapper.read_write(rs.rets)
        verb = "added to" if kind == ADD else "modified in"
        obj.process(
            written.qb_id or obj.qb_id,
            written.edit_sequence,
            f"{verb} QuickBooks"
            + (f" (status {rs.status_code}: {rs.message})" if rs.status_code else ""),
            qb_state=written.details or None,
        )
        return
    if rs.status_code == 3200:
        # Stale EditSequence: QuickBooks returns the current record inside the error.
        current = obj.mapper.read_write(rs.rets) if rs.rets else None
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


def _apply_delete(obj: QueuedObject, rs: Response) -> None:
    """The delete is acknowledged: finish, or write anew (a replace) in a later request."""
    reason = f"deleted {obj.qb_id} from QuickBooks" + (
        f" (status {rs.status_code}: {rs.message})" if rs.status_code else ""
    )
    gone = replace(obj.view(), qb_id="", edit_sequence="", qb_state={})
    if obj.mapper.write_kind(gone) is None:
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
