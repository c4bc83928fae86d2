from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from objects.models import PulledRecord, QueuedObject


@shared_task(name="objects.tasks.sweep_stuck_objects")
def sweep_stuck_objects() -> int:
    """Send objects QuickBooks never answered back to the queue (retry_count + 1)."""
    return QueuedObject.objects.sweep_stuck(timezone.now())


@shared_task(name="objects.tasks.purge_pulled_records")
def purge_pulled_records() -> int:
    """Delete pulled records delivered longer ago than the retention period."""
    deleted, _by_model = PulledRecord.objects.expired(timezone.now()).delete()
    return deleted
