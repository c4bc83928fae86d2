"""FlowLink orders → QuickBooks sales orders (flowlink §6.2, §6.3; qbxml §18)."""

from __future__ import annotations

from objects.qbxml.mappers.lines import LinesMapper
from objects.qbxml.mappers.sales import (
    ADJUSTMENT_ITEMS,
    CANCELLED_STATUSES,
    HEADER_FIELDS,
    PLACEHOLDER_ADDRESS,
    REF_NUMBER_MAX,
    AdjustmentLine,
    address_or_placeholder,
    customer_dependency,
    customer_name,
    derive_ref_number,
    is_cancelled,
    line_value,
)
from objects.types.orders import OrderType

__all__ = [
    "ADJUSTMENT_ITEMS",
    "AdjustmentLine",
    "CANCELLED_STATUSES",
    "HEADER_FIELDS",
    "OrderMapper",
    "PLACEHOLDER_ADDRESS",
    "REF_NUMBER_MAX",
    "address_or_placeholder",
    "customer_dependency",
    "customer_name",
    "derive_ref_number",
    "is_cancelled",
    "line_value",
]


class OrderMapper(LinesMapper, OrderType):
    """Sales orders: the lines base as it is, with the sales order's header elements."""

    qb_type = "SalesOrder"
    qb_label = "sales order"
