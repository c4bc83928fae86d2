"""The double's clock: real time shifted by `advance()`, or frozen for tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone


class Clock:
    """Time as the double sees it; token expiries, limits and MetaData all read it."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen_at
        self._shift = timedelta()

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._shift

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._shift += timedelta(seconds=seconds)

    def timestamp(self) -> float:
        return self.now().timestamp()


def parse_offset(offset: str) -> timezone:
    """Turn "-08:00" into a fixed offset (companies keep one offset; DST is not simulated)."""
    sign = -1 if offset.startswith("-") else 1
    hours, _, minutes = offset.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def format_meta_time(moment: datetime, offset: timezone) -> str:
    """MetaData times: whole seconds in the company's offset, like "2025-10-01T10:15:00-07:00"."""
    return moment.astimezone(offset).replace(microsecond=0).isoformat()


def format_server_time(moment: datetime, offset: timezone) -> str:
    """The top-level `time` of an answer carries milliseconds."""
    return moment.astimezone(offset).isoformat(timespec="milliseconds")


def parse_time(text: str) -> datetime | None:
    """Read an ISO datetime or date; a value without offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
