"""Settings for the test suite: the real ones, plus a fast password hasher."""

from __future__ import annotations

import os

# The real settings refuse to start without SECRET_KEY outside DEBUG; tests run with
# DEBUG off, so they bring their own key. Set in the environment (not here after the
# import) so the worker and server subprocesses the tests start get it too.
os.environ.setdefault("SECRET_KEY", "qbsync-test-key-not-for-production-7f3a9c1e5b2d4068")

from qbsync.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "connections.passwords.GeneratedPasswordHasher",
]

# Tasks enqueued by code under test (a QBO push after intake) stay in this process's
# memory; tests run passes themselves, and the real-worker tests bring their own broker.
if "CELERY_BROKER_URL" not in os.environ:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
