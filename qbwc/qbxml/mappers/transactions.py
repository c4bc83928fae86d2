"""What every transaction type shares: finding our record among those with a RefNumber.

QuickBooks does not keep RefNumbers unique, so a lookup by RefNumber may return several
transactions; ours is the one with our TxnID or ExternalGUID (flowlink §5.5, §12 #1, #8).
"""

from __future__ import annotations

from typing import ClassVar

from objects.types.base import TransactionType
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    REQUIRE,
    Element,
    LookupResult,
    Mapper,
    ObjectView,
)
from qbwc.qbxml.mappers.sales import REF_NUMBER_MAX, derive_ref_number
from qbwc.qbxml.parse import text_of


def choose_ours(obj: ObjectView, rets: list[Element]) -> Element | None:
    """Our record among transactions found by RefNumber, or None when it would be a guess.

    By TxnID, else by ExternalGUID; a single record without an ExternalGUID was most likely
    written before qbsync (upstream sent no valid GUID) and is adopted, and so is a single
    record when the object is only a reference (REQUIRE: we never wrote it).
    """
    ours = (values.guid(obj.external_guid) or "").upper()
    for ret in rets:
        if obj.qb_id and text_of(ret, "TxnID") == obj.qb_id:
            return ret
        if ours and text_of(ret, "ExternalGUID").upper() == ours:
            return ret
    if obj.mode == REQUIRE and len(rets) == 1:
        return rets[0]
    untagged = [r for r in rets if not text_of(r, "ExternalGUID")]
    if len(untagged) == 1:
        return untagged[0]
    return None


class TransactionMapper(Mapper, TransactionType):
    """Base of every transaction type found by TxnID, else by RefNumber (flowlink §5.5)."""

    qb_label: ClassVar[str]  # "sales order": the QuickBooks noun in collision messages
    ref_number_max: ClassVar[int] = REF_NUMBER_MAX
    # The …Ret children that are lines (TxnLineID + item); empty means `<qb_type>LineRet`.
    line_tags: ClassVar[tuple[str, ...]] = ()
    include_line_items: ClassVar[bool] = True

    def ref_number(self, obj: ObjectView) -> str:
        return derive_ref_number(obj.identity, self.ref_number_max)

    def _mod_request(self, obj: ObjectView) -> tuple[Element, Element]:
        """`<qb_type>ModRq` and its `<qb_type>Mod` body, opened with TxnID and EditSequence."""
        rq = E.element(f"{self.qb_type}ModRq")
        body = E.child(rq, f"{self.qb_type}Mod")
        E.child(body, "TxnID", obj.qb_id)
        E.child(body, "EditSequence", obj.edit_sequence)
        return rq, body

    def lookup(self, obj: ObjectView) -> Element:
        rq = E.element(f"{self.qb_type}QueryRq")
        if obj.qb_id:
            E.child(rq, "TxnID", obj.qb_id)
        else:
            ref_number = values.text(self.ref_number(obj), "id", self.ref_number_max)
            E.child(rq, "RefNumberCaseSensitive", ref_number)
        if self.include_line_items:
            E.child(rq, "IncludeLineItems", "true")
        return rq

    def read_lookup(self, obj: ObjectView, rets: list[Element]) -> LookupResult:
        """Pick our transaction among those sharing the RefNumber (RefNumbers are not unique)."""
        if not rets:
            return LookupResult(found=False)
        chosen = choose_ours(obj, rets)
        if chosen is None:
            return LookupResult(
                found=False,
                conflict=f"RefNumber {self.ref_number(obj)} collides with QuickBooks "
                f"{self.qb_label} {text_of(rets[0], 'TxnID')}",
            )
        return self._found(chosen)

    def read_write(self, rets: list[Element]) -> LookupResult:
        # The base re-reads the answer like a lookup, which finds "no GUID match" for a
        # record we tagged ourselves and would leave the TxnID unstored (flowlink §5.5).
        return self._found(rets[0]) if rets else LookupResult(found=False)

    def _found(self, chosen: Element) -> LookupResult:
        """Our record, with its lines (TxnLineID, item, tag) for a later Mod."""
        line_tags = self.line_tags or (f"{self.qb_type}LineRet",)
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
