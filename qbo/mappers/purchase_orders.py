"""FlowLink purchase orders → a QuickBooks Online PurchaseOrder (flowlink §6.6).

Lines are `ItemBasedExpenseLineDetail` on the line's item, priced by `line_item_price`,
else `cost`, else `price`; adjustments are item lines too (QBO purchase orders have no
discount line or tax detail). A cancelled status closes the order (`POStatus` Closed).
"""

from __future__ import annotations

from typing import Any

from objects.types.base import ObjectView, param_source
from objects.types.purchase_orders import PurchaseOrderType, vendor_ref
from objects.types.sales import is_cancelled
from objects.types.values import PayloadError, is_blank
from qbo.mappers.amounts import address, put_date, put_text, text
from qbo.mappers.base import Ref
from qbo.mappers.documents import DocumentMapper, party_ref, private_note
from qbo.mappers.lines import PURCHASE_DETAIL, adjustment_lines, item_line

# The payables account of the double's (and a new QBO company's) starter chart.
DEFAULT_AP_ACCOUNT = "Accounts Payable (A/P)"
VENDOR_MESSAGE_MAX = 4000


class PurchaseOrderMapper(DocumentMapper, PurchaseOrderType):
    entity = "PurchaseOrder"
    label = "purchase order"

    def create(self, view: ObjectView) -> dict[str, Any]:
        payload = view.payload
        field, ref = vendor_ref(payload)
        body: dict[str, Any] = {
            "VendorRef": party_ref(view, "vendors", "Vendor", ref, field),
            "DocNumber": self.ref_number(view),
        }
        account, source = param_source(view, "ap_account")
        if is_blank(account):
            account, source = DEFAULT_AP_ACCOUNT, "parameters.quickbooks_ap_account"
        body["APAccountRef"] = Ref(
            "Account", text(account, source, 100), "FullyQualifiedName", source
        )
        put_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        put_date(
            body, "DueDate", payload.get("due_date") or payload.get("expected_date"), "due_date"
        )
        for key, name in (("VendorAddr", "vendor_address"), ("ShipAddr", "shipping_address")):
            found = address(payload.get(name), name)
            if found is not None:
                body[key] = found
        put_text(body, "Memo", payload.get("vendor_message"), "vendor_message", VENDOR_MESSAGE_MAX)
        body["PrivateNote"] = private_note(view, payload.get("memo"))
        if is_cancelled(payload):
            body["POStatus"] = "Closed"
        items = payload.get("line_items") or []
        if not isinstance(items, list):
            raise PayloadError("line_items", "must be a list of objects")
        lines = [
            item_line(view, line, index, PURCHASE_DETAIL, ("line_item_price", "cost", "price"))
            for index, line in enumerate(items)
        ]
        adjustments = self.adjustment_lines(payload, view.params)
        lines += adjustment_lines(view, adjustments, is_sales=False).lines
        if not lines:
            raise PayloadError("line_items", "a purchase order needs at least one line")
        body["Line"] = lines
        return body
