"""FlowLink orders → a QuickBooks Online SalesReceipt, Invoice or Estimate (flowlink §6.3).

QBO has no sales order (qbo-api §1): the flow parameter `qbo_order_as` chooses
`sales_receipt` (the default: a web order is paid when placed), `invoice` or `estimate`.
Once written, the entity is the one remembered in `qb_state["entity"]`, so a later change
of the parameter does not look for the order in the wrong place.

`cancel_order` (a cancelled or closed status): QBO cannot close a document by a flag as
the Desktop closes a sales order, so an order QBO has is voided (Invoice, SalesReceipt:
it stays, with zero amounts, "Voided") or deleted (Estimate: it books nothing, and QBO
voids no estimate). A cancelled order QBO never had is not written (recording a sale
only to void it would leave a zero document); one voided already is left alone. Without
line_items and not in QBO, there is nothing to cancel: refused like the Desktop does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.types.base import ObjectView
from objects.types.orders import OrderType
from objects.types.sales import is_cancelled
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import put_date
from qbo.mappers.base import DELETE, VOID
from qbo.mappers.sales import SalesDocumentMapper

ORDER_PARAMETER = "qbo_order_as"
ORDER_ENTITIES: dict[str, str] = {
    "sales_receipt": "SalesReceipt",
    "invoice": "Invoice",
    "estimate": "Estimate",
}
DEFAULT_ORDER_AS = "sales_receipt"
LABELS = {"SalesReceipt": "sales receipt", "Invoice": "invoice", "Estimate": "estimate"}


def order_entity(params: Mapping[str, Any]) -> str:
    """The entity `qbo_order_as` chooses; an unknown value names the parameter."""
    raw = params.get(ORDER_PARAMETER)
    chosen = DEFAULT_ORDER_AS if is_blank(raw) else str(raw).strip().lower()
    if chosen not in ORDER_ENTITIES:
        raise PayloadError(
            f"parameters.{ORDER_PARAMETER}",
            f"{raw!r} is not one of {', '.join(ORDER_ENTITIES)}",
        )
    return ORDER_ENTITIES[chosen]


class OrderMapper(SalesDocumentMapper, OrderType):
    entity = "SalesReceipt"
    label = "order"
    # An order written as a sales receipt deposits like one (flowlink §6.1 chain).
    deposit_fields: ClassVar[tuple[str, ...]] = ("deposit_account", "deposit_to_account_name")

    def entity_for(self, view: ObjectView) -> str:
        remembered = view.qb_state.get("entity")
        return str(remembered) if remembered else order_entity(view.params)

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        if self.is_bare_cancel(payload):
            # Closing by id alone needs only the id and the entity; nothing is built.
            view = self.view(payload, params)
            order_entity(params)
            self.ref_number(view)
            return
        super().validate(payload, params, adds_only=adds_only)

    def write_kind(self, view: ObjectView) -> str | None:
        if not is_cancelled(view.payload):
            return super().write_kind(view)
        if view.qb_id:
            if view.qb_state.get("voided"):
                return None
            return DELETE if self.entity_for(view) == "Estimate" else VOID
        return super().write_kind(view) if self.is_bare_cancel(view.payload) else None

    def create(self, view: ObjectView) -> dict[str, Any]:
        if self.is_bare_cancel(view.payload):
            raise PayloadError(
                "line_items",
                f"the order is not in QuickBooks Online as a "
                f"{LABELS[self.entity_for(view)]}, so there is nothing to cancel",
            )
        return super().create(view)

    def header(self, body: dict[str, Any], view: ObjectView) -> None:
        entity = self.entity_for(view)
        if entity == "SalesReceipt":
            self.receipt_header(body, view)
        elif entity == "Invoice":
            put_date(body, "DueDate", view.payload.get("due_date"), "due_date")
        elif entity == "Estimate":
            put_date(body, "ExpirationDate", view.payload.get("due_date"), "due_date")

    def delete(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        body = super().delete(view, current)
        if self.entity_for(view) == "SalesReceipt":
            # A sales receipt is voided by a sparse update with include=void (qbo-api §2).
            body["sparse"] = True
        return body
