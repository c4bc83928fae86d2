"""Change notifications to a configured URL, signed like Intuit's (spec §12).

Writes record events; `deliver()` (or `deliver_due()` for retries) posts them in deliveries
of up to 100 events that may mix realms. A delivery that is not answered 200 within 3 s is
retried on Intuit's schedule with the same body, so the same event ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from qbo.double.clock import Clock

RETRY_SCHEDULE = (0, 10, 20, 30, 300, 1200, 7200, 14400, 21600)  # then every 6 h
MAX_EVENTS = 100
TIMEOUT = 3.0
VERBS = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
    "Emailed": "emailed",
}


def sign(body: bytes, verifier_token: str) -> str:
    mac = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


@dataclass
class Event:
    realm_id: str
    entity: str
    ident: str
    operation: str
    at: datetime
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Delivery:
    body: bytes
    attempts: int = 0
    next_attempt: datetime | None = None
    done: bool = False


@dataclass
class Attempt:
    body: bytes
    headers: dict[str, str]
    status: int | None  # None: no answer (refused, timed out)


class WebhookEmitter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.url: str | None = None
        self.verifier_token = ""
        self.format = "cloudevents"
        self.content_type = "application/cloudevents+json"
        self.pending: list[Event] = []
        self.deliveries: list[Delivery] = []
        self.attempts: list[Attempt] = []
        self.corrupt_next_signature = False
        self.reverse_next_delivery = False  # send the next delivery's events newest first

    def configure(
        self, url: str, verifier_token: str, format: str = "cloudevents", content_type: str = ""
    ) -> None:
        if format not in ("cloudevents", "legacy"):
            raise ValueError("format is 'cloudevents' or 'legacy'")
        with self.lock:
            self.url, self.verifier_token, self.format = url, verifier_token, format
            self.content_type = content_type or (
                "application/cloudevents+json" if format == "cloudevents" else "application/json"
            )

    def record(self, realm_id: str, entity: str, ident: str, operation: str, at: datetime) -> None:
        with self.lock:
            if self.url is not None:
                self.pending.append(Event(realm_id, entity, ident, operation, at))

    def _body(self, events: list[Event]) -> bytes:
        if self.format == "legacy":
            realms: dict[str, list[dict[str, Any]]] = {}
            for event in events:
                realms.setdefault(event.realm_id, []).append(
                    {
                        "name": event.entity,
                        "id": event.ident,
                        "operation": event.operation,
                        "lastUpdated": event.at.astimezone(UTC).isoformat(timespec="milliseconds"),
                    }
                )
            notifications = [
                {"realmId": realm, "dataChangeEvent": {"entities": entities}}
                for realm, entities in realms.items()
            ]
            return json.dumps({"eventNotifications": notifications}).encode()
        return json.dumps(
            [
                {
                    "specversion": "1.0",
                    "id": event.event_id,
                    "source": "intuit.qbo.fake",
                    "type": f"qbo.{event.entity.lower()}.{VERBS[event.operation]}.v1",
                    "datacontenttype": "application/json",
                    "time": event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "intuitentityid": event.ident,
                    "intuitaccountid": event.realm_id,
                    "data": {},
                }
                for event in events
            ]
        ).encode()

    def deliver(self) -> int:
        """Batch what is pending into deliveries, post everything due; return deliveries made."""
        with self.lock:
            while self.pending:
                chunk, self.pending = self.pending[:MAX_EVENTS], self.pending[MAX_EVENTS:]
                if self.reverse_next_delivery:
                    self.reverse_next_delivery = False
                    chunk.reverse()
                self.deliveries.append(Delivery(self._body(chunk), next_attempt=self.clock.now()))
        return self.deliver_due()

    def deliver_due(self) -> int:
        now, sent = self.clock.now(), 0
        with self.lock:
            due = [
                d
                for d in self.deliveries
                if not d.done and d.next_attempt is not None and d.next_attempt <= now
            ]
        for delivery in due:
            self._post(delivery)
            sent += 1
        return sent

    def _post(self, delivery: Delivery) -> None:
        assert self.url is not None
        signature = sign(delivery.body, self.verifier_token)
        if self.corrupt_next_signature:
            self.corrupt_next_signature = False
            signature = sign(delivery.body, self.verifier_token + "-wrong")
        headers = {"Content-Type": self.content_type, "intuit-signature": signature}
        request = urllib.request.Request(self.url, delivery.body, headers, method="POST")
        status: int | None
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            status = None
        with self.lock:
            self.attempts.append(Attempt(delivery.body, headers, status))
            delivery.attempts += 1
            if status == 200:
                delivery.done = True
                return
            index = min(delivery.attempts, len(RETRY_SCHEDULE) - 1)
            wait = RETRY_SCHEDULE[index] if delivery.attempts < len(RETRY_SCHEDULE) else 21600
            delivery.next_attempt = self.clock.now() + timedelta(seconds=wait)
