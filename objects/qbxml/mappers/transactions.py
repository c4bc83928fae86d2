"""What every transaction type shares: finding our record among those with a RefNumber.

QuickBooks does not keep RefNumbers unique, so a lookup by RefNumber may return several
transactions; ours is the one with our TxnID or ExternalGUID (flowlink §5.5, §12 #1, #8).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import (
    Element,
    LookupResult,
    ObjectView,
)
from objects.qbxml.parse import text_of
from objects.qbxml.values import is_blank, is_on


def transaction_reference(obj: ObjectView) -> str:
    """flowlink §10.1: the `list_id` FlowLink sent with the object, else its full id."""
    list_id = obj.payload.get("list_id")
    return str(list_id) if not is_blank(list_id) else obj.identity


def lookup_request(qb_type: str, obj: ObjectView, ref_number: str, max_length: int) -> Element:
    """`<qb_type>QueryRq` by TxnID when known, else by the case-sensitive RefNumber."""
    rq = E.element(f"{qb_type}QueryRq")
    if obj.qb_id:
        E.child(rq, "TxnID", obj.qb_id)
    else:
        E.child(rq, "RefNumberCaseSensitive", values.text(ref_number, "id", max_length))
    E.child(rq, "IncludeLineItems", "true")
    return rq


def choose_ours(obj: ObjectView, rets: list[Element]) -> tuple[Element | None, Element | None]:
    """(our transaction, a foreign one blocking the RefNumber); both None when none came back.

    A single transaction without ExternalGUID is adopted: it was most likely written before
    qbsync (upstream sent no valid GUID). Anything else is someone else's document.
    """
    if not rets:
        return None, None
    ours = (values.guid(obj.external_guid) or "").upper()
    for ret in rets:
        if obj.qb_id and text_of(ret, "TxnID") == obj.qb_id:
            return ret, None
        if ours and text_of(ret, "ExternalGUID").upper() == ours:
            return ret, None
    untagged = [r for r in rets if not text_of(r, "ExternalGUID")]
    if len(untagged) == 1:
        return untagged[0], None
    return None, rets[0]


def read_txn_lookup(
    obj: ObjectView, rets: list[Element], noun: str, ref_number: str, line_tags: tuple[str, ...]
) -> LookupResult:
    """Lookup result with the existing lines (TxnLineID, item, tag) for a later Mod."""
    chosen, foreign = choose_ours(obj, rets)
    if foreign is not None:
        return LookupResult(
            found=False,
            conflict=f"RefNumber {ref_number} collides with QuickBooks {noun} "
            f"{text_of(foreign, 'TxnID')}",
        )
    if chosen is None:
        return LookupResult(found=False)
    lines = [
        {
            "txn_line_id": text_of(line, "TxnLineID"),
            "item": text_of(line, "ItemRef/FullName") or text_of(line, "ItemGroupRef/FullName"),
            "tag": str(line.tag),
        }
        for line in chosen
        if line.tag in line_tags
    ]
    return LookupResult(
        found=True,
        qb_id=text_of(chosen, "TxnID"),
        edit_sequence=text_of(chosen, "EditSequence"),
        details={"lines": lines},
    )


def read_txn_write(rets: list[Element]) -> LookupResult:
    """Identity of the transaction an Add/Mod returned (it is ours whatever its GUID)."""
    if not rets:
        return LookupResult(found=False)
    return LookupResult(
        found=True,
        qb_id=text_of(rets[0], "TxnID"),
        edit_sequence=text_of(rets[0], "EditSequence"),
    )


def _source_of(obj: ObjectView, adjustment: Mapping[str, Any]) -> str:
    """`adjustments[i]` or `tax_line_items[i]`: where an adjustment line came from."""
    for key in ("adjustments", "tax_line_items"):
        for index, entry in enumerate(obj.payload.get(key) or []):
            if entry is adjustment:
                return f"{key}[{index}]"
    return "adjustments"


def adjustment_line(
    parent: Element,
    tag: str,
    obj: ObjectView,
    adjustment: Mapping[str, Any],
    item: str,
    value: Any,
    txn_line_id: str | None,
) -> None:
    """One adjustment or tax line (flowlink §6.2): Quantity 0 + Rate, or Amount with
    `amount` / use_amount_for_tax; class and tax code when the adjustment names them.

    Children follow the common line order (ItemRef Desc Quantity Rate ClassRef Amount …
    SalesTaxCodeRef) of sales receipt and purchase order lines.
    """
    where = _source_of(obj, adjustment)
    node = E.child(parent, tag)
    if txn_line_id is not None:
        E.child(node, "TxnLineID", txn_line_id)
    E.add_ref(node, "ItemRef", item, f"{where}.item", 159)
    E.add_text(
        node,
        "Desc",
        adjustment.get("description") or adjustment.get("name"),
        f"{where}.name",
        4095,
    )
    use_amount = not is_blank(adjustment.get("amount")) or is_on(
        obj.params.get("use_amount_for_tax")
    )
    if not use_amount:
        E.child(node, "Quantity", "0")
        E.add_price(node, "Rate", value, f"{where}.value")
    E.add_ref(node, "ClassRef", adjustment.get("class_name"), f"{where}.class_name")
    if use_amount:
        E.add_amount(node, "Amount", value, f"{where}.value")
    E.add_ref(node, "SalesTaxCodeRef", adjustment.get("tax_code_id"), f"{where}.tax_code_id", 3)
