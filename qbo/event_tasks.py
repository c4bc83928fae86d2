"""Celery entry points of the QuickBooks Online triggers and company info (qbo.events).

Imported by qbo/tasks.py so the autodiscovery of `tasks` modules registers them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.utils import timezone

from qbo import events
from qbo.client import QboClient
from qbo.errors import QboError
from qbo.event_models import ChangeEvent, IntuitNotification
from qbo.models import QboConnection

log = logging.getLogger(__name__)


# DjangoTask spelled out for delay_on_commit, as connections.tasks does.
@shared_task(name="qbo.tasks.deliver_event", base=DjangoTask)
def deliver_event(delivery_id: int) -> bool:
    return events.deliver(delivery_id)


@shared_task(name="qbo.tasks.send_due_events")
def send_due_events() -> int:
    """Retry the event deliveries whose backoff has passed (and any a dead worker left)."""
    return sum(events.deliver(delivery_id) for delivery_id in events.due_deliveries())


@shared_task(name="qbo.tasks.refresh_company_info")
def refresh_company_info() -> int:
    """Read CompanyInfo of every connected QBO company not read for a day (or never)."""
    refreshed = 0
    for qbo in QboConnection.objects.select_related("connection").filter(
        connection__is_active=True, status=QboConnection.Status.ACTIVE
    ):
        if not qbo.is_connected:
            continue
        try:
            with QboClient(qbo) as client:
                refreshed += events.refresh_company_info(qbo.connection, client)
        except QboError as exc:
            # The next run tries again; the push pass reports the connection's health.
            log.warning("company info of %s not read: %s", qbo.connection.connection_id, exc)
    return refreshed


@shared_task(name="qbo.tasks.purge_old_events")
def purge_old_events() -> dict[str, int]:
    """Forget delivered events and Intuit notifications older than RETENTION_DAYS."""
    before = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    return {
        "events": ChangeEvent.objects.purge(before),
        "notifications": IntuitNotification.objects.purge(before),
    }
