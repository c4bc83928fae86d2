"""A thin client of the QuickBooks Online Accounting API, one per connection (qbo-api.md §13).

Each method is one call (two after a refused access token, more after 429s): it sends
`minorversion`, asks for JSON, carries the caller's `requestid` on writes (so a retry of
an unknown outcome is answered from Intuit's memory instead of writing twice), keeps
money as Decimal both ways, and turns every refusal into a typed qbo.errors exception.
Each HTTP exchange is handed to `record` as a CallRecord (the push loop stores them as
QboCall rows); tokens and the Authorization header never leave this module.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from django.conf import settings
from django.utils import timezone

import qbsync
from qbo import tokens
from qbo.endpoints import endpoints_for
from qbo.errors import SNIPPET, AuthFailed, QboError, Throttled, Transient, parse_fault
from qbo.limits import Limiter, default_limiter
from qbo.models import QboConnection

log = logging.getLogger(__name__)

# Intuit asks for a minute after a 429 when it does not say how long.
THROTTLE_WAIT_SECONDS = 60.0
THROTTLE_RETRIES = 3
BATCH_LIMIT = 30
PAGE_LIMIT = 1000
# The keys of a QueryResponse that are not its rows.
_PAGING_KEYS = {"startPosition", "maxResults", "totalCount"}


@dataclass(frozen=True)
class CallRecord:
    kind: str
    method: str
    path: str  # below the company URL, with the query string
    request_id: str
    request_body: str
    http_status: int | None  # None: no answer (network error, timeout)
    code: str
    message: str
    response_body: str
    intuit_tid: str
    sent_at: datetime


class QboClient:
    def __init__(
        self,
        qbo: QboConnection,
        *,
        limiter: Limiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        record: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self.qbo = qbo
        self.limiter = limiter if limiter is not None else default_limiter()
        self.sleep = sleep
        self.record = record
        self._http = httpx.Client(
            timeout=settings.QBO_TIMEOUT_SECONDS,
            headers={"Accept": "application/json", "User-Agent": f"qbsync/{qbsync.__version__}"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> QboClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- reads ---------------------------------------------------------------------------
    def get(self, entity: str, qb_id: str) -> dict[str, Any]:
        answer = self._call("read", "GET", f"/{entity.lower()}/{quote(qb_id, safe='')}")
        return _member(answer, entity)

    def query(self, statement: str) -> dict[str, Any]:
        """The QueryResponse of one statement (`{}` when nothing matched)."""
        # POST keeps long statements out of the URL and out of proxies' logs.
        answer = self._call("query", "POST", "/query", text=statement)
        return _member(answer, "QueryResponse")

    def query_all(self, statement_without_paging: str, page_size: int) -> list[dict[str, Any]]:
        """Every row of a statement, page by page until a short or empty page."""
        if not 1 <= page_size <= PAGE_LIMIT:
            raise ValueError(f"page_size must be 1 to {PAGE_LIMIT}, not {page_size}")
        rows: list[dict[str, Any]] = []
        start = 1
        while True:
            page = _rows(
                self.query(
                    f"{statement_without_paging} STARTPOSITION {start} MAXRESULTS {page_size}"
                )
            )
            rows += page
            if len(page) < page_size:
                return rows
            start += page_size

    def company_info(self) -> dict[str, Any]:
        answer = self._call("read", "GET", f"/companyinfo/{quote(self.qbo.realm_id, safe='')}")
        return _member(answer, "CompanyInfo")

    def cdc(self, entities: list[str], changed_since: datetime) -> dict[str, Any]:
        """The raw CDC answer (CDCResponse and the server's `time`)."""
        if changed_since.tzinfo is None:
            raise ValueError("changed_since must be an aware datetime")
        params = {"entities": ",".join(entities), "changedSince": changed_since.isoformat()}
        return self._call("cdc", "GET", "/cdc", params=params)

    # -- writes --------------------------------------------------------------------------
    def create(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return self._write("create", entity, body, request_id)

    def update(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return self._write("update", entity, body, request_id)

    def delete(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        return self._write("delete", entity, body, request_id, {"operation": "delete"})

    def void(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        if entity == "Invoice":
            return self._write("void", entity, body, request_id, {"operation": "void"})
        # Payments, sales receipts and the rest void through a sparse update.
        params = {"operation": "update", "include": "void"}
        return self._write("void", entity, {**body, "sparse": True}, request_id, params)

    def batch(self, items: list[dict[str, Any]], request_id: str = "") -> list[dict[str, Any]]:
        """The BatchItemResponse items (match them by bId: the order is not promised)."""
        if not 1 <= len(items) <= BATCH_LIMIT:
            raise ValueError(f"a batch holds 1 to {BATCH_LIMIT} items, not {len(items)}")
        answer = self._call(
            "batch",
            "POST",
            "/batch",
            payload={"BatchItemRequest": items},
            request_id=request_id,
            batch=True,
        )
        found = answer.get("BatchItemResponse")
        if not isinstance(found, list):
            raise Transient(status=200, message="batch answer without BatchItemResponse")
        return found

    def _write(
        self,
        kind: str,
        entity: str,
        body: dict[str, Any],
        request_id: str,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if not request_id:
            raise ValueError("writes carry a requestid (stable across retries of one object)")
        answer = self._call(
            kind, "POST", f"/{entity.lower()}", params=params, payload=body, request_id=request_id
        )
        return _member(answer, entity)

    # -- the exchange --------------------------------------------------------------------
    def _call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        payload: Any = None,
        text: str | None = None,
        request_id: str = "",
        batch: bool = False,
    ) -> dict[str, Any]:
        query = {"minorversion": str(settings.QBO_MINOR_VERSION), **(params or {})}
        if request_id:
            query["requestid"] = request_id
        target = f"{path}?{urlencode(query)}"
        if payload is not None:
            request = Request(kind, method, target, request_id, encode_json(payload), "json")
        elif text is not None:
            request = Request(kind, method, target, request_id, text, "text")
        else:
            request = Request(kind, method, target, request_id, None, "")
        refreshed = False
        waits = 0
        while True:
            token = self._token()
            outcome = self._send(request, token, batch)
            if not isinstance(outcome, QboError):
                return outcome
            if isinstance(outcome, AuthFailed) and not refreshed:
                # An access token can die before its time (revoked, clock skew); one
                # refresh under the row lock, one retry, then it is a real failure.
                refreshed = True
                self._token(spent=token)
                continue
            if isinstance(outcome, Throttled) and waits < THROTTLE_RETRIES:
                waits += 1
                wait = THROTTLE_WAIT_SECONDS if outcome.retry_after is None else outcome.retry_after
                self.sleep(min(wait, float(settings.QBO_THROTTLE_MAX_WAIT_SECONDS)))
                continue
            self.qbo.record_failure(str(outcome), outcome.intuit_tid)
            raise outcome

    def _token(self, spent: str | None = None) -> str:
        """The access token to send; after a refusal of `spent`, a refreshed one."""
        try:
            if spent is None:
                return tokens.access_token(self.qbo)
            return tokens.refresh(self.qbo, spent=spent)
        except Transient as error:
            # Refusals of the grant are recorded by qbo.tokens; an outage is ours to note.
            self.qbo.record_failure(str(error), error.intuit_tid)
            raise

    def _send(self, request: Request, token: str, batch: bool) -> dict[str, Any] | QboError:
        url = endpoints_for(self.qbo.environment).company_url(self.qbo.realm_id) + request.target
        headers = {"Authorization": f"Bearer {token}"}
        content: bytes | None = None
        if request.body is not None:
            headers["Content-Type"] = (
                "application/json" if request.body_type == "json" else "application/text"
            )
            content = request.body.encode("utf-8")
        sent_at = timezone.now()
        try:
            with self.limiter.acquire(self.qbo.realm_id, batch=batch):
                response = self._http.request(request.method, url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            error = Transient(message=type(exc).__name__, detail=str(exc)[:SNIPPET])
            self._record(request, sent_at, None, error.code, str(error), "", "")
            return error
        tid = response.headers.get("intuit_tid", "")
        raw = response.content
        text = raw.decode("utf-8", "replace")
        log.info(
            "QBO %s %s -> %s (intuit_tid %s)",
            request.method,
            request.target,
            response.status_code,
            tid,
        )
        if response.status_code == 200:
            try:
                value = json.loads(raw, parse_float=Decimal)
            except ValueError:
                value = None
            if isinstance(value, dict) and "Fault" not in value and "fault" not in value:
                self._record(request, sent_at, 200, "", "", text, tid)
                return value
        fault = parse_fault(response.status_code, response.headers, raw)
        self._record(request, sent_at, response.status_code, fault.code, str(fault), text, tid)
        return fault

    def _record(
        self,
        request: Request,
        sent_at: datetime,
        status: int | None,
        code: str,
        message: str,
        response_body: str,
        tid: str,
    ) -> None:
        if self.record is None:
            return
        self.record(
            CallRecord(
                kind=request.kind,
                method=request.method,
                path=request.target,
                request_id=request.request_id,
                request_body=request.body or "",
                http_status=status,
                code=code,
                message=message,
                response_body=response_body,
                intuit_tid=tid,
                sent_at=sent_at,
            )
        )


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    target: str  # path and query below the company URL
    request_id: str
    body: str | None
    body_type: str  # "json", "text" or ""


def encode_json(value: Any) -> str:
    """JSON with Decimal written as a number (json.dumps would refuse it or need floats)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        # "f": never an exponent ("1E+2"), which QuickBooks may not read as money.
        out.append(format(value, "f"))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys are strings, not {type(key).__name__}")
            out.append(("," if index else "") + json.dumps(key) + ":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    else:
        out.append(json.dumps(value, allow_nan=False))


def _member(answer: dict[str, Any], key: str) -> dict[str, Any]:
    value = answer.get(key)
    if not isinstance(value, dict):
        raise Transient(status=200, message=f"answer without {key}")
    return value


def _rows(page: dict[str, Any]) -> list[dict[str, Any]]:
    for key, value in page.items():
        if key not in _PAGING_KEYS and isinstance(value, list):
            return value
    return []
