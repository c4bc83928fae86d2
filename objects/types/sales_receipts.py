"""FlowLink sales receipts and returns (flowlink §6.5, §6.9), read as orders.

A return is booked as a positive sales receipt like upstream did; both say in `normalise`
how their payload reads as an order, and where their deposit account comes from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from objects.types.lines import LinesType
from objects.types.values import PayloadError, is_blank


class SalesReceiptType(LinesType):
    object_type = "salesreceipts"
    payload_types = ("salesreceipt",)
    echo_key = "sales_receipts"
    notice_name = "Salesreceipt"
    # The fields (flowlink §6.1 fallback chain) naming the deposit account, first found wins.
    deposit_fields: ClassVar[tuple[str, ...]] = ("deposit_to_account_name",)

    def normalise(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        """The payload in sales order shape: `customer_name` becomes `customer.name`."""
        out = dict(payload)
        if is_blank(out.get("customer")) and not is_blank(out.get("customer_name")):
            out["customer"] = {"name": out["customer_name"]}
        return out


class ReturnType(LinesType):
    """A FlowLink return (§6.9)."""

    object_type = "returns"
    payload_types = ("return",)
    echo_key = "returns"
    notice_name = "Return"
    # flowlink §6.9: returns take the deposit account from the flow parameter.
    deposit_fields: ClassVar[tuple[str, ...]] = ("deposit_account", "deposit_to_account_name")

    def normalise(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(payload)
        if is_blank(out.get("customer")):
            # flowlink §6.9: the return's e-mail is the QuickBooks customer name.
            email = out.get("email")
            if is_blank(email) and is_blank(params.get("quickbooks_customer_email")):
                raise PayloadError("email", "is required (the QuickBooks customer of the return)")
            if not is_blank(email):
                out["customer"] = {"name": email}
        if is_blank(out.get("line_items")):
            out["line_items"] = self._return_lines(payload.get("items"))
        refunds = out.get("refunds")
        if is_blank(out.get("payment_method_name")) and isinstance(refunds, list) and refunds:
            first = refunds[0]
            if isinstance(first, Mapping) and not is_blank(first.get("payment_method")):
                out["payment_method_name"] = first["payment_method"]
        return out

    @contextmanager
    def fields_of_the_return(self, payload: Mapping[str, Any]) -> Iterator[None]:
        """Name the return's own fields (items[i].return_authorized, refunds[0].…, email),
        not the order fields `normalise` built from them, in a refusal raised inside."""
        try:
            yield
        except PayloadError as exc:
            field = exc.field
            if field.startswith("line_items") and is_blank(payload.get("line_items")):
                field = "items" + field[len("line_items") :]
                field = field.replace(".quantity", ".return_authorized")
            elif field == "payment_method_name" and is_blank(payload.get(field)):
                field = "refunds[0].payment_method"
            elif field == "customer.name" and is_blank(payload.get("customer")):
                field = "email"
            if field == exc.field:
                raise
            raise PayloadError(field, exc.reason) from exc

    def _return_lines(self, items: Any) -> list[dict[str, Any]]:
        if is_blank(items):
            raise PayloadError("items", "a return needs at least one item")
        if not isinstance(items, list):
            raise PayloadError("items", "must be a list of objects")
        lines: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise PayloadError(f"items[{index}]", "must be an object")
            if is_blank(item.get("product_id")):
                raise PayloadError(f"items[{index}].product_id", "is required")
            quantity = item.get("return_authorized", item.get("quantity"))
            line = {
                "product_id": item["product_id"],
                "name": item.get("description") or item.get("name"),
                "quantity": quantity,
                "price": item.get("price"),
                "tax_code_id": item.get("tax_code_id"),
            }
            lines.append({k: v for k, v in line.items() if not is_blank(v)})
        return lines
