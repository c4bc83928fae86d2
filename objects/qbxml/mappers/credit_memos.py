"""FlowLink credit memos → QuickBooks credit memos (flowlink §6.7; qbxml §18).

Lines as on orders but without adjustments (upstream never sent them on memos);
`other` is QuickBooks' Other field, nothing more: a memo is applied to an invoice
through that invoice's `credit_memos[]` (flowlink §6.4).
"""

from __future__ import annotations

from typing import ClassVar

from objects.qbxml.mappers.invoices import INVOICE_HEADER_TAGS
from objects.qbxml.mappers.orders import OrderMapper


class CreditMemoMapper(OrderMapper):
    object_type = "creditmemos"
    payload_types = ("creditmemo",)
    echo_key = "credit_memos"
    notice_name = "Creditmemo"
    qb_type = "CreditMemo"
    qb_label = "credit memo"
    has_adjustments: ClassVar[bool] = False
    header_tags: ClassVar[frozenset[str]] = INVOICE_HEADER_TAGS
