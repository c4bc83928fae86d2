"""FlowLink journals → a QuickBooks Online JournalEntry (flowlink §6.10).

| action          | not in QBO         | in QBO                                    |
| ADD / UPDATE    | create             | update (the lines sent replace QBO's)     |
| DELETE          | nothing: success   | delete                                    |
| absent          | create             | update                                    |

The Desktop deletes and re-adds a journal for ADD/UPDATE because a JournalEntryMod
keeps lines by TxnLineID; a QBO update replaces the whole `Line` array, so one update
gives the same journal in one write and keeps its Id.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from objects.types.base import ObjectView
from objects.types.journals import JournalType
from objects.types.values import PayloadError, is_blank, is_on
from qbo.mappers.amounts import money, put_date, text
from qbo.mappers.base import CREATE, DELETE, UPDATE, Ref
from qbo.mappers.documents import DocumentMapper, private_note
from qbo.mappers.lines import DESCRIPTION_MAX


def _first(line: Mapping[str, Any], *keys: str) -> tuple[Any, str]:
    for key in keys:
        if not is_blank(line.get(key)):
            return line[key], key
    return None, keys[0]


class JournalMapper(DocumentMapper, JournalType):
    entity = "JournalEntry"
    label = "journal entry"

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        if not self.is_delete(payload):
            super().validate(payload, params, adds_only=adds_only)

    def write_kind(self, view: ObjectView) -> str | None:
        if self.action(view.payload) == "DELETE":
            return DELETE if view.qb_id else None
        return UPDATE if view.qb_id else CREATE

    def create(self, view: ObjectView) -> dict[str, Any]:
        payload = view.payload
        body: dict[str, Any] = {"DocNumber": self.ref_number(view)}
        date, key = _first(payload, "journal_date", "placed_on")
        put_date(body, "TxnDate", date, key)
        body["PrivateNote"] = private_note(view, payload.get("memo"))
        body["Adjustment"] = is_on(payload.get("is_adjustment"))
        body["Line"] = self.lines(payload)
        return body

    def lines(self, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One line per entry with exactly one side non-zero; debits equal credits."""
        return [
            self._line(line, side, amount, f"line_items[{index}]")
            for index, (side, amount, line) in enumerate(self.entries(payload, money))
        ]

    def _line(
        self, line: Mapping[str, Any], side: str, amount: Decimal, where: str
    ) -> dict[str, Any]:
        account, key = _first(line, "account_name", "account_description")
        if account is None:
            raise PayloadError(f"{where}.account_name", "is required (the line's account)")
        account_where = f"{where}.{key}"
        detail: dict[str, Any] = {
            "PostingType": side,
            "AccountRef": Ref(
                "Account", text(account, account_where, 100), "FullyQualifiedName", account_where
            ),
        }
        customer, key = _first(line, "customer_name", "customer")
        if customer is not None:
            customer_where = f"{where}.{key}"
            detail["Entity"] = {
                "Type": "Customer",
                "EntityRef": Ref(
                    "Customer", text(customer, customer_where, 500), "DisplayName", customer_where
                ),
            }
        out: dict[str, Any] = {"DetailType": "JournalEntryLineDetail", "Amount": amount}
        description, key = _first(line, "description", "memo")
        if description is not None:
            out["Description"] = text(description, f"{where}.{key}", DESCRIPTION_MAX)
        out["JournalEntryLineDetail"] = detail
        return out
