"""The SOAP service leaves garbage collection to Python (qbwc.service: spyne's forced one)."""

from __future__ import annotations

import gc
from typing import Any

import spyne.context
from django.test import Client, SimpleTestCase

from qbwc.simulator.webconnector import build_envelope


class GarbageCollectionTests(SimpleTestCase):
    def test_it_forces_no_full_collection_when_a_call_ends(self) -> None:
        # As if spyne's last forced collection were long ago: it would collect now.
        spyne.context._LAST_GC_RUN = 0.0
        started: list[int] = []

        def note(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                started.append(info["generation"])

        # With Python's automatic collection off, any collection seen is an explicit one.
        enabled = gc.isenabled()
        gc.disable()
        gc.callbacks.append(note)
        try:
            response = Client().post(
                "/qbwc/", build_envelope("serverVersion", {}), content_type="text/xml"
            )
        finally:
            gc.callbacks.remove(note)
            if enabled:
                gc.enable()

        self.assertEqual(response.status_code, 200)
        self.assertIn(b"serverVersionResult", response.content)
        self.assertEqual(started, [])
