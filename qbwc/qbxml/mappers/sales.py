"""Shared qbXML rules of sales transactions (flowlink §5.5, §6.2; qbxml §18).

The RefNumber, the header elements and which of Quantity, Rate and Amount a line sends,
used by the lines mappers and the payment mapper; the FlowLink side of sales
transactions (customer, adjustment items, placeholder address) is objects.types.sales.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qbwc.qbxml import values
from qbwc.qbxml.values import is_blank

REF_NUMBER_MAX = 11


@dataclass(frozen=True)
class LineValue:
    """Which of Quantity, Rate and Amount an item line sends (flowlink §6.2).

    QuickBooks books Quantity × Rate when a line carries both, whatever else it says,
    so a line FlowLink gives a value (`amount`) but no quantity (blank or 0) sends that
    Amount and no Quantity: upstream's Quantity 0 was booked at 0.00.
    """

    quantity: bool
    rate: bool
    amount: bool


def line_value(line: Mapping[str, Any], rate: Any, where: str) -> LineValue:
    has_amount = not is_blank(line.get("amount"))
    quantity = line.get("quantity")
    no_quantity = is_blank(quantity) or values.to_decimal(quantity, f"{where}.quantity") == 0
    by_amount = has_amount and no_quantity
    return LineValue(
        quantity=not by_amount,
        rate=not has_amount or not is_blank(rate),
        amount=has_amount and (is_blank(rate) or by_amount),
    )


def derive_ref_number(identity: str, max_length: int = REF_NUMBER_MAX) -> str:
    """Upstream-compatible RefNumber: the last 11 characters of a longer id (flowlink §5.5)."""
    return identity[-max_length:]


# The optional header elements of sales transactions, in the schema order they share
# (SalesOrderAdd, InvoiceAdd, CreditMemoAdd; qbxml.md §18): tag, kind, FlowLink fields
# (first present wins; both upstream spellings are accepted), max length.
HEADER_FIELDS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("ClassRef", "ref", ("class_name",), 159),
    ("ARAccountRef", "ref", ("ar_account", "ar_account_name"), 159),
    ("TemplateRef", "ref", ("template", "template_name"), 31),
    ("TxnDate", "date", ("placed_on",), 0),
    ("RefNumber", "ref_number", (), 0),
    ("BillAddress", "address", ("billing_address",), 0),
    ("ShipAddress", "address", ("shipping_address",), 0),
    ("IsPending", "bool", ("is_pending",), 0),
    ("PONumber", "text", ("purchase_order_number", "po_number"), 25),
    ("TermsRef", "ref", ("terms_name", "terms"), 31),
    ("DueDate", "date", ("due_date",), 0),
    ("SalesRepRef", "ref", ("sales_rep", "sales_rep_name"), 5),
    ("FOB", "text", ("fob",), 13),
    ("ShipDate", "date", ("ship_date",), 0),
    ("ShipMethodRef", "ref", ("shipping_method", "ship_method_name", "shipping_method_name"), 15),
    ("ItemSalesTaxRef", "ref", ("item_sales_tax_name",), 31),
    ("IsManuallyClosed", "closed", ("status",), 0),
    ("Memo", "text", ("memo",), 4095),
    ("CustomerMsgRef", "ref", ("customer_msg_name", "customer_message_name"), 101),
    ("IsToBePrinted", "bool", ("is_to_be_printed",), 0),
    ("IsToBeEmailed", "bool", ("is_to_be_emailed",), 0),
    ("IsTaxIncluded", "bool", ("is_tax_included",), 0),
    ("CustomerSalesTaxCodeRef", "ref", ("customer_sales_tax_code_name",), 3),
    ("Other", "text", ("other",), 29),
    ("ExchangeRate", "float", ("exchange_rate",), 0),
)
