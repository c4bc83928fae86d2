"""Legacy FlowLink shipments → QuickBooks invoices drawn from a sales order (flowlink §6.17).

A shipment is written as an invoice (objects.types.shipments reads it as one) whose lines
link (`LinkToTxn`) to the order's lines with the same item, so QuickBooks counts them as
invoiced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.types.shipments import ShipmentType, order_key
from qbwc.qbxml import elements as E
from qbwc.qbxml.mappers.base import Element, ObjectView
from qbwc.qbxml.mappers.lines import LinesMapper


class ShipmentMapper(LinesMapper, ShipmentType):
    qb_type = "Invoice"
    qb_label = "invoice"
    links_credits = True  # an invoice: its lookup reads linked credit memos, like one
    header_tags: ClassVar[frozenset[str]] = frozenset(
        {"TxnDate", "RefNumber", "BillAddress", "ShipAddress", "Memo"}
    )

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        self.check(payload)
        super().validate(payload, params, adds_only=adds_only)

    def _line_tail(
        self, node: Element, obj: ObjectView, line: Mapping[str, Any], index: int, is_add: bool
    ) -> None:
        """LinkToTxn: the n-th shipped line of an item draws on the n-th order line of it."""
        if not is_add:
            return  # InvoiceLineMod cannot (re)link; the link made on Add stays.
        key = order_key(obj.payload.get("order_id"))
        order_txn_id = obj.dependency_ids.get(key, "")
        if not order_txn_id:
            return
        item = str(line.get("product_id", "")).upper()
        lines = obj.payload.get("line_items") or []
        nth = sum(
            1
            for earlier in lines[:index]
            if isinstance(earlier, Mapping) and str(earlier.get("product_id", "")).upper() == item
        )
        matches = [
            order_line
            for order_line in obj.dependency_states.get(key, {}).get("lines", [])
            if str(order_line.get("item", "")).upper() == item
        ]
        if nth >= len(matches):
            return  # shipped an item the order does not have: an unlinked invoice line
        link = E.child(node, "LinkToTxn")
        E.child(link, "TxnID", order_txn_id)
        E.child(link, "TxnLineID", matches[nth]["txn_line_id"])
