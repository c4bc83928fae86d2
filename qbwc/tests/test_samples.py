"""Real QuickBooks responses (../shared/qbxml-samples) parse, and mappers read them."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import SimpleTestCase

from qbsync.test import shared_file
from qbwc.qbxml.mappers import MAPPERS
from qbwc.qbxml.mappers.base import ObjectView
from qbwc.qbxml.parse import read_responses, tag_of

CORE_TYPES = (
    "Customer",
    "Vendor",
    "Item",
    "SalesOrder",
    "HostQuery",
    "CompanyQuery",
    "Preferences",
)
TAG_TO_TYPE = {
    "CustomerRet": "customers",
    "VendorRet": "vendors",
    "ItemInventoryRet": "products",
    "ItemNonInventoryRet": "noninventoryproducts",
    "ItemServiceRet": "serviceproducts",
    "SalesOrderRet": "orders",
}


class RealResponsesTestCase(SimpleTestCase):
    def samples(self) -> list:  # type: ignore[type-arg]
        folder = shared_file("qbxml-samples", "responses")
        index = json.loads(shared_file("qbxml-samples", "index.json").read_text())
        # One pasted sample carries redaction junk inside a tag; the index marks it.
        broken = {Path(r["file"]).name for r in index if not r["wellformed"]}
        return [
            p
            for p in sorted(folder.glob("*.xml"))
            if any(t in p.name for t in CORE_TYPES) and p.name not in broken
        ]

    def test_it_parses_every_real_response_for_the_core_types(self) -> None:
        files = self.samples()
        self.assertGreater(len(files), 20)
        for path in files:
            with self.subTest(path.name):
                answers = read_responses(path.read_bytes())
                self.assertTrue(answers)
                for rs in answers:
                    self.assertTrue(rs.tag.endswith("Rs"))

    def test_it_reads_ids_and_edit_sequences_from_real_records(self) -> None:
        read = 0
        for path in self.samples():
            for rs in read_responses(path.read_bytes()):
                for ret in rs.rets:
                    object_type = TAG_TO_TYPE.get(tag_of(ret))
                    if object_type is None or rs.is_error:
                        continue
                    mapper = MAPPERS[object_type]
                    found = (
                        mapper.read_write([ret])
                        if object_type != "orders"
                        else mapper.read_lookup(
                            ObjectView("orders", "x", {}, qb_id=ret.findtext("TxnID") or ""), [ret]
                        )
                    )
                    with self.subTest(path.name, tag=ret.tag):
                        self.assertTrue(found.qb_id)
                        self.assertTrue(found.edit_sequence)
                    read += 1
        self.assertGreater(read, 10)

    def test_it_keeps_status_codes_of_real_errors(self) -> None:
        path = shared_file(
            "qbxml-samples",
            "responses",
            "flowlink__sales_order_add_rs_invalid_record_ref__SalesOrderAddRs_3140.xml",
        )

        [rs] = read_responses(path.read_bytes())

        self.assertEqual((rs.status_code, rs.is_error), (3140, True))
        self.assertIn("invalid reference", rs.message)

    def test_it_reads_the_current_record_out_of_a_real_3200(self) -> None:
        path = shared_file(
            "qbxml-samples",
            "responses",
            "qbsync__quickbooks_xml_fragments_L371__CustomerModRs_3200.xml",
        )

        [rs] = read_responses(path.read_bytes())

        self.assertEqual(rs.status_code, 3200)
        self.assertTrue(rs.message.endswith(" "))
