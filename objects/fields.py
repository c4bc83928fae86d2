"""Model fields of the objects app."""

from __future__ import annotations

from typing import Any

from django.db import models


class JSONField(models.JSONField):
    """A JSONField whose bulk inserts bind each value as a parameter of its own.

    On PostgreSQL, Django 5.2 bulk-inserts literal values through UNNEST of one array
    per column. psycopg writes a jsonb[] array literal in Python and escapes every
    double quote of every JSON document through a regex callback: for a webhook of ten
    orders that was about a tenth of the server time (docs/benchmarks.md). Declaring a
    placeholder makes Django fall back to a plain VALUES list, which psycopg quotes in C.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"
