"""FlowLink orders (flowlink §6.2, §6.3): a sales order with item and adjustment lines."""

from __future__ import annotations

from objects.types.lines import LinesType


class OrderType(LinesType):
    object_type = "orders"
    payload_types = ("order",)
    echo_key = "orders"
    notice_name = "Order"
