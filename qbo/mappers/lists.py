from qbo.mappers.base import QboMapper

LIST_MAPPERS: dict[str, QboMapper] = {}
