"""Drive the QBO double over real HTTP with the standard library (no qbsync client yet)."""

from __future__ import annotations

import base64
import http.client
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.test import SimpleTestCase

from qbo.double import Clock, FakeQbo, Limits

START = datetime(2026, 3, 2, 17, 0, 0, tzinfo=UTC)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)

    def codes(self) -> list[str]:
        return [error["code"] for error in self.body["Fault"]["Error"]]


def send(
    base_url: str, method: str, path: str, body: bytes | None = None, **headers: str
) -> Answer:
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        connection.close()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class DoubleTestCase(SimpleTestCase):
    """A started double with a frozen clock, no rate limits, and a connected app."""

    limits: Limits | None = None

    def setUp(self) -> None:
        self.clock = Clock(frozen_at=START)
        self.qbo = FakeQbo(clock=self.clock, limits=self.limits).start()
        self.addCleanup(self.qbo.stop)
        self.realm = self.qbo.realm_id
        self.tokens = self.qbo.connect()
        self.access_token = self.tokens["access_token"]

    def token_call(self, form: dict[str, str], auth: str | None = None, **headers: str) -> Answer:
        authorization = auth or basic(self.qbo.client_id, self.qbo.client_secret)
        return send(
            self.qbo.base_url,
            "POST",
            "/oauth2/v1/tokens/bearer",
            urlencode(form).encode(),
            Authorization=authorization,
            Accept="application/json",
            **{"Content-Type": "application/x-www-form-urlencoded"},
            **headers,
        )

    def refresh(self, refresh_token: str) -> Answer:
        return self.token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def call(
        self,
        method: str,
        resource: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
        realm: str | None = None,
        accept: str = "application/json",
        content_type: str = "application/json",
    ) -> Answer:
        query = {"minorversion": "75", **(params or {})}
        path = f"/v3/company/{realm or self.realm}/{resource}?{urlencode(query)}"
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token or self.access_token}"}
        if accept:
            headers["Accept"] = accept
        if data is not None:
            headers["Content-Type"] = content_type
        return send(self.qbo.base_url, method, path, data, **headers)

    def create(self, entity: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        answer = self.call("POST", entity.lower(), body, params)
        self.assertEqual(answer.status, 200, answer.raw)
        created: dict[str, Any] = answer.body[entity]
        return created

    def query(self, statement: str) -> Answer:
        return self.call("GET", "query", params={"query": statement})

    def found(self, statement: str) -> dict[str, Any]:
        answer = self.query(statement)
        self.assertEqual(answer.status, 200, answer.raw)
        response: dict[str, Any] = answer.body["QueryResponse"]
        return response

    def stored(self, entity: str, ident: str) -> dict[str, Any]:
        record = self.qbo.entity(self.realm, entity, ident)
        assert record is not None, f"no {entity} {ident} in the double"
        return record

    def accounts(self) -> dict[str, str]:
        return {a["Name"]: a["Id"] for a in self.qbo.entities(self.realm, "Account")}

    def make_item(self, name: str, kind: str = "Service", **fields: Any) -> dict[str, Any]:
        accounts = self.accounts()
        body: dict[str, Any] = {
            "Name": name,
            "Type": kind,
            "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
            **fields,
        }
        if kind == "Inventory":
            body.update(
                {
                    "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
                    "AssetAccountRef": {"value": accounts["Inventory Asset"]},
                    "TrackQtyOnHand": True,
                    "InvStartDate": "2026-01-01",
                }
            )
            body.setdefault("QtyOnHand", 10)
        return self.create("Item", body)
