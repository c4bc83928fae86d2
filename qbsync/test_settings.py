"""Settings for the test suite: the real ones, plus a fast password hasher."""

from __future__ import annotations

from qbsync.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
