"""FakeQbo: the whole double on one loopback port, and the hooks tests drive it with.

with FakeQbo() as qbo:                       # serves on 127.0.0.1, a free port
    tokens = qbo.connect()                   # or run the authorization-code flow over HTTP
    qbo.inject_throttle(2)                   # the next two API calls answer 429
    qbo.entities(qbo.realm_id, "Customer")   # what the company holds
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from qbo.double.api import Api, ApiRequest, ApiSettings
from qbo.double.clock import Clock
from qbo.double.gateway import (
    INTUIT_LIMITS,
    Gateway,
    Limits,
    RequestRecord,
    Response,
    ServerErrorPlan,
    new_tid,
)
from qbo.double.oauth import OAuthError, OAuthServer
from qbo.double.sample import seed_sample
from qbo.double.store import Company, spec_of
from qbo.double.webhooks import WebhookEmitter

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
DISCOVERY_PATH = "/.well-known/openid_configuration"
API_PREFIX = "/v3/company/"
DEFAULT_REALM = "9341450000000001"
DEFAULT_CLIENT_ID = "fake-qbo-client"
DEFAULT_CLIENT_SECRET = "fake-qbo-secret"


class FakeQbo:
    def __init__(
        self,
        clock: Clock | None = None,
        limits: Limits | None = INTUIT_LIMITS,
        realm_id: str = DEFAULT_REALM,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
    ) -> None:
        self.clock = clock or Clock()
        self.oauth = OAuthServer(self.clock)
        self.settings = ApiSettings()
        self.companies: dict[str, Company] = {}
        self.gateway = Gateway(self.oauth, Api(self.settings), self.companies)
        self.gateway.limits = limits
        self.webhooks = WebhookEmitter(self.clock)
        self.realm_id, self.client_id, self.client_secret = realm_id, client_id, client_secret
        self.oauth.add_client(client_id, client_secret)
        self.add_company(realm_id, "Sandbox Company_US_1")
        self.consent_realm: str | None = None  # the company the "user" picks when authorizing
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # set-up

    def add_company(
        self, realm_id: str, name: str, offset: str = "-08:00", sample: bool = False
    ) -> Company:
        company = Company(realm_id, name, self.clock, offset)
        if sample:
            seed_sample(company)
        company.listeners.append(self.webhooks.record)
        self.companies[realm_id] = company
        return company

    def company(self, realm_id: str | None = None) -> Company:
        return self.companies[realm_id or self.realm_id]

    def connect(self, realm_id: str | None = None, client_id: str | None = None) -> dict[str, Any]:
        """Issue tokens as if the user had just connected the app (no browser)."""
        return self.oauth.issue(client_id or self.client_id, realm_id or self.realm_id, True)

    # serving

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeQbo:
        server = ThreadingHTTPServer((host, port), _Handler)
        server.daemon_threads = True
        server.double = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.gateway.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeQbo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def authorize_url(self) -> str:
        return self.base_url + AUTHORIZE_PATH

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    @property
    def revoke_url(self) -> str:
        return self.base_url + REVOKE_PATH

    @property
    def api_base(self) -> str:
        """QBO_API_BASE: like Intuit's, it ends in /v3 (qbo.endpoints adds /company/<realm>)."""
        return self.base_url + "/v3"

    def company_url(self, realm_id: str | None = None) -> str:
        return f"{self.base_url}{API_PREFIX}{realm_id or self.realm_id}"

    # fault injection

    def expire_access_tokens(self, realm_id: str | None = None) -> int:
        return self.oauth.expire_access_tokens(realm_id)

    def inject_throttle(
        self, count: int = 1, as_xml: bool = False, retry_after: int | None = None
    ) -> None:
        """Answer the next `count` API calls with 429 Fault 3001."""
        with self.gateway.lock:
            self.gateway.forced_throttles += count
            self.gateway.throttle_as_xml = as_xml
            self.gateway.retry_after = retry_after

    def inject_server_error(
        self, count: int = 1, after_write: bool = False, status: int = 500, drop: bool = False
    ) -> None:
        """Fail the next `count` calls with Fault 10000; `after_write` fails writes after they
        were stored (`drop` closes the connection instead of answering)."""
        with self.gateway.lock:
            self.gateway.server_errors.append(ServerErrorPlan(count, after_write, status, drop))

    def hold_requests(self) -> None:
        """Keep API calls in flight (counted against the concurrency limit) until released."""
        self.gateway.released.clear()

    def release_requests(self) -> None:
        self.gateway.released.set()

    def in_flight(self, realm_id: str | None = None) -> int:
        with self.gateway.lock:
            realm = realm_id or self.realm_id
            return sum(n for (r, _), n in self.gateway.in_flight.items() if r == realm)

    def before_query(self, hook: Callable[[Company, str], None] | None) -> None:
        self.settings.before_query = hook

    def forget_request_ids(self) -> None:
        """Intuit does not promise how long it remembers a requestid; drop them all."""
        with self.gateway.lock:
            self.gateway.request_ids.clear()

    # inspection

    def entities(
        self, realm_id: str, entity: str, include_inactive: bool = True
    ) -> list[dict[str, Any]]:
        company = self.company(realm_id)
        with company.lock:
            shown = company.shown(entity)
        return [r for r in shown if include_inactive or r.get("Active") is not False]

    def entity(self, realm_id: str, entity: str, ident: str) -> dict[str, Any] | None:
        company = self.company(realm_id)
        with company.lock:
            record = company.records[entity].get(ident)
            return company.present(entity, record) if record is not None else None

    def deleted(self, realm_id: str, entity: str) -> list[str]:
        return sorted(self.company(realm_id).tombstones[entity])

    def edit(self, realm_id: str, entity: str, ident: str, **fields: Any) -> dict[str, Any]:
        """Change a record as a QuickBooks user would in QBO's screens: a sparse update
        with the current SyncToken (a new version, a CDC change, a webhook event)."""
        company = self.company(realm_id)
        current = company.read(entity, ident)
        body = {"Id": ident, "SyncToken": current["SyncToken"], "sparse": True, **fields}
        return company.update(entity, body)

    def remove(self, realm_id: str, entity: str, ident: str) -> dict[str, Any]:
        """Delete a record as a QuickBooks user would: a transaction is deleted (a CDC
        deletion marker), a name-list record made inactive (QBO deletes none)."""
        company = self.company(realm_id)
        current = company.read(entity, ident)
        if spec_of(entity).is_list:
            return self.edit(realm_id, entity, ident, Active=False)
        return company.delete(entity, {"Id": ident, "SyncToken": current["SyncToken"]})

    def seed(self, realm_id: str, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a record through the same rules as the API (TaxCode and others included)."""
        return self.company(realm_id).create(entity, body, seeding=True)

    @property
    def requests(self) -> list[RequestRecord]:
        with self.gateway.lock:
            return list(self.gateway.log)

    def reads(self, realm_id: str | None = None) -> int:
        """CorePlus (metered) calls so far: reads, queries, CDC."""
        return self.settings.reads.get(realm_id or self.realm_id, 0)

    # HTTP dispatch

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        url = urlsplit(target)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        path = url.path.rstrip("/") or "/"
        if path.startswith(API_PREFIX):
            realm, _, rest = path[len(API_PREFIX) :].partition("/")
            parts = [p for p in rest.split("/") if p]
            if parts:
                parts[0] = parts[0].lower()
            request = ApiRequest(method, parts, params, body, headers.get("content-type", ""))
            return self.gateway.handle(realm, request, headers, path)
        response = self._oauth(method, path, params, headers, body)
        response.headers["intuit_tid"] = new_tid()
        return response

    def _oauth(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Response:
        json_type = {"Content-Type": "application/json;charset=UTF-8"}
        try:
            if path == AUTHORIZE_PATH and method == "GET":
                realm = self.consent_realm or self.realm_id
                return Response(302, b"", {"Location": self.oauth.authorize(params, realm)})
            if path == TOKEN_PATH and method == "POST":
                form = dict(parse_qsl(body.decode("utf-8", "replace")))
                include_hard = headers.get("x-include-refresh-token-hard-expires-in") == "true"
                answer = self.oauth.token(headers.get("authorization"), form, include_hard)
                return Response(
                    200, json.dumps(answer).encode(), {**json_type, "Cache-Control": "no-store"}
                )
            if path == REVOKE_PATH and method == "POST":
                token = _revoke_token(headers.get("content-type", ""), body)
                self.oauth.revoke(headers.get("authorization"), token)
                return Response(200, b"", {})
            if path == DISCOVERY_PATH and method == "GET":
                return Response(200, json.dumps(self.discovery()).encode(), json_type)
        except OAuthError as error:
            extra = {"WWW-Authenticate": "Basic"} if error.status == 401 else {}
            return Response(error.status, json.dumps(error.body()).encode(), {**json_type, **extra})
        return Response(404, b'{"error":"not_found"}', json_type)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": "https://oauth.platform.intuit.com/op/v1",
            "authorization_endpoint": self.authorize_url,
            "token_endpoint": self.token_url,
            "revocation_endpoint": self.revoke_url,
            "response_types_supported": ["code"],
            "scopes_supported": ["com.intuit.quickbooks.accounting", "openid"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }


def _revoke_token(content_type: str, body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return ""
        return str(value.get("token", "")) if isinstance(value, dict) else ""
    return dict(parse_qsl(text)).get("token", "")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the double keeps its own request log

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        double: FakeQbo = self.server.double  # type: ignore[attr-defined]
        response = double.dispatch(self.command, self.path, headers, body)
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = _serve
    do_POST = _serve
