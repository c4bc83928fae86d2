"""Transaction arithmetic: lines, totals, sales tax, stock levels and applied payments.

QuickBooks computes these itself; the simulator does the same so the server under test
sees realistic Subtotal/TotalAmount/BalanceRemaining values. Effects (stock, payments)
are computed as deltas so a Mod, Del or Void can undo what the Add did.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from qbwc.qbxml.parse import tag_of
from qbwc.simulator import qb_kinds as kinds
from qbwc.simulator.qb_store import Element, QbError, Store, set_text, sub

ZERO = Decimal("0")
_NOT_ITEM_LINES = frozenset(("DiscountLineRet", "SalesTaxLineRet", "ShippingLineRet"))
# Line children that come after Rate/Amount in every line Ret; used only without XSDs.
_AFTER_AMOUNT = (
    "TaxAmount",
    "OptionForPriceRuleConflict",
    "InventorySiteRef",
    "InventorySiteLocationRef",
    "SerialNumber",
    "LotNumber",
    "ServiceDate",
    "SalesTaxCodeRef",
    "IsTaxable",
    "OverrideItemAccountRef",
    "Other1",
    "Other2",
    "DataExt",
    "CustomerRef",
    "BillableStatus",
)
_STOCK_KINDS = ("ItemInventory", "ItemInventoryAssembly")
VOIDED_AMOUNTS = frozenset(
    (
        "Amount",
        "TotalAmount",
        "Subtotal",
        "SalesTaxTotal",
        "BalanceRemaining",
        "AppliedAmount",
        "CreditRemaining",
        "AmountDue",
        "OpenAmount",
        "UnusedPayment",
        "UnusedCredits",
        "CreditAmount",
        "DepositTotal",
        "TaxAmount",
    )
)


def decimal_text(value: Decimal) -> str:
    """Write a quantity the way QuickBooks does: no trailing zeros, no exponent."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0", "") else "0"


def amount_of(node: Element, tag: str = "Amount") -> Decimal:
    return kinds.to_decimal(node.findtext(tag)) or ZERO


def put_header(ret: Element, tag: str, text: str) -> None:
    """Set a header field; new ones go before the first line (schema order puts totals there)."""
    node = ret.find(tag)
    if node is None:
        node = etree.Element(tag)
        put_header_node(ret, node)
    node.text = text


def put_header_node(ret: Element, node: Element) -> None:
    """Insert `node` (replacing one with the same tag) before the first line of `ret`."""
    old = ret.find(tag_of(node))
    if old is not None:
        ret.replace(old, node)
        return
    before = next((c for c in ret if isinstance(c.tag, str) and kinds.is_line_tag(c.tag)), None)
    if before is not None:
        before.addprevious(node)
    else:
        ret.append(node)


def item_lines(ret: Element) -> list[Element]:
    return [
        c
        for c in ret
        if isinstance(c.tag, str) and kinds.is_line_tag(c.tag) and c.tag not in _NOT_ITEM_LINES
    ]


# --- lines --------------------------------------------------------------------------


def _item_price(store: Store, item_id: str, kind: str) -> str | None:
    item = store.get(item_id)
    if item is None:
        return None
    if kind in kinds.PURCHASE_KINDS:
        paths = ("PurchaseCost", "SalesAndPurchase/PurchaseCost", "SalesOrPurchase/Price")
    else:
        paths = ("SalesPrice", "SalesAndPurchase/SalesPrice", "SalesOrPurchase/Price")
    for path in paths:
        value = item.findtext(path)
        if value:
            return str(value)
    return None


def fill_line(store: Store, kind: str, line: Element) -> None:
    """Complete a line like QuickBooks: price from the item, Amount = Quantity × Rate, tax code."""
    rate_tag = "Cost" if tag_of(line).startswith("ItemLine") else "Rate"
    item_id = line.findtext("ItemRef/ListID") or ""
    has_price = line.find(rate_tag) is not None or line.find("RatePercent") is not None
    if item_id and not has_price and line.find("Amount") is None:
        price = _item_price(store, item_id, kind)
        if price is not None:
            _put_line(line, rate_tag, price)
    rate = kinds.to_decimal(line.findtext(rate_tag))
    if line.find("Amount") is None and rate is not None:
        quantity = kinds.to_decimal(line.findtext("Quantity"))
        _put_line(line, "Amount", kinds.money(rate * (quantity if quantity is not None else 1)))
    if kind in kinds.SALES_KINDS and item_id and line.find("SalesTaxCodeRef") is None:
        item = store.get(item_id)
        code = item.find("SalesTaxCodeRef") if item is not None else None
        if code is not None:
            _put_line(line, "SalesTaxCodeRef", None).extend(
                etree.fromstring(etree.tostring(c)) for c in code
            )


def _put_line(line: Element, tag: str, text: str | None) -> Element:
    node = etree.Element(tag)
    node.text = text
    anchor = next((c for c in line if c.tag in _AFTER_AMOUNT), None)
    if anchor is not None:
        anchor.addprevious(node)
    else:
        line.append(node)
    return node


def convert_line(store: Store, kind: str, source: Element, created: int, tag: str) -> Element:
    """Turn an Add (or new Mod) line into its Ret form with a fresh TxnLineID."""
    line = etree.Element(tag)
    if kinds.line_has_id(tag):
        sub(line, "TxnLineID", store.new_txn_id(created))
    if tag == "AppliedToTxnRet":
        return _applied_line(store, source, line)
    if tag == "InventoryAdjustmentLineRet":
        return _adjustment_line(store, source, line)
    for child in source:
        if not isinstance(child.tag, str) or child.tag in ("TxnLineID", "JournalLineType"):
            continue
        if child.tag in kinds.ADD_ONLY_FIELDS:
            continue
        line.append(etree.fromstring(etree.tostring(child)))
    fill_line(store, kind, line)
    return line


def _applied_line(store: Store, source: Element, line: Element) -> Element:
    txn_id = (source.findtext("TxnID") or "").strip()
    target = store.get(txn_id)
    if target is None:
        raise QbError(3120, kinds.not_found_text(txn_id))
    sub(line, "TxnID", txn_id)
    sub(line, "TxnType", store.meta[txn_id].kind)
    for tag in ("TxnDate", "RefNumber"):
        if target.findtext(tag):
            sub(line, tag, target.findtext(tag))
    sub(line, "BalanceRemaining", target.findtext("BalanceRemaining") or "0.00")
    sub(line, "Amount", kinds.money(amount_of(source, "PaymentAmount")))
    for tag in ("DiscountAmount", "DiscountAccountRef", "DiscountClassRef"):
        node = source.find(tag)
        if node is not None:
            line.append(etree.fromstring(etree.tostring(node)))
    return line


def _adjustment_line(store: Store, source: Element, line: Element) -> Element:
    item_ref = source.find("ItemRef")
    if item_ref is not None:
        line.append(etree.fromstring(etree.tostring(item_ref)))
    item = store.get(source.findtext("ItemRef/ListID") or "")
    on_hand = amount_of(item, "QuantityOnHand") if item is not None else ZERO
    quantity = source.find("QuantityAdjustment")
    if quantity is not None:
        new = kinds.to_decimal(quantity.findtext("NewQuantity"))
        diff = new - on_hand if new is not None else amount_of(quantity, "QuantityDifference")
        sub(line, "QuantityDifference", decimal_text(diff))
    value = source.find("ValueAdjustment")
    if value is not None:
        sub(line, "QuantityDifference", decimal_text(amount_of(value, "QuantityDifference")))
        sub(line, "ValueDifference", kinds.money(amount_of(value, "ValueDifference")))
    return line


# --- totals ---------------------------------------------------------------------------


def _tax_rate(store: Store, ret: Element) -> Decimal:
    item_id = ret.findtext("ItemSalesTaxRef/ListID") or ""
    if not item_id:
        customer = store.get(ret.findtext("CustomerRef/ListID") or "")
        ref = customer.find("ItemSalesTaxRef") if customer is not None else None
        if ref is None:
            return ZERO
        # QuickBooks copies the customer's tax item onto the transaction.
        put_header_node(ret, etree.fromstring(etree.tostring(ref)))
        item_id = ref.findtext("ListID") or ""
    item = store.get(item_id)
    if item is None:
        return ZERO
    return kinds.to_decimal(item.findtext("TaxRate")) or ZERO


def _is_taxable(store: Store, code_id: str) -> bool:
    code = store.get(code_id)
    return code is not None and (code.findtext("IsTaxable") or "").lower() in ("true", "1")


def compute_totals(store: Store, kind: str, ret: Element) -> None:
    lines = item_lines(ret)
    subtotal = sum((amount_of(line) for line in lines), ZERO)
    if kind in kinds.SALES_KINDS:
        _sales_totals(store, kind, ret, lines, subtotal)
    elif kind == "PurchaseOrder":
        put_header(ret, "TotalAmount", kinds.money(subtotal))
        for tag in ("IsManuallyClosed", "IsFullyReceived"):
            if ret.find(tag) is None:
                put_header(ret, tag, "false")
    elif kind in ("Bill", "VendorCredit"):
        put_header(ret, "AmountDue" if kind == "Bill" else "CreditAmount", kinds.money(subtotal))
        if kind == "Bill" and ret.find("IsPaid") is None:
            put_header(ret, "IsPaid", "false")
        put_header(ret, "OpenAmount", kinds.money(subtotal))
    elif kind in ("Check", "CreditCardCharge", "CreditCardCredit", "SalesTaxPaymentCheck"):
        put_header(ret, "Amount", kinds.money(subtotal))
    elif kind == "ItemReceipt":
        put_header(ret, "TotalAmount", kinds.money(subtotal))
    elif kind == "Deposit":
        put_header(ret, "DepositTotal", kinds.money(subtotal))
    elif kind == "ReceivePayment":
        applied = sum((amount_of(a) for a in ret.findall("AppliedToTxnRet")), ZERO)
        total = kinds.to_decimal(ret.findtext("TotalAmount"))
        total = applied if total is None else total
        put_header(ret, "TotalAmount", kinds.money(total))
        put_header(ret, "UnusedPayment", kinds.money(total - applied))
        put_header(ret, "UnusedCredits", "0.00")


def _sales_totals(
    store: Store, kind: str, ret: Element, lines: list[Element], subtotal: Decimal
) -> None:
    rate = _tax_rate(store, ret)
    exempt = ret.findtext("CustomerSalesTaxCodeRef/ListID")
    taxable = ZERO
    if not exempt or _is_taxable(store, exempt):
        taxable = sum(
            (
                amount_of(line)
                for line in lines
                if _is_taxable(store, line.findtext("SalesTaxCodeRef/ListID") or "")
            ),
            ZERO,
        )
    tax = Decimal(kinds.money(taxable * rate / 100))
    tax_line = ret.find("SalesTaxLineRet")
    if tax_line is not None and tax_line.find("Amount") is not None:
        tax = amount_of(tax_line)
    shipping = ret.find("ShippingLineRet")
    extras = amount_of(shipping) if shipping is not None else ZERO
    discount = ret.find("DiscountLineRet")
    if discount is not None:
        extras -= abs(amount_of(discount))
    total = subtotal + tax + extras
    put_header(ret, "Subtotal", kinds.money(subtotal))
    put_header(ret, "SalesTaxPercentage", decimal_text(rate) if rate else "0.00")
    put_header(ret, "SalesTaxTotal", kinds.money(tax))
    if kind == "Invoice":
        applied = kinds.to_decimal(ret.findtext("AppliedAmount")) or ZERO
        put_header(ret, "AppliedAmount", kinds.money(applied))
        put_header(ret, "BalanceRemaining", kinds.money(total + applied))
        put_header(ret, "IsPaid", "true" if total + applied <= 0 else "false")
        return
    put_header(ret, "TotalAmount", kinds.money(total))
    if kind == "CreditMemo":
        # Applications are LinkedTxn entries with negative amounts (qb_links).
        linked = sum((amount_of(link) for link in ret.findall("LinkedTxn")), ZERO)
        put_header(ret, "CreditRemaining", kinds.money(total + linked))
    elif kind == "SalesOrder":
        for tag in ("IsManuallyClosed", "IsFullyInvoiced"):
            if ret.find(tag) is None:
                put_header(ret, tag, "false")


# --- effects on other records --------------------------------------------------------------

Effects = dict[tuple[str, str], Decimal]  # (record id, field) -> delta


def effects_of(store: Store, kind: str, ret: Element) -> Effects:
    """What this transaction does to item quantities and invoice balances."""
    out: Effects = {}
    if kind == "ReceivePayment":
        for applied in ret.findall("AppliedToTxnRet"):
            key = (applied.findtext("TxnID") or "", "AppliedAmount")
            out[key] = out.get(key, ZERO) - amount_of(applied)
        return out
    sign, field = {
        "Invoice": (-1, "QuantityOnHand"),
        "SalesReceipt": (-1, "QuantityOnHand"),
        "CreditMemo": (1, "QuantityOnHand"),
        "ItemReceipt": (1, "QuantityOnHand"),
        "Bill": (1, "QuantityOnHand"),
        "Check": (1, "QuantityOnHand"),
        "InventoryAdjustment": (1, "QuantityOnHand"),
        "SalesOrder": (1, "QuantityOnSalesOrder"),
        "PurchaseOrder": (1, "QuantityOnOrder"),
    }.get(kind, (0, ""))
    if not sign:
        return out
    for line in item_lines(ret):
        item_id = line.findtext("ItemRef/ListID") or ""
        meta = store.meta.get(item_id)
        if meta is None or meta.kind not in _STOCK_KINDS:
            continue
        quantity_tag = "QuantityDifference" if kind == "InventoryAdjustment" else "Quantity"
        key = (item_id, field)
        out[key] = out.get(key, ZERO) + sign * amount_of(line, quantity_tag)
    return out


def check_payments(store: Store, effects: Effects, undo: Effects | None = None) -> None:
    """Refuse to pay more than an invoice's balance (3210, text from a real response)."""
    for (txn_id, field), delta in effects.items():
        if field != "AppliedAmount":
            continue
        target = store.get(txn_id)
        if target is None:
            raise QbError(3120, kinds.not_found_text(txn_id))
        balance = amount_of(target, "BalanceRemaining") - (undo or {}).get((txn_id, field), ZERO)
        if -delta > balance:
            raise QbError(
                3210,
                'The "AppliedToTxnAdd payment amount" field has an invalid value '
                f'"{kinds.money(-delta)}".  QuickBooks error message: '
                "You cannot pay more than the amount due.",
            )


def apply_effects(store: Store, effects: Effects, sign: int) -> None:
    for (record_id, field), delta in effects.items():
        target = store.get(record_id)
        if target is None or not delta:
            continue
        if field == "AppliedAmount":
            applied = amount_of(target, field) + sign * delta
            set_text(target, field, kinds.money(applied))
            compute_totals(store, store.meta[record_id].kind, target)
            store.touch(record_id)
        else:
            value = amount_of(target, field) + sign * delta
            set_text(target, field, decimal_text(value))


def void_amounts(ret: Element) -> None:
    """Zero every amount of a voided transaction; QuickBooks keeps the document."""
    for node in ret.iter():
        if node.tag in VOIDED_AMOUNTS:
            node.text = "0.00"
        elif node.tag == "Quantity":
            node.text = "0"
    memo = ret.findtext("Memo") or ""
    put_header(ret, "Memo", f"VOID: {memo}".rstrip())
    if ret.tag == "InvoiceRet":
        put_header(ret, "IsPaid", "true")
