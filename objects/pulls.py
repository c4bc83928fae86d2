"""Pull records out of QuickBooks for the get_* webhooks: the backend-neutral half (flowlink §8).

The flow, per (connection, get_* route):

1. `register` — a get_* call stores what to poll (PollConfig; flowlink §8.2).
2. A backend fills the buffer (PulledRecord): for QuickBooks Desktop, qbwc.polls polls
   from Web Connector sessions and moves the PollConfig's cursor.
3. `hand_out` gives out the oldest buffered records, page by page, bound to FlowLink's
   request_id so a retried request replays the same page (flowlink §8.4); the page
   itself is PulledRecordQuerySet.page. The get_* view in objects.webhooks shapes the
   answer (206 while more remain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.models import Connection, FlowConfig
from objects.backends import backend_for
from objects.models import PollConfig, PulledRecord
from objects.types.pulls import GET_ROUTES, MAX_PAGE_SIZE, pull_route
from objects.types.values import is_on

__all__ = ["GET_ROUTES", "Handout", "PullError", "hand_out", "register"]
DEFAULT_PAGE_SIZE = 50


class PullError(ValueError):
    """A get_* request that cannot be honoured; `str()` names the field."""


# -- 1. registering a poll -------------------------------------------------------------------


def parse_since(value: Any) -> datetime | None:
    """quickbooks_since: ISO-8601; no offset means the configured pull time zone."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise PullError(
            f"parameters.quickbooks_since: {value!r} is not an ISO-8601 date-time"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.PULL_TIMEZONE))
    return moment


def register(
    connection: Connection, route: str, params: dict[str, Any], now: datetime
) -> PollConfig:
    """Create or refresh the poll of a get_* route (flowlink §7.1, §8.2).

    The stored parameters (and cursor) change only on the first call or when forced:
    after that qbsync's cursor is authoritative, and a later quickbooks_since from
    FlowLink (an echo of an older cursor, usually) is ignored.
    """
    kind = pull_route(route)
    since = parse_since(params.get("quickbooks_since"))
    force = is_on(params.get("quickbooks_force_config"))
    FlowConfig.objects.store(connection, route, params, force=force)
    with transaction.atomic():
        config, created = PollConfig.objects.select_for_update().get_or_create(
            connection=connection,
            route=kind.route,
            defaults={"params": params, "cursor": since, "last_requested_at": now},
        )
        fields: dict[str, Any] = {"last_requested_at": now}
        if created or force:
            fields.update(params=params, full_pending=is_on(params.get("return_all")))
            if force and since != config.cursor:
                # A new starting point: the iteration in progress (if any) is for the old one.
                fields.update(cursor=since, state={}, session_key="", next_poll_at=None)
        PollConfig.objects.filter(pk=config.pk).update(**fields)
        for name, value in fields.items():
            setattr(config, name, value)
    return config


# -- 2. handing out ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Handout:
    """What one get_* call hands out; objects.webhooks shapes it into FlowLink's answer."""

    object_type: str  # the summary's name of the records (flowlink §8.4)
    response_key: str  # the key the records go under
    records: list[dict[str, Any]]  # one per id, oldest first
    more: bool  # undelivered records remain after this page
    since: str | None  # with records: the cursor to echo, in the configured time zone


def parse_page_size(params: dict[str, Any]) -> int:
    raw = params.get("page_size")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(str(raw).strip())
    except ValueError as exc:
        raise PullError(f"parameters.page_size: {raw!r} is not a whole number") from exc
    if size < 1:
        raise PullError(f"parameters.page_size: {size} must be at least 1")
    return min(size, MAX_PAGE_SIZE)


def parse_whitelist(params: dict[str, Any]) -> list[str] | None:
    """fields_whitelist: a comma list; None keeps every field."""
    raw = params.get("fields_whitelist")
    if not raw:
        return None
    return [name.strip() for name in str(raw).split(",") if name.strip()]


def hand_out(
    connection: Connection, route: str, params: Any, request_id: str | None, now: datetime
) -> Handout:
    """A get_* call: register the poll, then hand out the next page of buffered records."""
    if not isinstance(params, dict):
        raise PullError("parameters: must be an object")
    page_size = parse_page_size(params)
    backend = backend_for(connection)
    if not backend.serves_pull(route):
        raise PullError(f"{route}: not available for a {backend.product} connection")
    config = register(connection, route, params, now)
    kind = pull_route(route)
    mine = PulledRecord.objects.filter(connection=connection, route=kind.route)
    page = mine.page(request_id, page_size, now)
    records = page.as_flowlink(parse_whitelist(params))
    since = None
    if records:
        config.refresh_from_db(fields=["cursor"])
        if config.cursor is not None:
            since = timezone.localtime(config.cursor, ZoneInfo(settings.PULL_TIMEZONE)).isoformat(
                timespec="seconds"
            )
    return Handout(kind.object_type, kind.response_key, records, mine.undelivered().exists(), since)
