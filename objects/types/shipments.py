"""Legacy FlowLink shipments, invoiced from their sales order (flowlink §6.17).

A shipment names the order it ships (`order_id`) and the items shipped. qbsync makes sure
the sales order exists (a synthetic one from the shipment when neither FlowLink nor
QuickBooks has it), then adds an invoice drawn from it (qbwc.qbxml.mappers.shipments).

`totals` become adjustment lines on the flow's items: `discount` (a positive number)
and `adjustment` (negative means a discount) on the discount item, `shipping` and `tax`
on theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ENSURE, Dependency
from objects.types.lines import LinesType
from objects.types.values import PayloadError, identity_text, is_blank, to_decimal


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
        value = to_decimal(raw, f"totals.{key}")
        # The discount adjustment is negated on the line; a negative "adjustment" is a discount.
        out.append({"name": name, "value": abs(value) if key == "discount" else -value})
    for key, name in (("shipping", "Shipping"), ("tax", "Tax")):
        if not is_blank(totals.get(key)):
            out.append({"name": name, "value": totals[key]})
    return out


class ShipmentType(LinesType):
    """A shipment reads as the invoice it becomes (`as_invoice`)."""

    object_type = "shipments"
    reads_dependencies = True  # the sales order's TxnID and line ids
    payload_types = ("shipment",)
    echo_key = "shipments"
    notice_name = "Shipment"
    closes_on_cancel = False

    def identity(self, payload: Mapping[str, Any]) -> str:
        # Upstream required `name`; FlowLink shipments usually carry only `id`.
        for key in ("name", "id"):
            value = payload.get(key)
            if not is_blank(value):
                return identity_text(value, key).strip()
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

    def normalise(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        return self.as_invoice(payload)

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

    def check(self, payload: Mapping[str, Any]) -> None:
        """The FlowLink field every shipment needs before anything is built."""
        if is_blank(payload.get("order_id")):
            raise PayloadError("order_id", "is required (the order this shipment invoices)")

    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        deps = super().dependencies(payload, params)
        if not is_blank(payload.get("order_id")):
            deps.append(Dependency("orders", self.order_payload(payload), ENSURE))
        return deps
