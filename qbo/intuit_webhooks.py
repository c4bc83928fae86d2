"""Intuit's change webhooks: `POST /qbo/webhooks` (spec §12; docs/qbo-events.md).

The signature is checked over the raw body before anything is parsed; a bad one gets
401 and changes nothing. Both formats (legacy `eventNotifications`, CloudEvents arrays)
are kept as IntuitNotification rows, once per Intuit event, and each realm named with
something new nudges its connection to read changes now. A notification is only a
hint: what changed is read from QuickBooks, never taken from the payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connections.models import Connection
from qbo import feed
from qbo.event_models import IntuitNotification
from qbo.models import QboConnection

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "intuit-signature"
# Intuit sends at most 100 events and about 1 MB per delivery (spec §12.4).
MAX_BODY_BYTES = 2 * 1024 * 1024
# CloudEvents verbs are past tense; legacy operations and some CloudEvents senders use
# the bare verb (spec §12.4: parse case-insensitively, accept both).
OPERATIONS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "merge": "merged",
    "void": "voided",
    "emailed": "emailed",
    "email": "emailed",
}


@dataclass(frozen=True)
class Notification:
    key: str
    format: str
    realm_id: str
    entity: str
    entity_id: str
    operation: str
    occurred_at: str
    payload: dict[str, Any]


def is_genuine(raw_body: bytes, signature: str, verifier_token: str) -> bool:
    """`signature` is base64(HMAC-SHA256(verifier token, raw body)); constant time."""
    if not verifier_token or not signature:
        return False
    mac = hmac.new(verifier_token.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac), signature.strip().encode("ascii", "replace"))


def _operation(verb: str) -> str:
    verb = verb.strip().lower()
    return OPERATIONS.get(verb, verb)[:20]


def _text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


def _key(*parts: str) -> str:
    """A unique key that fits the column: long ones are hashed (they stay unique)."""
    key = ":".join(parts)
    if len(key) <= 255:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse(document: Any) -> list[Notification]:
    """The notifications of a delivery in either format; elements that are not one are
    skipped (and logged): the rest of the delivery still counts."""
    if isinstance(document, list):
        return list(_cloudevents(document))
    if isinstance(document, dict) and isinstance(document.get("eventNotifications"), list):
        return list(_legacy(document["eventNotifications"]))
    log.warning("Intuit webhook in no known format (%s); ignored", type(document).__name__)
    return []


def _cloudevents(events: list[Any]) -> Iterable[Notification]:
    for event in events:
        if not isinstance(event, dict) or not event.get("id"):
            log.warning("Intuit CloudEvent without an id ignored")
            continue
        # qbo.<entity>.<verb>.v1
        parts = str(event.get("type") or "").split(".")
        entity = parts[1] if len(parts) >= 3 else ""
        verb = parts[2] if len(parts) >= 3 else ""
        yield Notification(
            key=_key("ce", str(event["id"])),
            format=IntuitNotification.Format.CLOUDEVENTS,
            realm_id=_text(event.get("intuitaccountid"), 64),
            entity=entity[:50],
            entity_id=_text(event.get("intuitentityid"), 50),
            operation=_operation(verb),
            occurred_at=_text(event.get("time"), 40),
            payload=event,
        )


def _legacy(notifications: list[Any]) -> Iterable[Notification]:
    for notification in notifications:
        if not isinstance(notification, dict):
            continue
        realm = _text(notification.get("realmId"), 64)
        change = notification.get("dataChangeEvent") or {}
        entities = change.get("entities") if isinstance(change, dict) else None
        for entity in entities if isinstance(entities, list) else []:
            if not isinstance(entity, dict):
                continue
            name, ident = _text(entity.get("name"), 50), _text(entity.get("id"), 50)
            operation = _text(entity.get("operation"), 20)
            last_updated = _text(entity.get("lastUpdated"), 40)
            yield Notification(
                # Legacy events carry no id: these five name one event (spec §12.5).
                key=_key("legacy", realm, name, ident, operation, last_updated),
                format=IntuitNotification.Format.LEGACY,
                realm_id=realm,
                entity=name,
                entity_id=ident,
                operation=_operation(operation),
                occurred_at=last_updated,
                payload={"realmId": realm, **entity},
            )


def store(notifications: list[Notification]) -> list[IntuitNotification]:
    """Keep the notifications not kept before; return the new ones."""
    keys = {n.key for n in notifications}
    seen = set(IntuitNotification.objects.filter(key__in=keys).values_list("key", flat=True))
    realms = {n.realm_id for n in notifications}
    connections = dict(
        QboConnection.objects.filter(realm_id__in=realms)
        .exclude(realm_id="")
        .values_list("realm_id", "connection_id")
    )
    now = timezone.now()
    rows: dict[str, IntuitNotification] = {}
    for n in notifications:
        if n.key in seen or n.key in rows:
            continue
        rows[n.key] = IntuitNotification(
            key=n.key,
            format=n.format,
            realm_id=n.realm_id,
            connection_id=connections.get(n.realm_id),
            entity=n.entity,
            entity_id=n.entity_id,
            operation=n.operation,
            occurred_at=n.occurred_at,
            payload=n.payload,
            received_at=now,
        )
    # A redelivery racing the first one loses here quietly: the key is unique.
    IntuitNotification.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return list(rows.values())


def nudge_realms(realm_ids: set[str]) -> list[Connection]:
    """Ask for an immediate pass of each active connection of these realms; unknown
    realms are logged. Returns the connections nudged."""
    nudged: list[Connection] = []
    qbos = QboConnection.objects.select_related("connection").filter(realm_id__in=realm_ids)
    known = set()
    for qbo in qbos:
        known.add(qbo.realm_id)
        if not qbo.connection.is_active or qbo.status != QboConnection.Status.ACTIVE:
            continue
        nudge(qbo.connection)
        nudged.append(qbo.connection)
    for realm in sorted(realm_ids - known):
        log.warning("Intuit webhook for realm %s, which no connection has; ignored", realm)
    return nudged


def nudge(connection: Connection) -> None:
    """Read the connection's changes now rather than at its next poll."""
    from qbo.tasks import schedule

    # The change feed reads at once instead of at its next poll; the notification is
    # only a hint, CDC is the truth.
    feed.nudge(connection)
    # Coalesced: a burst of webhooks for one realm makes one pass; enqueued on commit,
    # and a broker outage never fails Intuit's delivery (beat starts the pass).
    schedule(connection)


def receive(raw_body: bytes) -> int:
    """Store a genuine delivery and nudge the realms it names; return how many were new."""
    try:
        document = json.loads(raw_body)
    except ValueError:
        # Intuit's advice: a 4xx to a signed delivery only causes a retry storm.
        log.warning("Intuit webhook with a valid signature but no JSON body; ignored")
        return 0
    new = store(parse(document))
    nudge_realms({n.realm_id for n in new if n.realm_id})
    return len(new)


@csrf_exempt
@require_POST
def intuit_webhook(request: HttpRequest) -> HttpResponse:
    """Intuit's webhook endpoint: verify, keep, nudge, answer 200 within Intuit's 3 s."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    raw_body = request.read(MAX_BODY_BYTES + 1)
    if len(raw_body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not is_genuine(raw_body, signature, settings.QBO_WEBHOOK_VERIFIER_TOKEN):
        if not settings.QBO_WEBHOOK_VERIFIER_TOKEN:
            log.error("Intuit webhook refused: QBO_WEBHOOK_VERIFIER_TOKEN is not set")
        else:
            log.warning("Intuit webhook refused: the intuit-signature does not match")
        return JsonResponse({"error": "invalid signature"}, status=401)
    return JsonResponse({"new": receive(raw_body)})
