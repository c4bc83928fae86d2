"""Property tests: random sales payloads give valid qbXML or a PayloadError."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from qbsync.test import require_xsd_dir
from qbwc.qbxml.mappers.base import Mapper
from qbwc.qbxml.mappers.credit_memos import CreditMemoMapper
from qbwc.qbxml.mappers.invoices import InvoiceMapper
from qbwc.qbxml.mappers.orders import OrderMapper
from qbwc.qbxml.mappers.payments import PaymentMapper
from qbwc.qbxml.mappers.shipments import ShipmentMapper
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError
from qbwc.tests.mapper_sales_helpers import PARAMS, as_mod, view

# -- property tests: random payloads give valid qbXML or a PayloadError -------------------

_text = st.text(min_size=0, max_size=60)
_names = st.one_of(
    st.text(min_size=1, max_size=40), st.sampled_from(["Jo & <Co>", "São Paulo", "O'Neil"])
)
_amounts = st.one_of(
    st.decimals(min_value=Decimal("-99999"), max_value=Decimal("99999"), places=3),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from([0, "0", "0.00", -0.01]),
)
_ids = st.one_of(st.text(min_size=1, max_size=300), st.integers(min_value=0, max_value=10**30))
_lines = st.lists(
    st.fixed_dictionaries(
        {"product_id": _names, "quantity": _amounts, "price": _amounts},
        optional={
            "description": _text,
            "amount": _amounts,
            "class_name": _names,
            "inventory_site_name": _names,
            "tax_code_id": st.sampled_from(["Tax", "Non"]),
        },
    ),
    min_size=0,
    max_size=4,
)
_sales = st.fixed_dictionaries(
    {"id": _ids, "customer": st.fixed_dictionaries({"name": _names}), "line_items": _lines},
    optional={
        "adjustments": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(
                        ["Shipping", "Discount", "Tax", "Shipping_discount", "Other"]
                    ),
                    "value": _amounts,
                }
            ),
            max_size=3,
        ),
        "memo": _text,
        "placed_on": st.sampled_from(["2024-02-29T23:59:59Z", "02/03/2014", "2014-02-03"]),
        "status": st.sampled_from(["cancelled", "complete", ""]),
        "credit_memos": st.lists(
            st.fixed_dictionaries(
                {"qbe_id": st.text(min_size=1, max_size=40), "applied_amount": _amounts}
            ),
            max_size=2,
        ),
        "external_guid": st.one_of(st.uuids().map(str), _text),
        "other": _text,
        "purchase_order_number": _text,
    },
)
_payments = st.fixed_dictionaries(
    {"id": _ids, "customer": st.fixed_dictionaries({"name": _names}), "amount": _amounts},
    optional={
        "invoice_txn_id": st.one_of(st.none(), st.just(""), st.text(min_size=1, max_size=40)),
        "credit_txn_id": st.text(min_size=1, max_size=40),
        "credit_amount": _amounts,
        "payment_method": _names,
        "memo": _text,
    },
)


class SalesPropertyTestCase(SimpleTestCase):
    # ShipmentPropertyTestCase borrows this method: any SimpleTestCase may run it.
    def check(
        self: SimpleTestCase, mapper: Mapper, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        try:
            mapper.validate(payload, params)
            obj = view(mapper, payload, params, external_guid=str(payload.get("external_guid", "")))
            requests = [mapper.add(obj), mapper.mod(as_mod(obj)), mapper.lookup(obj)]
        except PayloadError:
            return
        for request in requests:
            for version in ("13.0", "16.0"):
                self.assertEqual(
                    errors_in_request(request, version, require_xsd_dir()),
                    [],
                    etree.tostring(request),
                )

    @settings(max_examples=60, deadline=None)
    @given(
        mapper=st.sampled_from([OrderMapper(), InvoiceMapper(), CreditMemoMapper()]),
        payload=_sales,
        params=st.sampled_from([{}, PARAMS, {**PARAMS, "use_amount_for_tax": "1"}]),
    )
    def test_it_builds_valid_sales_transactions_or_names_the_field(
        self, mapper: Mapper, payload: dict[str, Any], params: dict[str, Any]
    ) -> None:
        self.check(mapper, payload, params)

    @settings(max_examples=60, deadline=None)
    @given(payload=_payments)
    def test_it_builds_valid_payments_or_names_the_field(self, payload: dict[str, Any]) -> None:
        self.check(PaymentMapper(), payload, {})


_shipments = st.fixed_dictionaries(
    {
        "id": _ids,
        "order_id": _ids,
        "email": _names,
        "items": st.lists(
            st.fixed_dictionaries({"product_id": _names, "quantity": _amounts, "price": _amounts}),
            max_size=3,
        ),
    },
    optional={
        "totals": st.fixed_dictionaries(
            {},
            optional={
                "discount": _amounts,
                "adjustment": _amounts,
                "shipping": _amounts,
                "tax": _amounts,
            },
        ),
        "shipped_at": st.sampled_from(["2014-02-03T17:33:55.343Z", "bad date"]),
    },
)


class ShipmentPropertyTestCase(SimpleTestCase):
    check = SalesPropertyTestCase.check

    @settings(max_examples=40, deadline=None)
    @given(payload=_shipments)
    def test_it_builds_valid_shipment_invoices_or_names_the_field(
        self, payload: dict[str, Any]
    ) -> None:
        self.check(ShipmentMapper(), payload, PARAMS)
