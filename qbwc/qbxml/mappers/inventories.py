"""FlowLink inventory levels → QuickBooks InventoryAdjustmentAdd (flowlink §6.11).

Every `set_inventory` call is a new adjustment, never a Mod. To keep a retry from
adjusting twice, intake gives every call a fresh ExternalGUID and the lookup asks
QuickBooks for adjustments with the RefNumber: one carrying this call's GUID means the
adjustment was made already (its answer was lost) and nothing is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.inventories import InventoryType
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    ADD,
    Element,
    LookupResult,
    Mapper,
    ObjectView,
    add_param_ref,
    param_source,
    require,
)
from qbwc.qbxml.mappers.sales import REF_NUMBER_MAX, derive_ref_number
from qbwc.qbxml.parse import text_of
from qbwc.qbxml.values import PayloadError, is_blank


class InventoryMapper(Mapper, InventoryType):
    qb_type = "InventoryAdjustment"

    def adjustment_ref(self, obj: ObjectView) -> str:
        # Not named ref_number: adjustments sharing a RefNumber are expected (one per call),
        # so intake's RefNumber collision check does not apply; the GUID tells them apart.
        return derive_ref_number(obj.identity)

    def write_kind(self, obj: ObjectView) -> str | None:
        # Found means this call's adjustment exists: never Mod or re-add it.
        return None if obj.qb_id else ADD

    def add(self, obj: ObjectView) -> Element:
        payload = obj.payload
        account, source = param_source(obj, "income_account")
        if is_blank(account):
            account, source = param_source(obj, "account_name")
        if is_blank(account):
            raise PayloadError(
                "parameters.quickbooks_income_account",
                "is required: the account of inventory adjustments (set it on the "
                "set_inventory flow; a stored configuration changes only with "
                "quickbooks_force_config=1)",
            )
        rq = E.element("InventoryAdjustmentAddRq")
        body = E.child(rq, "InventoryAdjustmentAdd")
        E.add_ref(body, "AccountRef", account, source, 159)
        E.add_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        E.child(body, "RefNumber", values.text(self.adjustment_ref(obj), "id", REF_NUMBER_MAX))
        add_param_ref(body, "InventorySiteRef", obj, "site_name", 31)
        add_param_ref(body, "ClassRef", obj, "class_name", 159)
        E.add_text(body, "Memo", payload.get("memo"), "memo", 4095)
        guid = values.guid(obj.external_guid)
        if guid:
            E.child(body, "ExternalGUID", guid)
        line = E.child(body, "InventoryAdjustmentLineAdd")
        E.add_ref(line, "ItemRef", str(require(payload, "product_id")), "product_id", 159)
        quantity = require(payload, "quantity")
        if not is_blank(payload.get("value")):
            # ValueAdjustment's NewValue/ValueDifference have maxOccurs="0" in the 13.0 and
            # 16.0 schemas: qbXML cannot revalue stock, so say so instead of dropping it.
            raise PayloadError(
                "value",
                "QuickBooks cannot set an item's value through qbXML; send quantity only "
                "and revalue in QuickBooks",
            )
        # QuantityAdjustment leaves the item's value to QuickBooks (flowlink §6.11).
        adjustment = E.child(line, "QuantityAdjustment")
        E.child(adjustment, "NewQuantity", values.quantity(quantity, "quantity"))
        return rq

    def mod(self, obj: ObjectView) -> Element:
        raise PayloadError("id", "inventory adjustments are never modified, only added")

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        self.add(self.view(payload, params))

    def lookup(self, obj: ObjectView) -> Element:
        """Adjustments with our RefNumber; the stored TxnID may be an earlier call's."""
        rq = E.element("InventoryAdjustmentQueryRq")
        E.child(
            rq,
            "RefNumberCaseSensitive",
            values.text(self.adjustment_ref(obj), "id", REF_NUMBER_MAX),
        )
        return rq

    def read_lookup(self, obj: ObjectView, rets: list[Element]) -> LookupResult:
        ours = (values.guid(obj.external_guid) or "").upper()
        for ret in rets:
            if ours and text_of(ret, "ExternalGUID").upper() == ours:
                return LookupResult(
                    found=True,
                    qb_id=text_of(ret, "TxnID"),
                    edit_sequence=text_of(ret, "EditSequence"),
                )
        return LookupResult(found=False)

    def read_write(self, rets: list[Element]) -> LookupResult:
        if not rets:
            return LookupResult(found=False)
        return LookupResult(
            found=True,
            qb_id=text_of(rets[0], "TxnID"),
            edit_sequence=text_of(rets[0], "EditSequence"),
        )
