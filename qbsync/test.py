"""Shared test helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unittest
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

SHARED_DIR = Path(settings.BASE_DIR).parent / "shared"


def require_xsd_dir() -> str:
    """Return Intuit's XSD folder; skip without it locally, fail in CI (CI=true)."""
    directory = settings.QBXML_XSD_DIR
    if directory and (Path(directory) / "v130" / "qbxmlops130.xsd").is_file():
        return str(directory)
    if os.environ.get("CI") == "true":
        raise AssertionError(
            "Intuit's qbXML XSDs are required in CI: set QBXML_XSD_DIR"
            " or put ../shared beside the repo"
        )
    raise unittest.SkipTest("qbXML XSDs not available (set QBXML_XSD_DIR)")


CHROMIUM = "/usr/bin/chromium"


def require_chromium() -> str:
    """Return Debian's Chromium for browser tests; skip without it locally, fail in CI."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            raise AssertionError("playwright is required in CI (requirements-dev.txt)") from exc
        raise unittest.SkipTest("playwright not installed") from exc
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        raise AssertionError(f"{CHROMIUM} is required in CI: apt-get install -y chromium")
    raise unittest.SkipTest(f"{CHROMIUM} not installed (apt-get install -y chromium)")


def shared_file(*parts: str) -> Path:
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            raise AssertionError(f"{path} is required in CI")
        raise unittest.SkipTest(f"{path} not available")
    return path


def require_postgresql(why: str) -> None:
    """Skip a test that needs PostgreSQL (row locks, concurrent transactions, advisory
    locks…) when it runs on SQLite locally; fail it in CI, which runs on PostgreSQL."""
    from django.db import connection as db

    if db.vendor == "postgresql":
        return
    if os.environ.get("CI") == "true":
        raise AssertionError("CI runs the suite on PostgreSQL (DATABASE_URL)")
    raise unittest.SkipTest(why)


def require_celery_broker() -> str:
    """Return the Redis URL for real-worker tests; skip without it locally, fail in CI.

    A worker subprocess reaches the test database only over the network, so these tests
    also need PostgreSQL (SQLite's in-memory test database is invisible to it).
    """
    from django.db import connection as db

    url = os.environ.get("CELERY_TEST_BROKER_URL", "")
    if url and db.vendor == "postgresql":
        return url
    if os.environ.get("CI") == "true":
        raise AssertionError("CI needs CELERY_TEST_BROKER_URL (Redis) and PostgreSQL")
    raise unittest.SkipTest("set CELERY_TEST_BROKER_URL and DATABASE_URL (PostgreSQL)")


class CeleryWorker:
    """A real `celery worker` subprocess on the test database, consuming one queue.

    Use as a context manager; `output` holds what the worker printed once it has stopped.
    """

    def __init__(self, broker_url: str, queue: str, *options: str, **env: str) -> None:
        database = settings.DATABASES["default"]
        self.env = {
            **os.environ,
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": (
                f"postgres://{database['USER']}:{database['PASSWORD']}"
                f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
                f"/{database['NAME']}"
            ),
            **env,
        }
        self.command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "qbsync",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            *options,
        ]
        self.output = ""
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CeleryWorker:
        self.process = subprocess.Popen(
            self.command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.output = self.process.communicate(timeout=30)[0].decode(errors="replace")

    def wait_until(self, is_done: Callable[[], bool], seconds: float = 60) -> None:
        """Poll the database until `is_done()`, or give up after `seconds` (the test then
        fails on its own assertions, with the worker's output)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not is_done():
            time.sleep(0.5)


# -- base classes -------------------------------------------------------------------
import json  # noqa: E402
from typing import Any  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client, LiveServerTestCase, TestCase  # noqa: E402

QBWC_PASSWORD = "s3cret-qbwc-pass"
WEBHOOK_TOKEN = "tok-acme-0123456789"


def make_connection(connection_id: str = "acme", **fields: Any) -> Any:
    from connections.models import Connection

    connection = Connection(
        connection_id=connection_id,
        qbwc_username=fields.pop("qbwc_username", f"{connection_id}-qbd"),
        **fields,
    )
    connection.set_qbwc_password(QBWC_PASSWORD)
    connection.set_webhook_token(WEBHOOK_TOKEN)
    connection.save()
    return connection


class FixturesMixin:
    """A named operator and one Web Connector company file (STYLE §21)."""

    def make_fixtures(self) -> None:
        self.operator = get_user_model().objects.create_superuser("operator", "", "password")
        self.connection = make_connection("acme")

    def webhook(
        self,
        route: str,
        body: dict[str, Any] | str,
        store: str = "acme",
        token: str = WEBHOOK_TOKEN,
        client: Client | None = None,
    ) -> Any:
        client = client or Client()
        data = body if isinstance(body, str) else json.dumps(body)
        return client.post(
            f"/{route}",
            data,
            content_type="application/json",
            HTTP_X_HUB_STORE=store,
            HTTP_X_HUB_TOKEN=token,
        )


class BaseTestCase(FixturesMixin, TestCase):
    def setUp(self) -> None:
        super().setUp()
        self.make_fixtures()


class LiveTestCase(FixturesMixin, LiveServerTestCase):
    """Drives the real HTTP endpoints: webhooks over HTTP, the fake Web Connector over SOAP."""

    def setUp(self) -> None:
        super().setUp()
        self.make_fixtures()
        from qbwc.simulator.quickbooks import FakeQuickBooks

        self.quickbooks = FakeQuickBooks(xsd_dir=require_xsd_dir())

    def post(self, route: str, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"{self.live_server_url}/{route}",
            data=json.dumps(body).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "X-Hub-Store": kwargs.get("store", "acme"),
                "X-Hub-Token": kwargs.get("token", WEBHOOK_TOKEN),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw else None

    def run_webconnector(self, quickbooks: Any = None, **kwargs: Any) -> Any:
        from qbwc.simulator.webconnector import FakeWebConnector

        connector = FakeWebConnector(
            f"{self.live_server_url}/qbwc/",
            kwargs.pop("username", "acme-qbd"),
            kwargs.pop("password", QBWC_PASSWORD),
            quickbooks or self.quickbooks,
            **kwargs,
        )
        return connector.run()
