"""Connect a QuickBooks Online company to a connection, and disconnect it (qbo-api.md §3.2).

"Connect to QuickBooks" in the admin calls `begin`, which returns Intuit's authorize URL;
Intuit sends the operator back to /qbo/callback, which calls `finish`. The OAuth `state`
is random, single use, short-lived and bound to the connection and to the operator's
browser session: a callback carrying someone else's state (login CSRF, a link mailed
around) never attaches their QuickBooks company to our connection.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from connections.encryption import DecryptionError
from connections.models import Connection
from qbo import oauth
from qbo.endpoints import endpoints_for, redirect_uri
from qbo.models import Authorization, QboConnection

# Intuit's codes live a few minutes; an operator who takes longer starts again.
STATE_LIFETIME = timedelta(minutes=10)


class ConnectError(Exception):
    """Connecting failed; the message is for the operator. `connection` is the connection
    the attempt belonged to, when it is known."""

    def __init__(self, message: str, connection: Connection | None = None) -> None:
        super().__init__(message)
        self.connection = connection


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def session_key(request: HttpRequest) -> str:
    if request.session.session_key is None:
        request.session.save()
    key = request.session.session_key
    assert key is not None  # save() gives a session its key
    return key


def begin(connection: Connection, request: HttpRequest) -> str:
    """Start connecting `connection`: remember a fresh state, return Intuit's authorize URL."""
    if connection.backend != Connection.Backend.QBO:
        raise ConnectError(f"{connection} is not a QuickBooks Online connection.", connection)
    qbo, _ = QboConnection.objects.get_or_create(connection=connection)
    client_id = qbo.effective_client_id
    if not client_id:
        raise ConnectError(
            "No OAuth client: set QBO_CLIENT_ID and QBO_CLIENT_SECRET (or the connection's "
            "own client) before connecting.",
            connection,
        )
    endpoints = endpoints_for(qbo.environment)
    state = secrets.token_urlsafe(32)
    Authorization.objects.create(
        connection=connection,
        state_hash=digest(state),
        session_key_hash=digest(session_key(request)),
        created_by=request.user.get_username() if request.user.is_authenticated else "",
    )
    return oauth.authorize_url(endpoints, client_id, redirect_uri(), state)


def finish(
    request: HttpRequest, state: str, code: str, realm_id: str, error: str = ""
) -> QboConnection:
    """Complete the flow `begin` started: check the state, exchange the code, keep the grant.

    `error` is Intuit's answer when the operator declined (access_denied) or the request
    was refused; the state is still checked and spent, so the page names the connection.
    """
    now = timezone.now()
    authorization = claim(request, state, now)
    connection = authorization.connection
    if error:
        raise ConnectError(f"QuickBooks did not authorize {connection}: {error}.", connection)
    if not code or not realm_id or len(realm_id) > 32:
        raise ConnectError(
            "QuickBooks' answer lacks the authorization code or the company (realmId).",
            connection,
        )
    qbo, _ = QboConnection.objects.get_or_create(connection=connection)
    endpoints = endpoints_for(qbo.environment)
    try:
        tokens = oauth.exchange_code(
            endpoints,
            qbo.effective_client_id,
            qbo.effective_client_secret,
            code,
            redirect_uri(),
            now,
        )
    except oauth.OAuthError as exc:
        qbo.record_failure(f"authorization code refused: {exc.error}", exc.intuit_tid)
        raise ConnectError(
            f"Intuit refused the authorization code ({exc.error}); press Connect again.",
            connection,
        ) from exc
    except oauth.OAuthUnavailable as exc:
        raise ConnectError(
            f"Intuit's token endpoint could not be reached ({exc}); press Connect again.",
            connection,
        ) from exc
    with transaction.atomic():
        # The token manager refreshes under this lock; a connect replaces the pair wholesale.
        qbo = QboConnection.objects.select_for_update().get(pk=qbo.pk)
        if qbo.realm_id and qbo.realm_id != realm_id and qbo.is_connected:
            # Records synced so far carry the first company's ids (qbo-api.md §3.4).
            raise ConnectError(
                f"{connection} is connected to QuickBooks company {qbo.realm_id}, and the "
                f"authorization was for company {realm_id}. Disconnect first, or use a "
                "new connection for the other company.",
                connection,
            )
        qbo.realm_id = realm_id
        qbo.save(update_fields=["realm_id"])
        qbo.store_tokens(tokens, now)
        QboConnection.objects.filter(pk=qbo.pk).update(
            status=QboConnection.Status.ACTIVE,
            connected_at=now,
            last_error="",
            last_error_at=None,
            hard_expiry_warned_at=None,
        )
    qbo.refresh_from_db()
    return qbo


def claim(request: HttpRequest, state: str, now: datetime) -> Authorization:
    """Spend the state: known, from this browser session, young enough, used only once."""
    authorization = (
        Authorization.objects.select_related("connection").filter(state_hash=digest(state)).first()
        if state
        else None
    )
    if authorization is None:
        raise ConnectError("This QuickBooks authorization is unknown. Press Connect again.")
    connection = authorization.connection
    key = request.session.session_key or ""
    if not key or not hmac.compare_digest(digest(key), authorization.session_key_hash):
        raise ConnectError(
            "This QuickBooks authorization was started in another browser session. "
            "Press Connect again from this browser.",
            connection,
        )
    if authorization.created_at < now - STATE_LIFETIME:
        raise ConnectError(
            "This QuickBooks authorization expired (10 minutes). Press Connect again.",
            connection,
        )
    won = Authorization.objects.filter(pk=authorization.pk, used_at__isnull=True).update(
        used_at=now
    )
    if won != 1:
        raise ConnectError(
            "This QuickBooks authorization was already used. Press Connect again.", connection
        )
    return authorization


def disconnect(qbo: QboConnection) -> str:
    """Revoke the grant at Intuit and forget the tokens, whatever Intuit answers."""
    with transaction.atomic():
        # Under the token manager's lock: no refresh writes a new pair after the wipe.
        qbo = QboConnection.objects.select_for_update().get(pk=qbo.pk)
        try:
            token = qbo.refresh_token or qbo.access_token
        except DecryptionError:
            token = ""
        if not token:
            outcome = "There was no token to revoke"
        else:
            try:
                oauth.revoke_token(
                    endpoints_for(qbo.environment),
                    qbo.effective_client_id,
                    qbo.effective_client_secret,
                    token,
                )
                outcome = "Intuit revoked the authorization"
            except oauth.OAuthError as exc:
                outcome = f"Intuit refused to revoke ({exc.error}); it may already have ended"
            except oauth.OAuthUnavailable as exc:
                outcome = (
                    f"Intuit could not be reached ({exc}); remove the app from the company "
                    "in QuickBooks to end the authorization there"
                )
        QboConnection.objects.filter(pk=qbo.pk).update(
            access_token="",
            access_expires_at=None,
            refresh_token="",
            refresh_expires_at=None,
            refresh_hard_expires_at=None,
            connected_at=None,
            updated_at=timezone.now(),
        )
    return f"{outcome}; the stored tokens of {qbo.connection} were removed."
