"""Web Connector passwords: fast where that is safe, slow where a person chose them.

Every Web Connector session starts with `authenticate`, and a PBKDF2 check of a password
costs about 0.3 s of CPU: 1,000 companies on a one-minute schedule would need more
cores for password checks than for everything else together (docs/security.md). Two
things make the check fast without weakening what a stolen database or an online guesser
gets:

* A password qbsync generates (`generate()`: 256 random bits) is stored with
  `GeneratedPasswordHasher`, one salted SHA-256. Stretching protects guessable secrets;
  guessing 2^256 values is out of reach at any speed, so the fast hash protects it better
  than PBKDF2 protects any password a person types.
* A password a person typed stays a PBKDF2 hash. Once it verified, a worker remembers an
  HMAC of (stored hash, password) under a key that exists only in that process's memory
  (`VerifiedCredentials`). The entry is bound to the stored hash, so a new password (a
  new hash, with a new salt) misses and the old one is refused at once.

Only a right password is ever fast: every refusal costs one PBKDF2 (`check()`), so an
online guesser gains nothing, and a wrong password for a generated credential answers
as slowly as an unknown user name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from typing import Any

from django.contrib.auth.hashers import (
    BasePasswordHasher,
    check_password,
    identify_hasher,
    make_password,
)
from django.utils.crypto import constant_time_compare

# What generate() makes: the mark, then 43 characters of token_urlsafe(32) (256 bits).
GENERATED_PREFIX = "qbwc1-"
GENERATED_LENGTH = len(GENERATED_PREFIX) + 43
GENERATED_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def generate() -> str:
    """A new Web Connector password of 256 random bits, for GeneratedPasswordHasher."""
    return GENERATED_PREFIX + secrets.token_urlsafe(32)


def is_generated(raw: str) -> bool:
    """Whether `raw` has the shape generate() gives (only such passwords are hashed fast)."""
    return (
        len(raw) == GENERATED_LENGTH
        and raw.startswith(GENERATED_PREFIX)
        and set(raw[len(GENERATED_PREFIX) :]) <= GENERATED_ALPHABET
    )


def fast_digest(secret: str, salt: str) -> str:
    """Salted SHA-256 of a generated secret (Web Connector passwords, API keys).

    Only for secrets of 256 random bits: stretching protects guessable secrets, and
    nobody guesses 2^256 values at any speed (docs/security.md).
    """
    if not salt or "$" in salt:
        raise ValueError("the salt must be non-empty and hold no '$'")
    return hashlib.sha256(f"{salt}${secret}".encode()).hexdigest()


class GeneratedPasswordHasher(BasePasswordHasher):
    """Salted SHA-256 for passwords qbsync generated (never one a person typed).

    Listed after the default hasher in PASSWORD_HASHERS, so make_password() never picks
    it on its own; `encode` refuses anything generate() did not make, so a typed password
    cannot end up behind a fast hash by mistake.
    """

    algorithm = "qbsync_generated_sha256"

    def encode(self, password: str, salt: str) -> str:
        if not is_generated(password):
            raise ValueError("only passwords made by connections.passwords.generate() fit here")
        return f"{self.algorithm}${salt}${fast_digest(password, salt)}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        if not is_generated(password):
            return False
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def must_update(self, encoded: str) -> bool:
        return False  # never "upgrade" to PBKDF2: the entropy is what protects it

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


class VerifiedCredentials:
    """Passwords that verified against a stored hash, remembered by one process.

    Entries are HMAC-SHA256 of (stored hash, password) under a key made when the process
    starts and never stored: the set holds no password and nothing a dump could test
    guesses against elsewhere. Bounded: the least recently used entry goes first, and a
    miss only costs the slow check it would have cost anyway.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, encoded: str, raw: str) -> bytes:
        message = encoded.encode() + b"\x00" + raw.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def check(self, raw: str, encoded: str) -> bool:
        digest = self._digest(encoded, raw)
        with self._lock:
            if digest in self._entries:
                self._entries.move_to_end(digest)
                return True
        if not check_password(raw, encoded):
            return False
        with self._lock:
            self._entries[digest] = None
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._entries)


VERIFIED = VerifiedCredentials()


def check(raw: str, encoded: str) -> bool:
    """Whether `raw` is the password of `encoded`; a refusal always costs one slow hash."""
    if raw and VERIFIED.check(raw, encoded):
        return True
    if _is_fast(encoded):
        # As slow as a wrong typed password or an unknown user name (qbwc.loop).
        make_password(raw or "")
    return False


def _is_fast(encoded: str) -> bool:
    try:
        return isinstance(identify_hasher(encoded), GeneratedPasswordHasher)
    except ValueError:
        return False
