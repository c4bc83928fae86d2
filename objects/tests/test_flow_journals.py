"""Journals over HTTP into the simulated QuickBooks company, with the `action` table."""

from __future__ import annotations

import copy
from typing import Any

from objects.models import Notification, Phase, QueuedObject
from objects.tests.flows import envelope, fixture
from qbsync.test import LiveTestCase


def journal(**fields: Any) -> dict[str, Any]:
    return {**fixture("add", "journal_from_flowlink.json"), **fields}


def amounts(record: Any) -> list[tuple[str, str | None, str | None]]:
    return [
        (line.tag, line.findtext("AccountRef/FullName"), line.findtext("Amount"))
        for line in record
        if line.tag in ("JournalDebitLine", "JournalCreditLine")
    ]


class JournalFlowTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        qb = self.quickbooks
        qb.add_record(
            "Account", Name="NuRelm Commission Receivable", AccountType="OtherCurrentAsset"
        )
        qb.add_record("Account", Name="Fees", AccountType="Expense")
        qb.add_record("Account", Name="Marketing Income", AccountType="Income")
        qb.add_record("Class", Name="Pittsburghtown")
        qb.add_record("Customer", Name="My Customer")
        qb.add_record("Customer", Name="My Customer credit!")
        qb.add_record("ItemSalesTax", Name="TAX", TaxRate="6")

    def send(self, payload: dict[str, Any], request_id: str = "req-1") -> tuple[int, Any]:
        return self.post("add_journals", envelope("journal", payload, request_id))

    def test_it_lands_the_fixture_journal_with_its_debit_and_credit_lines(self) -> None:
        status, data = self.send(journal())
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertEqual(data["summary"], "Journal waiting for Quickbooks Desktop scheduler")
        self.assertTrue(result.completed)
        record = self.quickbooks.find("JournalEntry", "S00009")
        self.assertIsNotNone(record)
        self.assertEqual(
            amounts(record),
            [
                ("JournalDebitLine", "NuRelm Commission Receivable", "200.00"),
                ("JournalCreditLine", "Fees", "120.02"),
                ("JournalCreditLine", "Marketing Income", "79.98"),
            ],
        )
        first = record.find("JournalDebitLine")
        self.assertEqual(first.findtext("EntityRef/FullName"), "My Customer")
        self.assertEqual(first.findtext("ClassRef/FullName"), "Pittsburghtown")
        self.assertEqual(first.findtext("BillableStatus"), "NotBillable")
        self.assertEqual(record.findtext("IsAdjustment"), "false")
        # The fixture's external_guid (an integer) is no GUID: left out, never sent broken.
        self.assertIsNone(record.find("ExternalGUID"))
        obj = QueuedObject.objects.get(object_type="journals")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(obj.qb_id, record.findtext("TxnID"))

    def test_it_replaces_an_existing_journal_on_update_by_deleting_then_adding(self) -> None:
        self.send(journal())
        self.run_webconnector()
        old = self.quickbooks.find("JournalEntry", "S00009").findtext("TxnID")
        changed = copy.deepcopy(journal(action="UPDATE"))
        changed["line_items"][0]["debit"] = 300
        changed["line_items"][1]["credit"] = 220.02

        self.send(changed, "req-2")
        result = self.run_webconnector()

        self.assertTrue(result.completed)
        records = self.quickbooks.records("JournalEntry")
        self.assertEqual(len(records), 1)
        self.assertNotEqual(records[0].findtext("TxnID"), old)
        self.assertEqual(amounts(records[0])[0][2], "300.00")
        obj = QueuedObject.objects.get(object_type="journals")
        self.assertEqual(obj.qb_id, records[0].findtext("TxnID"))
        reasons = [e.reason for e in obj.events.order_by("id")]
        deleted = reasons.index(f"deleted {old} from QuickBooks")
        self.assertIn("added to QuickBooks", reasons[deleted + 1 :])
        requests = [r.kind for r in obj.qb_requests.order_by("id")]
        self.assertEqual(requests[-3:], ["lookup", "delete", "add"])

    def test_it_modifies_an_existing_journal_with_line_mods_when_no_action_is_given(
        self,
    ) -> None:
        self.send(journal())
        self.run_webconnector()
        old = self.quickbooks.find("JournalEntry", "S00009")
        changed = copy.deepcopy(journal(action=None, is_adjustment=True))
        changed["line_items"][0]["debit"] = 250
        changed["line_items"][2]["credit"] = 129.98

        self.send(changed, "req-2")
        self.run_webconnector()

        record = self.quickbooks.find("JournalEntry", "S00009")
        self.assertEqual(record.findtext("TxnID"), old.findtext("TxnID"))
        self.assertNotEqual(record.findtext("EditSequence"), old.findtext("EditSequence"))
        self.assertEqual(record.findtext("IsAdjustment"), "true")
        self.assertEqual([a[2] for a in amounts(record)], ["250.00", "120.02", "129.98"])
        self.assertEqual(
            QueuedObject.objects.get(object_type="journals").qb_requests.last().kind, "mod"
        )

    def test_it_deletes_an_existing_journal_on_delete(self) -> None:
        self.send(journal())
        self.run_webconnector()

        self.send(journal(action="DELETE"), "req-2")
        self.run_webconnector()

        self.assertEqual(self.quickbooks.records("JournalEntry"), [])
        obj = QueuedObject.objects.get(object_type="journals")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(obj.qb_id, "")

    def test_it_reports_success_when_deleting_a_journal_quickbooks_does_not_have(self) -> None:
        self.send(journal(action="DELETE"))
        self.run_webconnector()

        obj = QueuedObject.objects.get(object_type="journals")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(
            [n.message for n in Notification.objects.filter(object_type="journals")],
            # flowlink §10.1: the list_id FlowLink sent (the fixture has one) is the ref.
            ["999281771: Journal successfully sent to Quickbooks Desktop"],
        )
        self.assertEqual(obj.qb_requests.filter(kind="delete").count(), 0)

    def test_it_names_a_journal_without_list_id_by_its_id_in_notifications(self) -> None:
        payload = journal(action="DELETE")
        del payload["list_id"]

        self.send(payload)
        self.run_webconnector()

        self.assertEqual(
            [n.message for n in Notification.objects.filter(object_type="journals")],
            ["S00009: Journal successfully sent to Quickbooks Desktop"],
        )

    def test_it_refuses_a_line_with_both_debit_and_credit(self) -> None:
        payload = copy.deepcopy(journal())
        payload["line_items"][1]["debit"] = 5

        status, data = self.send(payload)

        self.assertEqual(status, 400)
        self.assertIn("journal.line_items[1]", data["summary"])
        self.assertIn("exactly one of debit and credit", data["summary"])
        self.assertFalse(QueuedObject.objects.exists())

    def test_it_refuses_an_unknown_action(self) -> None:
        status, data = self.send(journal(action="MERGE"))

        self.assertEqual(status, 400)
        self.assertIn("journal.action", data["summary"])
