"""Health monitor and alerting: incidents open when a Web Connector goes quiet.

check_health() is the beat-driven step: it opens an Incident for each active
connection whose Web Connector has not called within its threshold and resolves it
once contact resumes, queuing one AlertDelivery per configured channel (e-mail,
signed webhook) each time. deliver() sends one delivery; failures back off in the
row itself (next_attempt_at), so retries survive restarts and any broker.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from connections import http
from connections.deliveries import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    attempt,
    post_signed,
)
from connections.models import AlertDelivery, Connection, Incident

log = logging.getLogger(__name__)


# -- the monitor ------------------------------------------------------------------------
def check_health(now: datetime | None = None) -> list[int]:
    """Open incidents for silent active connections, resolve them on contact.

    Returns the ids of the alert deliveries this created, for the caller to send.
    """
    now = now or timezone.now()
    created: list[int] = []
    open_incidents = {i.connection_id: i for i in Incident.objects.open()}
    for connection in Connection.objects.all():
        incident = open_incidents.get(connection.pk)
        healthy = connection.is_healthy(now=now)
        # A paused connection opens no incident, but one opened before the pause
        # still resolves once its Web Connector calls again.
        if not healthy and incident is None and connection.is_active:
            created += _open_incident(connection, now)
        elif healthy and incident is not None and not connection.needs_attention(now):
            created += _resolve_incident(connection, incident, now)
    return created


def _open_incident(connection: Connection, now: datetime) -> list[int]:
    return open_incident(connection, now, connection.unhealthy_reason(now))


def open_incident(connection: Connection, now: datetime, summary: str) -> list[int]:
    """Open the connection's incident now (unless one is open) and queue its alerts.

    The health monitor calls it for a silent connection; qbo.tokens for a QuickBooks
    Online grant that died (a person must reconnect: waiting for the threshold would
    only delay the alert). Returns the deliveries to send.
    """
    with transaction.atomic():
        incident = Incident.open_for(connection, now, summary)
        if incident is None:
            return []  # another worker opened it first
        log.warning("incident %s opened: %s", incident.pk, summary)
        return _queue_alerts(connection, incident, AlertDelivery.Event.UNHEALTHY, now)


def _resolve_incident(connection: Connection, incident: Incident, now: datetime) -> list[int]:
    with transaction.atomic():
        if not incident.resolve(now):
            return []
        log.info("incident %s resolved: %s called again", incident.pk, connection.connection_id)
        return _queue_alerts(connection, incident, AlertDelivery.Event.RECOVERED, now)


def _queue_alerts(
    connection: Connection, incident: Incident, event: str, now: datetime
) -> list[int]:
    payload = alert_payload(connection, incident, event, now)
    targets: list[tuple[str, str]] = []
    if connection.alert_email_list:
        targets.append((AlertDelivery.Channel.EMAIL, ", ".join(connection.alert_email_list)))
    if connection.alert_url:
        targets.append((AlertDelivery.Channel.WEBHOOK, connection.alert_url))
    rows = [
        AlertDelivery(
            incident=incident,
            channel=channel,
            event=event,
            target=target,
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for channel, target in targets
    ]
    for row in rows:
        row.save()
    return [row.pk for row in rows]


def alert_payload(
    connection: Connection, incident: Incident, event: str, now: datetime
) -> dict[str, Any]:
    """The JSON body of an alert webhook (documented in docs/alerts.md)."""
    admin_path = reverse("admin:connections_connection_change", args=[connection.pk])
    return {
        "event": event,
        "occurred_at": now.isoformat(),
        "connection": {
            "id": connection.connection_id,
            "company_name": connection.company_name,
            "health_threshold_minutes": connection.health_threshold_minutes,
            "last_contact_at": (
                connection.last_contact_at.isoformat() if connection.last_contact_at else None
            ),
            "admin_url": f"{settings.SITE_ROOT}{admin_path}",
        },
        "incident": {
            "id": incident.pk,
            "opened_at": incident.opened_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "summary": incident.summary,
        },
    }


# -- delivery -------------------------------------------------------------------------
def deliver(delivery_id: int, now: datetime | None = None) -> bool:
    """Make one attempt at a delivery that is due; True when it was sent."""
    now = now or timezone.now()
    delivery = (
        AlertDelivery.objects.select_related("incident__connection").filter(pk=delivery_id).first()
    )
    if delivery is None:
        return False

    def send() -> None:
        if delivery.channel == AlertDelivery.Channel.WEBHOOK:
            _post_webhook(delivery, now)
        else:
            _send_email(delivery)

    what = f"alert {delivery.pk} ({delivery.channel})"
    return attempt(delivery, now, send, settings.ALERT_MAX_ATTEMPTS, what)


def due_deliveries(now: datetime | None = None, limit: int = 100) -> list[int]:
    return list(
        AlertDelivery.objects.due(now or timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _post_webhook(delivery: AlertDelivery, now: datetime) -> None:
    secret = delivery.incident.connection.alert_secret
    if not secret:
        raise http.DeliveryError("the connection has no alert secret: set one to sign webhooks")
    headers = {
        EVENT_HEADER: delivery.event,
        # Stable across retries: receivers use it to drop duplicates.
        DELIVERY_HEADER: str(delivery.pk),
    }
    post_signed(
        delivery.target,
        secret,
        delivery.payload,
        headers,
        now,
        timeout=settings.ALERT_TIMEOUT_SECONDS,
    )


def _send_email(delivery: AlertDelivery) -> None:
    payload = delivery.payload
    connection = payload["connection"]
    incident = payload["incident"]
    if delivery.event == AlertDelivery.Event.RECOVERED:
        subject = f"[qbsync] {connection['id']} recovered: the Web Connector is calling again"
        lead = f"The Web Connector of {connection['id']} is calling again."
    else:
        subject = f"[qbsync] {connection['id']} is unhealthy: the Web Connector stopped calling"
        lead = incident["summary"]
    body = "\n".join(
        [
            lead,
            "",
            f"Company: {connection['company_name'] or '(not reported yet)'}",
            f"Last contact: {connection['last_contact_at'] or 'never'}",
            f"Incident opened: {incident['opened_at']}",
            f"Incident resolved: {incident['resolved_at'] or 'not yet'}",
            "",
            "Check that the computer running QuickBooks is on, QuickBooks can open the company",
            "file, and the Web Connector's Auto-Run is ticked for this application.",
            "",
            f"Admin: {connection['admin_url']}",
        ]
    )
    recipients = [a.strip() for a in delivery.target.split(",") if a.strip()]
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
