"""Who may call /api/v1/connections/<connection_id>/: a bearer API key of that connection.

A key of another connection gets the same 404 as a connection that does not exist, so a
key never learns which other connections there are; a read-only key writing gets 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from connections.api_keys import ApiKey, find_key

KEYWORD = "Bearer"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        kind, _, raw = header.partition(" ")
        if kind.lower() != KEYWORD.lower() or not raw.strip():
            raise AuthenticationFailed("Authorization: expected 'Bearer <API key>'")
        key = find_key(raw.strip())
        if key is None:
            raise AuthenticationFailed("unknown or revoked API key")
        key.mark_used(timezone.now())
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="qbsync"'


class IsKeyOfConnection(BasePermission):
    """The URL's connection is the key's; writing needs a read-write key."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False  # no key: 401 with the WWW-Authenticate challenge
        if key.connection.connection_id != view.kwargs.get("connection_id"):
            raise NotFound()
        if request.method not in SAFE_METHODS and not key.can_write:
            raise PermissionDenied("this API key is read-only")
        return True


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "objects.api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "qbs_<public id>_<secret>"}
