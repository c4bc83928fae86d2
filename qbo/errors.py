"""QuickBooks Online's error answers as typed exceptions (qbo-api.md §9).

The API answers business and validation errors with HTTP 400 and a `Fault` body, the
gateway answers 401 with a lower-case `fault` body, and throttling may come back as
XML even when JSON was asked for. parse_fault() reads all of them; the class tells the
caller what to do (refresh, re-read, link, back off, give up), the code says why.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree

# Shown in messages instead of a whole HTML error page or a long body.
SNIPPET = 300


class QboError(Exception):
    """QuickBooks Online (or the way to it) refused or failed a call."""

    def __init__(
        self,
        status: int = 0,
        code: str = "",
        message: str = "",
        detail: str = "",
        element: str = "",
        intuit_tid: str = "",
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.intuit_tid = intuit_tid
        self.errors: list[dict[str, str]] = errors if errors is not None else []
        super().__init__(self._text())

    @property
    def reason(self) -> str:
        """The message and detail without the code, for texts that lead with the code
        themselves (notifications: "6240: Duplicate Name Exists Error: …")."""
        head = self.message or (f"HTTP {self.status}" if self.status else type(self).__name__)
        return f"{head}: {self.detail}" if self.detail else head

    @property
    def status_code(self) -> int | None:
        """The code an object's failure carries: QBO's numeric Fault code, else the HTTP
        status (None for neither)."""
        code = str(self.code or "")
        return int(code) if code.isdigit() else (self.status or None)

    @property
    def notice_text(self) -> str:
        """QBO's words for a notification: without the code when there is one, since the
        transitions put it in front (with_code)."""
        return self.reason if self.status_code is not None else str(self)

    def _text(self) -> str:
        head = " ".join(part for part in (self.code, self.message) if part)
        if not head:
            head = f"HTTP {self.status}" if self.status else type(self).__name__
        return f"{head}: {self.detail}" if self.detail else head


class AuthFailed(QboError):
    """The access token was refused (401, codes 100 and 3200): refresh once, retry once."""


class AccessDenied(QboError):
    """The token does not open this company (403, 3100, 120, 6190; a wrong realm or
    environment, a user who lost access, an ended subscription): no retry helps."""


class NotFound(QboError):
    """Fault 610: the object is missing or inactive."""


class Stale(QboError):
    """Fault 5010: the SyncToken sent is not the current one; re-read and merge."""


class Duplicate(QboError):
    """Fault 6240 (name) or 6140 (DocNumber): the object may already be there; link it."""


class Invalid(QboError):
    """Any other refusal of the request itself (validation, business rules, bad query)."""


class Throttled(QboError):
    """429 / Fault 3001: wait `retry_after` seconds (60 when Intuit does not say)."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class Transient(QboError):
    """5xx, Fault 10000, the network, a timeout, or an answer that is not QBO's: try later."""


class ReconnectNeeded(QboError):
    """The OAuth grant is dead or the connection is not connected: a person must reconnect."""


class Paused(QboError):
    """An operator paused the connection: nothing is sent to QuickBooks Online."""


AUTH_CODES = {"100", "3200"}
DENIED_CODES = {"120", "3100", "6190"}
DUPLICATE_CODES = {"6140", "6240"}
_GATEWAY_MESSAGE = re.compile(r"^message=([^;]+);")


def parse_fault(status: int, headers: Mapping[str, str], body: bytes) -> QboError:
    """Read an error answer (JSON in either case, or XML) into the matching QboError."""
    tid = _header(headers, "intuit_tid")
    errors = _errors_from_body(body)
    if errors is None:
        text = body.decode("utf-8", "replace").strip()
        errors = [{"code": "", "message": "", "detail": text[:SNIPPET], "element": ""}]
    retry_after = _retry_after(_header(headers, "retry-after"))
    return build_error(status, errors, tid, retry_after=retry_after)


def error_from_fault(fault: Mapping[str, Any], status: int = 400, intuit_tid: str = "") -> QboError:
    """The QboError of one `Fault` object (a failed item of a batch answer)."""
    return build_error(status, _errors_from_fault(fault), intuit_tid)


def build_error(
    status: int, errors: list[dict[str, str]], intuit_tid: str, retry_after: float | None = None
) -> QboError:
    first = errors[0] if errors else {"code": "", "message": "", "detail": "", "element": ""}
    code = first["code"]
    kind = _classify(status, code)
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "message": first["message"],
        "detail": first["detail"],
        "element": first["element"],
        "intuit_tid": intuit_tid,
        "errors": errors,
    }
    if kind is Throttled:
        return Throttled(retry_after=retry_after, **fields)
    return kind(**fields)


def _classify(status: int, code: str) -> type[QboError]:
    if code in AUTH_CODES:
        return AuthFailed
    if code in DENIED_CODES:
        return AccessDenied
    if code == "3001" or status == 429:
        return Throttled
    if code == "610" and status != 404:
        return NotFound
    if code == "5010":
        return Stale
    if code in DUPLICATE_CODES:
        return Duplicate
    if code == "10000" or status >= 500 or status in (0, 200, 408):
        return Transient
    if status == 401:
        return AuthFailed
    # A 404 from the API is the gateway not knowing the realm (§3.4), never a record:
    # records that are missing answer 400 Fault 610.
    if status in (403, 404):
        return AccessDenied
    return Invalid


def _errors_from_body(body: bytes) -> list[dict[str, str]] | None:
    stripped = body.lstrip()
    if stripped.startswith((b"{", b"[")):
        try:
            value = json.loads(body)
        except ValueError:
            return None
        if isinstance(value, dict):
            fault = _pick(value, "Fault")
            if isinstance(fault, Mapping):
                return _errors_from_fault(fault)
        return None
    if stripped.startswith(b"<"):
        return _errors_from_xml(body)
    return None


def _errors_from_fault(fault: Mapping[str, Any]) -> list[dict[str, str]]:
    items = _pick(fault, "Error")
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        return []
    return [
        _error(
            code=_text(_pick(item, "code")),
            message=_text(_pick(item, "Message")),
            detail=_text(_pick(item, "Detail")),
            element=_text(_pick(item, "element")),
        )
        for item in items
        if isinstance(item, Mapping)
    ]


def _errors_from_xml(body: bytes) -> list[dict[str, str]] | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    errors = []
    for node in root.iter("{*}Error"):
        errors.append(
            _error(
                code=node.get("code", ""),
                message=_child_text(node, "Message"),
                detail=_child_text(node, "Detail"),
                element=node.get("element", ""),
            )
        )
    return errors if errors else None


def _child_text(node: etree._Element, name: str) -> str:
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname.lower() == name.lower():
            return (child.text or "").strip()
    return ""


def _error(code: str, message: str, detail: str, element: str) -> dict[str, str]:
    gateway = _GATEWAY_MESSAGE.match(message)
    if not code and "errorCode=" in message:
        code = message.split("errorCode=", 1)[1].split(";", 1)[0]
    return {
        # "003200" and "3200" are the same code; "0" stays "0".
        "code": code.strip().lstrip("0") or code.strip()[-1:],
        # The gateway packs its name into "message=AuthenticationFailed; errorCode=…".
        "message": gateway.group(1).strip() if gateway else message,
        "detail": detail,
        "element": element,
    }


def _pick(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    return mapping.get(key[0].lower() + key[1:], mapping.get(key.lower()))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header: a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
