"""Legacy FlowLink shipments (flowlink §6.17) on QuickBooks Online.

On the Desktop a shipment is an invoice drawn from its sales order. In QBO the order is
already a SalesReceipt, Invoice or Estimate (qbo.mappers.orders), so:

* order written as an **Estimate** → the shipment is an **Invoice** of the items shipped
  (DocNumber = the shipment id) linked to the estimate (`LinkedTxn`), QBO's "create an
  invoice from an estimate";
* order written as a **SalesReceipt** or **Invoice** → the goods are billed already; a
  second invoice would bill them twice, so the shipment marks the order's own document
  shipped: a sparse update of `ShipDate`, `TrackingNum`, `ShipMethodRef` and `ShipAddr`,
  nothing else. The object's Id is then the order's.

The order is a dependency intake queues first (a synthetic one from the shipment when
neither FlowLink nor QBO has it), so its entity and Id are known by the time the
shipment is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import ObjectView
from objects.types.shipments import ShipmentType, order_key
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import address, put_date, put_text, text
from qbo.mappers.base import Found, Lookup, q
from qbo.mappers.documents import doc_number
from qbo.mappers.orders import order_entity
from qbo.mappers.sales import TRACKING_MAX, SalesDocumentMapper

SHIP_METHOD_MAX = 31


class ShipmentMapper(SalesDocumentMapper, ShipmentType):
    entity = "Invoice"
    label = "invoice"

    # -- which way ----------------------------------------------------------------
    def order_entity(self, view: ObjectView) -> str:
        """What the shipment's order was written as (its qb_state), else what the flow
        would write it as."""
        state = view.dependency_states.get(order_key(view.payload.get("order_id")), {})
        remembered = state.get("entity") or view.qb_state.get("order_entity")
        return str(remembered) if remembered else order_entity(view.params)

    def marks_order(self, view: ObjectView) -> bool:
        return self.order_entity(view) != "Estimate"

    def entity_for(self, view: ObjectView) -> str:
        return self.order_entity(view) if self.marks_order(view) else "Invoice"

    def order_id(self, view: ObjectView) -> str:
        return view.dependency_ids.get(order_key(view.payload.get("order_id")), "")

    # -- lookup -------------------------------------------------------------------
    def lookup(self, view: ObjectView) -> Lookup:
        if not self.marks_order(view):
            return super().lookup(view)
        entity = self.entity_for(view)
        known = self.order_id(view) or view.qb_id
        if known:
            return Lookup(entity, qb_id=known)
        number = doc_number(str(view.payload.get("order_id") or ""))
        return Lookup(entity, statement=f"SELECT * FROM {entity} WHERE DocNumber = {q(number)}")

    def read_lookup(self, view: ObjectView, records: list[dict[str, Any]]) -> Found:
        if not self.marks_order(view):
            found = super().read_lookup(view, records)
        elif not records:
            return Found(
                found=False,
                conflict=(
                    f"order {view.payload.get('order_id')} is not in QuickBooks Online as a "
                    f"{self.entity_for(view)}, so there is nothing to mark shipped"
                ),
            )
        else:
            found = self.read_write(self.entity_for(view), records[0])
        found.details["order_entity"] = self.order_entity(view)
        return found

    # -- bodies -------------------------------------------------------------------
    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        self.check(payload)
        view = self.view(payload, params)
        if self.marks_order(view):
            self.update(view, {"Id": "1", "SyncToken": "0"})
            return
        super().validate(payload, params, adds_only=adds_only)

    def create(self, view: ObjectView) -> dict[str, Any]:
        if self.marks_order(view):
            raise PayloadError(
                "order_id",
                f"order {view.payload.get('order_id')} is not in QuickBooks Online, so there "
                "is nothing to mark shipped",
            )
        body = super().create(view)
        estimate = self.order_id(view)
        if estimate:
            body["LinkedTxn"] = [{"TxnId": estimate, "TxnType": "Estimate"}]
        return body

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        if not self.marks_order(view):
            return super().update(view, current)
        payload = view.payload
        body: dict[str, Any] = {
            "Id": current["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
        }
        shipped = "shipped_at" if not is_blank(payload.get("shipped_at")) else "placed_on"
        put_date(body, "ShipDate", payload.get(shipped), shipped)
        tracking = "tracking_number" if not is_blank(payload.get("tracking_number")) else "tracking"
        put_text(body, "TrackingNum", payload.get(tracking), tracking, TRACKING_MAX)
        method, where = payload.get("shipping_method"), "shipping_method"
        if isinstance(method, Mapping):
            method, where = method.get("name"), "shipping_method.name"
        if not is_blank(method):
            name = text(method, where, SHIP_METHOD_MAX)
            # QBO's ShipMethodRef is free text: its value is the name itself.
            body["ShipMethodRef"] = {"value": name, "name": name}
        ship_to = address(payload.get("shipping_address"), "shipping_address")
        if ship_to is not None:
            body["ShipAddr"] = ship_to
        return body
