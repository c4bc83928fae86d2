"""QuickBooks Online triggers (seed 003) and company info (seed 001).

The change feed sends `qbo.signals.record_changed` for each changed record version;
`record_event` keeps it once as a ChangeEvent and queues one EventDelivery per active
subscription that wants its type. `deliver` makes one attempt, signed exactly as alert
webhooks are (connections.deliveries.post_signed), so a receiver of our alerts verifies these too;
failures back off in the row. `refresh_company_info` reads CompanyInfo into the
connection's CompanyProfile. docs/qbo-events.md documents what receivers get.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from connections import http
from connections.deliveries import DELIVERY_HEADER, EVENT_HEADER, attempt, post_signed
from connections.models import Connection
from qbo.client import QboClient
from qbo.event_models import ChangeEvent, CompanyProfile, EventDelivery, EventSubscription
from qbo.signals import record_changed

log = logging.getLogger(__name__)

# Stable for every delivery of one event, to every subscriber: receivers de-duplicate on it.
EVENT_ID_HEADER = "X-Qbsync-Event-Id"
COMPANY_INFO_MAX_AGE = timedelta(days=1)


# -- events ---------------------------------------------------------------------------
def record_event(
    connection: Connection,
    entity: str,
    qb_id: str,
    change: str,
    record: dict[str, Any],
    version: str,
    now: datetime | None = None,
) -> ChangeEvent | None:
    """Keep one change as an event and queue its deliveries; None when it was already kept.

    Each delivery is sent on commit (qbo.tasks.deliver_event); the beat retries.
    """
    if change not in ChangeEvent.Change.values:
        raise ValueError(f"change is one of {', '.join(ChangeEvent.Change.values)}, not {change!r}")
    now = now or timezone.now()
    event_type = ChangeEvent.type_of(entity, change)
    try:
        with transaction.atomic():
            event = ChangeEvent.objects.create(
                connection=connection,
                entity=entity,
                qb_id=qb_id,
                version=version,
                change=change,
                event_type=event_type,
                record=record,
                occurred_at=now,
            )
            deliveries = [
                EventDelivery.objects.create(
                    event=event, subscription=sub, next_attempt_at=now, created_at=now
                )
                for sub in EventSubscription.objects.active().filter(connection=connection)
                if sub.wants(event_type)
            ]
    except IntegrityError:
        return None  # this version was told before (a CDC overlap, a repeated pass)
    _send_on_commit([d.pk for d in deliveries])
    return event


@receiver(record_changed, dispatch_uid="qbo.events.record_changed")
def on_record_changed(
    sender: Any,
    *,
    connection: Connection,
    entity: str,
    qb_id: str,
    change: str,
    record: dict[str, Any],
    version: str,
    **kwargs: Any,
) -> None:
    record_event(connection, entity, qb_id, change, record, version)


def _send_on_commit(delivery_ids: list[int]) -> None:
    from qbo.event_tasks import deliver_event  # it imports this module

    for delivery_id in delivery_ids:
        deliver_event.delay_on_commit(delivery_id)


def event_payload(event: ChangeEvent) -> dict[str, Any]:
    """The JSON body of an event delivery (docs/qbo-events.md)."""
    connection = event.connection
    return {
        "event_id": str(event.event_id),
        "type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "connection": {"id": connection.connection_id, "company_name": connection.company_name},
        "entity": event.entity,
        "qb_id": event.qb_id,
        "version": event.version,
        "change": event.change,
        "record": event.record,
    }


def deliver(delivery_id: int, now: datetime | None = None) -> bool:
    """Make one attempt at a delivery that is due; True when it was sent."""
    now = now or timezone.now()
    delivery = (
        EventDelivery.objects.select_related("event__connection", "subscription")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return False
    what = f"event delivery {delivery.pk} ({delivery.event.event_type})"
    return attempt(
        delivery, now, lambda: _post(delivery, now), settings.QBO_EVENT_MAX_ATTEMPTS, what
    )


def due_deliveries(now: datetime | None = None, limit: int = 100) -> list[int]:
    return list(
        EventDelivery.objects.due(now or timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def retry_now(delivery_ids: list[int], now: datetime | None = None) -> list[int]:
    """An operator's "retry now": due at once, and a new round for those that gave up."""
    ids = EventDelivery.objects.filter(pk__in=delivery_ids).retry_now(now or timezone.now())
    _send_on_commit(ids)
    return ids


def _post(delivery: EventDelivery, now: datetime) -> None:
    secret = delivery.subscription.secret
    if not secret:
        raise http.DeliveryError("the subscription has no secret: set one to sign deliveries")
    headers = {
        EVENT_HEADER: delivery.event.event_type,
        EVENT_ID_HEADER: str(delivery.event.event_id),
        DELIVERY_HEADER: str(delivery.pk),
    }
    post_signed(
        delivery.subscription.url,
        secret,
        event_payload(delivery.event),
        headers,
        now,
        timeout=settings.ALERT_TIMEOUT_SECONDS,
    )


# -- company info ---------------------------------------------------------------------
def refresh_company_info(
    connection: Connection, client: QboClient, now: datetime | None = None, force: bool = False
) -> bool:
    """Read CompanyInfo when never read or older than a day (or `force`); True when read.

    QboError propagates: the caller (a pass, the beat) decides what a failure means.
    """
    now = now or timezone.now()
    profile = CompanyProfile.objects.filter(connection=connection).first()
    if not force and profile is not None and not profile.is_stale(now, COMPANY_INFO_MAX_AGE):
        return False
    info = client.company_info()
    address = info.get("CompanyAddr") or {}
    name = str(info.get("CompanyName") or "")[:1024]
    values = {
        "company_name": name,
        "legal_name": str(info.get("LegalName") or "")[:1024],
        "country": str(info.get("Country") or "")[:50],
        "fiscal_year_start_month": str(info.get("FiscalYearStartMonth") or "")[:20],
        "address": address if isinstance(address, dict) else {},
        "raw": info,
        "read_at": now,
    }
    # Connection.company_name is shorter than QBO's names; the profile keeps the whole one.
    short_name = name[:200]
    with transaction.atomic():
        CompanyProfile.objects.update_or_create(connection=connection, defaults=values)
        if short_name and connection.company_name != short_name:
            Connection.objects.filter(pk=connection.pk).update(company_name=short_name)
            connection.company_name = short_name
    return True


def health_details(connection: Connection) -> dict[str, Any]:
    """What get_health_check adds for a QBO connection: the company as last read."""
    profile = CompanyProfile.objects.filter(connection=connection).first()
    return {"company": profile.as_details()} if profile is not None else {}
