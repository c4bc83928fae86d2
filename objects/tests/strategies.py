"""Hypothesis strategies for the whole FlowLink webhook surface (issue 16 item 15).

Importable outside the test suite (a long fuzz campaign reuses them):

* `ALL_ROUTES` – every webhook route: the add_* and other write routes, the get_* pull
  routes, get_notifications and get_health_check.
* `hostile_texts()` – strings of any Unicode, lone surrogates, NUL, control characters,
  only spaces, and lengths just past the limits (request_id 200, ids 1000).
* `json_values()` – any JSON value (nested lists and objects of hostile scalars).
* `field_values()` – what may turn up in one field: plausible FlowLink values or any JSON.
* `payload_objects()` – an object of an add_* route: known FlowLink fields (ids, names,
  addresses, lines, amounts, dates…) with field_values, plus unknown keys.
* `shaped_objects()` – objects shaped as FlowLink's (id, name, customer, lines, addresses)
  with mostly ordinary and sometimes hostile texts: they get past the first checks.
* `parameters()` – flow parameters: the known ones with field_values, plus unknown keys.
* `envelopes(route)` – a whole JSON body for one route (dicts; not always well-formed).
* `raw_bodies(route)` – bytes on the wire: envelopes as JSON text, and mutations of them
  (truncated, deeply nested, 1e400 and NaN, non-UTF-8, empty, arbitrary bytes).
* `content_types()` – Content-Type headers FlowLink or a stranger might send (None: none).
* `requests()` – (route, body bytes, content type) triples over ALL_ROUTES.
* `row_counts()` – not a strategy: the row count of every model, to compare before and
  after a refused request ("nothing stored").
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from hypothesis import strategies as st

from objects.intake import WRITE_ROUTES
from objects.pulls import GET_ROUTES

ALL_ROUTES: tuple[str, ...] = (
    *WRITE_ROUTES,
    "get_notifications",
    "get_health_check",
    *GET_ROUTES,
)

_SPECIAL_TEXTS = [
    "",
    "   ",
    "\ud800",
    "Jo\udfff",
    "\x00",
    "a\x00b",
    "\x01\x1f\x7f",
    "Jo's Café & <Bar>",
    "]]>",
    "日本語",
    "\u202eevil",
    "😀",
    "x" * 200,
    "x" * 201,
    "y" * 1000,
    "y" * 1001,
    "1e400",
    "NaN",
    "2020-03-18T15:28:45.493",
    "{71562455-3E41-42CA-9377-9A26597C1BD0}",
]


def hostile_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=12),
        # codec=None: any code point, lone surrogates included.
        st.text(alphabet=st.characters(codec=None), max_size=12),
        st.sampled_from(_SPECIAL_TEXTS),
    )


def json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**6), max_value=10**6),
        st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**30]),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_texts(),
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    return st.recursive(
        json_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(hostile_texts(), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


_PLAUSIBLE = st.one_of(
    st.text(min_size=1, max_size=15),
    st.integers(min_value=0, max_value=10**6),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(str),
    st.sampled_from(["1", "0", "true", "false", "2019-12-26", "12/26/2019", "Tax", "Non"]),
)


_FIELD_VALUES = st.one_of(_PLAUSIBLE, _PLAUSIBLE, json_values(max_leaves=4))


def field_values() -> st.SearchStrategy[Any]:
    return _FIELD_VALUES


_ADDRESS_FIELDS = ("firstname", "lastname", "company", "address1", "address2", "city",
                   "state", "zipcode", "country", "phone")  # fmt: skip
_ADDRESS = st.dictionaries(st.sampled_from(_ADDRESS_FIELDS), _FIELD_VALUES, max_size=4)
_LINE_FIELDS = ("name", "quantity", "price", "amount", "tax_code_id", "class_name",
                "description", "unit_of_measure", "account", "debit", "credit")  # fmt: skip
_LINE = st.builds(
    lambda product_id, rest: {"product_id": product_id, **rest},
    _FIELD_VALUES,
    st.dictionaries(st.sampled_from(_LINE_FIELDS), _FIELD_VALUES, max_size=4),
)
_LINES = st.one_of(st.lists(_LINE, max_size=2), _FIELD_VALUES)
_OBJECT_FIELDS = (
    "id", "name", "product_id", "sku", "email", "firstname", "lastname", "company",
    "external_guid", "qbe_id", "list_id", "status", "memo", "placed_on", "date", "total",
    "quantity", "price", "cost", "description", "tax_rate", "tax_code_id", "class_name",
    "is_active", "action", "phone", "terms", "ship_method", "location", "site",
)  # fmt: skip
_STRUCTURED_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "customer": st.one_of(
        _FIELD_VALUES,
        _ADDRESS,
        st.fixed_dictionaries({"name": _FIELD_VALUES}, optional={"list_id": _FIELD_VALUES}),
    ),
    "vendor": st.one_of(_FIELD_VALUES, _ADDRESS),
    "supplier": st.one_of(_FIELD_VALUES, _ADDRESS),
    "billing_address": st.one_of(_ADDRESS, _FIELD_VALUES),
    "shipping_address": st.one_of(_ADDRESS, _FIELD_VALUES),
    "line_items": _LINES,
    "items": _LINES,
    "lines": _LINES,
    "adjustments": st.lists(
        st.fixed_dictionaries({"name": _FIELD_VALUES, "value": _FIELD_VALUES}), max_size=2
    ),
    "payments": st.one_of(
        st.lists(st.dictionaries(st.sampled_from(["amount", "payment_method"]), _FIELD_VALUES),
                 max_size=2),
        _FIELD_VALUES,
    ),
    "return_to_fl": json_values(max_leaves=4),
}  # fmt: skip
_PAYLOAD_OBJECTS = st.builds(
    lambda plain, structured, extra: {**extra, **plain, **structured},
    st.dictionaries(st.sampled_from(_OBJECT_FIELDS), _FIELD_VALUES, max_size=6),
    st.fixed_dictionaries({}, optional=_STRUCTURED_FIELDS),
    st.dictionaries(hostile_texts(), _FIELD_VALUES, max_size=2),
)


def payload_objects() -> st.SearchStrategy[dict[str, Any]]:
    return _PAYLOAD_OBJECTS


_TEXTS = st.one_of(
    st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20), hostile_texts()
)
_NUMBERS = st.one_of(
    st.integers(min_value=-5, max_value=1000),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(str),
    st.sampled_from(["", "1e3", 10**20]),
)
_SHAPED_ADDRESS = st.fixed_dictionaries(
    {"address1": _TEXTS, "city": _TEXTS},
    optional={"firstname": _TEXTS, "lastname": _TEXTS, "zipcode": _TEXTS, "country": _TEXTS},
)
_SHAPED_OBJECTS = st.fixed_dictionaries(
    {
        "id": _TEXTS,
        "name": _TEXTS,
        "product_id": _TEXTS,
        "customer": st.fixed_dictionaries({"name": _TEXTS}, optional={"email": _TEXTS}),
        "supplier": st.fixed_dictionaries({"name": _TEXTS}),
        "line_items": st.lists(
            st.fixed_dictionaries(
                {"product_id": _TEXTS, "quantity": _NUMBERS, "price": _NUMBERS},
                optional={"name": _TEXTS},
            ),
            min_size=1,
            max_size=3,
        ),
        "quantity": _NUMBERS,
    },
    optional={
        "email": _TEXTS,
        "sku": _TEXTS,
        "amount": _NUMBERS,
        "price": _NUMBERS,
        "total": _NUMBERS,
        "billing_address": _SHAPED_ADDRESS,
        "shipping_address": _SHAPED_ADDRESS,
        "placed_on": st.sampled_from(["2024-02-29", "2019-12-26T10:00:00Z", "12/26/2019"]),
    },
)


def shaped_objects() -> st.SearchStrategy[dict[str, Any]]:
    """Objects shaped like FlowLink's (ids, names, a customer, lines, addresses) whose
    texts are mostly ordinary and sometimes hostile: they reach storage and the mappers."""
    return _SHAPED_OBJECTS


_PARAMETERS = (
    "payload_type", "connection_id", "origin", "page_size", "quickbooks_since",
    "quickbooks_force_config", "return_all", "fields_whitelist", "quickbooks_max_returned",
    "health_check_threshold_in_minutes", "quickbooks_auto_create_products",
    "quickbooks_update_dependencies", "quickbooks_shipping_item", "quickbooks_discount_item",
    "quickbooks_tax_item", "quickbooks_customer_email", "quickbooks_site", "use_amount_for_tax",
)  # fmt: skip


_PARAMETERS_STRATEGY = st.builds(
    lambda known, extra: {**extra, **known},
    st.dictionaries(st.sampled_from(_PARAMETERS), _FIELD_VALUES, max_size=6),
    st.dictionaries(hostile_texts(), _FIELD_VALUES, max_size=2),
)


def parameters() -> st.SearchStrategy[dict[str, Any]]:
    return _PARAMETERS_STRATEGY


def envelopes(route: str) -> st.SearchStrategy[Any]:
    """A JSON body for `route`; usually an object with its payload key, sometimes not."""
    key = WRITE_ROUTES.get(route)
    optional: dict[str, st.SearchStrategy[Any]] = {
        "request_id": st.one_of(st.text(max_size=20), field_values()),
        "parameters": st.one_of(parameters(), parameters(), json_values(max_leaves=4)),
    }
    if key is not None:
        optional[key] = st.one_of(
            payload_objects(),
            payload_objects(),
            st.lists(payload_objects(), max_size=3),
            json_values(max_leaves=4),
        )
    return st.one_of(
        st.fixed_dictionaries({}, optional=optional),
        st.fixed_dictionaries({}, optional=optional),
        st.fixed_dictionaries({}, optional=optional),
        json_values(max_leaves=6),
    )


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def raw_bodies(route: str) -> st.SearchStrategy[bytes]:
    as_json = envelopes(route).map(lambda body: json.dumps(body).encode("ascii"))
    return st.one_of(
        as_json,
        as_json,
        as_json,
        # Cut anywhere: JSON that breaks mid-way.
        st.tuples(as_json, st.integers(min_value=0)).map(lambda t: t[0][: t[1] % (len(t[0]) or 1)]),
        # A value replaced by deep nesting, a number JSON allows but floats do not, or a
        # constant Python writes but JSON has not.
        st.tuples(
            as_json,
            st.sampled_from(
                [_nested(65), _nested(10_000), "1e400", "-1e999", "NaN", "Infinity", "9" * 5000]
            ),
        ).map(lambda t: t[0].replace(b"null", t[1].encode(), 1) if b"null" in t[0]
              else b'{"request_id": ' + t[1].encode() + b"}"),
        st.binary(max_size=40),
        st.sampled_from([b"", b" ", b"\xef\xbb\xbf{}", b'{"request_id": "\xff"}', b"[]", b"null"]),
    )  # fmt: skip


def content_types() -> st.SearchStrategy[str | None]:
    return st.sampled_from(
        [
            "application/json",
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            None,
        ]
    )


def requests() -> st.SearchStrategy[tuple[str, bytes, str | None]]:
    return st.sampled_from(ALL_ROUTES).flatmap(
        lambda route: st.tuples(st.just(route), raw_bodies(route), content_types())
    )


def row_counts() -> dict[str, int]:
    """Rows of every model, keyed by its label."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}
