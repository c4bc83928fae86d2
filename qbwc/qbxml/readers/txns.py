"""Transaction …Ret → FlowLink records (flowlink §9.5).

Line items are not compacted (upstream kept their null members); headers are.
"""

from __future__ import annotations

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
from qbwc.qbxml.readers.common import (
    Element,
    Elementish,
    Node,
    Record,
    address,
    blank,
    custom_fields,
    flag,
    linked_txns,
    ref_id,
    ref_name,
    text,
)


def sales_line(line: Elementish) -> Record:
    item = ref_name(line, "ItemRef")
    quantity = text(line, "Quantity")
    rate = text(line, "Rate")
    amount = text(line, "Amount")
    return {
        "product_id": item,
        "name": item,
        "sku": item,
        "qbe_id": ref_id(line, "ItemRef"),
        "line_id": text(line, "TxnLineID"),
        "description": text(line, "Desc"),
        "quantity": quantity,
        "line_item_quantity": quantity,
        "unit_of_measure": text(line, "UnitOfMeasure"),
        "rate": rate,
        "line_item_rate": rate,
        "rate_percent": text(line, "RatePercent"),
        "amount": amount,
        "line_item_amount": amount,
        "class_ref": ref_name(line, "ClassRef"),
        "warehouse": ref_name(line, "InventorySiteRef"),
        "inventory_site_location_name": ref_name(line, "InventorySiteLocationRef"),
        "sales_tax_code": ref_name(line, "SalesTaxCodeRef"),
        "override_uom_set_name": ref_name(line, "OverrideUOMSetRef"),
        "serial_number": text(line, "SerialNumber"),
        "lot_number": text(line, "LotNumber"),
        "invoiced": text(line, "Invoiced"),
        "is_manually_closed": flag(line, "IsManuallyClosed"),
        "service_date": blank(line, "ServiceDate"),
        "other_one": text(line, "Other1"),
        "other_two": text(line, "Other2"),
    }


def purchase_line(line: Elementish) -> Record:
    item = ref_name(line, "ItemRef")
    customer = None
    if line.find("CustomerRef") is not None:
        customer = {
            "name": ref_name(line, "CustomerRef"),
            "external_id": ref_id(line, "CustomerRef"),
        }
    return {
        "product_id": item,
        "name": item,
        "sku": item,
        "qbe_id": ref_id(line, "ItemRef"),
        "class_ref": ref_name(line, "ClassRef"),
        "sales_tax_code": ref_name(line, "SalesTaxCodeRef"),
        "override_uom_set_name": ref_name(line, "OverrideUOMSetRef"),
        "inventory_site_location_name": ref_name(line, "InventorySiteLocationRef"),
        "customer": customer,
        "description": text(line, "Desc"),
        "quantity": text(line, "Quantity"),
        "value": text(line, "Amount"),
        "transaction_line_id": text(line, "TxnLineID"),
        "line_item_manufacturer_part_number": text(line, "ManufacturerPartNumber"),
        "line_item_unit_of_measure": text(line, "UnitOfMeasure"),
        "line_item_rate": text(line, "Rate"),
        "line_item_service_date": blank(line, "ServiceDate"),
        "line_item_received_quantity": text(line, "ReceivedQuantity"),
        "line_item_unbilled_quantity": text(line, "UnbilledQuantity"),
        "line_item_is_billed": flag(line, "IsBilled"),
        "line_item_is_manually_closed": flag(line, "IsManuallyClosed"),
        "line_item_other_one": text(line, "Other1"),
        "line_item_other_two": text(line, "Other2"),
    }


def _lines(ret: Elementish, line_tag: str, purchase: bool = False) -> list[Record]:
    read = purchase_line if purchase else sales_line
    return [read(Node(line)) for line in ret.findall(line_tag)]


def _groups(ret: Elementish, group_tag: str, line_tag: str, purchase: bool = False) -> list[Record]:
    out = []
    for group in ret.findall(group_tag):
        quantity = text(group, "Quantity")
        out.append(
            {
                "line_id": text(group, "TxnLineID"),
                "description": text(group, "Desc"),
                "quantity": quantity,
                "line_item_quantity": quantity,
                "unit_of_measure": text(group, "UnitOfMeasure"),
                "is_print_items_in_group": flag(group, "IsPrintItemsInGroup"),
                "total_amount": text(group, "TotalAmount"),
                "override_uom_set_name": ref_name(group, "OverrideUOMSetRef"),
                "item_group_name": ref_name(group, "ItemGroupRef"),
                "line_items": _lines(group, line_tag, purchase),
            }
        )
    return out


def _sales_header(ret: Elementish) -> Record:
    return {
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "transaction_number": text(ret, "TxnNumber"),
        "transaction_date": text(ret, "TxnDate"),
        "po_number": text(ret, "PONumber"),
        "due_date": blank(ret, "DueDate"),
        "customer": {
            "name": ref_name(ret, "CustomerRef"),
            "external_id": ref_id(ret, "CustomerRef"),
        },
        "billing_address": address(ret.find("BillAddress")),
        "shipping_address": address(ret.find("ShipAddress")),
        "sales_rep": {"name": ref_name(ret, "SalesRepRef")},
        "template_name": ref_name(ret, "TemplateRef"),
        "terms": ref_name(ret, "TermsRef"),
        "currency_name": ref_name(ret, "CurrencyRef"),
        "tax_ref": ref_name(ret, "ItemSalesTaxRef"),
        "shipping_method": ref_name(ret, "ShipMethodRef"),
        "customer_tax_code": ref_name(ret, "CustomerSalesTaxCodeRef"),
        "class_ref": ref_name(ret, "ClassRef"),
        "shipping_date": blank(ret, "ShipDate"),
        "sub_total": text(ret, "Subtotal"),
        "sales_tax_percentage": text(ret, "SalesTaxPercentage"),
        "sales_tax_total": text(ret, "SalesTaxTotal"),
        "total": text(ret, "TotalAmount"),
        "fob": text(ret, "FOB"),
        "exchange_rate": text(ret, "ExchangeRate"),
        "total_amount_in_home_currency": text(ret, "TotalAmountInHomeCurrency"),
        "memo": text(ret, "Memo"),
        "is_to_be_printed": flag(ret, "IsToBePrinted"),
        "is_to_be_emailed": flag(ret, "IsToBeEmailed"),
        "is_tax_included": flag(ret, "IsTaxIncluded"),
        "other": text(ret, "Other"),
        "external_guid": text(ret, "ExternalGUID"),
        "linked_qbe_transactions": linked_txns(ret),
    }


def _finish(record: Record, ret: Elementish) -> Record:
    record.update(custom_fields(ret))
    return compact(record)


def read_sales_order(element: Element) -> Record:
    ret = Node(element)
    record: Record = {"id": text(ret, "RefNumber"), "transaction_id": text(ret, "TxnID")}
    record.update(_sales_header(ret))
    record.update(
        {
            "customer_message_name": ref_name(ret, "CustomerMsgRef"),
            "is_manually_closed": flag(ret, "IsManuallyClosed"),
            "is_fully_invoiced": flag(ret, "IsFullyInvoiced"),
            "line_items": _lines(ret, "SalesOrderLineRet"),
            "grouped_line_items": _groups(ret, "SalesOrderLineGroupRet", "SalesOrderLineRet"),
        }
    )
    return _finish(record, ret)


def read_invoice(element: Element) -> Record:
    ret = Node(element)
    txn_id = text(ret, "TxnID")
    class_name = ref_name(ret, "ClassRef")
    record: Record = {
        "id": text(ret, "RefNumber"),
        "transaction_id": txn_id,
        "qbe_transaction_id": txn_id,
        "qbe_id": txn_id,
        "key": INVOICE_KEY,
        "relationships": INVOICE_RELATIONSHIPS,
    }
    record.update(_sales_header(ret))
    record["customer"]["qbe_id"] = ref_id(ret, "CustomerRef")
    lines = _lines(ret, "InvoiceLineRet")
    for line in lines:
        line["class_name"] = class_name  # upstream quirk: the header class (flowlink §9.5)
    record.update(
        {
            "is_pending": flag(ret, "IsPending"),
            "is_finance_charge": flag(ret, "IsFinanceCharge"),
            "is_paid": flag(ret, "IsPaid"),
            "class_name": class_name,
            "ar_account": ref_name(ret, "ARAccountRef"),
            "customer_msg_name": ref_name(ret, "CustomerMsgRef"),
            "applied_amount": text(ret, "AppliedAmount"),
            "balance_remaining": text(ret, "BalanceRemaining"),
            "balance_remaining_in_home_currency": text(ret, "BalanceRemainingInHomeCurrency"),
            "suggested_discount_amount": text(ret, "SuggestedDiscountAmount"),
            "suggested_discount_date": text(ret, "SuggestedDiscountDate"),
            "sales_order": {"purchase_order_number": text(ret, "PONumber")},
            "line_items": lines,
            "grouped_line_items": _groups(ret, "InvoiceLineGroupRet", "InvoiceLineRet"),
        }
    )
    return _finish(record, ret)


def read_sales_receipt(element: Element) -> Record:
    ret = Node(element)
    txn_id = text(ret, "TxnID")
    record: Record = {
        "id": text(ret, "RefNumber"),
        "transaction_id": txn_id,
        "qbe_transaction_id": txn_id,
        "qbe_id": txn_id,
        "key": TXN_KEY,
        "relationships": SALES_RECEIPT_RELATIONSHIPS,
    }
    record.update(_sales_header(ret))
    record["customer"]["qbe_id"] = ref_id(ret, "CustomerRef")
    record.update(
        {
            "is_pending": flag(ret, "IsPending"),
            "check_number": text(ret, "CheckNumber"),
            "payment_method": ref_name(ret, "PaymentMethodRef"),
            "deposit_to_account_name": ref_name(ret, "DepositToAccountRef"),
            "class_name": ref_name(ret, "ClassRef"),
            "customer_msg_name": ref_name(ret, "CustomerMsgRef"),
            "line_items": _lines(ret, "SalesReceiptLineRet"),
            "grouped_line_items": _groups(ret, "SalesReceiptLineGroupRet", "SalesReceiptLineRet"),
        }
    )
    return _finish(record, ret)


def read_purchase_order(element: Element) -> Record:
    ret = Node(element)
    record: Record = {
        **txn_ids(text(ret, "TxnID"), text(ret, "RefNumber")),
        "is_fully_received": flag(ret, "IsFullyReceived"),
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "transaction_number": text(ret, "TxnNumber"),
        "transaction_date": text(ret, "TxnDate"),
        "due_date": blank(ret, "DueDate"),
        "expected_date": blank(ret, "ExpectedDate"),
        "is_manually_closed": flag(ret, "IsManuallyClosed"),
        "fob": text(ret, "FOB"),
        "memo": text(ret, "Memo"),
        "exchange_rate": text(ret, "ExchangeRate"),
        "is_to_be_printed": flag(ret, "IsToBePrinted"),
        "is_to_be_emailed": flag(ret, "IsToBeEmailed"),
        "is_tax_included": flag(ret, "IsTaxIncluded"),
        "other_one": text(ret, "Other1"),
        "other_two": text(ret, "Other2"),
        "external_guid": text(ret, "ExternalGUID"),
        "total_amount_in_home_currency": text(ret, "TotalAmountInHomeCurrency"),
        "vendor_message": text(ret, "VendorMsg"),
        "total": text(ret, "TotalAmount"),
        "vendor_address": address(ret.find("VendorAddress")),
        "shipping_address": address(ret.find("ShipAddress")),
        "vendor": {"name": ref_name(ret, "VendorRef"), "external_id": ref_id(ret, "VendorRef")},
        "class_name": ref_name(ret, "ClassRef"),
        "inventory_site_name": ref_name(ret, "InventorySiteRef"),
        "ship_to_entity_name": ref_name(ret, "ShipToEntityRef"),
        "template_name": ref_name(ret, "TemplateRef"),
        "terms": ref_name(ret, "TermsRef"),
        "shipping_method": ref_name(ret, "ShipMethodRef"),
        "currency_name": ref_name(ret, "CurrencyRef"),
        "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
        "linked_qbe_transactions": linked_txns(ret),
        "line_items": _lines(ret, "PurchaseOrderLineRet", purchase=True),
        "grouped_line_items": _groups(
            ret, "PurchaseOrderLineGroupRet", "PurchaseOrderLineRet", purchase=True
        ),
    }
    return _finish(record, ret)


def read_credit_memo(element: Element) -> Record:
    ret = Node(element)
    txn_id = text(ret, "TxnID")
    links = linked_txns(ret)
    applied = [
        {
            "id": link["qbe_reference_number"],
            "qbe_transaction_id": link["qbe_transaction_id"],
            "transaction_date": link["transaction_date"],
            "amount": link["amount"],
        }
        for link in links
        if link["transaction_type"] == "Invoice"
    ]
    po_number = text(ret, "PONumber")
    record: Record = {
        "id": txn_id,
        "list_id": txn_id,
        "qbe_id": txn_id,
        "ref_number": text(ret, "RefNumber"),
        "transaction_number": text(ret, "TxnNumber"),
        "key": GUID_KEY,
        "relationships": CREDIT_MEMO_RELATIONSHIPS,
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "transaction_date": text(ret, "TxnDate"),
        "billing_address": address(ret.find("BillAddress")),
        "shipping_address": address(ret.find("ShipAddress")),
        "total": text(ret, "TotalAmount"),
        "subtotal": text(ret, "Subtotal"),
        "class_name": ref_name(ret, "ClassRef"),
        "customer_name": ref_name(ret, "CustomerRef"),
        "customer": {"name": ref_name(ret, "CustomerRef")},
        "ar_account": ref_name(ret, "ARAccountRef"),
        "template": ref_name(ret, "TemplateRef"),
        "is_pending": flag(ret, "IsPending"),
        "fob": text(ret, "FOB"),
        "ship_date": blank(ret, "ShipDate"),
        "ship_method": ref_name(ret, "ShipMethodRef"),
        "item_sales_tax": ref_name(ret, "ItemSalesTaxRef"),
        "sales_tax_total": text(ret, "SalesTaxTotal"),
        "sales_tax_percentage": text(ret, "SalesTaxPercentage"),
        "memo": text(ret, "Memo"),
        "po_number": po_number,
        "invoice": {"po_number": po_number},
        "order": {"purchase_order_number": po_number},
        "credit_remaining": text(ret, "CreditRemaining"),
        "exchange_rate": text(ret, "ExchangeRate"),
        "currency": ref_name(ret, "CurrencyRef"),
        "customer_msg": ref_name(ret, "CustomerMsgRef"),
        "is_to_be_printed": flag(ret, "IsToBePrinted"),
        "is_to_be_emailed": flag(ret, "IsToBeEmailed"),
        "is_tax_included": flag(ret, "IsTaxIncluded"),
        "customer_sales_tax_code_ref": ref_name(ret, "CustomerSalesTaxCodeRef"),
        "other": text(ret, "Other"),
        "external_guid": text(ret, "ExternalGUID"),
        "linked_qbe_transactions": links,
        "applied_invoices": applied,
        "line_items": _lines(ret, "CreditMemoLineRet"),
    }
    return _finish(record, ret)


def read_payment(element: Element) -> Record:
    """ReceivePaymentRet. Upstream had no get_payments; the shape follows the invoice's."""
    ret = Node(element)
    txn_id = text(ret, "TxnID")
    applied = []
    for line in ret.findall("AppliedToTxnRet"):
        applied.append(
            {
                "id": text(line, "RefNumber"),
                "qbe_transaction_id": text(line, "TxnID"),
                "transaction_type": text(line, "TxnType"),
                "transaction_date": text(line, "TxnDate"),
                "balance_remaining": text(line, "BalanceRemaining"),
                "amount": text(line, "Amount"),
                "discount_amount": text(line, "DiscountAmount"),
            }
        )
    record: Record = {
        "id": text(ret, "RefNumber") or txn_id,
        "transaction_id": txn_id,
        "qbe_transaction_id": txn_id,
        "qbe_id": txn_id,
        "key": GUID_KEY,
        "relationships": PAYMENT_RELATIONSHIPS,
        "ref_number": text(ret, "RefNumber"),
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "transaction_number": text(ret, "TxnNumber"),
        "transaction_date": text(ret, "TxnDate"),
        "customer": {"name": ref_name(ret, "CustomerRef"), "qbe_id": ref_id(ret, "CustomerRef")},
        "ar_account": ref_name(ret, "ARAccountRef"),
        "amount": text(ret, "TotalAmount"),
        "currency_name": ref_name(ret, "CurrencyRef"),
        "exchange_rate": text(ret, "ExchangeRate"),
        "payment_method": ref_name(ret, "PaymentMethodRef"),
        "deposit_to_account_name": ref_name(ret, "DepositToAccountRef"),
        "memo": text(ret, "Memo"),
        "unused_payment": text(ret, "UnusedPayment"),
        "unused_credits": text(ret, "UnusedCredits"),
        "external_guid": text(ret, "ExternalGUID"),
        "applied_invoices": applied,
    }
    return _finish(record, ret)
