"""FlowLink orders → QuickBooks sales orders (flowlink §6.2, §6.3; qbxml §18)."""

from __future__ import annotations

from objects.types.orders import OrderType
from qbwc.qbxml.mappers.lines import LinesMapper
from qbwc.qbxml.mappers.sales import derive_ref_number

__all__ = ["OrderMapper", "derive_ref_number"]  # derive_ref_number: as it always was


class OrderMapper(LinesMapper, OrderType):
    """Sales orders: the lines base as it is, with the sales order's header elements."""

    qb_type = "SalesOrder"
    qb_label = "sales order"
