"""The qbXML of every transaction with item and adjustment lines (flowlink §6.2; qbxml §18).

Orders, invoices, credit memos, sales receipts, returns, purchase orders and shipments are
siblings on `LinesMapper`: each sets `qb_type`, the header elements it sends
(`header_tags`) and, where its form differs, overrides `_header` and `_line` with the
pieces of its own module. The FlowLink side (dependencies, adjustments) is
objects.types.lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from objects.types.invoices import credits_to_apply
from objects.types.lines import LinesType
from objects.types.sales import AdjustmentLine, address_or_placeholder, customer_name, is_cancelled
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import Element, LookupResult, ObjectView, as_found
from qbwc.qbxml.mappers.sales import HEADER_FIELDS, REF_NUMBER_MAX, line_value
from qbwc.qbxml.mappers.transactions import TransactionMapper
from qbwc.qbxml.parse import text_of
from qbwc.qbxml.values import PayloadError, is_blank, is_on

# The sales order's header elements (HEADER_FIELDS; the order set is upstream's).
ORDER_HEADER_TAGS = frozenset(
    {
        "ClassRef",
        "TemplateRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "PONumber",
        "TermsRef",
        "ShipDate",
        "IsManuallyClosed",
        "Memo",
    }
)


class LinesMapper(TransactionMapper, LinesType):
    """Base of every transaction type with item and adjustment lines."""

    # Adjustment lines also carry the adjustment's class_name and tax_code_id (§6.2 names
    # them for sales receipts; sales orders and invoices never sent them).
    adjustment_refs: ClassVar[bool] = False
    # Header elements of HEADER_FIELDS this type sends.
    header_tags: ClassVar[frozenset[str]] = ORDER_HEADER_TAGS
    # Header elements the Mod of this type does not accept.
    add_only_tags: ClassVar[frozenset[str]] = frozenset()

    # Invoice forms: the lookup reads the credit memos linked to the record and the
    # request applies the object's credit_memos[] (flowlink §6.4).
    links_credits: ClassVar[bool] = False

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        if self.is_bare_cancel(payload):
            self.mod(as_found(self.view(payload, params)))
            return
        super().validate(payload, params, adds_only=adds_only)

    # -- lookup -----------------------------------------------------------------
    def lookup(self, obj: ObjectView) -> Element:
        rq = super().lookup(obj)
        if self.links_credits:
            E.child(rq, "IncludeLinkedTxns", "true")  # schema order: after IncludeLineItems
        return rq

    def _found(self, chosen: Element) -> LookupResult:
        found = super()._found(chosen)
        if not self.links_credits:
            return found
        found.details["linked"] = [
            text_of(link, "TxnID")
            for link in chosen.findall("LinkedTxn")
            if text_of(link, "TxnType") == "CreditMemo"
        ]
        return found

    # -- lines ------------------------------------------------------------------
    def _line(
        self,
        parent: Element,
        tag: str,
        obj: ObjectView,
        line: Mapping[str, Any],
        index: int,
        txn_line_id: str | None,
    ) -> None:
        node = self._line_start(parent, tag, line, f"line_items[{index}]", txn_line_id)
        E.add_text(
            node,
            "Desc",
            line.get("description") or line.get("name"),
            f"line_items[{index}].description",
            4095,
        )
        rate = line.get("line_item_price", line.get("price"))
        self._line_amounts(node, line, rate, f"line_items[{index}]")
        E.add_ref(
            node,
            "InventorySiteRef",
            line.get("inventory_site_name"),
            f"line_items[{index}].inventory_site_name",
            31,
        )
        E.add_ref(
            node, "SalesTaxCodeRef", line.get("tax_code_id"), f"line_items[{index}].tax_code_id", 3
        )
        self._line_tail(node, obj, line, index, txn_line_id is None)

    def _line_start(
        self,
        parent: Element,
        tag: str,
        line: Mapping[str, Any],
        where: str,
        txn_line_id: str | None,
    ) -> Element:
        """The line's element with its TxnLineID (on a Mod) and ItemRef."""
        node = E.child(parent, tag)
        if txn_line_id is not None:
            E.child(node, "TxnLineID", txn_line_id)
        E.add_ref(node, "ItemRef", str(line["product_id"]), f"{where}.product_id", 159)
        return node

    def _line_amounts(self, node: Element, line: Mapping[str, Any], rate: Any, where: str) -> None:
        """Quantity, UnitOfMeasure, Rate, ClassRef and Amount, in XSD order; which of
        quantity, rate and amount are sent is line_value's choice."""
        sends = line_value(line, rate, where)
        if sends.quantity:
            E.add_price(node, "Quantity", line.get("quantity"), f"{where}.quantity")
        E.add_text(
            node, "UnitOfMeasure", line.get("unit_of_measure"), f"{where}.unit_of_measure", 31
        )
        if sends.rate:
            E.add_price(node, "Rate", rate, f"{where}.price")
        E.add_ref(node, "ClassRef", line.get("class_name"), f"{where}.class_name")
        if sends.amount:
            E.add_amount(node, "Amount", line.get("amount"), f"{where}.amount")

    def _line_tail(
        self, node: Element, obj: ObjectView, line: Mapping[str, Any], index: int, is_add: bool
    ) -> None:
        """Hook: line elements after SalesTaxCodeRef (a shipment line's LinkToTxn)."""

    def _adjustment_line(
        self,
        parent: Element,
        tag: str,
        obj: ObjectView,
        adjustment: AdjustmentLine,
        txn_line_id: str | None,
    ) -> None:
        """One adjustment or tax line (flowlink §6.2): always its value as Amount, and no
        Quantity; the class and tax code where `adjustment_refs`.

        Upstream sent Quantity 0 + Rate, which QuickBooks books as 0 × rate = 0.00. The
        Rate (the value, for one) still goes along unless the adjustment has its own
        `amount` or the flow sets use_amount_for_tax, as upstream's Amount-only lines.
        """
        entry, where, value = adjustment.entry, adjustment.where, adjustment.value
        node = E.child(parent, tag)
        if txn_line_id is not None:
            E.child(node, "TxnLineID", txn_line_id)
        E.add_ref(node, "ItemRef", adjustment.item, f"{where}.item", 159)
        E.add_text(
            node, "Desc", entry.get("description") or entry.get("name"), f"{where}.name", 4095
        )
        use_amount = not is_blank(entry.get("amount")) or is_on(
            obj.params.get("use_amount_for_tax")
        )
        if not use_amount:
            E.add_price(node, "Rate", value, f"{where}.value")
        if self.adjustment_refs:
            E.add_ref(node, "ClassRef", entry.get("class_name"), f"{where}.class_name")
        E.add_amount(node, "Amount", value, f"{where}.value")
        if self.adjustment_refs:
            E.add_ref(node, "SalesTaxCodeRef", entry.get("tax_code_id"), f"{where}.tax_code_id", 3)

    def _lines(
        self, rq_body: Element, obj: ObjectView, tag: str, existing: list[dict[str, str]] | None
    ) -> None:
        payload = obj.payload
        lines = payload.get("line_items") or []
        adjustments = self.adjustment_lines(payload, obj.params)
        if not lines and not adjustments:
            if existing is not None and self.is_bare_cancel(payload):
                return  # a Mod without lines keeps the lines QuickBooks has
            raise PayloadError("line_items", f"a {self.qb_label} needs at least one line")
        unused = list(existing or [])

        def take(item: str) -> str | None:
            if existing is None:
                return None
            # Mod: reuse the TxnLineID of the first unused line with the same item
            # (two lines with one item match by position), else add a line (-1).
            for position, old in enumerate(unused):
                if old.get("item", "").upper() == item.upper():
                    return unused.pop(position)["txn_line_id"]
            return "-1"

        for index, line in enumerate(lines):
            if not isinstance(line, Mapping):
                raise PayloadError(f"line_items[{index}]", "must be an object")
            if is_blank(line.get("product_id")):
                raise PayloadError(f"line_items[{index}].product_id", "is required")
            self._line(rq_body, tag, obj, line, index, take(str(line.get("product_id", ""))))
        for adjustment in adjustments:
            self._adjustment_line(rq_body, tag, obj, adjustment, take(adjustment.item))

    # -- header -------------------------------------------------------------------
    def _header_value(self, obj: ObjectView, fields: tuple[str, ...]) -> tuple[str, Any]:
        for name in fields:
            value = obj.payload.get(name)
            if not is_blank(value):
                return name, value
        return (fields[0] if fields else ""), None

    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        if is_add or not self.is_bare_cancel(payload):
            field, ref = customer_name(payload, obj.params)
            E.add_ref(body, "CustomerRef", ref, field)
        bare = not is_add and self.is_bare_cancel(payload)
        for tag, kind, fields, max_length in HEADER_FIELDS:
            if tag not in self.header_tags or (not is_add and tag in self.add_only_tags):
                continue
            if bare and tag != "IsManuallyClosed":
                continue  # cancelling by id alone must not overwrite the order's data
            field, value = self._header_value(obj, fields)
            if kind == "ref":
                E.add_ref(body, tag, value, field, max_length)
            elif kind == "text":
                E.add_text(body, tag, value, field, max_length)
            elif kind == "date":
                E.add_date(body, tag, value, field)
            elif kind == "bool":
                E.add_bool(body, tag, value)
            elif kind == "float":
                E.add_price(body, tag, value, field)
            elif kind == "ref_number":
                E.child(body, "RefNumber", values.text(self.ref_number(obj), "id", REF_NUMBER_MAX))
            elif kind == "address":
                E.add_address(body, tag, address_or_placeholder(value), field)
            elif kind == "closed" and is_cancelled(payload):
                E.child(body, tag, "true")
        if is_add:
            guid = values.guid(obj.external_guid or payload.get("external_guid"))
            if guid:
                E.child(body, "ExternalGUID", guid)
        self._after_guid(body, obj, is_add)

    def _after_guid(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        """SetCredit: the credit memos to apply to an invoice (flowlink §6.4).

        Schema order: ExternalGUID, LinkToTxnID*, SetCredit*, lines (upstream put
        SetCredit before ExternalGUID and QuickBooks refused the whole message).
        """
        if not self.links_credits:
            return
        own_id = obj.qb_id or self.known_qb_id(obj.payload)
        for index, memo_id, applied in credits_to_apply(obj, own_id):
            credit = E.child(body, "SetCredit")
            E.child(
                credit, "CreditTxnID", values.text(memo_id, f"credit_memos[{index}].qbe_id", 36)
            )
            E.child(
                credit,
                "AppliedAmount",
                values.amount(applied, f"credit_memos[{index}].applied_amount"),
            )
            E.child(credit, "Override", "false")

    def as_order(self, obj: ObjectView) -> ObjectView:
        """The object with its payload read as an order (LinesType.normalise)."""
        payload = self.normalise(obj.payload, obj.params)
        return obj if payload is obj.payload else replace(obj, payload=dict(payload))

    def add(self, obj: ObjectView) -> Element:
        obj = self.as_order(obj)
        if self.is_bare_cancel(obj.payload):
            raise PayloadError(
                "line_items",
                f"the {self.qb_label} is not in QuickBooks, so there is nothing to cancel; "
                "send it with its line_items to record it closed",
            )
        rq = E.element(f"{self.qb_type}AddRq")
        body = E.child(rq, f"{self.qb_type}Add")
        self._header(body, obj, is_add=True)
        self._lines(body, obj, f"{self.qb_type}LineAdd", None)
        return rq

    def mod(self, obj: ObjectView) -> Element:
        obj = self.as_order(obj)
        rq, body = self._mod_request(obj)
        self._header(body, obj, is_add=False)
        self._lines(body, obj, f"{self.qb_type}LineMod", list(obj.qb_state.get("lines", [])))
        return rq
