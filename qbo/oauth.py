"""Intuit's OAuth 2.0 endpoints, one HTTP call each (qbo-api.md §3).

No state here: qbo.tokens decides when to refresh and stores what comes back (under a
row lock); the admin's "Connect to QuickBooks" builds the authorize URL and exchanges
the code. Token answers are never logged; errors name Intuit's `error` code only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings

import qbsync
from qbo.endpoints import SCOPE, Endpoints


class OAuthError(Exception):
    """The token endpoint refused: `error` is Intuit's code (invalid_grant, …)."""

    def __init__(self, error: str, description: str, status: int, intuit_tid: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status
        self.intuit_tid = intuit_tid

    @property
    def needs_reconnect(self) -> bool:
        """The grant is dead (revoked, expired, rotated away): only a person can fix it."""
        return self.error in {"invalid_grant", "invalid_client", "unauthorized_client"}


class OAuthUnavailable(Exception):
    """The token endpoint could not be reached or answered 5xx: try again later."""


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    refresh_hard_expires_at: datetime | None

    @classmethod
    def from_answer(cls, answer: dict[str, Any], now: datetime) -> TokenSet:
        def after(key: str) -> datetime | None:
            value = answer.get(key)
            return now + timedelta(seconds=int(value)) if value is not None else None

        try:
            return cls(
                access_token=str(answer["access_token"]),
                refresh_token=str(answer["refresh_token"]),
                access_expires_at=now + timedelta(seconds=int(answer.get("expires_in", 3600))),
                refresh_expires_at=after("x_refresh_token_expires_in"),
                refresh_hard_expires_at=after("x_refresh_token_hard_expires_in"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OAuthError("invalid_response", f"token answer lacks {exc}", 200) from exc


def authorize_url(endpoints: Endpoints, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{endpoints.authorize_url}?{query}"


def exchange_code(
    endpoints: Endpoints,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    now: datetime,
) -> TokenSet:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return TokenSet.from_answer(_token_call(endpoints, client_id, client_secret, form), now)


def refresh_grant(
    endpoints: Endpoints, client_id: str, client_secret: str, refresh_token: str, now: datetime
) -> TokenSet:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return TokenSet.from_answer(_token_call(endpoints, client_id, client_secret, form), now)


def revoke_token(endpoints: Endpoints, client_id: str, client_secret: str, token: str) -> None:
    """Revoke the grant (the refresh token, or an access token, ends the whole grant)."""
    answer = _post(
        "revoke",
        endpoints.revoke_url,
        (client_id, client_secret),
        {"Content-Type": "application/json"},
        content=json.dumps({"token": token}).encode(),
    )
    if answer.status_code >= 400:
        raise _error(answer)


def _token_call(
    endpoints: Endpoints, client_id: str, client_secret: str, form: dict[str, str]
) -> dict[str, Any]:
    answer = _post(
        "token endpoint",
        endpoints.token_url,
        (client_id, client_secret),
        {"x-include-refresh-token-hard-expires-in": "true"},
        data=form,
    )
    if answer.status_code != 200:
        raise _error(answer)
    try:
        body = answer.json()
    except ValueError as exc:
        raise OAuthError("invalid_response", "token answer is not JSON", 200) from exc
    if not isinstance(body, dict):
        raise OAuthError("invalid_response", "token answer is not an object", 200)
    return body


def _post(
    what: str, url: str, auth: tuple[str, str], headers: dict[str, str], **body: Any
) -> httpx.Response:
    """POST to one of Intuit's OAuth endpoints; OAuthUnavailable when it cannot answer
    (no connection, a timeout, a 5xx): nothing is decided about the grant then."""
    try:
        answer = httpx.post(
            url,
            auth=auth,
            headers=_headers(headers),
            timeout=settings.QBO_TIMEOUT_SECONDS,
            **body,
        )
    except httpx.HTTPError as exc:
        raise OAuthUnavailable(f"{what}: {type(exc).__name__}") from exc
    if answer.status_code >= 500:
        raise OAuthUnavailable(f"{what}: HTTP {answer.status_code}")
    return answer


def _error(answer: httpx.Response) -> OAuthError:
    tid = answer.headers.get("intuit_tid", "")
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or f"http_{answer.status_code}")
    description = str(body.get("error_description") or "")
    return OAuthError(error, description[:500], answer.status_code, tid)


def _headers(extra: dict[str, str]) -> dict[str, str]:
    return {"Accept": "application/json", "User-Agent": f"qbsync/{qbsync.__version__}", **extra}
