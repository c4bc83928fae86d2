"""FlowLink sales receipts and returns → QuickBooks SalesReceipt (flowlink §6.5, §6.9).

Lines, adjustments, tax lines and dependencies follow the sales order rules (§6.2, §5.6),
so both mappers extend OrderMapper and change only what a sales receipt does differently:
its header, group lines, line tax codes by ListID and the element names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import (
    Dependency,
    Element,
    ObjectView,
    add_param_ref,
    param_source,
)
from objects.qbxml.mappers.orders import (
    REF_NUMBER_MAX,
    OrderMapper,
    address_or_placeholder,
    customer_name,
)
from objects.qbxml.values import PayloadError, is_blank, is_on

# FullName facets of the refs a sales receipt header uses (qbxml130.xsd).
CLASS_REF = 159
SIMPLE_REF = 31
SALES_REP_REF = 5
SALES_TAX_CODE_REF = 3
CUSTOMER_MSG_REF = 101
ACCOUNT_REF = 159


def _flag(body: Element, tag: str, value: Any) -> None:
    if not is_blank(value):
        E.child(body, tag, values.boolean(value))


class SalesReceiptMapper(OrderMapper):
    object_type = "salesreceipts"
    payload_types = ("salesreceipt",)
    echo_key = "sales_receipts"
    notice_name = "Salesreceipt"
    qb_type = "SalesReceipt"
    qb_label = "sales receipt"
    adjustment_refs = True
    line_tags = ("SalesReceiptLineRet", "SalesReceiptLineGroupRet")

    # -- payload shape ------------------------------------------------------------
    def normalise(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        """The payload in sales order shape: `customer_name` becomes `customer.name`."""
        out = dict(payload)
        if is_blank(out.get("customer")) and not is_blank(out.get("customer_name")):
            out["customer"] = {"name": out["customer_name"]}
        return out

    def _normalised(self, obj: ObjectView) -> ObjectView:
        return ObjectView(**{**obj.__dict__, "payload": self.normalise(obj.payload, obj.params)})

    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        normalised = self.normalise(payload, params)
        return super().dependencies(normalised, params)

    # -- lines --------------------------------------------------------------------
    def _line(
        self,
        parent: Element,
        tag: str,
        obj: ObjectView,
        line: Mapping[str, Any],
        index: int,
        txn_line_id: str | None,
    ) -> None:
        if is_on(line.get("is_group")):
            self._group_line(parent, tag, line, index, txn_line_id)
            return
        super()._line(parent, tag, obj, line, index, txn_line_id)
        tax_list_id = line.get("tax_list_id")
        if not is_blank(tax_list_id):
            # SalesTaxCodeRef is the last child OrderMapper writes; a ListID wins over a name.
            node = parent[-1]
            for old in node.findall("SalesTaxCodeRef"):
                node.remove(old)
            ref = E.child(node, "SalesTaxCodeRef")
            E.child(ref, "ListID", values.text(tax_list_id, f"line_items[{index}].tax_list_id", 36))

    def _group_line(
        self,
        parent: Element,
        tag: str,
        line: Mapping[str, Any],
        index: int,
        txn_line_id: str | None,
    ) -> None:
        """An item group line: ItemGroupRef, no Rate/ClassRef (flowlink §12 #16)."""
        where = f"line_items[{index}]"
        node = E.child(parent, tag.replace("SalesReceiptLine", "SalesReceiptLineGroup"))
        if txn_line_id is not None:
            E.child(node, "TxnLineID", txn_line_id)
        E.add_ref(node, "ItemGroupRef", str(line["product_id"]), f"{where}.product_id", 159)
        if txn_line_id is None:
            desc = line.get("description") or line.get("name")
            E.add_text(node, "Desc", desc, f"{where}.description", 4095)
        E.add_price(node, "Quantity", line.get("quantity"), f"{where}.quantity")
        E.add_text(node, "UnitOfMeasure", line.get("unit_of_measure"), f"{where}.uom", 31)
        if txn_line_id is None:
            E.add_ref(
                node,
                "InventorySiteRef",
                line.get("inventory_site_name"),
                f"{where}.inventory_site_name",
                SIMPLE_REF,
            )

    # -- header -------------------------------------------------------------------
    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        field, ref = customer_name(payload, obj.params)
        E.add_ref(body, "CustomerRef", ref, field)
        add_param_ref(body, "ClassRef", obj, "class_name", CLASS_REF)
        E.add_ref(
            body,
            "TemplateRef",
            payload.get("template_name") or payload.get("template"),
            "template_name",
            SIMPLE_REF,
        )
        E.add_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        E.child(body, "RefNumber", values.text(self.ref_number(obj), "id", REF_NUMBER_MAX))
        E.add_address(
            body,
            "BillAddress",
            address_or_placeholder(payload.get("billing_address")),
            "billing_address",
        )
        E.add_address(
            body,
            "ShipAddress",
            address_or_placeholder(payload.get("shipping_address")),
            "shipping_address",
        )
        _flag(body, "IsPending", payload.get("is_pending"))
        E.add_text(body, "CheckNumber", payload.get("check_number"), "check_number", 25)
        method = payload.get("payment_method_name")
        if is_blank(method) and isinstance(payload.get("payment_method"), Mapping):
            method = payload["payment_method"].get("name")
        elif is_blank(method) and not is_blank(payload.get("payment_method")):
            method = payload.get("payment_method")
        E.add_ref(body, "PaymentMethodRef", method, "payment_method_name", SIMPLE_REF)
        E.add_date(body, "DueDate", payload.get("due_date"), "due_date")
        E.add_ref(
            body, "SalesRepRef", payload.get("sales_rep_name"), "sales_rep_name", SALES_REP_REF
        )
        E.add_date(body, "ShipDate", payload.get("ship_date"), "ship_date")
        E.add_ref(
            body,
            "ShipMethodRef",
            payload.get("shipping_method_name"),
            "shipping_method_name",
            15,
        )
        E.add_text(body, "FOB", payload.get("fob"), "fob", 13)
        E.add_ref(
            body,
            "ItemSalesTaxRef",
            payload.get("item_sales_tax_name"),
            "item_sales_tax_name",
            SIMPLE_REF,
        )
        E.add_text(body, "Memo", payload.get("memo"), "memo", 4095)
        E.add_ref(
            body,
            "CustomerMsgRef",
            payload.get("customer_message_name"),
            "customer_message_name",
            CUSTOMER_MSG_REF,
        )
        _flag(body, "IsToBePrinted", payload.get("is_to_be_printed"))
        _flag(body, "IsToBeEmailed", payload.get("is_to_be_emailed"))
        _flag(body, "IsTaxIncluded", payload.get("is_tax_included"))
        E.add_ref(
            body,
            "CustomerSalesTaxCodeRef",
            payload.get("customer_sales_tax_code_name"),
            "customer_sales_tax_code_name",
            SALES_TAX_CODE_REF,
        )
        account, source = self.deposit_account(obj)
        E.add_ref(body, "DepositToAccountRef", account, source, ACCOUNT_REF)
        E.add_text(body, "Other", payload.get("other"), "other", 29)
        E.add_price(body, "ExchangeRate", payload.get("exchange_rate"), "exchange_rate")
        if is_add:
            guid = values.guid(obj.external_guid or payload.get("external_guid"))
            if guid:
                E.child(body, "ExternalGUID", guid)

    def deposit_account(self, obj: ObjectView) -> tuple[Any, str]:
        return param_source(obj, "deposit_to_account_name")

    def add(self, obj: ObjectView) -> Element:
        return super().add(self._normalised(obj))

    def mod(self, obj: ObjectView) -> Element:
        return super().mod(self._normalised(obj))


class ReturnMapper(SalesReceiptMapper):
    """A FlowLink return, booked as a positive sales receipt like upstream did (§6.9)."""

    object_type = "returns"
    payload_types = ("return",)
    echo_key = "returns"
    notice_name = "Return"

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

    def add(self, obj: ObjectView) -> Element:
        with self._fields_of_the_return(obj.payload):
            return super().add(obj)

    def mod(self, obj: ObjectView) -> Element:
        with self._fields_of_the_return(obj.payload):
            return super().mod(obj)

    @contextmanager
    def _fields_of_the_return(self, payload: Mapping[str, Any]) -> Iterator[None]:
        """Name the return's own fields (items[0].return_authorized, refunds[0].…, email),
        not the sales receipt fields built from them, in a refusal."""
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
            raise PayloadError(field, exc.reason) from exc

    def deposit_account(self, obj: ObjectView) -> tuple[Any, str]:
        # flowlink §6.9: returns take the deposit account from the flow parameter.
        value, source = param_source(obj, "deposit_account")
        return (value, source) if value is not None else super().deposit_account(obj)
