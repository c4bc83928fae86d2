"""The Accounting API behind the gateway: CRUD, void, query, CDC and batch of one company."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from qbo.double import faults, pdf, query
from qbo.double.clock import parse_time
from qbo.double.entities import BY_LOWER_NAME, BY_PATH, SPECS, EntitySpec
from qbo.double.faults import QboFault
from qbo.double.store import Company

SENDABLE = ("Invoice", "Estimate", "SalesReceipt", "CreditMemo", "RefundReceipt", "PurchaseOrder")
BATCH_LIMIT = 30
CDC_DAYS = 30
CDC_LIMIT = 1000


@dataclass
class ApiRequest:
    method: str
    parts: list[str]  # path segments after /v3/company/<realm>/
    params: dict[str, str]
    body: bytes = b""
    content_type: str = ""


@dataclass
class ApiSettings:
    batch_sees_earlier_creates: bool = False
    cdc_limit: int = CDC_LIMIT
    # Called before each query runs (e.g. to insert records between page requests).
    before_query: Callable[[Company, str], None] | None = None
    reads: dict[str, int] = field(default_factory=dict)  # CorePlus calls per realm


def is_read(request: ApiRequest) -> bool:
    """Reads, queries and CDC are metered ("CorePlus"); writes are free (spec §10)."""
    return request.method == "GET" or request.parts[:1] == ["query"]


def decode_json(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise faults.unsupported("Request body is not valid UTF-8.") from exc
    try:
        value = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise QboFault([faults.invalid_value("", f"Request has invalid JSON: {exc.msg}")]) from exc
    if not isinstance(value, dict):
        raise QboFault([faults.invalid_value("", "Request body must be a JSON object")])
    return value


def entity_spec(name: str) -> EntitySpec:
    spec = BY_PATH.get(name.lower())
    if spec is None:
        raise faults.unsupported(f"Operation on {name} is not supported.")
    return spec


class Api:
    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings

    def handle(self, company: Company, request: ApiRequest) -> dict[str, Any] | bytes:
        if is_read(request):
            reads = self.settings.reads
            reads[company.realm_id] = reads.get(company.realm_id, 0) + 1
        parts, method = request.parts, request.method
        with company.lock:
            if parts == ["query"]:
                return {"QueryResponse": self.query(company, self._statement(request))}
            if parts == ["cdc"] and method == "GET":
                return self.cdc(company, request.params)
            if parts == ["batch"] and method == "POST":
                return self.batch(company, decode_json(request.body))
            if len(parts) == 2 and parts[0] == "companyinfo" and method == "GET":
                return {"CompanyInfo": company.read("CompanyInfo", "1")}
            if len(parts) == 3 and parts[2] in ("pdf", "send"):
                spec = entity_spec(parts[0])
                if spec.name not in SENDABLE:
                    raise faults.unsupported(
                        f"Operation {parts[2]} is not supported for {spec.name}."
                    )
                if parts[2] == "pdf" and method == "GET":
                    return pdf.render(spec.name, company.read(spec.name, parts[1]))
                if parts[2] == "send" and method == "POST":
                    address = request.params.get("sendTo", "")
                    return {spec.name: company.email(spec.name, parts[1], address)}
            if len(parts) == 2 and method == "GET":
                spec = entity_spec(parts[0])
                return {spec.name: company.read(spec.name, parts[1])}
            if len(parts) == 1 and method == "POST":
                spec = entity_spec(parts[0])
                return self.write(company, spec, request.params, decode_json(request.body))
        raise faults.unsupported(f"Operation {method} /{'/'.join(parts)} is not supported.")

    def _statement(self, request: ApiRequest) -> str:
        if request.method == "GET":
            return request.params.get("query", "")
        try:
            return request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise faults.unsupported("Request body is not valid UTF-8.") from exc

    def write(
        self, company: Company, spec: EntitySpec, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]:
        operation = params.get("operation", "")
        name = spec.name
        if operation == "delete":
            return {name: company.delete(name, body)}
        if operation == "void" or (operation == "update" and params.get("include") == "void"):
            wanted = "operation" if operation == "void" else "include"
            if spec.void != wanted:
                raise faults.unsupported(f"Operation Void is not supported for {name} this way.")
            return {name: company.void(name, body)}
        if operation not in ("", "create", "update"):
            raise faults.unsupported(f"Operation {operation} is not supported.")
        if name == "CompanyInfo" and body.get("Id") not in (None, "1"):
            body = {**body, "Id": "1"}
        if body.get("Id") not in (None, ""):
            return {name: company.update(name, body)}
        return {name: company.create(name, body)}

    def query(self, company: Company, statement: str) -> dict[str, Any]:
        parsed = query.parse(statement)
        if self.settings.before_query is not None:
            self.settings.before_query(company, statement)
        return query.run(parsed, company.shown(parsed.spec.name))

    def cdc(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        names = [n.strip() for n in params.get("entities", "").split(",") if n.strip()]
        if not names:
            raise QboFault([faults.required("entities")])
        if not params.get("changedSince"):
            raise QboFault([faults.required("changedSince")])
        since = parse_time(params["changedSince"])
        if since is None:
            # An unencoded "+01:00" arrives as " 01:00": the caller must percent-encode it.
            detail = f"changedSince {params['changedSince']!r} is not an ISO datetime"
            raise QboFault([faults.invalid_value("changedSince", detail)])
        if since < company.clock.now() - timedelta(days=CDC_DAYS):
            raise QboFault(
                [
                    faults.invalid_value(
                        "changedSince",
                        f"changedSince date {params['changedSince']} is older than"
                        f" {CDC_DAYS} days, which is not supported",
                    )
                ]
            )
        specs = []
        for name in names:
            spec = BY_LOWER_NAME.get(name.lower())
            if spec is None or not spec.in_cdc:
                raise QboFault([faults.invalid_value("entities", f"CDC does not support {name}")])
            specs.append(spec)
        budget, responses = self.settings.cdc_limit, []
        for spec in specs:
            # The 1,000-object cap is for the whole answer, without paging (spec §7).
            changed = company.changed_since(spec.name, since)[: max(budget, 0)]
            budget -= len(changed)
            responses.append(
                {
                    spec.name: changed,
                    "startPosition": 1,
                    "maxResults": len(changed),
                    "totalCount": len(changed),
                }
                if changed
                else {}
            )
        return {"CDCResponse": [{"QueryResponse": responses}]}

    def batch(self, company: Company, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise QboFault([faults.required("BatchItemRequest")])
        if len(items) > BATCH_LIMIT:
            raise QboFault(
                [
                    faults.invalid_value(
                        "BatchItemRequest",
                        f"Batch request has {len(items)} items; the maximum is {BATCH_LIMIT}.",
                    )
                ]
            )
        answers = []
        try:
            for item in items:
                answers.append(self._batch_item(company, item))
        finally:
            company.hidden.clear()
        return {"BatchItemResponse": answers}

    def _batch_item(self, company: Company, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            item = {}
        answer: dict[str, Any] = {"bId": item.get("bId")}
        try:
            if "Query" in item:
                answer["QueryResponse"] = self.query(company, str(item["Query"]))
                return answer
            names = [key for key in item if key in SPECS]
            if len(names) != 1:
                raise QboFault([faults.required("Entity")])
            spec, operation = SPECS[names[0]], str(item.get("operation", "create"))
            if operation not in ("create", "update", "delete"):
                raise faults.unsupported(f"Batch operation {operation} is not supported.")
            entity = item[names[0]]
            if not isinstance(entity, dict):
                raise QboFault([faults.required(names[0])])
            if operation == "create" and entity.get("Id"):
                raise QboFault([faults.invalid_value("Id", "Id is not allowed on create")])
            params = {"operation": "delete"} if operation == "delete" else {}
            result = self.write(company, spec, params, entity)
            created = result[spec.name]
            if operation == "create" and not self.settings.batch_sees_earlier_creates:
                company.hidden.add((spec.name, created["Id"]))
            answer.update(result)
        except QboFault as fault:
            answer["Fault"] = fault.body()["Fault"]
        return answer
