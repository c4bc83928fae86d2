"""Secrets at rest: the Fernet keys of FIELD_ENCRYPTION_KEYS, and re-encrypting stored values.

The first key encrypts, every key decrypts (MultiFernet). Rotating is: put a new key
first and keep the old ones after it, run `manage.py rotate_encryption_key` (every value
is rewritten under the first key), then drop the old keys (docs/security.md). With no
FIELD_ENCRYPTION_KEYS the one key is derived from SECRET_KEY, so development, tests and
deployments that predate encryption work unchanged.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import ExpressionWrapper, F, TextField, Value

# Marks an encrypted value; anything else in an encrypted column is a plain value stored
# before the column was encrypted (read as is, encrypted by the next write).
PREFIX = "fernet:"
# Changing it changes the derived key: existing values would no longer decrypt.
DERIVED_KEY_INFO = b"qbsync field encryption key v1"


class EncryptionKeyError(ImproperlyConfigured):
    """A key of FIELD_ENCRYPTION_KEYS is not a Fernet key."""


class DecryptionError(Exception):
    """No configured key decrypts a stored value (the message never holds the value)."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def derived_key(secret_key: str) -> str:
    """The Fernet key used when FIELD_ENCRYPTION_KEYS is empty: HKDF-SHA256 of SECRET_KEY."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVED_KEY_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))).decode("ascii")


def configured_keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS) or (derived_key(settings.SECRET_KEY),)


@lru_cache(maxsize=8)
def _key_ring(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    """The MultiFernet of all keys and the Fernet of the first (the one that encrypts)."""
    fernets: list[Fernet] = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # Never echo the key itself: it would end up in logs and tracebacks.
            raise EncryptionKeyError(
                f"FIELD_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key"
                " (32 url-safe base64-encoded bytes); make one with"
                " `python manage.py rotate_encryption_key --generate-key`"
            ) from None
    return MultiFernet(fernets), fernets[0]


def key_ring() -> tuple[MultiFernet, Fernet]:
    return _key_ring(configured_keys())


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def encrypt(plain: str) -> str:
    ring, _ = key_ring()
    return PREFIX + ring.encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(stored: str, where: str) -> str:
    """The plain value of a stored one; `where` names the column in the error."""
    if not is_encrypted(stored):
        return stored
    ring, _ = key_ring()
    try:
        return ring.decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        # Raised rather than read as "": an empty secret would silently disable signing.
        raise DecryptionError(
            f"{where}: no key in FIELD_ENCRYPTION_KEYS decrypts the stored value (was the key"
            " it was encrypted with removed, or SECRET_KEY changed while FIELD_ENCRYPTION_KEYS"
            " was empty?). See docs/security.md."
        ) from None


def is_current(stored: str) -> bool:
    """True when the value is empty or encrypted with the first key."""
    if not stored:
        return True
    if not is_encrypted(stored):
        return False
    _, first = key_ring()
    try:
        first.decrypt(stored.removeprefix(PREFIX).encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


# -- rewriting stored values ---------------------------------------------------------------
@dataclass
class Outcome:
    """What re-encrypting one column did (or, in a dry run, would do)."""

    label: str
    current: int = 0
    rewritten: int = 0
    undecryptable: list[object] = field(default_factory=list)


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every encrypted column of the project, found by its field class."""
    from connections.fields import EncryptedTextField

    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]


def _stored_values(model: type[models.Model], name: str) -> models.QuerySet[models.Model]:
    """(pk, stored text) of the non-empty values: read past the field, which would decrypt."""
    return (
        model._default_manager.annotate(_stored=ExpressionWrapper(F(name), TextField()))
        .filter(_stored__isnull=False)
        .exclude(_stored="")
        .order_by("pk")
    )


def _replace(model: type[models.Model], name: str, pk: object, old: str, new: str) -> bool:
    """Write `new` as stored text, only if the column still holds `old` (a concurrent save
    of a new secret wins: it was encrypted with the first key anyway)."""
    won = (
        model._default_manager.alias(_stored=ExpressionWrapper(F(name), TextField()))
        .filter(pk=pk, _stored=old)
        .update(**{name: Value(new, output_field=TextField())})
    )
    return won == 1


def reencrypt_field(model: type[models.Model], name: str, dry_run: bool = False) -> Outcome:
    """Encrypt every plain value and every value of an older key with the first key."""
    outcome = Outcome(label=f"{model._meta.label}.{name}")
    rows = _stored_values(model, name).values_list("pk", "_stored")
    for pk, stored in rows.iterator(chunk_size=500):
        if is_current(stored):
            outcome.current += 1
            continue
        try:
            new = encrypt(decrypt(stored, outcome.label))
        except DecryptionError:
            outcome.undecryptable.append(pk)
            continue
        if dry_run or _replace(model, name, pk, stored, new):
            outcome.rewritten += 1
        else:
            outcome.current += 1
    return outcome


def reencrypt_all(dry_run: bool = False) -> list[Outcome]:
    return [reencrypt_field(model, name, dry_run) for model, name in encrypted_fields()]


def decrypt_field(model: type[models.Model], name: str) -> int:
    """Store every value of the column as plain text again (migrating backwards only)."""
    label = f"{model._meta.label}.{name}"
    count = 0
    for pk, stored in _stored_values(model, name).values_list("pk", "_stored").iterator():
        if is_encrypted(stored) and _replace(model, name, pk, stored, decrypt(stored, label)):
            count += 1
    return count
