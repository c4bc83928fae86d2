"""The QuickBooks Online mappers of every FlowLink transaction, by object type.

| object type    | QBO entity                                   | module             |
|----------------|----------------------------------------------|--------------------|
| orders         | SalesReceipt / Invoice / Estimate (`qbo_order_as`) | orders       |
| invoices       | Invoice                                      | sales              |
| salesreceipts  | SalesReceipt                                 | sales              |
| returns        | RefundReceipt                                | sales              |
| creditmemos    | CreditMemo                                   | sales              |
| payments       | Payment                                      | payments           |
| purchaseorders | PurchaseOrder                                | purchase_orders    |
| journals       | JournalEntry                                 | journals           |
| shipments      | Invoice from an Estimate, else the order marked shipped | shipments |
| inventories    | Item (QtyOnHand)                             | inventories        |
"""

from __future__ import annotations

from qbo.mappers.base import QboMapper
from qbo.mappers.inventories import InventoryMapper
from qbo.mappers.journals import JournalMapper
from qbo.mappers.orders import OrderMapper
from qbo.mappers.payments import PaymentMapper
from qbo.mappers.purchase_orders import PurchaseOrderMapper
from qbo.mappers.sales import CreditMemoMapper, InvoiceMapper, ReturnMapper, SalesReceiptMapper
from qbo.mappers.shipments import ShipmentMapper

TRANSACTION_MAPPERS: dict[str, QboMapper] = {
    mapper.object_type: mapper
    for mapper in (
        OrderMapper(),
        InvoiceMapper(),
        SalesReceiptMapper(),
        ReturnMapper(),
        CreditMemoMapper(),
        PaymentMapper(),
        PurchaseOrderMapper(),
        JournalMapper(),
        ShipmentMapper(),
        InventoryMapper(),
    )
}
