"""A local QuickBooks Online double (OAuth server + Accounting API v3), spec qbo-api.md §14."""

from __future__ import annotations

from qbo.double.clock import Clock
from qbo.double.gateway import Limits
from qbo.double.server import FakeQbo

__all__ = ["Clock", "FakeQbo", "Limits"]
