"""The pull parser reads any size of response with bounded memory, and safely."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from typing import IO, cast

from django.conf import settings
from django.test import SimpleTestCase

from qbwc.qbxml.parse import QbxmlParseError
from qbwc.qbxml.readers.entities import read_customer
from qbwc.qbxml.stream import RsEnd, iter_rets
from qbwc.simulator.large_response import LargeQueryResponse, response_size

# Runs in a fresh interpreter: parse `records` generated records, print the peak RSS.
_RSS_PROBE = """
import resource, sys
from qbwc.qbxml.stream import iter_rets, RsEnd
from qbwc.simulator.large_response import LargeQueryResponse
count = 0
for item in iter_rets(LargeQueryResponse(int(sys.argv[1])), {"CustomerRet"}, {"CustomerQueryRs"}):
    count += not isinstance(item, RsEnd)
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


class PullStreamTestCase(SimpleTestCase):
    def test_it_keeps_python_memory_bounded_while_reading_a_large_response(self) -> None:
        records = 8_000  # ~5.4 MB of qbXML, generated while it is read
        tracemalloc.start()
        try:
            seen = 0
            # A raw stream: read() is all iter_rets asks of its source.
            source = cast(IO[bytes], LargeQueryResponse(records))
            for item in iter_rets(source, {"CustomerRet"}, {"CustomerQueryRs"}):
                if not isinstance(item, RsEnd):
                    read_customer(item[1])
                    seen += 1
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertEqual(seen, records)
        self.assertGreater(response_size(records), 5_000_000)
        self.assertLess(peak, 2_000_000)

    def rss(self, records: int) -> tuple[int, int]:
        done = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, str(records)],
            capture_output=True, text=True, check=True, cwd=settings.BASE_DIR,
        )  # fmt: skip
        count, kilobytes = done.stdout.split()
        return int(count), int(kilobytes)

    def test_it_keeps_the_process_size_flat_as_the_response_grows(self) -> None:
        small_count, small = self.rss(5_000)
        large_count, large = self.rss(50_000)  # 10 times the records, ~34 MB
        self.assertEqual((small_count, large_count), (5_000, 50_000))
        # lxml's tree lives outside tracemalloc: the whole process is measured instead.
        self.assertLess(large - small, 12 * 1024, json.dumps({"small": small, "large": large}))

    def test_it_refuses_entity_declarations_before_parsing(self) -> None:
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY a "aaaaaaaaaa">]>'
            b"<QBXML><QBXMLMsgsRs><CustomerQueryRs><CustomerRet><Name>&a;</Name>"
            b"</CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"
        )
        with self.assertRaises(QbxmlParseError):
            list(iter_rets(bomb, {"CustomerRet"}, {"CustomerQueryRs"}))

    def test_it_reports_the_status_of_an_empty_or_failed_query(self) -> None:
        doc = (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
            '<CustomerQueryRs requestID="a" statusCode="1" statusSeverity="Info" '
            'statusMessage="A query request did not find a matching object in QuickBooks"/>'
            '<InvoiceQueryRs requestID="b" statusCode="3391" statusSeverity="Error" '
            'statusMessage="iterator gone"/></QBXMLMsgsRs></QBXML>'
        )
        items = list(iter_rets(doc, {"CustomerRet", "InvoiceRet"},
                               {"CustomerQueryRs", "InvoiceQueryRs"}))  # fmt: skip
        self.assertEqual([(i.rs.request_id, i.rs.status_code) for i in items if isinstance(i, RsEnd)],
                         [("a", 1), ("b", 3391)])  # fmt: skip

    def test_it_reads_iterator_attributes_before_the_records(self) -> None:
        doc = (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="p" '
            'statusCode="0" statusSeverity="Info" statusMessage="Status OK" '
            'iteratorRemainingCount="7" iteratorID="{I}"><CustomerRet><ListID>1</ListID>'
            "</CustomerRet><CustomerRet><ListID>2</ListID></CustomerRet></CustomerQueryRs>"
            "</QBXMLMsgsRs></QBXML>"
        )
        seen: list[tuple[str | None, int | None, str]] = []
        for item in iter_rets(doc, {"CustomerRet"}, {"CustomerQueryRs"}):
            if isinstance(item, RsEnd):
                seen.append(("end", item.rs.iterator_remaining, item.rs.iterator_id))
            else:
                seen.append(
                    (item[1].findtext("ListID"), item[0].iterator_remaining, item[0].iterator_id)
                )
        self.assertEqual(seen, [("1", 7, "{I}"), ("2", 7, "{I}"), ("end", 7, "{I}")])

    def test_it_refuses_a_doctype_hidden_behind_a_long_comment(self) -> None:
        padded = (
            b'<?xml version="1.0"?><!--' + b"x" * 10_000 + b'--><!DOCTYPE QBXML [<!ENTITY a "b">]>'
            b"<QBXML><QBXMLMsgsRs><CustomerQueryRs/></QBXMLMsgsRs></QBXML>"
        )
        with self.assertRaises(QbxmlParseError):
            list(iter_rets(padded, {"CustomerRet"}, {"CustomerQueryRs"}))

    def test_it_refuses_a_document_without_a_qbxml_root(self) -> None:
        with self.assertRaises(QbxmlParseError):
            list(iter_rets(b"<html><body>Service unavailable</body></html>", {"CustomerRet"},
                           {"CustomerQueryRs"}))  # fmt: skip
