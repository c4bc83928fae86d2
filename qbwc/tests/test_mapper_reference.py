"""The object ref that starts every notification message (flowlink §10.1)."""

from __future__ import annotations

from django.test import SimpleTestCase

from qbwc.qbxml.mappers import MAPPERS
from qbwc.qbxml.mappers.base import ObjectView


class MapperReferenceTestCase(SimpleTestCase):
    def test_it_starts_with_the_list_id_flowlink_sent(self) -> None:
        for object_type, mapper in MAPPERS.items():
            with self.subTest(object_type):
                obj = ObjectView(object_type, "R1001", {"list_id": "80000001-1"}, qb_id="9-9")

                self.assertEqual(mapper.reference(obj), "80000001-1")

    def test_it_starts_with_the_full_identity_even_once_quickbooks_gave_an_id(self) -> None:
        for object_type, mapper in MAPPERS.items():
            with self.subTest(object_type):
                obj = ObjectView(object_type, "R1001-LONGER-THAN-11", {}, qb_id="9-9")

                self.assertEqual(mapper.reference(obj), "R1001-LONGER-THAN-11")
