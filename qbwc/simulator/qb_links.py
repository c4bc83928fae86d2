"""Linked transactions: credits applied to invoices and invoice lines drawn from orders.

* `SetCredit` on InvoiceAdd/InvoiceMod, or inside a payment's AppliedToTxnAdd/Mod, applies
  a credit memo to an invoice: the invoice's AppliedAmount and the memo's CreditRemaining
  go down by the applied amount and each gets a LinkedTxn to the other (Amount negative,
  LinkType AMTTYPE, as in the FlowLink fixtures read back from QuickBooks).
* `LinkToTxn` on an InvoiceLineAdd invoices a sales order line: the order line's Invoiced
  quantity grows, both documents get a LinkedTxn (LinkType QUANTYPE) and the order is
  IsFullyInvoiced once every line is.

Refusals happen in `plan_links` before anything is stored. Their texts are not taken from
real responses: 3120 uses QuickBooks' not-found text; over-applying a credit answers
3210 worded like the real overpayment error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from qbwc.qbxml.parse import tag_of
from qbwc.simulator import qb_kinds as kinds
from qbwc.simulator import qb_txn as txn
from qbwc.simulator.qb_store import Element, QbError, Store, set_text, sub

ZERO = Decimal("0")


@dataclass
class LinkPlan:
    # (invoice TxnID or "" for the invoice being added, credit memo TxnID, amount)
    credits: list[tuple[str, str, Decimal]] = field(default_factory=list)
    # (index of the invoice line, sales order TxnID, order TxnLineID, quantity)
    lines: list[tuple[int, str, str, Decimal]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.credits or self.lines)


def _memo(store: Store, memo_id: str) -> Element:
    memo = store.get(memo_id)
    if memo is None or store.meta[memo_id].kind != "CreditMemo":
        raise QbError(3120, kinds.not_found_text(memo_id))
    return memo


def _over_applied(amount: Decimal, what: str) -> QbError:
    return QbError(
        3210,
        f'The "SetCredit AppliedAmount" field has an invalid value "{kinds.money(amount)}".  '
        f"QuickBooks error message: {what}",
    )


def plan_links(store: Store, kind: str, body: Element, ret: Element) -> LinkPlan:
    """Read and check the SetCredit/LinkToTxn of an Add or Mod body; raise before writing."""
    plan = LinkPlan()
    used: dict[str, Decimal] = {}
    if kind == "Invoice":
        for credit in body.findall("SetCredit"):
            plan.credits.append(("", *_credit(store, credit, used)))
        applied = sum((amount for _, _, amount in plan.credits), ZERO)
        if applied > txn.amount_of(ret, "BalanceRemaining"):
            raise _over_applied(applied, "You cannot apply more credit than the amount due.")
        for index, line in enumerate(body.findall("InvoiceLineAdd")):
            link = line.find("LinkToTxn")
            if link is not None:
                plan.lines.append((index, *_order_line(store, link, line)))
    elif kind == "ReceivePayment":
        for applied_to in [*body.findall("AppliedToTxnAdd"), *body.findall("AppliedToTxnMod")]:
            invoice_id = (applied_to.findtext("TxnID") or "").strip()
            for credit in applied_to.findall("SetCredit"):
                plan.credits.append((invoice_id, *_credit(store, credit, used)))
            invoice = store.get(invoice_id)
            credits = sum((a for i, _, a in plan.credits if i == invoice_id), ZERO)
            payment = txn.amount_of(applied_to, "PaymentAmount")
            if (
                invoice is not None
                and credits
                and credits + payment > txn.amount_of(invoice, "BalanceRemaining")
            ):
                raise _over_applied(credits, "You cannot pay more than the amount due.")
    return plan


def _credit(store: Store, credit: Element, used: dict[str, Decimal]) -> tuple[str, Decimal]:
    memo_id = (credit.findtext("CreditTxnID") or "").strip()
    memo = _memo(store, memo_id)
    amount = txn.amount_of(credit, "AppliedAmount")
    used[memo_id] = used.get(memo_id, ZERO) + amount
    if used[memo_id] > txn.amount_of(memo, "CreditRemaining"):
        raise _over_applied(amount, "You cannot apply more than the credit remaining.")
    return memo_id, amount


def _order_line(store: Store, link: Element, line: Element) -> tuple[str, str, Decimal]:
    order_id = (link.findtext("TxnID") or "").strip()
    order = store.get(order_id)
    if order is None or store.meta[order_id].kind != "SalesOrder":
        raise QbError(3120, kinds.not_found_text(order_id))
    line_id = (link.findtext("TxnLineID") or "").strip()
    if not any(ol.findtext("TxnLineID") == line_id for ol in order.findall("SalesOrderLineRet")):
        raise QbError(3120, kinds.not_found_text(line_id))
    return order_id, line_id, txn.amount_of(line, "Quantity")


def _link(store: Store, on: Element, other: Element, link_type: str, amount: Decimal) -> None:
    node = etree.Element("LinkedTxn")
    sub(node, "TxnID", other.findtext("TxnID"))
    sub(node, "TxnType", tag_of(other)[: -len("Ret")])
    sub(node, "TxnDate", other.findtext("TxnDate"))
    if other.findtext("RefNumber"):
        sub(node, "RefNumber", other.findtext("RefNumber"))
    sub(node, "LinkType", link_type)
    sub(node, "Amount", kinds.money(amount))
    # LinkedTxn repeats, so it is inserted rather than replaced; arrange() orders it.
    before = next((c for c in on if isinstance(c.tag, str) and kinds.is_line_tag(c.tag)), None)
    if before is not None:
        before.addprevious(node)
    else:
        on.append(node)


def apply_links(store: Store, plan: LinkPlan, txn_id: str) -> None:
    """Write a checked plan; `txn_id` is the invoice or payment just added or modified."""
    for invoice_id, memo_id, amount in plan.credits:
        invoice = store.get(invoice_id or txn_id)
        memo = store.get(memo_id)
        if invoice is None or memo is None:
            continue
        applied = txn.amount_of(invoice, "AppliedAmount") - amount
        set_text(invoice, "AppliedAmount", kinds.money(applied))
        _link(store, invoice, memo, "AMTTYPE", -amount)
        _link(store, memo, invoice, "AMTTYPE", -amount)
        for record_id, record in ((invoice_id or txn_id, invoice), (memo_id, memo)):
            txn.compute_totals(store, store.meta[record_id].kind, record)
            store.touch(record_id)
            store.arrange(record)
    invoice = store.get(txn_id)
    if invoice is None or not plan.lines:
        return
    invoice_lines = invoice.findall("InvoiceLineRet")
    linked_orders: dict[str, Decimal] = {}
    for index, order_id, line_id, quantity in plan.lines:
        order = store.get(order_id)
        if order is None:
            continue
        for order_line in order.findall("SalesOrderLineRet"):
            if order_line.findtext("TxnLineID") == line_id:
                invoiced = txn.amount_of(order_line, "Invoiced") + quantity
                set_text(order_line, "Invoiced", txn.decimal_text(invoiced))
        if index < len(invoice_lines):
            amount = txn.amount_of(invoice_lines[index])
            linked_orders[order_id] = linked_orders.get(order_id, ZERO) + amount
    for order_id, amount in linked_orders.items():
        order = store.get(order_id)
        if order is None:
            continue
        _link(store, order, invoice, "QUANTYPE", amount)
        _link(store, invoice, order, "QUANTYPE", amount)
        done = all(
            txn.amount_of(line, "Invoiced") >= txn.amount_of(line, "Quantity")
            for line in order.findall("SalesOrderLineRet")
        )
        set_text(order, "IsFullyInvoiced", "true" if done else "false")
        store.touch(order_id)
        store.arrange(order)
    store.arrange(invoice)
