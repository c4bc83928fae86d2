"""JournalEntry and Account → the operations API's records, in the keys
qbwc.qbxml.readers.ledger writes from QuickBooks Desktop (docs/api.md)."""

from __future__ import annotations

from objects.types.records import compact, journal_sides, txn_ids
from qbo.readers.common import Record, flag, money, ref_id, ref_name, stamps, string

# QuickBooks Online's AccountType -> the API's (qbXML's) name of the same type.
ACCOUNT_TYPES = {
    "Accounts Payable": "AccountsPayable",
    "Accounts Receivable": "AccountsReceivable",
    "Bank": "Bank",
    "Cost of Goods Sold": "CostOfGoodsSold",
    "Credit Card": "CreditCard",
    "Equity": "Equity",
    "Expense": "Expense",
    "Fixed Asset": "FixedAsset",
    "Income": "Income",
    "Long Term Liability": "LongTermLiability",
    "Other Asset": "OtherAsset",
    "Other Current Asset": "OtherCurrentAsset",
    "Other Current Liability": "OtherCurrentLiability",
    "Other Expense": "OtherExpense",
    "Other Income": "OtherIncome",
}


def journal_line(line: Record) -> Record:
    detail = line.get("JournalEntryLineDetail") or {}
    return {
        "line_id": string(line, "Id"),
        **journal_sides(detail.get("PostingType") == "Debit", money(line, "Amount")),
        "account_name": ref_name(detail, "AccountRef"),
        "account_id": ref_id(detail, "AccountRef"),
        "description": string(line, "Description"),
        "customer_name": ref_name(detail.get("Entity"), "EntityRef"),
        "class_name": ref_name(detail, "ClassRef"),
        "item_sales_tax_name": None,
        "billable_status": None,
    }


def read_journal_entry(record: Record) -> Record:
    date = string(record, "TxnDate")
    out: Record = {
        **txn_ids(string(record, "Id"), string(record, "DocNumber")),
        **stamps(record),
        "journal_date": date,
        "transaction_date": date,
        "memo": string(record, "PrivateNote"),
        "is_adjustment": flag(record, "Adjustment"),
        "currency_name": ref_name(record, "CurrencyRef"),
        "exchange_rate": string(record, "ExchangeRate"),
        "line_items": [
            journal_line(line)
            for line in record.get("Line") or []
            if isinstance(line, dict) and line.get("DetailType") == "JournalEntryLineDetail"
        ],
    }
    return compact(out)


def read_account(record: Record) -> Record:
    qb_id = string(record, "Id")
    kind = string(record, "AccountType")
    out: Record = {
        "id": qb_id,
        "qbe_id": qb_id,
        **stamps(record),
        "name": string(record, "Name"),
        "full_name": string(record, "FullyQualifiedName"),
        "type": ACCOUNT_TYPES.get(kind or "", kind),
        "number": string(record, "AcctNum"),
        "is_active": flag(record, "Active"),
        "description": string(record, "Description"),
        "balance": money(record, "CurrentBalance"),
        "currency": ref_name(record, "CurrencyRef"),
    }
    return compact(out)
