"""FlowLink purchase orders → QuickBooks PurchaseOrder (flowlink §6.6, §5.6).

Lines and adjustments follow the sales order rules (§6.2) on the shared LinesMapper; the
header names a vendor instead of a customer, and a PurchaseOrder line has no
InventorySiteRef (the site is a header field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.purchase_orders import PurchaseOrderType, vendor_ref
from objects.types.sales import address_or_placeholder, is_cancelled
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    Element,
    ObjectView,
    add_param_ref,
)
from qbwc.qbxml.mappers.lines import LinesMapper
from qbwc.qbxml.mappers.sales import REF_NUMBER_MAX
from qbwc.qbxml.values import is_blank


class PurchaseOrderMapper(LinesMapper, PurchaseOrderType):
    qb_type = "PurchaseOrder"
    qb_label = "purchase order"
    adjustment_refs = True
    line_tags = ("PurchaseOrderLineRet", "PurchaseOrderLineGroupRet")

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
        where = f"line_items[{index}]"
        node = self._line_start(parent, tag, line, where, txn_line_id)
        E.add_text(
            node,
            "ManufacturerPartNumber",
            line.get("manufacturer_part_number"),
            f"{where}.manufacturer_part_number",
            31,
        )
        E.add_text(
            node, "Desc", line.get("description") or line.get("name"), f"{where}.description", 4095
        )
        rate = line.get("line_item_price", line.get("cost", line.get("price")))
        self._line_amounts(node, line, rate, where)
        E.add_ref(node, "CustomerRef", line.get("customer_name"), f"{where}.customer_name")
        E.add_ref(node, "SalesTaxCodeRef", line.get("tax_code_id"), f"{where}.tax_code_id", 3)

    # -- header -------------------------------------------------------------------
    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        field, ref = vendor_ref(payload)
        E.add_ref(body, "VendorRef", ref, field)
        add_param_ref(body, "ClassRef", obj, "class_name")
        add_param_ref(body, "InventorySiteRef", obj, "inventory_site_name", 31)
        E.add_ref(
            body,
            "TemplateRef",
            payload.get("template_name") or payload.get("template"),
            "template_name",
            31,
        )
        E.add_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        E.child(body, "RefNumber", values.text(self.ref_number(obj), "id", REF_NUMBER_MAX))
        E.add_address(body, "VendorAddress", payload.get("vendor_address"), "vendor_address")
        E.add_address(
            body,
            "ShipAddress",
            address_or_placeholder(payload.get("shipping_address")),
            "shipping_address",
        )
        add_param_ref(body, "TermsRef", obj, "terms_name", 31)
        E.add_date(body, "DueDate", payload.get("due_date"), "due_date")
        E.add_date(body, "ExpectedDate", payload.get("expected_date"), "expected_date")
        E.add_ref(
            body, "ShipMethodRef", payload.get("shipping_method_name"), "shipping_method_name", 15
        )
        E.add_text(body, "FOB", payload.get("fob"), "fob", 13)
        if not is_add and is_cancelled(payload):
            # flowlink §6.6: PurchaseOrderAdd has no IsManuallyClosed (upstream sent it anyway).
            E.child(body, "IsManuallyClosed", "true")
        E.add_text(body, "Memo", payload.get("memo"), "memo", 4095)
        E.add_text(body, "VendorMsg", payload.get("vendor_message"), "vendor_message", 99)
        for tag, key in (
            ("IsToBePrinted", "is_to_be_printed"),
            ("IsToBeEmailed", "is_to_be_emailed"),
            ("IsTaxIncluded", "is_tax_included"),
        ):
            if not is_blank(payload.get(key)):
                E.child(body, tag, values.boolean(payload[key]))
        E.add_text(body, "Other1", payload.get("other1"), "other1", 25)
        E.add_text(body, "Other2", payload.get("other2"), "other2", 29)
        E.add_price(body, "ExchangeRate", payload.get("exchange_rate"), "exchange_rate")
        if is_add:
            guid = values.guid(obj.external_guid or payload.get("external_guid"))
            if guid:
                E.child(body, "ExternalGUID", guid)
