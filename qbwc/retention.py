"""Retention: purge what operators no longer need once it is older than RETENTION_DAYS."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from connections.models import Incident
from objects.models import Notification, Operation, QueuedObject
from qbwc.models import Session


def purge_old_records(now: datetime | None = None) -> dict[str, int]:
    """Delete old processed objects, delivered notifications, transcripts and incidents.

    Objects still queued or failed are never purged: they need an operator or a
    retry. Each delete is conditional, so two workers purging at once only share work.
    """
    now = now or timezone.now()
    before = now - timedelta(days=settings.RETENTION_DAYS)
    return {
        "sessions": Session.objects.purge_ended(before),
        # An answer that handed out nothing only serves replays, final after 24 h (flowlink §10.2).
        "notifications": Notification.objects.purge_delivered(before, now - timedelta(days=1)),
        "objects": QueuedObject.objects.purge_processed(before),
        "incidents": Incident.objects.purge_resolved(before),
        # An operations API result once its caller fetched it (docs/api.md).
        "operations": Operation.objects.purge_fetched(before),
    }
