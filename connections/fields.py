"""Model fields that keep their value encrypted in the database (connections.encryption)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull, Lookup

from connections.encryption import decrypt, encrypt


class EmptyOnlyExact(Exact):
    """`field=""` only: every encryption of a value differs (random IV), so comparing a
    non-empty value could only ever match nothing, silently."""

    def get_prep_lookup(self) -> Any:
        if isinstance(self.rhs, str) and self.rhs:
            raise FieldError(
                f"{self.lhs.output_field.name} is encrypted: it can only be compared with ''"
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored as a `fernet:` token; reads give the plain text back.

    Empty stays empty (queryable as "not set"). A plain value stored before the column
    was encrypted reads as is and is encrypted by the next save or by
    `manage.py rotate_encryption_key`. A value no key decrypts raises DecryptionError.
    """

    description = "Text encrypted at rest with Fernet (FIELD_ENCRYPTION_KEYS)"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value, f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None
