"""JournalEntryRet and AccountRet → the operations API's records (docs/api.md).

No get_* pull hands these to FlowLink, so their shape is the API's own: a journal entry
reads like the `add_journals` payload the journals mappers take (flowlink §6.10), so a
record read back can be sent again; an account is a small summary. qbo.readers.ledger
writes the same keys from QuickBooks Online.
"""

from __future__ import annotations

from objects.types.records import compact, journal_sides, txn_ids
from qbwc.qbxml.parse import tag_of
from qbwc.qbxml.readers.common import (
    Element,
    Elementish,
    Node,
    Record,
    flag,
    ref_id,
    ref_name,
    text,
)

_SIDES = {"JournalDebitLine": True, "JournalCreditLine": False}  # tag -> is a debit


def journal_line(line: Elementish, is_debit: bool) -> Record:
    return {
        "line_id": text(line, "TxnLineID"),
        **journal_sides(is_debit, text(line, "Amount")),
        "account_name": ref_name(line, "AccountRef"),
        "account_id": ref_id(line, "AccountRef"),
        "description": text(line, "Memo"),
        "customer_name": ref_name(line, "EntityRef"),
        "class_name": ref_name(line, "ClassRef"),
        "item_sales_tax_name": ref_name(line, "ItemSalesTaxRef"),
        "billable_status": text(line, "BillableStatus"),
    }


def read_journal_entry(element: Element) -> Record:
    ret = Node(element)
    date = text(ret, "TxnDate")
    record: Record = {
        **txn_ids(text(ret, "TxnID"), text(ret, "RefNumber")),
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "journal_date": date,
        "transaction_date": date,
        "memo": text(ret, "Memo"),
        "is_adjustment": flag(ret, "IsAdjustment"),
        "is_home_currency_adjustment": flag(ret, "IsHomeCurrencyAdjustment"),
        "is_amounts_entered_in_home_currency": flag(ret, "IsAmountsEnteredInHomeCurrency"),
        "currency_name": ref_name(ret, "CurrencyRef"),
        "exchange_rate": text(ret, "ExchangeRate"),
        "external_guid": text(ret, "ExternalGUID"),
        # Debit and credit lines interleave in the order they were entered: keep it.
        "line_items": [
            journal_line(Node(line), _SIDES[tag_of(line)])
            for line in element
            if tag_of(line) in _SIDES
        ],
    }
    return compact(record)


def read_account(element: Element) -> Record:
    ret = Node(element)
    list_id = text(ret, "ListID")
    record: Record = {
        "id": list_id,
        "qbe_id": list_id,
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "name": text(ret, "Name"),
        "full_name": text(ret, "FullName"),
        "type": text(ret, "AccountType"),
        "number": text(ret, "AccountNumber"),
        "is_active": flag(ret, "IsActive"),
        "description": text(ret, "Desc"),
        "balance": text(ret, "Balance"),
        "currency": ref_name(ret, "CurrencyRef"),
    }
    return compact(record)
