"""Helpers shared by the end-to-end flow tests (webhook over HTTP → simulator)."""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from qbsync.test import shared_file

ITEM_ACCOUNTS = {
    "quickbooks_income_account": "Sales",
    "quickbooks_cogs_account": "Cost of Goods Sold",
    "quickbooks_inventory_account": "Inventory Asset",
}


def envelope(
    payload_type: str, obj: Any, request_id: str = "req-1", **params: Any
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"payload_type": payload_type, **params},
        payload_type: obj,
    }


def fixture(*parts: str) -> Any:
    return json.loads(shared_file("flowlink-payloads", *parts).read_text())


def line_items(record: etree._Element | None, tag: str) -> list[tuple[str | None, str | None]]:
    """(item FullName, Quantity) of each line of a transaction Ret."""
    assert record is not None
    return [
        (line.findtext("ItemRef/FullName"), line.findtext("Quantity"))
        for line in record.findall(tag)
    ]
