from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from objects.api import callbacks
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


# DjangoTask, the class Celery gives tasks under Django anyway, spelled out for delay_on_commit.
@shared_task(name="objects.tasks.deliver_operation_callback", base=DjangoTask)
def deliver_operation_callback(callback_id: int) -> bool:
    return callbacks.deliver(callback_id)


@shared_task(name="objects.tasks.send_due_callbacks")
def send_due_callbacks() -> int:
    """Beat: API callbacks whose backoff has passed (their retries live in the rows)."""
    return sum(callbacks.deliver(pk) for pk in callbacks.due(timezone.now()))
