"""FlowLink credit memos → QuickBooks credit memos (flowlink §6.7; qbxml §18).

Lines as on orders but without adjustments (objects.types.credit_memos); `other` is
QuickBooks' Other field, nothing more.
"""

from __future__ import annotations

from typing import ClassVar

from objects.types.credit_memos import CreditMemoType
from qbwc.qbxml.mappers.invoices import INVOICE_HEADER_TAGS
from qbwc.qbxml.mappers.lines import LinesMapper


class CreditMemoMapper(LinesMapper, CreditMemoType):
    qb_type = "CreditMemo"
    qb_label = "credit memo"
    header_tags: ClassVar[frozenset[str]] = INVOICE_HEADER_TAGS
