from __future__ import annotations

from celery import shared_task

from qbwc import loop, retention


@shared_task(name="qbwc.tasks.expire_sessions")
def expire_sessions() -> int:
    """End Web Connector sessions that stopped calling and release what they held."""
    return loop.expire_stale_sessions()


@shared_task(name="qbwc.tasks.purge_old_records")
def purge_old_records() -> dict[str, int]:
    return retention.purge_old_records()
