"""Set-level UPDATEs the ORM writes slowly: one statement joined to a VALUES list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection, models


def update_from_values(
    model: type[models.Model], columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> None:
    """Set per-row values of many rows with one UPDATE joined to a VALUES list.

    `rows` are (pk, value, …) in the order of `columns` ((name, SQL type to cast to)).
    Where the values differ per row (ListIDs, QuickBooks' status texts) this is one
    statement, where a CASE (bulk_update) costs hundreds of compiled expressions.
    """
    if not rows:
        return
    table = model._meta.db_table
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"] * len(rows))
    assignments = ", ".join(
        f"{name} = CAST(v.column{n} AS {sql_type})" for n, (name, sql_type) in enumerate(columns, 2)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM (VALUES {placeholders}) AS v "
            f"WHERE {table}.id = CAST(v.column1 AS bigint)",
            [value for row in rows for value in row],
        )


def update_fields_from_values(
    model: type[models.Model], pks: Sequence[int], values: dict[str, list[Any]]
) -> None:
    """update_from_values() by field name: `values` maps a concrete field to one value per pk.

    Each value is bound and cast as its field's database type (varchar, jsonb).
    """
    if not pks or not values:
        return
    # Concrete fields only (never a relation's reverse side): each has a column and a type.
    fields_of = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in values]
    update_from_values(
        model,
        [(cast(str, f.column), cast(str, f.db_type(connection)).split("(")[0]) for f in fields_of],
        [
            (
                pk,
                *(
                    f.get_db_prep_save(column[index], connection)
                    for f, column in zip(fields_of, values.values(), strict=True)
                ),
            )
            for index, pk in enumerate(pks)
        ],
    )
