"""Intuit's per-realm limits, kept on our side so that 429s stay rare (qbo-api.md §10).

Limits are counted per process. That is enough because a connection is pushed by one
pass at a time across all workers (the pass lease on QboConnection), and a pass runs its
calls one after another: one process at a time spends a realm's budget. With several
workers, another process may still call the same realm at the same moment (an admin
look-up, a change-feed run, a pass taken over from a dead worker); the sum can then
exceed a limit for a moment, Intuit answers 429, and the client waits as Intuit asks
(qbo.client). The limiter bounds the common case; the 429 handling covers the rest.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Longest wait on a freed concurrency slot before the windows are looked at again.
_SLOT_POLL_SECONDS = 1.0
# Intuit counts a call when it arrives, we when it leaves: a call sent the instant the
# window has room can arrive while a slower earlier one still counts (a 429 then costs a
# minute). Each window is kept this much longer on our side.
MARGIN_SECONDS = 0.1


@dataclass(frozen=True)
class Window:
    span: float  # seconds
    limit: int


class Limiter:
    """Sliding windows per realm (10 a second, 500 a minute, batch 40 a minute) and at
    most 10 calls in flight per realm; thread-safe, counted in this process only (see
    the module docstring for why that is enough)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        per_second: int = 10,
        per_minute: int = 500,
        concurrent: int = 10,
        batch_per_minute: int = 40,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.windows = (Window(1.0, per_second), Window(60.0, per_minute))
        self.batch_window = Window(60.0, batch_per_minute)
        self.concurrent = concurrent
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._sent: dict[tuple[str, Window], deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    @contextmanager
    def acquire(self, realm_id: str, batch: bool = False) -> Iterator[None]:
        """Block until a call to `realm_id` is allowed; hold a concurrency slot inside."""
        self._enter(realm_id, batch)
        try:
            yield
        finally:
            with self._freed:
                self._in_flight[realm_id] -= 1
                self._freed.notify()

    def in_flight(self, realm_id: str) -> int:
        with self._lock:
            return self._in_flight[realm_id]

    def _enter(self, realm_id: str, batch: bool) -> None:
        windows = self.windows + ((self.batch_window,) if batch else ())
        while True:
            with self._freed:
                if self._in_flight[realm_id] >= self.concurrent:
                    # A slot frees when a call returns, not at a known time.
                    self._freed.wait(_SLOT_POLL_SECONDS)
                    continue
                now = self.clock()
                wait = max(self._wait(realm_id, window, now) for window in windows)
                if wait <= 0:
                    for window in windows:
                        self._sent[(realm_id, window)].append(now)
                    self._in_flight[realm_id] += 1
                    return
            self.sleep(wait)

    def _wait(self, realm_id: str, window: Window, now: float) -> float:
        """Seconds until `window` has room (0: now), forgetting calls that left it."""
        sent = self._sent[(realm_id, window)]
        while sent and sent[0] <= now - window.span - MARGIN_SECONDS:
            sent.popleft()
        if len(sent) < window.limit:
            return 0.0
        return sent[len(sent) - window.limit] + window.span + MARGIN_SECONDS - now


_default: Limiter | None = None
_default_lock = threading.Lock()


def default_limiter() -> Limiter:
    """The process's limiter, shared by every QboClient that is not given one."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Limiter()
        return _default
