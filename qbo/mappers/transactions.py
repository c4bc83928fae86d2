from qbo.mappers.base import QboMapper

TRANSACTION_MAPPERS: dict[str, QboMapper] = {}
