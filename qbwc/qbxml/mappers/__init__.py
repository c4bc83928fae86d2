"""Registry of the qbXML mappers: each FlowLink object type (objects.types) as QuickBooks
Desktop writes it."""

from __future__ import annotations

from objects.types import ITEM_TYPES
from qbwc.qbxml.mappers.base import Mapper
from qbwc.qbxml.mappers.credit_memos import CreditMemoMapper
from qbwc.qbxml.mappers.customers import CustomerMapper, VendorMapper
from qbwc.qbxml.mappers.inventories import InventoryMapper
from qbwc.qbxml.mappers.invoices import InvoiceMapper
from qbwc.qbxml.mappers.items import ITEM_MAPPERS
from qbwc.qbxml.mappers.journals import JournalMapper
from qbwc.qbxml.mappers.orders import OrderMapper
from qbwc.qbxml.mappers.payments import PaymentMapper
from qbwc.qbxml.mappers.purchase_orders import PurchaseOrderMapper
from qbwc.qbxml.mappers.sales_receipts import ReturnMapper, SalesReceiptMapper
from qbwc.qbxml.mappers.shipments import ShipmentMapper

_ALL: list[Mapper] = [CustomerMapper(), VendorMapper(), *ITEM_MAPPERS, OrderMapper()]
# Sales side (issue 3 part A).
_ALL += [InvoiceMapper(), CreditMemoMapper(), PaymentMapper(), ShipmentMapper()]
# Sales receipts, returns, purchase orders, journals, inventories (issue 3 part B).
_ALL += [
    SalesReceiptMapper(),
    ReturnMapper(),
    PurchaseOrderMapper(),
    JournalMapper(),
    InventoryMapper(),
]

MAPPERS: dict[str, Mapper] = {m.object_type: m for m in _ALL}
BY_PAYLOAD_TYPE: dict[str, Mapper] = {spelling: m for m in _ALL for spelling in m.payload_types}


__all__ = ["BY_PAYLOAD_TYPE", "ITEM_TYPES", "MAPPERS", "Mapper", "mapper_for"]


def mapper_for(object_type: str) -> Mapper:
    return MAPPERS[object_type]
