"""Intuit's OAuth 2.0 server: authorization codes, tokens, rotation with grace, revocation.

One `Grant` is one company connected to one app. Its refresh token rotates (every refresh,
or once per `rotation_interval` of simulated time, spec §3.3); a rotated-away token keeps
working for `grace_period` and then answers `invalid_grant`, which is what breaks real
connections when two workers refresh at once.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from qbo.double.clock import Clock

SCOPE = "com.intuit.quickbooks.accounting"
ACCESS_LIFETIME = 3600
REFRESH_LIFETIME = 8_726_400  # x_refresh_token_expires_in as Intuit sends it (~101 days)
HARD_LIFETIME = 5 * 365 * 86_400  # the 5-year absolute cap announced 2025-11-12
CODE_LIFETIME = 300
DAY = 86_400


class OAuthError(Exception):
    """An OAuth answer other than 200: `{"error": ...}` with its HTTP status."""

    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def invalid_grant(description: str = "Incorrect or invalid refresh token") -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uris: set[str] = field(default_factory=set)  # empty: any redirect accepted


@dataclass
class Grant:
    client_id: str
    realm_id: str
    scope: str
    hard_expires_at: datetime
    current: RefreshToken | None = None
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    grant: Grant
    minted_at: datetime
    expires_at: datetime
    superseded_at: datetime | None = None


@dataclass
class AccessToken:
    value: str
    grant: Grant
    expires_at: datetime


@dataclass
class Code:
    value: str
    client_id: str
    realm_id: str
    redirect_uri: str
    scope: str
    expires_at: datetime
    used: bool = False


class OAuthServer:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.grants: list[Grant] = []
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        # 0 rotates on every refresh; Intuit rotates about once a day.
        self.rotation_interval: float = DAY
        self.grace_period: float = DAY
        self.access_lifetime: float = ACCESS_LIFETIME
        self.refresh_lifetime: float = REFRESH_LIFETIME
        self.hard_lifetime: float = HARD_LIFETIME
        self.code_lifetime: float = CODE_LIFETIME
        self.deny_next_authorization = False

    def add_client(
        self, client_id: str, secret: str, redirect_uris: set[str] | None = None
    ) -> None:
        with self.lock:
            self.clients[client_id] = Client(client_id, secret, set(redirect_uris or ()))

    # authorization endpoint

    def authorize(self, params: dict[str, str], realm_id: str) -> str:
        """Return the redirect location after the (always consenting) user picked `realm_id`."""
        with self.lock:
            client = self.clients.get(params.get("client_id", ""))
            redirect_uri = params.get("redirect_uri", "")
            if client is None:
                raise OAuthError(400, "invalid_client", "Unknown client_id")
            if not redirect_uri or (
                client.redirect_uris and redirect_uri not in client.redirect_uris
            ):
                raise OAuthError(400, "invalid_request", "redirect_uri is not registered")
            answer: dict[str, str] = {}
            if "state" in params:
                answer["state"] = params["state"]
            scopes = params.get("scope", "").split()
            if params.get("response_type") != "code":
                answer["error"] = "unsupported_response_type"
            elif SCOPE not in scopes:
                answer["error"] = "invalid_scope"
            elif self.deny_next_authorization:
                self.deny_next_authorization = False
                answer["error"] = "access_denied"
            else:
                code = Code(
                    "AB" + secrets.token_urlsafe(30),
                    client.client_id,
                    realm_id,
                    redirect_uri,
                    " ".join(scopes),
                    self.clock.now() + timedelta(seconds=self.code_lifetime),
                )
                self.codes[code.value] = code
                answer = {"code": code.value, **answer, "realmId": realm_id}
            separator = "&" if "?" in redirect_uri else "?"
            return redirect_uri + separator + urlencode(answer)

    # token endpoint

    def authenticate(self, authorization: str | None, form: dict[str, str]) -> Client:
        """client_secret_basic or client_secret_post; anything else is `invalid_client`."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, secret = decoded.partition(":")
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            raise OAuthError(401, "invalid_client")
        return client

    def token(
        self, authorization: str | None, form: dict[str, str], include_hard: bool
    ) -> dict[str, Any]:
        with self.lock:
            client = self.authenticate(authorization, form)
            grant_type = form.get("grant_type", "")
            if grant_type == "authorization_code":
                grant = self._redeem_code(client, form)
            elif grant_type == "refresh_token":
                grant = self._use_refresh_token(client, form.get("refresh_token", ""))
            else:
                raise OAuthError(400, "unsupported_grant_type")
            return self._answer(grant, include_hard)

    def _redeem_code(self, client: Client, form: dict[str, str]) -> Grant:
        code = self.codes.get(form.get("code", ""))
        if code is None or code.used or code.client_id != client.client_id:
            raise invalid_grant("Invalid authorization code")
        if self.clock.now() >= code.expires_at:
            raise invalid_grant("Authorization code expired")
        if form.get("redirect_uri", "") != code.redirect_uri:
            raise invalid_grant("redirect_uri does not match the authorization request")
        code.used = True
        return self.connect(client.client_id, code.realm_id, code.scope)

    def connect(self, client_id: str, realm_id: str, scope: str = SCOPE) -> Grant:
        """Start a grant; a second authorisation of the same app and company replaces the first."""
        with self.lock:
            for old in self.grants:
                if old.client_id == client_id and old.realm_id == realm_id:
                    old.revoked = True
            now = self.clock.now()
            grant = Grant(client_id, realm_id, scope, now + timedelta(seconds=self.hard_lifetime))
            self.grants.append(grant)
            self._mint_refresh_token(grant)
            return grant

    def _mint_refresh_token(self, grant: Grant) -> RefreshToken:
        now = self.clock.now()
        if grant.current is not None:
            grant.current.superseded_at = now
        token = RefreshToken(
            "RT1-" + secrets.token_urlsafe(32),
            grant,
            now,
            now + timedelta(seconds=self.refresh_lifetime),
        )
        grant.current = token
        self.refresh_tokens[token.value] = token
        return token

    def _use_refresh_token(self, client: Client, value: str) -> Grant:
        token = self.refresh_tokens.get(value)
        if token is None or token.grant.client_id != client.client_id:
            raise invalid_grant()
        grant, now = token.grant, self.clock.now()
        if grant.revoked or now >= grant.hard_expires_at or now >= token.expires_at:
            raise invalid_grant()
        if token.superseded_at is not None:
            if now >= token.superseded_at + timedelta(seconds=self.grace_period):
                raise invalid_grant()
            # Within the grace period the stale token is answered with the current one.
            return grant
        if now - token.minted_at >= timedelta(seconds=self.rotation_interval):
            self._mint_refresh_token(grant)
        else:
            # Rolling lifetime: a token in use does not die after 100 days.
            token.expires_at = now + timedelta(seconds=self.refresh_lifetime)
        return grant

    def _answer(self, grant: Grant, include_hard: bool) -> dict[str, Any]:
        assert grant.current is not None
        now = self.clock.now()
        access = AccessToken(
            "eyJ" + secrets.token_urlsafe(48), grant, now + timedelta(seconds=self.access_lifetime)
        )
        self.access_tokens[access.value] = access
        refresh_left = min(grant.current.expires_at, grant.hard_expires_at) - now
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access.value,
            "expires_in": int(self.access_lifetime),
            "refresh_token": grant.current.value,
            "x_refresh_token_expires_in": int(refresh_left.total_seconds()),
        }
        if include_hard:
            hard_left = grant.hard_expires_at - now
            body["x_refresh_token_hard_expires_in"] = int(hard_left.total_seconds())
        return body

    def issue(self, client_id: str, realm_id: str, include_hard: bool = False) -> dict[str, Any]:
        """Connect without the browser dance (seeding a demo connection, test set-up)."""
        with self.lock:
            return self._answer(self.connect(client_id, realm_id), include_hard)

    # revocation

    def revoke(self, authorization: str | None, value: str) -> None:
        with self.lock:
            client = self.authenticate(authorization, {})
            found: RefreshToken | AccessToken | None = self.refresh_tokens.get(
                value
            ) or self.access_tokens.get(value)
            if found is None:
                return  # RFC 7009: an unknown token is not an error
            if found.grant.client_id != client.client_id:
                raise OAuthError(400, "invalid_request", "Token belongs to another client")
            found.grant.revoked = True

    # the API gateway's view

    def check_access(self, value: str) -> AccessToken:
        """Return the live access token or raise `LookupError` with the 401 detail."""
        with self.lock:
            token = self.access_tokens.get(value)
            if token is None:
                raise LookupError(f"Token invalid: {value[:8]}...")
            if token.grant.revoked:
                raise LookupError("Token revoked")
            if self.clock.now() >= token.expires_at:
                raise LookupError(f"Token expired: {value[:8]}...")
            return token

    def expire_access_tokens(self, realm_id: str | None = None) -> int:
        """Make every live access token (of one realm) expired now; return how many."""
        with self.lock:
            now, count = self.clock.now(), 0
            for token in self.access_tokens.values():
                if realm_id in (None, token.grant.realm_id) and token.expires_at > now:
                    token.expires_at = now
                    count += 1
            return count

    def current_refresh_token(self, client_id: str, realm_id: str) -> str | None:
        with self.lock:
            for grant in reversed(self.grants):
                if grant.client_id == client_id and grant.realm_id == realm_id:
                    if grant.revoked or grant.current is None:
                        return None
                    return grant.current.value
            return None
