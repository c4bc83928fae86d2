"""The lookup rules every transaction mapper shares (flowlink §5.5, §12 #1, #8)."""

from __future__ import annotations

from typing import Any

from django.test import SimpleTestCase
from lxml import etree

from qbwc.qbxml.mappers import mapper_for
from qbwc.qbxml.mappers.base import REQUIRE, ObjectView
from qbwc.qbxml.mappers.transactions import TransactionMapper

GUID = "{77C2BA76-7F41-463D-9063-57D5022BDBED}"
OTHER_GUID = "{00000000-0000-0000-0000-000000000001}"
# Every type found by RefNumber, and the noun its collision message uses.
LABELS = {
    "orders": "sales order",
    "invoices": "invoice",
    "creditmemos": "credit memo",
    "salesreceipts": "sales receipt",
    "returns": "sales receipt",
    "purchaseorders": "purchase order",
    "journals": "journal entry",
    "payments": "payment",
}


def ret(mapper: TransactionMapper, txn_id: str, guid: str) -> etree._Element:
    return etree.fromstring(
        f"<{mapper.qb_type}Ret><TxnID>{txn_id}</TxnID><EditSequence>1</EditSequence>"
        f"<ExternalGUID>{guid}</ExternalGUID></{mapper.qb_type}Ret>"
    )


def view(mapper: TransactionMapper, **fields: Any) -> ObjectView:
    return ObjectView(mapper.object_type, "R1001", {"id": "R1001"}, **fields)


class TransactionLookupTestCase(SimpleTestCase):
    def mappers(self) -> list[TransactionMapper]:
        found = [mapper_for(object_type) for object_type in LABELS]
        return [m for m in found if isinstance(m, TransactionMapper)]

    def test_it_gives_every_transaction_type_the_shared_lookup(self) -> None:
        self.assertEqual([m.object_type for m in self.mappers()], list(LABELS))

    def test_it_finds_our_record_by_a_bare_uuid_guid(self) -> None:
        for mapper in self.mappers():
            with self.subTest(mapper.object_type):
                obj = view(mapper, external_guid=GUID.strip("{}").lower())
                rets = [ret(mapper, "1-1", OTHER_GUID), ret(mapper, "2-2", GUID)]

                self.assertEqual(mapper.read_lookup(obj, rets).qb_id, "2-2")

    def test_it_adopts_the_single_record_a_required_transaction_names(self) -> None:
        for mapper in self.mappers():
            with self.subTest(mapper.object_type):
                obj = view(mapper, mode=REQUIRE)

                self.assertEqual(
                    mapper.read_lookup(obj, [ret(mapper, "1-1", OTHER_GUID)]).qb_id, "1-1"
                )

    def test_it_names_the_quickbooks_record_a_ref_number_collides_with(self) -> None:
        for mapper in self.mappers():
            with self.subTest(mapper.object_type):
                result = mapper.read_lookup(
                    view(mapper, external_guid=GUID), [ret(mapper, "1-1", OTHER_GUID)]
                )

                self.assertEqual(
                    result.conflict,
                    f"RefNumber R1001 collides with QuickBooks {LABELS[mapper.object_type]} 1-1",
                )
