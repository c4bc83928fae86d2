"""End-to-end base: FlowLink webhooks over HTTP into qbsync, qbsync over HTTP to the local
QBO double on a loopback port, nothing of qbsync faked."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.test import LiveServerTestCase, override_settings
from django.utils import timezone

from connections.models import Connection
from objects.models import Notification, QueuedObject
from qbo.double import Clock, FakeQbo
from qbo.models import QboConnection
from qbo.push import PassSummary, run_pass
from qbo.tests.helpers import START
from qbsync.test import WEBHOOK_TOKEN, make_connection

SHOP = "shop"


class QboLiveTestCase(LiveServerTestCase):
    """A QBO connection `shop` connected to a started double (no rate limits unless a
    test sets `limits`); `sleeps` records the waits the client was asked to make."""

    def setUp(self) -> None:
        super().setUp()
        self.clock = Clock(frozen_at=START)
        self.qbo = FakeQbo(clock=self.clock, limits=None).start()
        self.addCleanup(self.qbo.stop)
        urls = override_settings(
            QBO_API_BASE=self.qbo.api_base,
            QBO_TOKEN_URL=self.qbo.token_url,
            QBO_AUTHORIZE_URL=self.qbo.authorize_url,
            QBO_REVOKE_URL=self.qbo.revoke_url,
        )
        urls.enable()
        self.addCleanup(urls.disable)
        self.realm = self.qbo.realm_id
        self.connection = make_connection(SHOP, backend=Connection.Backend.QBO)
        grant = self.qbo.connect()
        self.company = QboConnection.objects.create(
            connection=self.connection,
            realm_id=self.realm,
            client_id=self.qbo.client_id,
            client_secret=self.qbo.client_secret,
            refresh_token=grant["refresh_token"],
            access_token=grant["access_token"],
            access_expires_at=timezone.now() + timedelta(hours=1),
        )
        self.sleeps: list[float] = []

    # -- qbsync's side ------------------------------------------------------------
    def post(self, route: str, body: dict[str, Any], store: str = SHOP) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.live_server_url}/{route}",
            data=json.dumps(body).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "X-Hub-Store": store,
                "X-Hub-Token": WEBHOOK_TOKEN,
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

    def post_ok(self, route: str, body: dict[str, Any]) -> Any:
        status, data = self.post(route, body)
        self.assertEqual(status, 200, data)
        return data

    def push(self) -> PassSummary:
        return run_pass(self.connection, sleep=self.sleeps.append)

    def obj(self, object_type: str, identity: str) -> QueuedObject:
        return QueuedObject.objects.get(
            connection=self.connection, object_type=object_type, identity=identity
        )

    def messages(self, kind: str) -> list[str]:
        return list(
            Notification.objects.filter(connection=self.connection, kind=kind)
            .order_by("pk")
            .values_list("message", flat=True)
        )

    # -- the double's side --------------------------------------------------------
    def records(self, entity: str, **match: Any) -> list[dict[str, Any]]:
        return [
            r
            for r in self.qbo.entities(self.realm, entity)
            if all(r.get(k) == v for k, v in match.items())
        ]

    def one(self, entity: str, **match: Any) -> dict[str, Any]:
        found = self.records(entity, **match)
        self.assertEqual(len(found), 1, f"{entity} {match}: {found}")
        return found[0]
