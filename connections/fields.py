"""Model fields that keep their value encrypted in the database (connections.encryption)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull, Lookup
from django.db.models.query_utils import DeferredAttribute

from connections.encryption import decrypt, encrypt, is_encrypted


class Sealed:
    """A stored token not decrypted yet: what `values()`/`values_list()` give for the column."""

    __slots__ = ("stored",)

    def __init__(self, stored: str) -> None:
        self.stored = stored

    def __repr__(self) -> str:
        return "<encrypted>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.stored == self.stored

    def __hash__(self) -> int:
        return hash(self.stored)


class DecryptOnRead(DeferredAttribute):
    """Decrypts when the attribute is read, not when the row is loaded: a value no key
    decrypts then fails only the code that needs the secret (an alert delivery, which
    records the error and retries), not every query that loads the model."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is not None and isinstance(value, Sealed):
            value = decrypt(value.stored, f"{self.field.model._meta.label}.{self.field.name}")
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        # Defining __set__ makes this a data descriptor, so __get__ runs even once the
        # value sits in the instance's __dict__.
        instance.__dict__[self.field.attname] = value


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
    """Text stored as a `fernet:` token; the model attribute gives the plain text back.

    Empty stays empty (queryable as "not set"). A plain value stored before the column
    was encrypted reads as is and is encrypted by the next save or by
    `manage.py rotate_encryption_key`. Reading a value no key decrypts raises
    DecryptionError; saving the row without setting the field keeps its token as is.
    """

    description = "Text encrypted at rest with Fernet (FIELD_ENCRYPTION_KEYS)"
    descriptor_class = DecryptOnRead

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is not None and is_encrypted(value):
            return Sealed(value)
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        # The stored token as loaded, without decrypting it only to encrypt it again.
        if self.attname in model_instance.__dict__:
            return model_instance.__dict__[self.attname]
        return super().pre_save(model_instance, add)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return value.stored
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
