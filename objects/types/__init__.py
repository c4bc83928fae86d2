"""The FlowLink object types qbsync accepts, whatever backend writes them.

Each type knows its FlowLink side: how an object is identified, what it depends on, what
follows it and how notifications name it. A backend extends each type with how it is
written (qbwc.qbxml.mappers for QuickBooks Desktop).
"""

from __future__ import annotations

from objects.types.base import ObjectType
from objects.types.credit_memos import CreditMemoType
from objects.types.customers import CustomerType, VendorType
from objects.types.inventories import InventoryType
from objects.types.invoices import InvoiceType
from objects.types.items import ITEM_CLASSES, ITEM_TYPES
from objects.types.journals import JournalType
from objects.types.orders import OrderType
from objects.types.payments import PaymentType
from objects.types.purchase_orders import PurchaseOrderType
from objects.types.sales_receipts import ReturnType, SalesReceiptType
from objects.types.shipments import ShipmentType

_ALL: list[ObjectType] = [
    CustomerType(),
    VendorType(),
    *(cls() for cls in ITEM_CLASSES),
    OrderType(),
    InvoiceType(),
    CreditMemoType(),
    PaymentType(),
    ShipmentType(),
    SalesReceiptType(),
    ReturnType(),
    PurchaseOrderType(),
    JournalType(),
    InventoryType(),
]

TYPES: dict[str, ObjectType] = {t.object_type: t for t in _ALL}
BY_PAYLOAD_TYPE: dict[str, ObjectType] = {spelling: t for t in _ALL for spelling in t.payload_types}

__all__ = ["BY_PAYLOAD_TYPE", "ITEM_TYPES", "TYPES", "ObjectType", "type_for"]


def type_for(object_type: str) -> ObjectType:
    return TYPES[object_type]
