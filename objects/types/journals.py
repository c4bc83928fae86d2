"""FlowLink journals (flowlink §6.10): the `action` that decides how a journal is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from objects.types.base import TransactionType
from objects.types.values import PayloadError, is_blank

ACTIONS = ("ADD", "UPDATE", "DELETE")


class JournalType(TransactionType):
    object_type = "journals"
    payload_types = ("journal",)
    echo_key = "journals"
    notice_name = "Journal"

    def action(self, payload: Mapping[str, Any]) -> str:
        raw = payload.get("action")
        if is_blank(raw):
            return ""
        action = str(raw).strip().upper()
        if action not in ACTIONS:
            raise PayloadError("action", f"{raw!r} is not one of ADD, UPDATE, DELETE")
        return action

    def is_delete(self, payload: Mapping[str, Any]) -> bool:
        """Whether the payload deletes the journal. A delete needs only the id to find the
        journal (PayloadError without one): its lines are never sent or checked."""
        if self.action(payload) != "DELETE":
            return False
        self.identity(payload)
        return True

    def entries(
        self, payload: Mapping[str, Any], amount: Callable[[Any, str], Decimal]
    ) -> Iterator[tuple[str, Decimal, Mapping[str, Any]]]:
        """(Debit|Credit, amount, line) per line, each checked as it comes: exactly one
        side non-zero, none negative; once all are read, debits must equal credits.

        `amount(raw, field)` reads a side as the backend allows it (PayloadError if not).
        """
        lines = payload.get("line_items")
        if is_blank(lines) or not isinstance(lines, list):
            raise PayloadError("line_items", "a journal needs at least one line")
        totals = {"Debit": Decimal("0"), "Credit": Decimal("0")}
        for index, line in enumerate(lines):
            where = f"line_items[{index}]"
            if not isinstance(line, Mapping):
                raise PayloadError(where, "must be an object")
            debit, credit = (
                Decimal("0") if is_blank(line.get(key)) else amount(line[key], f"{where}.{key}")
                for key in ("debit", "credit")
            )
            if (debit != 0) == (credit != 0):
                raise PayloadError(
                    where,
                    f"needs exactly one of debit and credit non-zero (debit {debit:.2f}, "
                    f"credit {credit:.2f})",
                )
            if debit < 0 or credit < 0:
                raise PayloadError(where, "debit and credit must not be negative")
            side, value = ("Debit", debit) if debit else ("Credit", credit)
            totals[side] += value
            yield side, value, line
        if totals["Debit"] != totals["Credit"]:
            # QuickBooks refuses an entry out of balance; say so before anything is queued.
            raise PayloadError(
                "line_items",
                f"debits total {totals['Debit']:.2f} but credits total "
                f"{totals['Credit']:.2f}; a journal entry must balance",
            )
