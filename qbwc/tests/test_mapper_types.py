"""The backend-neutral object types and the qbXML mappers that extend them (issue 15).

That objects/types (like the rest of objects/) imports no qbXML is
objects/tests/test_layering.py's to check."""

from __future__ import annotations

from django.test import SimpleTestCase

from objects.types import BY_PAYLOAD_TYPE as TYPES_BY_PAYLOAD_TYPE
from objects.types import ITEM_TYPES as NEUTRAL_ITEM_TYPES
from objects.types import TYPES, type_for
from qbwc.qbxml.mappers import BY_PAYLOAD_TYPE, ITEM_TYPES, MAPPERS


class ObjectTypesTestCase(SimpleTestCase):
    def test_it_gives_every_mapper_its_neutral_type(self) -> None:
        self.assertEqual(sorted(TYPES), sorted(MAPPERS))
        for object_type, mapper in MAPPERS.items():
            with self.subTest(object_type):
                self.assertIsInstance(mapper, type(type_for(object_type)))
        self.assertEqual(
            {k: v.object_type for k, v in TYPES_BY_PAYLOAD_TYPE.items()},
            {k: v.object_type for k, v in BY_PAYLOAD_TYPE.items()},
        )
        self.assertEqual(NEUTRAL_ITEM_TYPES, ITEM_TYPES)

    def test_it_inherits_no_mapper_from_a_sibling(self) -> None:
        # A mapper shares pieces with another by a common base, never by extending it
        # (the purchase order once extended the sales order mapper).
        classes = {type(mapper) for mapper in MAPPERS.values()}
        for cls in classes:
            with self.subTest(cls.__name__):
                self.assertEqual([c for c in classes if c is not cls and issubclass(cls, c)], [])
