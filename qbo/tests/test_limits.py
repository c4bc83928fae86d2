from __future__ import annotations

import threading

from django.test import SimpleTestCase

from qbo.limits import MARGIN_SECONDS, Limiter, default_limiter

REALM = "9341450000000001"


class FakeTime:
    """A clock that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class LimiterTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.time = FakeTime()
        self.limiter = Limiter(clock=self.time.clock, sleep=self.time.sleep)

    def calls(self, count: int, realm: str = REALM, batch: bool = False) -> list[float]:
        """When each of `count` calls in a row was let through."""
        started = []
        for _ in range(count):
            with self.limiter.acquire(realm, batch=batch):
                started.append(self.time.now)
        return started

    def test_it_holds_a_burst_of_30_calls_within_10_a_second(self) -> None:
        started = self.calls(30)

        for at in started:
            in_window = [t for t in started if at <= t < at + 1.0]
            self.assertLessEqual(len(in_window), 10)
        self.assertEqual(started[:10], [0.0] * 10)
        # Each window is kept MARGIN_SECONDS longer than Intuit's (arrival vs. departure).
        self.assertAlmostEqual(started[10], 1.0 + MARGIN_SECONDS)
        self.assertAlmostEqual(started[29], 2.0 + 2 * MARGIN_SECONDS)

    def test_it_holds_500_calls_a_minute(self) -> None:
        started = self.calls(501)

        self.assertAlmostEqual(started[499], 49 * (1.0 + MARGIN_SECONDS))
        self.assertAlmostEqual(started[500], 60.0 + MARGIN_SECONDS)

    def test_it_holds_batch_calls_to_40_a_minute(self) -> None:
        started = self.calls(41, batch=True)

        self.assertLess(started[39], 60.0)
        self.assertAlmostEqual(started[40], 60.0 + MARGIN_SECONDS)

    def test_it_counts_each_realm_on_its_own(self) -> None:
        self.calls(10, realm="1")

        self.assertEqual(self.calls(10, realm="2"), [0.0] * 10)
        self.assertEqual(self.time.waits, [])

    def test_it_lets_at_most_10_calls_in_flight_per_realm(self) -> None:
        limiter = Limiter()
        inside = threading.Barrier(11)
        leave = threading.Event()
        peak: list[int] = []

        def call() -> None:
            with limiter.acquire(REALM):
                peak.append(limiter.in_flight(REALM))
                if len(peak) <= 10:
                    inside.wait(timeout=5)
                leave.wait(timeout=5)

        threads = [threading.Thread(target=call) for _ in range(11)]
        for thread in threads:
            thread.start()
        inside.wait(timeout=5)  # ten calls are in
        self.assertEqual(limiter.in_flight(REALM), 10)
        leave.set()
        for thread in threads:
            thread.join()

        self.assertEqual(len(peak), 11)
        self.assertLessEqual(max(peak), 10)
        self.assertEqual(limiter.in_flight(REALM), 0)

    def test_it_shares_one_limiter_in_a_process(self) -> None:
        self.assertIs(default_limiter(), default_limiter())
