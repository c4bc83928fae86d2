"""Statements written out for the hottest paths, with the ORM's own value conversions.

A single-object webhook runs a handful of statements, and compiling each through the
ORM cost more CPU than PostgreSQL spent answering it (docs/benchmarks.md). The few
statements on that path are written out here instead. Values still go through the
model fields (`get_db_prep_save` on the way in, the backend's and the field's
converters on the way out), so what is stored and read is exactly what the ORM would
store and read: these helpers skip the compiler, nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


def select_list(fields: Sequence[models.Field[Any, Any]], alias: str) -> str:
    prefix = f'{alias}."' if alias else '"'
    return ", ".join(f'{prefix}{field.column}"' for field in fields)


@functools.cache
def _converters(using: str, field: models.Field[Any, Any]) -> tuple[Converter, ...]:
    # Keyed by database alias and field: both live as long as the process.
    db = connections[using]
    column = field.cached_col
    return tuple([*db.ops.get_db_converters(column), *column.get_db_converters(db)])


def from_row(
    model: type[M], fields: Sequence[models.Field[Any, Any]], values: Sequence[Any], using: str
) -> M:
    """A model instance from raw column values, converted as the ORM's own reads do."""
    db = connections[using]
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in _converters(using, field):
            value = converter(value, field.cached_col, db)
        converted.append(value)
    return model.from_db(using, [field.attname for field in fields], converted)


def from_rows(
    model: type[M],
    fields: Sequence[models.Field[Any, Any]],
    rows: Iterable[Sequence[Any]],
    using: str,
) -> list[M]:
    return [from_row(model, fields, row, using) for row in rows]


def insert_values(
    objs: Sequence[models.Model], fields: Sequence[models.Field[Any, Any]], using: str
) -> tuple[str, list[Any]]:
    """The VALUES list and parameters inserting `objs`, each value prepared by its field
    as Model.save() would (pre_save for defaults such as auto_now, then get_db_prep_save)."""
    db = connections[using]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in objs:
        params += [field.get_db_prep_save(field.pre_save(obj, True), db) for field in fields]
    return ", ".join([row] * len(objs)), params
