"""What the sales-mapper tests share: parameters, fixtures, object views and the valid-qbXML
check."""

from __future__ import annotations

import json
from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir, shared_file
from qbwc.qbxml.mappers.base import Mapper, ObjectView
from qbwc.qbxml.parse import tag_of
from qbwc.qbxml.validate import errors_in_request

PARAMS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "PA Sales Tax",
}
GUID = "{77C2BA76-7F41-463D-9063-57D5022BDBED}"


def fixture(*parts: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_file("flowlink-payloads", *parts).read_text())
    return data


def view(mapper: Mapper, payload: dict[str, Any], params: Any = None, **fields: Any) -> ObjectView:
    return ObjectView(
        mapper.object_type,
        mapper.identity(payload),
        payload,
        PARAMS if params is None else params,
        **fields,
    )


def as_mod(obj: ObjectView, **fields: Any) -> ObjectView:
    return ObjectView(**{**obj.__dict__, "qb_id": "1A-1700000000", "edit_sequence": "17", **fields})


def tags(node: etree._Element | None) -> list[str]:
    assert node is not None
    return [tag_of(child) for child in node]


class SalesMapperTestCase(SimpleTestCase):
    def assert_valid(self, *requests: etree._Element | None) -> None:
        xsd = require_xsd_dir()
        for request in requests:
            assert request is not None
            for version in ("13.0", "16.0"):
                self.assertEqual(errors_in_request(request, version, xsd), [], version)
