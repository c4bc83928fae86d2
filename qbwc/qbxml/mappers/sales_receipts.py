"""FlowLink sales receipts and returns → QuickBooks SalesReceipt (flowlink §6.5, §6.9).

Lines, adjustments, tax lines and dependencies follow the sales order rules (§6.2, §5.6)
on the shared LinesMapper; both mappers compose `SalesReceiptForm`, what a sales receipt
does differently: its header, group lines, line tax codes by ListID and the element
names. What makes a return a return is objects.types.sales_receipts'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from objects.types.sales import address_or_placeholder, customer_name
from objects.types.sales_receipts import ReturnType, SalesReceiptType
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    Element,
    ObjectView,
    add_param_ref,
    param_source,
)
from qbwc.qbxml.mappers.lines import LinesMapper
from qbwc.qbxml.mappers.sales import REF_NUMBER_MAX
from qbwc.qbxml.values import is_blank, is_on

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


# The form is mixed in before LinesMapper; to the type checker it is one.
if TYPE_CHECKING:
    _FormBase = LinesMapper
else:
    _FormBase = object


class SalesReceiptForm(_FormBase):
    """The SalesReceipt request sales receipts and returns are both written as."""

    deposit_fields: ClassVar[tuple[str, ...]]  # the type's (objects.types.sales_receipts)

    qb_type = "SalesReceipt"
    qb_label = "sales receipt"
    adjustment_refs = True
    line_tags: ClassVar[tuple[str, ...]] = ("SalesReceiptLineRet", "SalesReceiptLineGroupRet")

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
            # SalesTaxCodeRef is the last child LinesMapper writes; a ListID wins over a name.
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
        """The first of the type's `deposit_fields` the object or the flow sets."""
        value, source = None, self.deposit_fields[-1]
        for name in self.deposit_fields:
            value, source = param_source(obj, name)
            if value is not None:
                break
        return value, source


class SalesReceiptMapper(SalesReceiptForm, LinesMapper, SalesReceiptType):
    pass


class ReturnMapper(SalesReceiptForm, LinesMapper, ReturnType):
    """A FlowLink return, booked as a positive sales receipt like upstream did (§6.9)."""

    def add(self, obj: ObjectView) -> Element:
        with self.fields_of_the_return(obj.payload):
            return super().add(obj)

    def mod(self, obj: ObjectView) -> Element:
        with self.fields_of_the_return(obj.payload):
            return super().mod(obj)
