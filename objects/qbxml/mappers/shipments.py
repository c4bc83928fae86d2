"""Legacy FlowLink shipments → QuickBooks invoices drawn from a sales order (flowlink §6.17).

A shipment names the order it ships (`order_id`) and the items shipped. qbsync makes sure
the sales order exists (a synthetic one from the shipment when neither FlowLink nor
QuickBooks has it), then adds an invoice whose lines link (`LinkToTxn`) to the order's
lines with the same item, so QuickBooks counts them as invoiced.

`totals` become adjustment lines on the flow's items: `discount` (a positive number)
and `adjustment` (negative means a discount) on the discount item, `shipping` and `tax`
on theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import ENSURE, Dependency, Element, Follower, ObjectView
from objects.qbxml.mappers.invoices import InvoiceMapper
from objects.qbxml.values import PayloadError, is_blank


def order_key(order_id: Any) -> str:
    return f"orders:{order_id}"


def _adjustments(totals: Any) -> list[dict[str, Any]]:
    if not isinstance(totals, Mapping):
        return []
    out: list[dict[str, Any]] = []
    for key, name in (("discount", "Discount"), ("adjustment", "Discount")):
        raw = totals.get(key)
        if is_blank(raw):
            continue
        value = values.to_decimal(raw, f"totals.{key}")
        # The discount adjustment is negated on the line; a negative "adjustment" is a discount.
        out.append({"name": name, "value": abs(value) if key == "discount" else -value})
    for key, name in (("shipping", "Shipping"), ("tax", "Tax")):
        if not is_blank(totals.get(key)):
            out.append({"name": name, "value": totals[key]})
    return out


class ShipmentMapper(InvoiceMapper):
    object_type = "shipments"
    reads_dependencies = True  # the sales order's TxnID and line ids
    payload_types = ("shipment",)
    echo_key = "shipments"
    notice_name = "Shipment"
    qb_label = "invoice"
    header_tags: ClassVar[frozenset[str]] = frozenset(
        {"TxnDate", "RefNumber", "BillAddress", "ShipAddress", "Memo"}
    )

    def identity(self, payload: Mapping[str, Any]) -> str:
        # Upstream required `name`; FlowLink shipments usually carry only `id`.
        for key in ("name", "id"):
            value = payload.get(key)
            if not is_blank(value):
                return values.identity_text(value, key).strip()
        raise PayloadError("id", "is required")

    def known_qb_id(self, payload: Mapping[str, Any]) -> str:
        return str(payload.get("qbe_id") or payload.get("list_id") or "")

    def as_invoice(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The shipment in the shape the invoice mapper reads."""
        email = payload.get("email")
        customer = payload.get("customer") or ({"name": email} if not is_blank(email) else None)
        items = payload.get("items") or payload.get("line_items") or []
        if not isinstance(items, list):
            raise PayloadError("items", "must be a list")
        invoice: dict[str, Any] = {
            "id": self.identity(payload),
            "customer": customer,
            "email": email,
            "placed_on": payload.get("shipped_at") or payload.get("placed_on"),
            "billing_address": payload.get("billing_address"),
            "shipping_address": payload.get("shipping_address"),
            "line_items": [
                {k: v for k, v in item.items() if k in ("product_id", "name", "quantity", "price")}
                if isinstance(item, Mapping)
                else item
                for item in items
            ],
            "adjustments": _adjustments(payload.get("totals")),
            "memo": payload.get("memo")
            or (f"Order {payload['order_id']}" if not is_blank(payload.get("order_id")) else None),
            "quickbooks_do_not_update_customer": payload.get("quickbooks_do_not_update_customer"),
            "order_id": payload.get("order_id"),
        }
        for key in ("shipping_item", "discount_item", "tax_item"):
            if not is_blank(payload.get(key)):
                invoice[key] = payload[key]
        return {k: v for k, v in invoice.items() if v is not None}

    def _invoice_view(self, obj: ObjectView) -> ObjectView:
        return ObjectView(**{**obj.__dict__, "payload": self.as_invoice(obj.payload)})

    def order_payload(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The sales order to create when neither FlowLink nor QuickBooks has `order_id`."""
        invoice = self.as_invoice(payload)
        return {
            "id": str(payload["order_id"]),
            **{
                k: invoice[k]
                for k in ("customer", "email", "placed_on", "billing_address", "shipping_address")
                if k in invoice
            },
            "line_items": invoice["line_items"],
        }

    # -- Mapper contract ----------------------------------------------------------
    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        if is_blank(payload.get("order_id")):
            raise PayloadError("order_id", "is required (the order this shipment invoices)")
        super().validate(payload, params, adds_only=adds_only)

    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        deps = super().dependencies(self.as_invoice(payload), params)
        if not is_blank(payload.get("order_id")):
            deps.append(Dependency("orders", self.order_payload(payload), ENSURE))
        return deps

    def followers(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> list[Follower]:
        return []  # a shipment's payment is not synced (upstream never did)

    def add(self, obj: ObjectView) -> Element:
        return super().add(self._invoice_view(obj))

    def mod(self, obj: ObjectView) -> Element:
        return super().mod(self._invoice_view(obj))

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
