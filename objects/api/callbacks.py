"""Callbacks of finished Desktop queries: the answer POSTed to the caller's callback_url,
signed like alert webhooks with the connection's alert secret.

Retries live in an OperationCallback row (a connections.deliveries.Delivery, backing off
1, 2, 4 … minutes up to ALERT_MAX_ATTEMPTS), as alerts' do: a broker restart loses none.
The receiver drops duplicates by X-Qbsync-Delivery (the operation id, stable across
retries).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from connections.deliveries import DELIVERY_HEADER, EVENT_HEADER, attempt, post_signed
from connections.models import Connection
from objects.api.answers import describe
from objects.api.queries import ApiError
from objects.models import Operation, OperationCallback

EVENT = "operation.finished"


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


def answer_of(operation: Operation) -> dict[str, Any]:
    described = describe(settings.SITE_ROOT, operation)
    if operation.state == Operation.State.FAILED:
        return {"error": operation.error, "operation": described}
    return {**(operation.result or {}), "operation": described}


def deliver(callback_id: int, now: datetime | None = None) -> bool:
    """One attempt at a due callback; True when the receiver took it."""
    now = now or timezone.now()
    callback = (
        OperationCallback.objects.select_related("operation__connection")
        .filter(pk=callback_id)
        .first()
    )
    if callback is None:
        return False
    operation = callback.operation

    def send() -> None:
        post_signed(
            operation.callback_url,
            operation.connection.alert_secret,
            answer_of(operation),
            {EVENT_HEADER: EVENT, DELIVERY_HEADER: str(operation.public_id)},
            now,
            settings.ALERT_TIMEOUT_SECONDS,
        )

    what = f"callback of operation {operation.public_id}"
    return attempt(callback, now, send, settings.ALERT_MAX_ATTEMPTS, what)


def due(now: datetime, limit: int = 100) -> list[int]:
    return list(
        OperationCallback.objects.due(now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
