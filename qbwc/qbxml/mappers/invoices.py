"""FlowLink invoices → QuickBooks invoices (flowlink §6.4; qbxml §18).

An invoice is a sales order with more header fields and credit memos applied through
`SetCredit` (LinesMapper.links_credits); its payments are objects.types.invoices'.
"""

from __future__ import annotations

from typing import ClassVar

from objects.types.invoices import InvoiceType
from qbwc.qbxml.mappers.lines import LinesMapper
from qbwc.qbxml.mappers.sales import HEADER_FIELDS

# Every sales-form header element except the sales order's IsManuallyClosed.
INVOICE_HEADER_TAGS = frozenset(tag for tag, *_ in HEADER_FIELDS if tag != "IsManuallyClosed")


class InvoiceMapper(LinesMapper, InvoiceType):
    qb_type = "Invoice"
    qb_label = "invoice"
    header_tags: ClassVar[frozenset[str]] = INVOICE_HEADER_TAGS
    links_credits = True
