"""FlowLink credit memos (flowlink §6.7): lines as on orders, without adjustments.

Upstream never sent adjustments on memos; a memo is applied to an invoice through that
invoice's `credit_memos[]` (flowlink §6.4).
"""

from __future__ import annotations

from objects.types.lines import LinesType


class CreditMemoType(LinesType):
    object_type = "creditmemos"
    payload_types = ("creditmemo",)
    echo_key = "credit_memos"
    notice_name = "Creditmemo"
    has_adjustments = False
    closes_on_cancel = False
