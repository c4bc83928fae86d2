"""The writes of the next message: which due objects go in it, claimed, built and checked.

qbwc.loop asks `next_writes` once per sendRequestXML; what comes back is valid qbXML for
objects this session holds. Polls come after the writes and are not chosen here.
"""

from __future__ import annotations

from copy import deepcopy

from django.conf import settings

from objects.models import QueuedObject
from qbwc import dispatch
from qbwc.models import Request, Session
from qbwc.qbxml.envelope import build_message
from qbwc.qbxml.parse import tag_of
from qbwc.qbxml.validate import errors_in_message, errors_in_request

# expected_answer_bytes(): a record's answer without lines, and each line's.
ANSWER_RECORD_BYTES = 4_000
ANSWER_LINE_BYTES = 1_000
# Objects another session took, or that failed to build, leave a batch short; a few
# more tries fill it before the message goes out with whatever was won.
ATTEMPTS = 5


def next_writes(session: Session) -> list[dispatch.PlannedRequest]:
    """Claim the next objects for `session` and return their valid requests ([] if none)."""
    planned: list[dispatch.PlannedRequest] = []
    for _attempt in range(ATTEMPTS):
        candidates = _candidates(session)
        # Answers promote their own dependents (qbwc.loop); the full sweep is only
        # needed when nothing else is due.
        if not candidates and dispatch.promote_waiting(session.connection):
            candidates = _candidates(session)
        if not candidates:
            break
        # Objects another request took first are simply not among those claimed.
        items = []
        for obj in QueuedObject.objects.claim_for(session.claimer, candidates):
            item = dispatch.plan(obj, session.qbxml_version)
            if item is not None:
                items.append(item)
        planned += _valid_requests(items, session.qbxml_version)
        if planned:
            break
    return planned


def _candidates(session: Session) -> list[QueuedObject]:
    group = session.next_resend_group()
    if group is not None:
        return QueuedObject.objects.resendable(group)
    due = dispatch.due_objects(session.connection, settings.QBWC_BATCH_SIZE)
    return _within_answer_budget(due, settings.QBWC_BATCH_ANSWER_BYTES)


def _within_answer_budget(candidates: list[QueuedObject], budget: int) -> list[QueuedObject]:
    """The first candidates whose expected answers fit `budget` bytes (always at least one).

    Counting requests alone let 50 orders of 160 lines ask for one multi-MB answer, which
    every later run asked for again; the rest here simply waits for the next round trip.
    """
    kept: list[QueuedObject] = []
    total = 0
    # What an answer refused as too large taught about these objects beats the estimate.
    learnt = Request.objects.answer_shares([obj.pk for obj in candidates])
    for obj in candidates:
        total += max(expected_answer_bytes(obj.payload), learnt.get(obj.pk, 0))
        if kept and total > budget:
            break
        kept.append(obj)
    return kept


def expected_answer_bytes(payload: object) -> int:
    """About how many bytes QuickBooks' answer about one object takes inside the SOAP body.

    A look-up answers the whole record just as the write does, so both are estimated from
    the payload: a Ret's header, and per line (any object in a list: order lines,
    journal lines …) a …LineRet. Real LineRets are 200-850 bytes once XML-escaped
    (../shared/qbxml-samples); 1,000 leaves room for long descriptions and custom fields.
    """
    lines = 0
    stack = [payload]
    while stack:  # iterative: a stored payload's depth is FlowLink's to choose
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            lines += sum(1 for item in value if isinstance(item, dict))
            stack.extend(value)
    return ANSWER_RECORD_BYTES + ANSWER_LINE_BYTES * lines


def _valid_requests(
    items: list[dispatch.PlannedRequest], version: str
) -> list[dispatch.PlannedRequest]:
    """The requests that are valid qbXML; an invalid one fails its object, never the message.

    Validating the whole message once is enough when it is valid (each request then is);
    only otherwise is each request validated alone, to name the object at fault.
    """
    if not items or not errors_in_message(
        build_message([deepcopy(item.element) for item in items], version), version
    ):
        return items
    valid = []
    for item in items:
        errors = errors_in_request(item.element, version)
        if errors:
            # Our own request is wrong: quarantine this object, never the message.
            item.obj.fail(
                f"Validation error: the {tag_of(item.element)} request is not valid qbXML "
                f"{version}: {errors[0]}"
            )
            continue
        valid.append(item)
    return valid
