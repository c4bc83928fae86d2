"""The QuickBooks Online mappers of FlowLink's name lists: customers, vendors, the six
item routes (docs/objects/qbo-lists.md)."""

from __future__ import annotations

from qbo.mappers.base import QboMapper
from qbo.mappers.customers import CustomerMapper, VendorMapper
from qbo.mappers.items import ITEM_MAPPERS

LIST_MAPPERS: dict[str, QboMapper] = {
    mapper.object_type: mapper for mapper in (CustomerMapper(), VendorMapper(), *ITEM_MAPPERS)
}
