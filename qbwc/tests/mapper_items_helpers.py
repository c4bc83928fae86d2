"""What the item-mapper tests share: schema versions, accounts, fixtures and object views."""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from qbsync.test import shared_file
from qbwc.qbxml.mappers.base import Mapper, ObjectView

VERSIONS = ("13.0", "16.0")
ACCOUNTS = {
    "income_account": "Sales",
    "cogs_account": "Cost of Goods Sold",
    "inventory_account": "Inventory Asset",
    "account_name": "Discounts Given",
}


def load_fixture(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(shared_file("flowlink-payloads", "add", name).read_text())
    if "purchase_tax_code_name" in payload:
        # The fixtures hold "purchase tax"/"standard tax", but a sales-tax code
        # FullName is at most 3 characters (SalesTaxCodeListRef), so no
        # QuickBooks file can have them; see test_it_rejects_a_tax_code_longer_than_3.
        payload["purchase_tax_code_name"] = "Non"
    return payload


def make_obj(
    mapper: Mapper,
    payload: dict[str, Any],
    params: dict[str, Any] | None = None,
    **fields: Any,
) -> ObjectView:
    return ObjectView(
        mapper.object_type, mapper.identity(payload), payload, dict(params or {}), **fields
    )


def make_mod_obj(mapper: Mapper, payload: dict[str, Any], **fields: Any) -> ObjectView:
    return make_obj(
        mapper, payload, qb_id="80000001-1590500864", edit_sequence="1590500864", **fields
    )


def children(node: etree._Element) -> list[str]:
    return [str(c.tag) for c in node]


def body(request: etree._Element) -> etree._Element:
    return request[0]
