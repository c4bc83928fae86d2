"""Serve the local QuickBooks Online double until interrupted.

    python manage.py fake_qbo --port 8001

It prints the URLs to configure (QBO_API_BASE, QBO_TOKEN_URL, QBO_AUTHORIZE_URL,
QBO_REVOKE_URL), the OAuth client, the realm and a refresh token ready for a connection.
State lives in memory and is gone when the command stops.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qbo.double import FakeQbo, Limits
from qbo.double.sample import seed_sample
from qbo.double.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REALM

WEBHOOK_INTERVAL = 5.0


class Command(BaseCommand):
    help = "Serve a local QuickBooks Online double (OAuth + Accounting API v3) in memory."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
        parser.add_argument("--realm-id", default=DEFAULT_REALM)
        parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
        parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
        parser.add_argument(
            "--rotate-every",
            type=float,
            default=None,
            help="Seconds between refresh-token rotations (0: every refresh; default one day)",
        )
        parser.add_argument(
            "--sample", action="store_true", help="Fill the company with sandbox-like records"
        )
        parser.add_argument("--no-limits", action="store_true", help="Do not enforce rate limits")
        parser.add_argument("--webhook-url", help="POST signed change notifications here")
        parser.add_argument("--webhook-verifier", default="fake-qbo-verifier")
        parser.add_argument(
            "--webhook-format", choices=["cloudevents", "legacy"], default="cloudevents"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        qbo = FakeQbo(
            limits=None if options["no_limits"] else Limits(),
            realm_id=options["realm_id"],
            client_id=options["client_id"],
            client_secret=options["client_secret"],
        )
        if options["sample"]:
            seed_sample(qbo.company())
        if options["rotate_every"] is not None:
            qbo.oauth.rotation_interval = options["rotate_every"]
        try:
            qbo.start(options["host"], options["port"])
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        stop = threading.Event()
        if options["webhook_url"]:
            qbo.webhooks.configure(
                options["webhook_url"], options["webhook_verifier"], options["webhook_format"]
            )
            threading.Thread(target=_deliver, args=(qbo, stop), daemon=True).start()
        tokens = qbo.connect()
        lines = [
            f"Fake QuickBooks Online serving on {qbo.base_url}",
            f"QBO_API_BASE={qbo.api_base}",
            f"QBO_TOKEN_URL={qbo.token_url}",
            f"QBO_AUTHORIZE_URL={qbo.authorize_url}",
            f"QBO_REVOKE_URL={qbo.revoke_url}",
            f"client id: {qbo.client_id}",
            f"client secret: {qbo.client_secret}",
            f"realm id: {qbo.realm_id}",
            f"refresh token: {tokens['refresh_token']}",
            "Press Ctrl-C to stop (the company lives in memory only).",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            qbo.stop()


def _deliver(qbo: FakeQbo, stop: threading.Event) -> None:
    while not stop.wait(WEBHOOK_INTERVAL):
        qbo.webhooks.deliver()
