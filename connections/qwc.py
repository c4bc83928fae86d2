"""The .qwc file a user opens in the Web Connector to add a connection (qbwc-protocol §9)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string

from connections.models import Connection

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def app_url(connection: Connection, site_root: str | None = None) -> str:
    """The AppURL: https, unless the host is local (QBWC refuses plain http elsewhere)."""
    root = (site_root or settings.SITE_ROOT).rstrip("/")
    parts = urlsplit(root)
    if parts.scheme == "http" and (parts.hostname or "") not in LOCAL_HOSTS:
        root = "https://" + root[len("http://") :]
    return f"{root}/qbwc/"


def render_qwc(connection: Connection, site_root: str | None = None) -> str:
    url = app_url(connection, site_root)
    # The template engine escapes & < > " ' — valid XML text for every value.
    return render_to_string(
        "connections/connection.qwc",
        {
            "connection": connection,
            "app_name": f"qbsync - {connection.connection_id}",
            "app_url": url,
            "app_support": url.rsplit("/qbwc/", 1)[0] + "/",
        },
    )
