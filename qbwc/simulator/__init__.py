"""A simulated QuickBooks Desktop company for tests and for people without Windows."""

from __future__ import annotations

from qbwc.simulator.quickbooks import FakeQuickBooks

__all__ = ["FakeQuickBooks"]
