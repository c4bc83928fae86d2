"""FlowLink journals → QuickBooks JournalEntry, with the `action` table (flowlink §6.10).

| action          | not in QuickBooks  | in QuickBooks                                   |
| ADD / UPDATE    | JournalEntryAdd    | TxnDelRq, then (once acknowledged) a new Add    |
| DELETE          | nothing: success   | TxnDelRq                                        |
| absent          | JournalEntryAdd    | JournalEntryMod with JournalLineMod lines       |

The delete and the add are two requests in two round trips (qbwc.dispatch plans the
DELETE, then asks write_kind again), so the add never leaves before the delete succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from objects.types.journals import JournalType
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    ADD,
    DELETE,
    MOD,
    Element,
    ObjectView,
)
from qbwc.qbxml.mappers.sales import REF_NUMBER_MAX
from qbwc.qbxml.mappers.transactions import (
    TransactionMapper,
)
from qbwc.qbxml.values import PayloadError, is_blank

BILLABLE_STATUSES = ("Billable", "NotBillable", "HasBeenBilled")
LINE_TAGS = ("JournalDebitLine", "JournalCreditLine")


def _amount(raw: Any, field: str) -> Decimal:
    return Decimal(values.amount(raw, field))


def _first(line: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if not is_blank(line.get(key)):
            return line[key]
    return None


class JournalMapper(TransactionMapper, JournalType):
    qb_type = "JournalEntry"
    qb_label = "journal entry"
    # JournalEntryRet lists its lines as JournalDebitLine/JournalCreditLine.
    line_tags = LINE_TAGS

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        if not self.is_delete(payload):
            super().validate(payload, params, adds_only=adds_only)

    def write_kind(self, obj: ObjectView) -> str | None:
        action = self.action(obj.payload)
        if action == "DELETE":
            return DELETE if obj.qb_id else None
        if action in ("ADD", "UPDATE"):
            return DELETE if obj.qb_id else ADD
        return MOD if obj.qb_id else ADD

    # -- lines --------------------------------------------------------------------
    def _entries(self, payload: Mapping[str, Any]) -> list[tuple[str, Decimal, Mapping[str, Any]]]:
        """(Debit|Credit, amount, line) per line; exactly one side non-zero (flowlink §6.10)."""
        return list(self.entries(payload, _amount))

    def _line_body(self, node: Element, amount: Decimal, line: Mapping[str, Any], at: str) -> None:
        """AccountRef … BillableStatus, shared by Debit/Credit lines and JournalLineMod."""
        account = _first(line, "account_name", "account_description")
        if account is None:
            raise PayloadError(f"{at}.account_name", "is required (the line's QuickBooks account)")
        E.add_ref(node, "AccountRef", account, f"{at}.account_name", 159)
        E.child(node, "Amount", values.amount(amount, f"{at}.amount"))
        E.add_text(node, "Memo", _first(line, "description", "memo"), f"{at}.description", 4095)
        E.add_ref(node, "EntityRef", _first(line, "customer_name", "customer"), f"{at}.customer")
        E.add_ref(node, "ClassRef", _first(line, "class_name", "class"), f"{at}.class_name")
        E.add_ref(
            node,
            "ItemSalesTaxRef",
            line.get("item_sales_tax_name"),
            f"{at}.item_sales_tax_name",
            31,
        )
        status = line.get("billable_status")
        if not is_blank(status):
            wanted = str(status).strip().lower().replace("_", "").replace(" ", "")
            match = [s for s in BILLABLE_STATUSES if s.lower() == wanted]
            if not match:
                raise PayloadError(
                    f"{at}.billable_status",
                    f"{status!r} is not one of {', '.join(BILLABLE_STATUSES)}",
                )
            E.child(node, "BillableStatus", match[0])

    # -- header -------------------------------------------------------------------
    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        E.add_date(body, "TxnDate", _first(payload, "journal_date", "placed_on"), "journal_date")
        E.child(body, "RefNumber", values.text(self.ref_number(obj), "id", REF_NUMBER_MAX))
        if is_add:
            E.add_text(body, "Memo", payload.get("memo"), "memo", 4095)
        # IsAdjustment comes from the payload only (upstream derived it from "is a Mod").
        if is_add or not is_blank(payload.get("is_adjustment")):
            E.child(body, "IsAdjustment", values.boolean(payload.get("is_adjustment") or False))
        home = payload.get("is_home_currency_adjustment")
        if is_add and values.is_on(home):
            E.child(body, "IsHomeCurrencyAdjustment", "true")
            return
        entered = payload.get("is_amounts_entered_in_home_currency")
        if not is_blank(entered) and not isinstance(entered, Mapping):
            E.child(body, "IsAmountsEnteredInHomeCurrency", values.boolean(entered))
        E.add_ref(body, "CurrencyRef", payload.get("currency_name"), "currency_name", 64)
        E.add_price(body, "ExchangeRate", payload.get("exchange_rate"), "exchange_rate")

    def add(self, obj: ObjectView) -> Element:
        rq = E.element("JournalEntryAddRq")
        body = E.child(rq, "JournalEntryAdd")
        self._header(body, obj, is_add=True)
        guid = values.guid(obj.external_guid or obj.payload.get("external_guid"))
        if guid:
            E.child(body, "ExternalGUID", guid)
        for index, (side, amount, line) in enumerate(self._entries(obj.payload)):
            node = E.child(body, f"Journal{side}Line")
            self._line_body(node, amount, line, f"line_items[{index}]")
        return rq

    def mod(self, obj: ObjectView) -> Element:
        """A Mod with JournalLineMod lines (upstream sent Add-style lines, schema-invalid)."""
        rq, body = self._mod_request(obj)
        self._header(body, obj, is_add=False)
        existing = [line["txn_line_id"] for line in obj.qb_state.get("lines", [])]
        for index, (side, amount, line) in enumerate(self._entries(obj.payload)):
            node = E.child(body, "JournalLineMod")
            # Lines keep their TxnLineID by position; extra lines are new (-1) and lines
            # left out of a Mod are removed by QuickBooks.
            E.child(node, "TxnLineID", existing[index] if index < len(existing) else "-1")
            E.child(node, "JournalLineType", side)
            self._line_body(node, amount, line, f"line_items[{index}]")
        return rq
