"""A QboConnection connected to a started double, for the client and token manager tests."""

from __future__ import annotations

import unittest
from datetime import datetime
from typing import Any

from django.test import override_settings
from django.utils import timezone

from connections.models import Connection
from qbo import tokens
from qbo.client import CallRecord, QboClient
from qbo.double import Clock, FakeQbo
from qbo.limits import Limiter
from qbo.models import QboConnection
from qbo.oauth import TokenSet
from qbo.tests.helpers import START

ALERT_EMAIL = "ops@example.com"


class ConnectedMixin(unittest.TestCase):
    """setUp starts the double, points the QBO settings at it and connects `self.qbo`."""

    def setUp(self) -> None:
        super().setUp()
        self.clock = Clock(frozen_at=START)
        self.double = FakeQbo(clock=self.clock, limits=None).start()
        self.addCleanup(self.double.stop)
        settings = override_settings(
            QBO_API_BASE=self.double.api_base,
            QBO_TOKEN_URL=self.double.token_url,
            QBO_AUTHORIZE_URL=self.double.authorize_url,
            QBO_REVOKE_URL=self.double.revoke_url,
        )
        settings.enable()
        self.addCleanup(settings.disable)
        self.qbo = make_qbo(self.double, "acme")
        self.records: list[CallRecord] = []
        self.waits: list[float] = []

    def api(self, qbo: QboConnection | None = None) -> QboClient:
        client = QboClient(
            qbo or self.qbo,
            limiter=Limiter(),
            sleep=self.waits.append,
            record=self.records.append,
        )
        self.addCleanup(client.close)
        return client

    def current_refresh_token(self) -> str | None:
        return self.double.oauth.current_refresh_token(self.double.client_id, self.double.realm_id)


def make_qbo(double: FakeQbo, connection_id: str) -> QboConnection:
    connection = Connection.objects.create(
        connection_id=connection_id,
        qbwc_username=f"{connection_id}-qbo",
        backend=Connection.Backend.QBO,
        alert_emails=ALERT_EMAIL,
    )
    qbo = QboConnection.objects.create(
        connection=connection,
        client_id=double.client_id,
        client_secret=double.client_secret,
    )
    now = timezone.now()
    tokens.connect(qbo, token_set(double.connect(), now), double.realm_id, now)
    return qbo


def token_set(answer: dict[str, Any], now: datetime) -> TokenSet:
    return TokenSet.from_answer(answer, now)
