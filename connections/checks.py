"""System checks for production misconfiguration (STYLE §12)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    from qbsync.settings import DEVELOPMENT_SECRET_KEY

    if settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development key.",
                hint="Set SECRET_KEY in the environment (see .env.example).",
                id="qbsync.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_site_root(app_configs: Any, **kwargs: Any) -> list[Warning]:
    root = settings.SITE_ROOT
    local = any(h in root for h in ("://localhost", "://127.0.0.1", "://[::1]"))
    if not root.startswith("https://") and not local:
        return [
            Warning(
                "SITE_ROOT is not https: the Web Connector refuses http AppURLs"
                " except on localhost.",
                hint="Set SITE_ROOT=https://your.host",
                id="qbsync.W001",
            )
        ]
    return []


@register(Tags.security)
def check_field_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A malformed key stops `check`/`migrate` at once, not the first read of a secret."""
    from connections.encryption import EncryptionKeyError, key_ring

    try:
        key_ring()
    except EncryptionKeyError as exc:
        return [
            Error(
                str(exc),
                hint="Fix FIELD_ENCRYPTION_KEYS (see docs/security.md).",
                id="qbsync.E002",
            )
        ]
    return []
