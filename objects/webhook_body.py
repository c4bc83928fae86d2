"""Read and check a FlowLink webhook body before anything of it is used (docs/webhooks.md).

FlowLink may omit or misstate the Content-Type (flowlink §2.2: upstream parsed the body
as JSON regardless), so the body is read and parsed here rather than by DRF's parsers,
within bounds a hostile sender cannot push the server past:

* at most WEBHOOK_MAX_BODY_BYTES are read, and a declared Content-Length over it is
  refused before reading a byte (413);
* nesting deeper than WEBHOOK_MAX_DEPTH is refused before parsing, counted without
  recursion (json.loads recurses, and 10,000 levels would exhaust the stack);
* every string and key must be storable text (no lone surrogate, no NUL) and every
  number finite, each refusal naming where in the body it is.

Each refusal is an IntakeError whose summary names the field, so nothing is stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from django.http import HttpRequest

from objects.intake import IntakeError
from objects.types.values import kind_of

_READ_BLOCK = 64 * 1024
# A JSON string token (escapes included) and a JSON structural bracket.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]', re.DOTALL)
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}

# Keys whose values FlowLink always sends as text (ids and names; numbers are allowed and
# used as their decimal text): a list, an object or a boolean there is refused rather than
# reaching QuickBooks as Python's repr ("['x']", "True").
TEXT_KEYS = frozenset(
    {"id", "name", "product_id", "sku", "list_id", "qbe_id", "email", "external_guid"}
)
# Keys holding an address aggregate: text there would otherwise be dropped silently.
ADDRESS_KEYS = frozenset(
    {"billing_address", "shipping_address", "vendor_address", "ship_from_address"}
)
# Subtrees FlowLink gets back untouched (flowlink §5.4): not read, so not checked.
OPAQUE_KEYS = frozenset({"return_to_fl"})
# The identity column (objects.models.QueuedObject.identity) and request_id columns.
MAX_ID_LENGTH = 1000
MAX_REQUEST_ID_LENGTH = 200


class NonFinite:
    """A JSON number Python cannot hold as a finite float or an int (1e400, 5,000 digits):
    kept as its text to be refused by path."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason


def read(request: HttpRequest, limit: int) -> bytes:
    """The raw body, refusing (413) anything over `limit` bytes without reading further."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if declared.strip():
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            raise IntakeError(400, f"Content-Length: {declared[:40]!r} is not a byte count")
        if length > limit:
            raise IntakeError(413, _too_large(f"{length} bytes", limit))
        return request.read(length)
    if not chunked:
        return b""
    if not request.META.get("wsgi.input_terminated"):
        # Without a terminated input (gunicorn provides one) a chunked body cannot be
        # read safely: the server in front does not say where it ends.
        raise IntakeError(411, "Content-Length: is required by this server (no chunked bodies)")
    stream = request.META["wsgi.input"]
    parts: list[bytes] = []
    size = 0
    while True:
        block = stream.read(min(_READ_BLOCK, limit + 1 - size))
        if not block:
            return b"".join(parts)
        parts.append(block)
        size += len(block)
        if size > limit:
            raise IntakeError(413, _too_large(f"more than {limit} bytes", limit))


def _too_large(size: str, limit: int) -> str:
    return f"body: {size}; this server accepts at most {limit} (WEBHOOK_MAX_BODY_BYTES)"


def parse(raw: bytes, max_depth: int) -> Any:
    """The JSON value of a body: 406 when it is no JSON (naming where it broke), 400 when it
    nests deeper than `max_depth`. Numbers that are no finite float stay NonFinite for
    check_values to refuse by path."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntakeError(
            406, f"body: not UTF-8 (byte {exc.start} is {raw[exc.start]:#04x})"
        ) from exc
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the JSON text
    if not text.strip():
        raise IntakeError(406, "body: is empty; a JSON object is expected")
    check_depth(text, max_depth)
    try:  # strings, keys and numbers are checked by check_values, once request_id is known
        value = json.loads(
            text, parse_float=_float, parse_int=_int, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise IntakeError(
            406, f"body: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except _ConstantError as exc:
        raise IntakeError(406, f"body: not valid JSON: {exc} is not a JSON value") from exc
    except RecursionError as exc:  # only if WEBHOOK_MAX_DEPTH is set past the stack
        raise IntakeError(400, "body: nested too deeply") from exc
    return value


def check_depth(text: str, max_depth: int) -> None:
    """Refuse nesting deeper than `max_depth`, counted in C-speed passes (no recursion)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets or max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) <= max_depth:
        return
    depth = 0
    for match in _TOKEN.finditer(text):  # only to say where: stops at the culprit
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - text.rfind("\n", 0, match.start())
                raise IntakeError(
                    400,
                    f"body: nested deeper than {max_depth} levels (line {line}, column {column}); "
                    "see WEBHOOK_MAX_DEPTH",
                )
        elif token in "]}":
            depth -= 1


class _ConstantError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _ConstantError(name)  # NaN, Infinity, -Infinity: Python's, not JSON's


def _float(text: str) -> float | NonFinite:
    number = float(text)
    return (
        number
        if math.isfinite(number)
        else NonFinite(text, "is not a finite number QuickBooks can take")
    )


def _int(text: str) -> int | NonFinite:
    try:
        return int(text)
    except ValueError:  # past Python's digit limit (4300): no QuickBooks number either
        return NonFinite(text, f"has {len(text)} digits, too many for a number")


# What a body must hold for check_values to find anything: a \u escape (the only way
# JSON text can carry a NUL or a lone surrogate: raw control characters are not JSON, and
# raw surrogates are not UTF-8), or a number with an exponent or hundreds of digits (the
# only ones past a float's or an int's range). Digits inside strings match too, which
# only costs the full walk.
_MAY_HOLD_REFUSED = re.compile(rb"\\u|[0-9][eE]|[0-9]{300}")


def check_values(value: Any, raw: bytes | None = None) -> None:
    """Refuse, naming the path, a lone surrogate or NUL in any string or key, or a number
    that is not finite. Iterative: the stack is the work list, not Python's.

    Given the `raw` body the value was parsed from, a body that cannot hold any of them
    is not walked at all: the walk was a twentieth of a single-order webhook's CPU."""
    if raw is not None and not _MAY_HOLD_REFUSED.search(raw):
        return
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            _check_text(item, path or "body")
        elif isinstance(item, NonFinite):
            shown = item.text if len(item.text) <= 40 else f"{item.text[:20]}…"
            raise IntakeError(400, f"{path or 'body'}: {shown} {item.reason}")
        elif isinstance(item, dict):
            for key, child in item.items():
                here = f"{path}.{key}" if path else key
                _check_text(key, f"{here[:200]} (a key)")
                pending.append((here, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise IntakeError(
            400, f"{_printable(path)}: contains a NUL character, which cannot be stored"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise IntakeError(
            400,
            f"{_printable(path)}: contains a lone surrogate ({text[exc.start]!r} at character "
            f"{exc.start}), which is not Unicode text",
        ) from exc


def _printable(path: str) -> str:
    """A path that is itself safe to answer with (a key may hold the culprit)."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def request_id(body: Mapping[str, Any]) -> Any:
    """The request_id as sent (echoed back), refused unless text or a number that fits."""
    value = body.get("request_id")
    if value is None:
        return None
    check_values({"request_id": value})
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IntakeError(400, f"request_id: must be a string, not {kind_of(value)}")
    if len(str(value)) > MAX_REQUEST_ID_LENGTH:
        raise IntakeError(
            400,
            f"request_id: is {len(str(value))} characters; at most {MAX_REQUEST_ID_LENGTH}",
        )
    return value


def check_types(value: Any, where: str) -> None:
    """Refuse ids and names that are not text or numbers, over-long ones, and addresses
    that are not objects, naming the field (e.g. `order.line_items[2].product_id`)."""
    pending: list[tuple[str, Any]] = [(where, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
            continue
        if not isinstance(item, dict):
            continue
        for key, child in item.items():
            here = f"{path}.{key}"
            if key in OPAQUE_KEYS:
                continue
            if key in TEXT_KEYS and child is not None:
                _check_id(child, here)
            elif key in ADDRESS_KEYS and not (
                child is None or child == "" or isinstance(child, dict)
            ):
                raise IntakeError(
                    400, f"{here}: must be an object (address1, city, …), not {kind_of(child)}"
                )
            else:
                pending.append((here, child))


def _check_id(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IntakeError(400, f"{path}: must be a string, not {kind_of(value)}")
    if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
        raise IntakeError(400, f"{path}: is {len(value)} characters; at most {MAX_ID_LENGTH}")
