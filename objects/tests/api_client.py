"""Call the operations API over real HTTP (a live server), with an API key."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

# The account both backends' ledger API tests seed ("Savings", a bank account numbered
# 1010), as the API's account record reads it on either backend (docs/api.md).
SAVINGS = {"name": "Savings", "full_name": "Savings", "type": "Bank", "number": "1010",
           "is_active": True, "description": "rainy days", "balance": "0.00"}  # fmt: skip


@dataclass
class ApiAnswer:
    status: int
    body: Any
    headers: dict[str, str]


def call(
    base_url: str,
    path: str,
    key: str | None,
    params: dict[str, Any] | None = None,
    method: str = "GET",
    authorization: str | None = None,
    body: Any = None,
    idempotency_key: str = "",
) -> ApiAnswer:
    """`path` below /api/v1/connections/ (or a full URL, as an operation's)."""
    url = path if path.startswith("http") else f"{base_url}/api/v1/connections/{path}"
    if params:
        url += "?" + urlencode(params)
    headers = {"Accept": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return ApiAnswer(response.status, json.loads(raw) if raw else None,
                             dict(response.headers))  # fmt: skip
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return ApiAnswer(exc.code, json.loads(raw) if raw else None, dict(exc.headers))
