"""Callbacks of finished Desktop queries: the answer POSTed to the caller's callback_url,
signed like alert webhooks (connections.alerts.sign with the connection's alert secret).

Retries live in the Operation row (callback_next_at, backing off 1, 2, 4 … minutes up to
ALERT_MAX_ATTEMPTS), as AlertDelivery's do: a broker restart loses none. The receiver
drops duplicates by X-Qbsync-Delivery (the operation id, stable across retries).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from connections import http
from connections.alerts import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from connections.models import Connection
from objects.api.answers import describe
from objects.api.queries import ApiError
from objects.models import Operation

log = logging.getLogger(__name__)

EVENT = "operation.finished"
# Longer than one attempt (the POST's timeout): only a dead worker's attempt is retried.
CLAIM_LEASE = timedelta(minutes=2)


def check_url(connection: Connection, url: str) -> str:
    """The callback URL to keep, or ApiError: http(s), and a secret to sign with."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise ApiError(400, "callback_url: must be an http or https URL")
    if not connection.alert_secret:
        raise ApiError(
            400,
            "callback_url: the connection has no alert secret to sign callbacks with; "
            "set one in the admin first",
        )
    return url


def body_of(operation: Operation) -> bytes:
    described = describe(settings.SITE_ROOT, operation)
    if operation.state == Operation.State.FAILED:
        answer = {"error": operation.error, "operation": described}
    else:
        answer = {**(operation.result or {}), "operation": described}
    return json.dumps(answer, separators=(",", ":"), sort_keys=True).encode("utf-8")


def deliver(operation_id: int, now: datetime | None = None) -> bool:
    """One attempt at a due callback; True when the receiver took it."""
    now = now or timezone.now()
    operation = Operation.objects.select_related("connection").filter(pk=operation_id).first()
    if operation is None or not operation.claim_callback(now, CLAIM_LEASE):
        return False  # sent, given up, backing off, or another worker has it
    try:
        body = body_of(operation)
        headers = {
            SIGNATURE_HEADER: sign(operation.connection.alert_secret, int(now.timestamp()), body),
            EVENT_HEADER: EVENT,
            DELIVERY_HEADER: str(operation.public_id),
        }
        http.post_json(operation.callback_url, body, headers, settings.ALERT_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure is retried, never lost
        error = str(exc) or exc.__class__.__name__
        operation.mark_callback_failed(now, error, settings.ALERT_MAX_ATTEMPTS)
        log.warning("callback of operation %s failed: %s", operation.public_id, error)
        return False
    operation.mark_callback_sent(now)
    return True


def due(now: datetime, limit: int = 100) -> list[int]:
    return list(
        Operation.objects.callbacks_due(now)
        .order_by("callback_next_at")
        .values_list("pk", flat=True)[:limit]
    )
