"""Loading Intuit's schemas (qbwc.qbxml.validate)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir
from qbwc.qbxml import validate


class LoadSchemaTestCase(SimpleTestCase):
    def test_it_parses_each_schema_once_however_many_threads_ask(self) -> None:
        xsd = require_xsd_dir()
        validate._parse_schema.cache_clear()

        with ThreadPoolExecutor(8) as pool:
            schemas = list(pool.map(lambda _: validate.load_schema(xsd, "13.0"), range(16)))

        self.assertIsInstance(schemas[0], etree.XMLSchema)
        self.assertEqual(len({id(schema) for schema in schemas}), 1)
        self.assertEqual(validate._parse_schema.cache_info().misses, 1)
