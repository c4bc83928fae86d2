"""Celery entry points of QuickBooks Online: thin adapters over qbo.push and qbo.tokens."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.models import Connection
from objects.models import QueuedObject
from qbo import feed, push, tokens
from qbo.models import Authorization, QboCall, QboConnection

log = logging.getLogger(__name__)

# A pass stops taking objects after this long so the task ends inside its time limit.
PASS_BUDGET_SECONDS = max(10.0, settings.CELERY_TASK_SOFT_TIME_LIMIT * 0.6)


@shared_task(name="qbo.tasks.push_connection", base=DjangoTask)
def push_connection(connection_pk: int) -> str:
    """Run one pass for a connection; idempotent (a pass that is running absorbs it)."""
    connection = Connection.objects.filter(pk=connection_pk, backend=Connection.Backend.QBO).first()
    if connection is None:
        return "no such QuickBooks Online connection"
    summary = push.run_pass(connection, budget_seconds=PASS_BUDGET_SECONDS)
    if summary.more:
        push_connection.delay(connection_pk)
    return summary.as_line()


def schedule(connection: Connection) -> None:
    """Objects were queued (intake's transaction): one pass after commit, coalesced."""
    if push.request_push(connection):
        pk = connection.pk
        transaction.on_commit(lambda: _enqueue(pk))


def _enqueue(connection_pk: int) -> None:
    try:
        push_connection.delay(connection_pk)
    except Exception:
        # The webhook is stored and answered whatever the broker does: beat's push_due
        # starts a pass for every connection with due work within a tick.
        log.warning(
            "could not enqueue a push for connection %s; beat will start it",
            connection_pk,
            exc_info=True,
        )


@shared_task(name="qbo.tasks.push_due")
def push_due() -> int:
    """Beat: a pass for every QBO connection with due work or a health check to make,
    and the hard-expiry warnings. Safe on several workers (the pass lease)."""
    now = timezone.now()
    started = 0
    for qbo in QboConnection.objects.select_related("connection").filter(
        connection__is_active=True, status=QboConnection.Status.ACTIVE
    ):
        tokens.warn_hard_expiry(qbo, now)
        connection = qbo.connection
        quiet = connection.last_contact_at is None or now - connection.last_contact_at >= (
            push.PING_EVERY
        )
        if (
            quiet
            or QueuedObject.objects.filter(connection=connection).has_due_work(now)
            or feed.is_due(connection, now)
        ):
            push_connection.delay(connection.pk)
            started += 1
    return started


@shared_task(name="qbo.tasks.purge_old_calls")
def purge_old_calls() -> dict[str, int]:
    now = timezone.now()
    return {
        "calls": QboCall.objects.purge(now - timedelta(days=settings.RETENTION_DAYS)),
        "authorizations": Authorization.objects.purge(now - timedelta(days=1)),
    }


from qbo import event_tasks  # noqa: E402, F401
