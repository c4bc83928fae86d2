"""QuickBooks Online mappers by FlowLink object type (the contract: qbo.mappers.base)."""

from __future__ import annotations

from qbo.mappers.base import QboMapper
from qbo.mappers.lists import LIST_MAPPERS
from qbo.mappers.transactions import TRANSACTION_MAPPERS

MAPPERS: dict[str, QboMapper] = {**LIST_MAPPERS, **TRANSACTION_MAPPERS}


def mapper_for(object_type: str) -> QboMapper:
    return MAPPERS[object_type]
