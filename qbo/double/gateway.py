"""Intuit's API gateway in front of the Accounting API: bearer tokens, realms, minorversion,
rate limits, injected faults, `requestid` replay, `intuit_tid`, JSON or XML answers.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from typing import Any

from qbo.double import faults
from qbo.double.api import Api, ApiRequest
from qbo.double.clock import format_server_time
from qbo.double.faults import QboFault
from qbo.double.oauth import OAuthServer
from qbo.double.store import Company
from qbo.double.xmlout import to_xml

MINOR_VERSION = 75


@dataclass(frozen=True)
class Limits:
    """Intuit's per-realm limits (spec §10); `None` in FakeQbo turns them all off."""

    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    batch_per_minute_realm: int = 120


INTUIT_LIMITS = Limits()


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RequestRecord:
    method: str
    path: str
    realm_id: str
    status: int
    intuit_tid: str
    minor_version: int | None = None
    request_id: str | None = None
    replayed: bool = False


@dataclass
class ServerErrorPlan:
    remaining: int
    after_write: bool
    status: int
    drop: bool


def new_tid() -> str:
    return "1-" + uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:24]


def encode_json(body: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)  # QBO sends amounts as JSON numbers (150.0)
        raise TypeError(f"not JSON: {type(value).__name__}")

    return json.dumps(body, default=default).encode()


class Gateway:
    def __init__(self, oauth: OAuthServer, api: Api, companies: dict[str, Company]) -> None:
        self.oauth = oauth
        self.api = api
        self.companies = companies
        self.clock = oauth.clock
        self.lock = threading.Lock()
        self.limits: Limits | None = INTUIT_LIMITS
        self.forced_throttles = 0
        self.throttle_as_xml = False
        self.retry_after: int | None = None
        self.server_errors: list[ServerErrorPlan] = []
        self.windows: dict[tuple[str, ...], deque[float]] = defaultdict(deque)
        self.in_flight: dict[tuple[str, str], int] = defaultdict(int)
        self.released = threading.Event()
        self.released.set()
        self.request_ids: dict[tuple[str, str], Response] = {}
        self.log: list[RequestRecord] = []
        self.errors: list[Exception] = []  # unexpected exceptions, answered as Fault 10000

    # helpers

    def _render(
        self,
        body: dict[str, Any],
        status: int,
        company: Company | None,
        as_json: bool,
        headers: dict[str, str] | None = None,
    ) -> Response:
        offset = company.offset if company else UTC
        body = {**body, "time": format_server_time(self.clock.now(), offset)}
        if as_json:
            content = encode_json(body)
            kind = "application/json;charset=UTF-8"
        else:
            content = to_xml(json.loads(encode_json(body)))
            kind = "application/xml;charset=UTF-8"
        return Response(status, content, {"Content-Type": kind, **(headers or {})})

    def _fault(self, fault: QboFault, company: Company | None, as_json: bool) -> Response:
        if fault.status == 429 and self.throttle_as_xml:
            as_json = False
        return self._render(fault.body(), fault.status, company, as_json, fault.headers)

    def _unauthorized(self, detail: str) -> Response:
        epoch_ms = int(self.clock.timestamp() * 1000)
        return Response(
            401,
            encode_json(faults.authentication_body(detail, epoch_ms)),
            {
                "Content-Type": "application/json;charset=UTF-8",
                "WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"',
            },
        )

    def _over_limit(self, realm: str, app: str, is_batch: bool) -> bool:
        """Count this call in every window it belongs to, or report that one is full."""
        limits = self.limits
        if limits is None:
            return False
        now = self.clock.timestamp()
        windows = [((realm,), 60.0, limits.per_minute), ((realm, app), 1.0, limits.per_second)]
        if is_batch:
            windows += [
                (("batch", realm, app), 60.0, limits.batch_per_minute),
                (("batch", realm), 60.0, limits.batch_per_minute_realm),
            ]
        for key, span, limit in windows:
            window = self.windows[key]
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                return True
        if self.in_flight[(realm, app)] >= limits.concurrent:
            return True
        for key, _, _ in windows:
            self.windows[key].append(now)
        return False

    def _server_error(self, after_write: bool) -> ServerErrorPlan | None:
        for plan in self.server_errors:
            if plan.after_write == after_write and plan.remaining > 0:
                plan.remaining -= 1
                return plan
        return None

    # the call

    def handle(
        self, realm: str, request: ApiRequest, headers: dict[str, str], path: str
    ) -> Response:
        tid = new_tid()
        record = RequestRecord(request.method, path, realm, 0, tid)
        response = self._handle(realm, request, headers, record)
        response.headers["intuit_tid"] = tid
        record.status = response.status if not response.drop else 0
        with self.lock:
            self.log.append(record)
        return response

    def _handle(
        self, realm: str, request: ApiRequest, headers: dict[str, str], record: RequestRecord
    ) -> Response:
        as_json = "json" in headers.get("accept", "").lower()
        bearer = headers.get("authorization", "")
        if not bearer.lower().startswith("bearer "):
            return self._unauthorized("Token invalid: no bearer token")
        try:
            token = self.oauth.check_access(bearer[7:].strip())
        except LookupError as exc:
            return self._unauthorized(str(exc))
        company = self.companies.get(realm)
        if company is None:
            return self._render(
                faults.fault("610", "Object Not Found", f"Company {realm} not found").body(),
                404,
                None,
                as_json,
            )
        if token.grant.realm_id != realm:
            return self._fault(faults.wrong_realm(realm), company, as_json)
        minor = request.params.get("minorversion", "")
        if minor and not minor.isdigit():
            error = faults.invalid_value("minorversion", f"Invalid minorversion {minor}")
            return self._fault(QboFault([error]), company, as_json)
        # Intuit retired 1-74 in 2025 and has announced nothing above 75: everything is 75.
        record.minor_version = MINOR_VERSION
        app, is_batch = token.grant.client_id, request.parts == ["batch"]
        with self.lock:
            if self.forced_throttles > 0:
                self.forced_throttles -= 1
                throttled = True
            else:
                throttled = self._over_limit(realm, app, is_batch)
            if throttled:
                return self._fault(faults.throttled(self.retry_after), company, as_json)
            self.in_flight[(realm, app)] += 1
        try:
            self.released.wait(timeout=60)
            return self._call(company, request, record, as_json)
        finally:
            with self.lock:
                self.in_flight[(realm, app)] -= 1

    def _call(
        self, company: Company, request: ApiRequest, record: RequestRecord, as_json: bool
    ) -> Response:
        is_write = request.method == "POST" and request.parts != ["query"]
        request_id = request.params.get("requestid") if is_write else None
        record.request_id = request_id
        key = (company.realm_id, request_id or "")
        with self.lock:
            before = self._server_error(after_write=False)
        if before is not None:
            return self._fault(faults.system_fault(before.status), company, as_json)
        with company.lock:
            if request_id and key in self.request_ids:
                # The same requestid answers what the first call answered, without writing.
                record.replayed = True
                first = self.request_ids[key]
                response = Response(first.status, first.body, dict(first.headers))
            else:
                try:
                    answer = self.api.handle(company, request)
                except QboFault as fault:
                    response = self._render(
                        fault.body(), fault.status, company, True, fault.headers
                    )
                except Exception as error:  # a bug in the double answers as QBO would
                    self.errors.append(error)
                    return self._fault(faults.system_fault(500), company, as_json)
                else:
                    if isinstance(answer, bytes):
                        return Response(200, answer, {"Content-Type": "application/pdf"})
                    response = self._render(answer, 200, company, True)
                if request_id:
                    self.request_ids[key] = response
        with self.lock:
            after = self._server_error(after_write=True) if is_write else None
        if after is not None:
            if after.drop:
                return Response(0, drop=True)
            return self._fault(faults.system_fault(after.status), company, as_json)
        if not as_json:
            response = Response(
                response.status,
                to_xml(json.loads(response.body)),
                {**response.headers, "Content-Type": "application/xml;charset=UTF-8"},
            )
        return response
