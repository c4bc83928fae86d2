"""The token manager: one refresh at a time per company, the rotated token never lost.

Two workers refreshing with one refresh token is what breaks QBO connections (qbo-api.md
§3.3): Intuit rotates the refresh token, and whoever stores the older one bricks the
grant a day later. So a refresh happens inside a transaction holding the row lock of the
QboConnection, re-reads the row after taking it (another worker may have refreshed
meanwhile), and stores the new pair before the lock is released. The access token is
reused while more than five minutes of it remain.

Call these outside any transaction of the caller: inside one, the row lock would be held
(and a needs_reconnect mark could be rolled back) until the caller's commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.alerts import open_incident
from connections.models import Connection
from connections.tasks import deliver_alert
from qbo import oauth
from qbo.endpoints import endpoints_for
from qbo.errors import AuthFailed, Paused, QboError, ReconnectNeeded, Transient
from qbo.models import QboConnection

log = logging.getLogger(__name__)

ACCESS_MARGIN = timedelta(minutes=5)
_TOKEN_FIELDS = (
    "access_token",
    "access_expires_at",
    "refresh_token",
    "refresh_expires_at",
    "refresh_hard_expires_at",
    "status",
    "last_error",
    "last_error_at",
    "last_intuit_tid",
    "updated_at",
)


def access_token(qbo: QboConnection) -> str:
    """A usable access token: the stored one while it has over 5 minutes, else a new one."""
    check_usable(qbo)
    if qbo.access_token_fresh(timezone.now(), ACCESS_MARGIN):
        return str(qbo.access_token)
    return refresh(qbo)


def refresh(qbo: QboConnection, spent: str | None = None) -> str:
    """Refresh the token pair under the row lock and return the new access token.

    `spent` is the access token QuickBooks refused (a 401); when the stored one differs
    from it and is fresh, another worker refreshed first and that one is used.
    """
    spent = qbo.access_token if spent is None else spent
    failure: oauth.OAuthError | None = None
    with transaction.atomic():
        locked = QboConnection.objects.select_for_update().get(pk=qbo.pk)
        check_usable(locked)
        now = timezone.now()
        if locked.access_token != spent and locked.access_token_fresh(now, ACCESS_MARGIN):
            _copy(locked, qbo)
            return str(locked.access_token)
        try:
            tokens = oauth.refresh_grant(
                endpoints_for(locked.environment),
                locked.effective_client_id,
                locked.effective_client_secret,
                locked.refresh_token,
                now,
            )
        except oauth.OAuthUnavailable as exc:
            raise Transient(message="token refresh failed", detail=str(exc)) from exc
        except oauth.OAuthError as exc:
            failure = exc
        else:
            locked.store_tokens(tokens, now)
            _copy(locked, qbo)
            return str(locked.access_token)
    # Outside the transaction: the raise below must not roll back the mark and the alert.
    assert failure is not None
    reason = f"token refresh refused: {failure}"
    error: type[QboError]
    if failure.needs_reconnect:
        mark_needs_reconnect(qbo, reason, failure.intuit_tid)
        error = ReconnectNeeded
    else:
        qbo.record_failure(reason, failure.intuit_tid)
        error = AuthFailed
    raise error(
        status=failure.status,
        code=failure.error,
        message="token refresh refused",
        detail=failure.description,
        intuit_tid=failure.intuit_tid,
    ) from failure


def check_usable(qbo: QboConnection) -> None:
    """Raise unless calls may be made for `qbo` (active, a realm and a refresh token)."""
    if qbo.status == QboConnection.Status.PAUSED:
        raise Paused(message="connection paused", detail=str(qbo.connection))
    if qbo.status == QboConnection.Status.NEEDS_RECONNECT:
        raise ReconnectNeeded(
            message="connection needs reconnecting", detail=qbo.last_error or str(qbo.connection)
        )
    if not qbo.is_connected:
        raise ReconnectNeeded(message="not connected to QuickBooks Online", detail=str(qbo))


def mark_needs_reconnect(qbo: QboConnection, reason: str, intuit_tid: str = "") -> bool:
    """Stop calling Intuit for `qbo` and tell the operators (once, by whoever wins)."""
    now = timezone.now()
    with transaction.atomic():
        if not qbo.mark_needs_reconnect(reason, intuit_tid, now):
            return False
        log.warning("QBO connection %s needs reconnecting: %s", qbo.pk, reason)
        connection = Connection.objects.select_related("qbo").get(pk=qbo.connection_id)
        _alert(connection, now, connection.unhealthy_reason(now))
    return True


def connect(qbo: QboConnection, tokens: oauth.TokenSet, realm_id: str, now: datetime) -> None:
    """Keep a new grant (the OAuth callback, an import): active again, tokens stored."""
    with transaction.atomic():
        # A refresh of the old grant in flight would store its pair over the new one.
        QboConnection.objects.select_for_update().get(pk=qbo.pk)
        qbo.mark_connected(tokens, realm_id, now)


def disconnect(qbo: QboConnection) -> None:
    """Revoke the grant at Intuit and forget its tokens, even when Intuit refuses."""
    now = timezone.now()
    with transaction.atomic():
        locked = QboConnection.objects.select_for_update().get(pk=qbo.pk)
        token = locked.refresh_token or locked.access_token
        if token:
            try:
                oauth.revoke_token(
                    endpoints_for(locked.environment),
                    locked.effective_client_id,
                    locked.effective_client_secret,
                    token,
                )
            except oauth.OAuthError as exc:
                _report_revoke(locked, f"revoke refused: {exc}", exc.intuit_tid)
            except oauth.OAuthUnavailable as exc:
                _report_revoke(locked, f"revoke failed: {exc}", "")
        locked.clear_tokens(now)
        _copy(locked, qbo)


def warn_hard_expiry(qbo: QboConnection, now: datetime) -> bool:
    """Alert once when the grant's 5-year hard expiry is near; True if this call warned."""
    expires = qbo.refresh_hard_expires_at
    if expires is None or qbo.status != QboConnection.Status.ACTIVE:
        return False
    if expires - now > timedelta(days=settings.QBO_HARD_EXPIRY_WARNING_DAYS):
        return False
    with transaction.atomic():
        if not qbo.mark_hard_expiry_warned(now):
            return False
        connection = Connection.objects.get(pk=qbo.connection_id)
        _alert(
            connection,
            now,
            f"The QuickBooks Online authorization of {connection.connection_id} ends on "
            f"{expires:%Y-%m-%d} (Intuit's 5-year limit). Reconnect it from the admin before then.",
        )
    return True


def _report_revoke(qbo: QboConnection, message: str, intuit_tid: str) -> None:
    # The grant may live on at Intuit until it expires; the operator sees why.
    log.warning("QBO connection %s: %s", qbo.pk, message)
    qbo.record_failure(message, intuit_tid)


def _alert(connection: Connection, now: datetime, summary: str) -> None:
    for delivery_id in open_incident(connection, now, summary):
        deliver_alert.delay_on_commit(delivery_id)


def _copy(source: QboConnection, target: QboConnection) -> None:
    if source is target:
        return
    for name in _TOKEN_FIELDS:
        setattr(target, name, getattr(source, name))
