"""The queue's state machine as pure decisions, and the texts they write.

Each function answers one question without touching the database: given what an
object is now and what happened to it, which phases may it leave, where does it go,
why (the reason of its history row) and which notification FlowLink gets. The
single-object methods of QueuedObject (`take`) and the set-level ones of its QuerySet
(`take_claimed`, `claim_for`, `promote_all`) both carry these decisions out, so a
rule and its wording are written here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from objects.models.phases import ACTIVE_PHASES, SENDABLE_PHASES, Phase

# What a transition owes FlowLink: the values of Notification.Kind.
SUCCESS = "success"
FAILURE = "fail"


@dataclass(frozen=True)
class Transition:
    """One decided move: from any of `expected` to `to`, setting `fields` as well."""

    expected: tuple[str, ...]
    to: str
    reason: str
    fields: dict[str, Any] = field(default_factory=dict)
    # The notification written when the move wins ("" for none).
    notify: str = ""


# -- notification texts (flowlink §10) -------------------------------------------------
def success_notice(reference: str, notice_name: str, product: str = "Quickbooks Desktop") -> str:
    return f"{reference}: {notice_name} successfully sent to {product}"


def failure_notice(reference: str, message: str) -> str:
    return f"{reference}: {message}"


def with_code(message: str, code: int | str | None) -> str:
    """`message` led by QuickBooks' status code or HRESULT, once (0 and None are no code)."""
    if code is None or code == 0 or code == "":
        return message
    prefix = f"{code}: "
    return message if message.startswith(prefix) else prefix + message


# -- decisions -------------------------------------------------------------------------
def claimed(phase: str, claimer: str, now: datetime) -> Transition:
    """A pending (lookup) or ready (write) object taken for a request in flight."""
    return Transition(
        SENDABLE_PHASES,
        Phase.IN_PROGRESS,
        f"sent to QuickBooks ({'lookup' if phase == Phase.PENDING else 'write'})",
        {"claimed_by": claimer, "claimed_at": now, "claimed_from": phase},
    )


def promoted() -> Transition:
    """Dependencies are in QuickBooks: look the object itself up next."""
    return Transition((Phase.TWO_PHASE_PENDING,), Phase.PENDING, "dependencies processed")


def waiting(reason: str) -> Transition:
    """Wait for another object; not while a request is with QuickBooks (its answer decides)."""
    return Transition(
        (Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY),
        Phase.TWO_PHASE_PENDING,
        reason,
        {"next_attempt_at": None},
    )


def found(qb_id: str, edit_sequence: str, qb_state: dict[str, Any]) -> Transition:
    """A lookup answered: the object exists (qb_id set) or not (qb_id empty)."""
    return Transition(
        (Phase.IN_PROGRESS,),
        Phase.READY,
        f"found in QuickBooks as {qb_id}" if qb_id else "not in QuickBooks yet",
        {"qb_id": qb_id, "edit_sequence": edit_sequence, "qb_state": qb_state, "claimed_by": ""},
    )


def written_with_more(
    qb_id: str, edit_sequence: str, qb_state: dict[str, Any], reason: str
) -> Transition:
    """A write answered, with requests of the same object still to send after it (the
    custom fields QuickBooks Desktop sets by DataExtMod once the record exists): ready
    again, its ids known, what is left in qb_state."""
    return Transition(
        (Phase.IN_PROGRESS,),
        Phase.READY,
        reason,
        {"qb_id": qb_id, "edit_sequence": edit_sequence, "qb_state": qb_state, "claimed_by": ""},
    )


def forgotten(reason: str) -> Transition:
    """A delete was acknowledged and the object is written anew: ready, with no ids."""
    return Transition(
        (Phase.IN_PROGRESS,),
        Phase.READY,
        reason,
        {"qb_id": "", "edit_sequence": "", "qb_state": {}, "claimed_by": ""},
    )


def unclaimed(to: str, reason: str) -> Transition:
    """A claimed object given back without counting an attempt (its request never ran)."""
    return Transition((Phase.IN_PROGRESS,), to, reason, {"claimed_by": ""})


def processed(
    qb_id: str,
    edit_sequence: str,
    reason: str,
    notify: bool = True,
    qb_state: dict[str, Any] | None = None,
) -> Transition:
    """QuickBooks holds the record; qb_state (a sales order's TxnLineIDs) links dependents."""
    extra: dict[str, Any] = {} if qb_state is None else {"qb_state": qb_state}
    return Transition(
        (Phase.IN_PROGRESS,),
        Phase.PROCESSED,
        reason,
        {
            "qb_id": qb_id,
            "edit_sequence": edit_sequence,
            "claimed_by": "",
            "last_status_code": 0,
            "last_status_message": "",
            "next_attempt_at": None,
            **extra,
        },
        SUCCESS if notify else "",
    )


def failed(message: str, status_code: int | None = None, hresult: str = "") -> Transition:
    """Failed for good (until requeued), with one failure notification.

    The message FlowLink reads starts with QuickBooks' code (`3100: …`, or the HRESULT
    of a refused message, `0x80040400: …`): users search for failures by code.
    """
    message = with_code(message, hresult or status_code)
    return Transition(
        ACTIVE_PHASES,
        Phase.FAILED,
        message,
        {
            "claimed_by": "",
            "last_status_code": status_code,
            "last_status_message": message,
            "next_attempt_at": None,
        },
        FAILURE,
    )


def dependency_failed(notice_name: str, identity: str, message: str) -> str:
    """What a dependent fails with when the object it needs failed."""
    return f"{notice_name} '{identity}' failed: {message}"


def cancelled(by: str) -> str:
    return f"Cancelled by {by} before it reached QuickBooks Desktop"


def retried(
    retry_count: int,
    max_retries: int,
    notice_name: str,
    to: str,
    message: str,
    status_code: int | None,
    backoff_from: datetime | None = None,
    **fields: Any,
) -> Transition:
    """A transient failure: back to `to` counting the attempt, or failed once retries run out.

    With `backoff_from` the next attempt waits (1, 2, 4 … minutes: a later session picks
    it up); without, it is retried within this session (fresh EditSequence, stale ListID).
    """
    attempts = retry_count + 1
    if attempts > max_retries:
        return failed(
            f"This {notice_name.lower()} never finished syncing to QuickBooks "
            f"Desktop after {attempts} attempts: {message}",
            status_code,
        )
    if backoff_from is not None:
        fields["next_attempt_at"] = backoff_from + timedelta(minutes=2 ** (attempts - 1))
    attempt = f"attempt {attempts} failed, " if backoff_from is not None else ""
    return Transition(
        (Phase.IN_PROGRESS,),
        to,
        f"{attempt}retrying: {message}",
        {
            "retry_count": attempts,
            "claimed_by": "",
            "last_status_code": status_code,
            "last_status_message": message,
            **fields,
        },
    )


def restarted(
    expected: tuple[str, ...], has_dependencies: bool, reason: str, **fields: Any
) -> Transition:
    """Sent again from the start with a fresh retry budget: waiting or looked up first."""
    return Transition(
        expected,
        Phase.TWO_PHASE_PENDING if has_dependencies else Phase.PENDING,
        reason,
        {"retry_count": 0, "next_attempt_at": None, **fields},
    )
