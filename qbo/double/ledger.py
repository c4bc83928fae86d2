"""What documents contribute to other records: payments to invoice balances, documents to
customer balances, sales and returns to item quantities. Kept up to date write by write
(each write takes its old version out and puts its new one in), so showing a record costs
the same with ten documents as with ten thousand.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from qbo.double.lines import ZERO, number

SOLD = ("Invoice", "SalesReceipt")
RETURNED = ("CreditMemo", "RefundReceipt")
# Sign of a document's TotalAmt in its customer's balance.
BALANCE_SIGN = {"Invoice": 1, "CreditMemo": -1, "Payment": -1}


def _customer(record: dict[str, Any]) -> str | None:
    ref = record.get("CustomerRef")
    return str(ref["value"]) if isinstance(ref, dict) and "value" in ref else None


class Ledger:
    def __init__(self) -> None:
        self.applied: dict[str, dict[str, Decimal]] = defaultdict(dict)  # invoice -> payment
        self.movement: dict[str, Decimal] = defaultdict(Decimal)  # item -> qty out
        self.customer_balance: dict[str, Decimal] = defaultdict(Decimal)

    def add(self, entity: str, record: dict[str, Any], sign: int) -> None:
        """Count `record` in (sign 1) or out (sign -1)."""
        if entity == "Payment":
            for line in record.get("Line") or []:
                for linked in line.get("LinkedTxn") or []:
                    if linked.get("TxnType") != "Invoice":
                        continue
                    payments = self.applied[str(linked.get("TxnId"))]
                    total = payments.get(record["Id"], ZERO) + sign * line["Amount"]
                    if total:
                        payments[record["Id"]] = total
                    else:
                        payments.pop(record["Id"], None)
        if entity in SOLD or entity in RETURNED:
            direction = sign if entity in SOLD else -sign
            for line in record.get("Line") or []:
                detail = line.get("SalesItemLineDetail")
                if isinstance(detail, dict) and isinstance(detail.get("ItemRef"), dict):
                    qty = number(detail.get("Qty")) or ZERO
                    self.movement[str(detail["ItemRef"]["value"])] += direction * qty
        customer = _customer(record)
        if entity in BALANCE_SIGN and customer is not None:
            amount = record.get("TotalAmt", ZERO)
            self.customer_balance[customer] += sign * BALANCE_SIGN[entity] * amount

    def applied_to(self, invoice_id: str, except_payment: str | None) -> Decimal:
        payments = self.applied.get(invoice_id, {})
        return sum((a for pid, a in payments.items() if pid != except_payment), ZERO)
