"""One beat across the deployment: a second `celery beat` stands by instead of doubling ticks.

Every periodic task is idempotent (docs/operations.md), so a doubled schedule would do
no harm to the data, but it would double the load of every tick on every node. Beat
therefore holds a PostgreSQL session advisory lock while it sends: a beat started on a
second node (by mistake, or as a hot standby) finds the lock taken and only retries
it. The lock lives as long as the holder's database session, so a beat that dies (even
by SIGKILL, or with its machine) releases it when PostgreSQL sees the session end, and a
standby takes over within LOCK_RETRY_SECONDS of that.

Enabled by `CELERY_BEAT_SCHEDULER = "qbsync.beat:LockedScheduler"` (settings).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from celery.beat import PersistentScheduler
from django.conf import settings

log = logging.getLogger(__name__)

# pg_try_advisory_lock's key: any constant no other code of this database uses.
LOCK_KEY = 0x71B5_0BEA
# How often a standby beat asks for the lock again (at most; a beat ticking faster
# asks as often as it would tick).
LOCK_RETRY_SECONDS = 5.0


class BeatLock:
    """The deployment-wide beat lock, held on a database session of its own."""

    def __init__(self, conninfo: str, key: int = LOCK_KEY) -> None:
        self.conninfo = conninfo
        self.key = key
        self._session: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """Whether this process holds the lock now (taking it if it is free).

        Asked before every tick: a session that broke (PostgreSQL restarted, the network
        dropped) lost the lock with it, so holding is checked, not assumed."""
        try:
            if self._session is not None:
                if self._session.execute("SELECT 1").fetchone():
                    return True
            self._session = psycopg.connect(
                self.conninfo,
                autocommit=True,
                # A half-open connection would keep a dead holder's lock for the kernel's
                # default two hours; these end it within about a minute.
                keepalives=1,
                keepalives_idle=30,
                keepalives_interval=10,
                keepalives_count=3,
                application_name="qbsync beat",
            )
            row = self._session.execute("SELECT pg_try_advisory_lock(%s)", [self.key]).fetchone()
        except psycopg.Error as exc:
            log.warning("beat lock: database unreachable (%s); not ticking", exc.__class__.__name__)
            self.release()
            return False
        if row is not None and row[0]:
            return True
        self.release()
        return False

    def release(self) -> None:
        """Give the lock up (closing the session releases it)."""
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None

    @property
    def is_held(self) -> bool:
        return self._session is not None


def database_conninfo() -> str:
    """The default database as a libpq connection string."""
    database = settings.DATABASES["default"]
    parts = {
        "host": database.get("HOST") or "127.0.0.1",
        "port": str(database.get("PORT") or 5432),
        "dbname": database["NAME"],
        "user": database.get("USER") or "",
        "password": database.get("PASSWORD") or "",
    }
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in parts.items() if v})


class LockedScheduler(PersistentScheduler):
    """Celery's file-backed scheduler that ticks only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = BeatLock(database_conninfo()) if _uses_postgresql() else None
        self.standing_by = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.lock is not None and not self.lock.acquire():
            if not self.standing_by:
                log.warning("beat: another beat holds the lock; standing by")
                self.standing_by = True
            return min(float(self.max_interval or LOCK_RETRY_SECONDS), LOCK_RETRY_SECONDS)
        if self.standing_by:
            log.warning("beat: took the lock over; ticking")
            self.standing_by = False
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        super().close()
        if self.lock is not None:
            self.lock.release()


def _uses_postgresql() -> bool:
    # SQLite (development: one machine, scripts/run_local.sh) has no advisory locks and
    # no second node to guard against.
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))
