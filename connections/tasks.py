from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from connections import alerts


@shared_task(name="connections.tasks.check_health")
def check_health() -> int:
    """Open or resolve incidents; send the alerts they produced right away."""
    created = alerts.check_health()
    for delivery_id in created:
        deliver_alert.delay_on_commit(delivery_id)
    return len(created)


# DjangoTask, the class Celery gives tasks under Django anyway, spelled out for delay_on_commit.
@shared_task(name="connections.tasks.deliver_alert", base=DjangoTask)
def deliver_alert(delivery_id: int) -> bool:
    return alerts.deliver(delivery_id)


@shared_task(name="connections.tasks.send_due_alerts")
def send_due_alerts() -> int:
    """Retry the deliveries whose backoff has passed (and any a dead worker left)."""
    return sum(alerts.deliver(delivery_id) for delivery_id in alerts.due_deliveries())
