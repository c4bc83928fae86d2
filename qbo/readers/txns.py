"""Sales and purchase transactions → FlowLink records (flowlink §9.5).

Line items are not compacted (upstream kept their null members); headers are. QBO
lines come typed by DetailType: item lines become line_items, bundles
grouped_line_items, the subtotal line `sub_total`, a discount line `qbo_discount_*`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from objects.types.records import (
    CREDIT_MEMO_RELATIONSHIPS,
    GUID_KEY,
    INVOICE_KEY,
    INVOICE_RELATIONSHIPS,
    PAYMENT_RELATIONSHIPS,
    SALES_RECEIPT_RELATIONSHIPS,
    TXN_KEY,
    compact,
    txn_ids,
)
from qbo.readers.common import (
    Record,
    address,
    blank,
    flag,
    linked_txns,
    money,
    quantity,
    ref_id,
    ref_name,
    stamps,
    string,
)


def _lines(record: Record, detail_type: str) -> list[Record]:
    return [
        line
        for line in record.get("Line") or []
        if isinstance(line, dict) and line.get("DetailType") == detail_type
    ]


def sales_line(line: Record) -> Record:
    detail = line.get("SalesItemLineDetail") or {}
    item = ref_name(detail, "ItemRef")
    qty = quantity(detail, "Qty")
    rate = money(detail, "UnitPrice")
    amount = money(line, "Amount")
    return {
        "product_id": item,
        "name": item,
        "sku": item,
        "qbe_id": ref_id(detail, "ItemRef"),
        "line_id": string(line, "Id"),
        "description": string(line, "Description"),
        "quantity": qty,
        "line_item_quantity": qty,
        "unit_of_measure": None,
        "rate": rate,
        "line_item_rate": rate,
        "rate_percent": None,
        "amount": amount,
        "line_item_amount": amount,
        "class_ref": ref_name(detail, "ClassRef"),
        "warehouse": None,
        "inventory_site_location_name": None,
        "sales_tax_code": ref_name(detail, "TaxCodeRef") or ref_id(detail, "TaxCodeRef"),
        "override_uom_set_name": None,
        "serial_number": None,
        "lot_number": None,
        "invoiced": None,
        "is_manually_closed": None,
        "service_date": blank(detail, "ServiceDate"),
        "other_one": None,
        "other_two": None,
    }


def _description_line(line: Record) -> Record:
    """A DescriptionOnly line: Desktop writes it as a line without an item."""
    out = sales_line({"Id": line.get("Id"), "Description": line.get("Description")})
    out["amount"] = out["line_item_amount"] = money(line, "Amount")
    return out


def _sales_lines(record: Record) -> list[Record]:
    out = []
    for line in record.get("Line") or []:
        if not isinstance(line, dict):
            continue
        if line.get("DetailType") == "SalesItemLineDetail":
            out.append(sales_line(line))
        elif line.get("DetailType") == "DescriptionOnly":
            out.append(_description_line(line))
    return out


def _groups(record: Record) -> list[Record]:
    out = []
    for line in _lines(record, "GroupLineDetail"):
        detail = line.get("GroupLineDetail") or {}
        qty = quantity(detail, "Quantity")
        out.append(
            {
                "line_id": string(line, "Id"),
                "description": string(line, "Description"),
                "quantity": qty,
                "line_item_quantity": qty,
                "unit_of_measure": None,
                "is_print_items_in_group": None,
                "total_amount": money(line, "Amount"),
                "override_uom_set_name": None,
                "item_group_name": ref_name(detail, "GroupItemRef"),
                "line_items": [
                    sales_line(inner)
                    for inner in detail.get("Line") or []
                    if isinstance(inner, dict) and inner.get("DetailType") == "SalesItemLineDetail"
                ],
            }
        )
    return out


def _subtotal(record: Record) -> str | None:
    found = _lines(record, "SubTotalLineDetail")
    return money(found[0], "Amount") if found else None


def _discount(record: Record) -> Record:
    found = _lines(record, "DiscountLineDetail")
    if not found:
        return {}
    detail = found[0].get("DiscountLineDetail") or {}
    return {
        "qbo_discount_amount": money(found[0], "Amount"),
        "qbo_discount_percent": string(detail, "DiscountPercent"),
        "qbo_discount_is_percent": flag(detail, "PercentBased"),
    }


def _printed(record: Record) -> bool | None:
    status = record.get("PrintStatus")
    return None if status is None else status == "NeedToPrint"


def _emailed(record: Record) -> bool | None:
    status = record.get("EmailStatus")
    return None if status is None else status == "NeedToSend"


def _tax_included(record: Record) -> bool | None:
    mode = record.get("GlobalTaxCalculation")
    return None if mode is None else mode == "TaxInclusive"


def _sales_header(record: Record) -> Record:
    return {
        **stamps(record),
        "transaction_date": string(record, "TxnDate"),
        "due_date": blank(record, "DueDate"),
        "customer": {
            "name": ref_name(record, "CustomerRef"),
            "external_id": ref_id(record, "CustomerRef"),
        },
        "billing_address": address(record.get("BillAddr")),
        "shipping_address": address(record.get("ShipAddr")),
        "sales_rep": {"name": None},
        "terms": ref_name(record, "SalesTermRef"),
        "currency_name": ref_name(record, "CurrencyRef"),
        "shipping_method": ref_name(record, "ShipMethodRef"),
        "class_ref": ref_name(record, "ClassRef"),
        "shipping_date": blank(record, "ShipDate"),
        "sub_total": _subtotal(record),
        "sales_tax_total": money(record, "TxnTaxDetail.TotalTax"),
        "total": money(record, "TotalAmt"),
        "exchange_rate": string(record, "ExchangeRate"),
        "total_amount_in_home_currency": money(record, "HomeTotalAmt"),
        "memo": string(record, "CustomerMemo.value"),
        "is_to_be_printed": _printed(record),
        "is_to_be_emailed": _emailed(record),
        "is_tax_included": _tax_included(record),
        "linked_qbe_transactions": linked_txns(record),
        **_qbo_txn(record),
        **_discount(record),
    }


def _qbo_txn(record: Record) -> Record:
    """Transaction fields QBO has and Desktop does not."""
    return {
        "qbo_sync_token": string(record, "SyncToken"),
        "qbo_doc_number": string(record, "DocNumber"),
        "qbo_private_note": string(record, "PrivateNote"),
        "qbo_bill_email": string(record, "BillEmail.Address"),
        "qbo_email_status": string(record, "EmailStatus"),
        "qbo_print_status": string(record, "PrintStatus"),
        "qbo_balance": money(record, "Balance"),
        "qbo_tax_code": ref_name(record, "TxnTaxDetail.TxnTaxCodeRef"),
    }


def _doc_id(record: Record) -> str | None:
    """Desktop's id is the RefNumber; QBO's DocNumber may be blank (auto-numbering off)."""
    return string(record, "DocNumber") or string(record, "Id")


def read_estimate(record: Record) -> Record:
    """get_orders: QBO has no sales order; the estimate is the pre-invoice document."""
    qb_id = string(record, "Id")
    status = string(record, "TxnStatus")
    out: Record = {
        "id": _doc_id(record),
        "transaction_id": qb_id,
        "qbe_transaction_id": qb_id,
        "qbe_id": qb_id,
        **_sales_header(record),
        "customer_message_name": string(record, "CustomerMemo.value"),
        "is_manually_closed": None if status is None else status in ("Closed", "Rejected"),
        "is_fully_invoiced": None if status is None else status == "Closed",
        "line_items": _sales_lines(record),
        "grouped_line_items": _groups(record),
        "qbo_entity": "Estimate",
        "qbo_txn_status": status,
        "qbo_expiration_date": string(record, "ExpirationDate"),
        "qbo_accepted_by": string(record, "AcceptedBy"),
        "qbo_accepted_date": string(record, "AcceptedDate"),
    }
    out["customer"]["qbe_id"] = ref_id(record, "CustomerRef")
    return compact(out)


def read_invoice(record: Record) -> Record:
    qb_id = string(record, "Id")
    class_name = ref_name(record, "ClassRef")
    balance = record.get("Balance")
    lines = _sales_lines(record)
    for line in lines:
        line["class_name"] = class_name  # upstream quirk: the header class (flowlink §9.5)
    out: Record = {
        "id": _doc_id(record),
        "transaction_id": qb_id,
        "qbe_transaction_id": qb_id,
        "qbe_id": qb_id,
        "key": INVOICE_KEY,
        "relationships": INVOICE_RELATIONSHIPS,
        **_sales_header(record),
        "is_paid": None if balance is None else Decimal(str(balance)) == 0,
        "class_name": class_name,
        "ar_account": ref_name(record, "ARAccountRef"),
        "balance_remaining": money(record, "Balance"),
        "balance_remaining_in_home_currency": money(record, "HomeBalance"),
        "sales_order": {"purchase_order_number": None},
        "line_items": lines,
        "grouped_line_items": _groups(record),
        "qbo_deposit": money(record, "Deposit"),
        "qbo_allow_online_payment": flag(record, "AllowOnlineCreditCardPayment"),
    }
    out["customer"]["qbe_id"] = ref_id(record, "CustomerRef")
    return compact(out)


def read_sales_receipt(record: Record) -> Record:
    qb_id = string(record, "Id")
    out: Record = {
        "id": _doc_id(record),
        "transaction_id": qb_id,
        "qbe_transaction_id": qb_id,
        "qbe_id": qb_id,
        "key": TXN_KEY,
        "relationships": SALES_RECEIPT_RELATIONSHIPS,
        **_sales_header(record),
        "check_number": string(record, "PaymentRefNum"),
        "payment_method": ref_name(record, "PaymentMethodRef"),
        "deposit_to_account_name": ref_name(record, "DepositToAccountRef"),
        "class_name": ref_name(record, "ClassRef"),
        "line_items": _sales_lines(record),
        "grouped_line_items": _groups(record),
    }
    out["customer"]["qbe_id"] = ref_id(record, "CustomerRef")
    return compact(out)


def purchase_line(line: Record) -> Record:
    item_detail = line.get("ItemBasedExpenseLineDetail")
    detail: Record = item_detail or line.get("AccountBasedExpenseLineDetail") or {}
    item = ref_name(detail, "ItemRef")
    customer = None
    if isinstance(detail.get("CustomerRef"), dict):
        customer = {
            "name": ref_name(detail, "CustomerRef"),
            "external_id": ref_id(detail, "CustomerRef"),
        }
    return {
        "product_id": item,
        "name": item,
        "sku": item,
        "qbe_id": ref_id(detail, "ItemRef"),
        "class_ref": ref_name(detail, "ClassRef"),
        "sales_tax_code": ref_name(detail, "TaxCodeRef") or ref_id(detail, "TaxCodeRef"),
        "override_uom_set_name": None,
        "inventory_site_location_name": None,
        "customer": customer,
        "description": string(line, "Description"),
        "quantity": quantity(detail, "Qty"),
        "value": money(line, "Amount"),
        "transaction_line_id": string(line, "Id"),
        "line_item_manufacturer_part_number": None,
        "line_item_unit_of_measure": None,
        "line_item_rate": money(detail, "UnitPrice"),
        "line_item_service_date": "",
        "line_item_received_quantity": None,
        "line_item_unbilled_quantity": None,
        "line_item_is_billed": None,
        "line_item_is_manually_closed": None,
        "line_item_other_one": None,
        "line_item_other_two": None,
        "qbo_account_name": ref_name(detail, "AccountRef"),
        "qbo_billable_status": string(detail, "BillableStatus"),
    }


def read_purchase_order(record: Record) -> Record:
    qb_id = string(record, "Id")
    status = string(record, "POStatus")
    lines = [
        purchase_line(line)
        for line in record.get("Line") or []
        if isinstance(line, dict)
        and line.get("DetailType")
        in ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")
    ]
    out: Record = {
        **txn_ids(qb_id, _doc_id(record)),
        **stamps(record),
        "transaction_date": string(record, "TxnDate"),
        "due_date": blank(record, "DueDate"),
        "expected_date": "",
        "is_manually_closed": None if status is None else status == "Closed",
        "memo": string(record, "Memo"),
        "exchange_rate": string(record, "ExchangeRate"),
        "is_to_be_printed": _printed(record),
        "is_to_be_emailed": _emailed(record),
        "is_tax_included": _tax_included(record),
        "total": money(record, "TotalAmt"),
        "vendor_address": address(record.get("VendorAddr")),
        "shipping_address": address(record.get("ShipAddr")),
        "vendor": {
            "name": ref_name(record, "VendorRef"),
            "external_id": ref_id(record, "VendorRef"),
        },
        "class_name": ref_name(record, "ClassRef"),
        "ship_to_entity_name": ref_name(record, "ShipTo"),
        "terms": ref_name(record, "SalesTermRef"),
        "shipping_method": ref_name(record, "ShipMethodRef"),
        "currency_name": ref_name(record, "CurrencyRef"),
        "linked_qbe_transactions": linked_txns(record),
        "line_items": lines,
        "grouped_line_items": [],
        **_qbo_txn(record),
        "qbo_po_status": status,
        "qbo_ap_account": ref_name(record, "APAccountRef"),
        "qbo_po_email": string(record, "POEmail.Address"),
    }
    return compact(out)


def read_credit_memo(record: Record) -> Record:
    qb_id = string(record, "Id")
    out: Record = {
        "id": qb_id,
        "list_id": qb_id,
        "qbe_id": qb_id,
        "ref_number": string(record, "DocNumber"),
        "key": GUID_KEY,
        "relationships": CREDIT_MEMO_RELATIONSHIPS,
        **stamps(record),
        "transaction_date": string(record, "TxnDate"),
        "billing_address": address(record.get("BillAddr")),
        "shipping_address": address(record.get("ShipAddr")),
        "total": money(record, "TotalAmt"),
        "subtotal": _subtotal(record),
        "class_name": ref_name(record, "ClassRef"),
        "customer_name": ref_name(record, "CustomerRef"),
        "customer": {"name": ref_name(record, "CustomerRef")},
        "ar_account": ref_name(record, "ARAccountRef"),
        "ship_date": blank(record, "ShipDate"),
        "ship_method": ref_name(record, "ShipMethodRef"),
        "sales_tax_total": money(record, "TxnTaxDetail.TotalTax"),
        "memo": string(record, "CustomerMemo.value"),
        "invoice": {"po_number": None},
        "order": {"purchase_order_number": None},
        "credit_remaining": money(record, "RemainingCredit"),
        "exchange_rate": string(record, "ExchangeRate"),
        "currency": ref_name(record, "CurrencyRef"),
        "is_to_be_printed": _printed(record),
        "is_to_be_emailed": _emailed(record),
        "is_tax_included": _tax_included(record),
        "linked_qbe_transactions": linked_txns(record),
        "applied_invoices": [],
        "line_items": _sales_lines(record),
        **_qbo_txn(record),
        "qbo_customer_id": ref_id(record, "CustomerRef"),
        **_discount(record),
    }
    return compact(out)


def _applied(line: Record) -> list[Record]:
    out = []
    for link in line.get("LinkedTxn") or []:
        if not isinstance(link, dict) or link.get("TxnType") != "Invoice":
            continue
        out.append(
            {
                "id": None,
                "qbe_transaction_id": string(link, "TxnId"),
                "transaction_type": "Invoice",
                "transaction_date": None,
                "balance_remaining": None,
                "amount": money(line, "Amount"),
                "discount_amount": None,
            }
        )
    return out


def read_payment(record: Record) -> Record:
    qb_id = string(record, "Id")
    applied: list[Any] = []
    for line in record.get("Line") or []:
        if isinstance(line, dict):
            applied += _applied(line)
    ref_number = string(record, "PaymentRefNum")
    out: Record = {
        "id": ref_number or qb_id,
        "transaction_id": qb_id,
        "qbe_transaction_id": qb_id,
        "qbe_id": qb_id,
        "key": GUID_KEY,
        "relationships": PAYMENT_RELATIONSHIPS,
        "ref_number": ref_number,
        **stamps(record),
        "transaction_date": string(record, "TxnDate"),
        "customer": {
            "name": ref_name(record, "CustomerRef"),
            "qbe_id": ref_id(record, "CustomerRef"),
        },
        "ar_account": ref_name(record, "ARAccountRef"),
        "amount": money(record, "TotalAmt"),
        "currency_name": ref_name(record, "CurrencyRef"),
        "exchange_rate": string(record, "ExchangeRate"),
        "payment_method": ref_name(record, "PaymentMethodRef"),
        "deposit_to_account_name": ref_name(record, "DepositToAccountRef"),
        "memo": string(record, "PrivateNote"),
        "unused_payment": money(record, "UnappliedAmt"),
        "applied_invoices": applied,
        "qbo_sync_token": string(record, "SyncToken"),
        "qbo_process_payment": flag(record, "ProcessPayment"),
    }
    return compact(out)
