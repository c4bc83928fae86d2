"""Where a QuickBooks Online connection's calls go, from settings (qbo-api.md §2, §3.1).

Intuit's hosts unless a setting names another; a sandbox connection uses the sandbox
API host when QBO_API_BASE is unset. Tests and demos point every URL at the local
double (qbo.double) on a loopback port: plain http:// is refused anywhere else, so a
token never crosses a network in clear text.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PRODUCTION_API = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
SCOPE = "com.intuit.quickbooks.accounting"


@dataclass(frozen=True)
class Endpoints:
    api_base: str  # …/v3: the company URL is {api_base}/company/{realm}
    token_url: str
    authorize_url: str
    revoke_url: str

    def company_url(self, realm_id: str) -> str:
        return f"{self.api_base}/company/{realm_id}"


def endpoints_for(environment: str) -> Endpoints:
    """The URLs of a connection in `environment` ("production" or "sandbox")."""
    default_api = SANDBOX_API if environment == "sandbox" else PRODUCTION_API
    found = Endpoints(
        api_base=(settings.QBO_API_BASE or default_api).rstrip("/"),
        token_url=settings.QBO_TOKEN_URL or TOKEN_URL,
        authorize_url=settings.QBO_AUTHORIZE_URL or AUTHORIZE_URL,
        revoke_url=settings.QBO_REVOKE_URL or REVOKE_URL,
    )
    for name, url in (
        ("QBO_API_BASE", found.api_base),
        ("QBO_TOKEN_URL", found.token_url),
        ("QBO_AUTHORIZE_URL", found.authorize_url),
        ("QBO_REVOKE_URL", found.revoke_url),
    ):
        check_url(name, url)
    return found


def check_url(name: str, url: str) -> None:
    """https anywhere; http only to a loopback address (the local double)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback(parts.hostname or ""):
        return
    raise ImproperlyConfigured(
        f"{name}={url!r}: QuickBooks Online is reached over https:// "
        "(http:// only to a loopback address such as 127.0.0.1)"
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri() -> str:
    """Where Intuit sends the operator back after consenting (the app's setting)."""
    return settings.QBO_REDIRECT_URI or f"{settings.SITE_ROOT}/qbo/callback"
