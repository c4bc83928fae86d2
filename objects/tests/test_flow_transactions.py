"""Upstream defects that must not survive (flowlink §12) for sales receipts and journals:
RefNumber collisions, duplicates after a lost answer, and an ordered delete-then-add."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from objects.models import Notification, Phase, QueuedObject
from objects.tests.flows import envelope
from qbsync.test import LiveTestCase
from qbwc.simulator.webconnector import http_transport

OTHER_GUID = "{00000000-0000-0000-0000-0000000000AA}"


def receipt(receipt_id: str, **fields: object) -> dict[str, object]:
    return {
        "id": receipt_id,
        "customer": {"name": "Jo Smith"},
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": 10}],
        **fields,
    }


class TransactionSafetyTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record("Customer", Name="Jo Smith")
        self.quickbooks.add_record(
            "ItemService", Name="TEE", SalesOrPurchase={"Price": "10", "AccountRef": "Sales"}
        )

    def test_it_fails_the_second_id_whose_ref_number_collides_and_lands_the_first(self) -> None:
        self.post("add_salesreceipts", envelope("sales_receipt", receipt("WEB-A-12345678901")))
        self.post(
            "add_salesreceipts",
            envelope("sales_receipt", receipt("WEB-B-12345678901"), "req-2"),
        )
        self.run_webconnector()

        self.assertEqual(len(self.quickbooks.records("SalesReceipt")), 1)
        second = QueuedObject.objects.get(identity="WEB-B-12345678901")
        self.assertEqual(second.phase, Phase.FAILED)
        self.assertEqual(
            Notification.objects.get(queued_object=second).message,
            "WEB-B-12345678901: RefNumber 12345678901 collides with WEB-A-12345678901",
        )

    def test_it_never_overwrites_a_quickbooks_receipt_that_has_the_ref_number(self) -> None:
        other = self.quickbooks.add_record(
            "SalesReceipt",
            CustomerRef="Jo Smith",
            RefNumber="1999",
            ExternalGUID=OTHER_GUID,
            SalesReceiptLineAdd=[{"ItemRef": "TEE", "Quantity": "1"}],
        )
        self.quickbooks.add_record(
            "SalesReceipt",
            CustomerRef="Jo Smith",
            RefNumber="1999",
            ExternalGUID="{00000000-0000-0000-0000-0000000000BB}",
            SalesReceiptLineAdd=[{"ItemRef": "TEE", "Quantity": "1"}],
        )

        self.post("add_salesreceipts", envelope("sales_receipt", receipt("1999")))
        self.run_webconnector()

        obj = QueuedObject.objects.get(object_type="salesreceipts")
        self.assertEqual(obj.phase, Phase.FAILED)
        self.assertEqual(
            obj.last_status_message,
            f"RefNumber 1999 collides with QuickBooks sales receipt {other.findtext('TxnID')}",
        )
        self.assertEqual(len(self.quickbooks.records("SalesReceipt")), 2)

    def test_it_writes_a_receipt_once_when_the_answer_to_its_add_was_lost(self) -> None:
        self.post("add_salesreceipts", envelope("sales_receipt", receipt("1999")))

        def lose_the_add_answer(
            url: str, body: bytes, headers: dict[str, str]
        ) -> tuple[int, str, bytes]:
            if b"receiveResponseXML" in body and b"SalesReceiptAddRs" in body:
                raise ConnectionResetError("the network dropped the answer")
            return http_transport(url, body, headers)

        with self.assertRaises(ConnectionResetError):
            self.run_webconnector(transport=lose_the_add_answer)
        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
            self.run_webconnector()

        records = self.quickbooks.records("SalesReceipt")
        self.assertEqual(len(records), 1)
        obj = QueuedObject.objects.get(object_type="salesreceipts")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(obj.qb_id, records[0].findtext("TxnID"))

    def test_it_sends_no_add_until_quickbooks_acknowledged_the_journal_delete(self) -> None:
        for name, kind in (("Checking", "Bank"), ("Sales", "Income")):
            if self.quickbooks.find("Account", name) is None:
                self.quickbooks.add_record("Account", Name=name, AccountType=kind)
        journal: dict[str, Any] = {
            "id": "J-1",
            "line_items": [
                {"account_name": "Checking", "debit": 10, "credit": 0},
                {"account_name": "Sales", "debit": 0, "credit": 10},
            ],
        }
        self.post("add_journals", envelope("journal", journal))
        self.run_webconnector()
        old = self.quickbooks.find("JournalEntry", "J-1").findtext("TxnID")
        self.quickbooks.inject_status("TxnDelRq", 3175, "The record is in use by another user.")
        replaced = copy.deepcopy({**journal, "action": "UPDATE"})
        replaced["line_items"][0]["debit"] = replaced["line_items"][1]["credit"] = 12

        self.post("add_journals", envelope("journal", replaced, "req-2"))
        self.run_webconnector()

        obj = QueuedObject.objects.get(object_type="journals")
        self.assertEqual(obj.phase, Phase.PENDING)
        self.assertEqual(self.quickbooks.find("JournalEntry", "J-1").findtext("TxnID"), old)
        self.assertEqual(
            list(obj.qb_requests.values_list("kind", flat=True))[-2:], ["lookup", "delete"]
        )

        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
            self.run_webconnector()

        records = self.quickbooks.records("JournalEntry")
        self.assertEqual(len(records), 1)
        self.assertNotEqual(records[0].findtext("TxnID"), old)
        self.assertEqual(records[0].findtext("JournalDebitLine/Amount"), "12.00")
