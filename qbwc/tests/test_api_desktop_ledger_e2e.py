"""Journal entries and accounts through the operations API on QuickBooks Desktop, over
real HTTP: the fake Web Connector runs the queries against the simulated company."""

from __future__ import annotations

from typing import Any

from connections.models import ApiKey
from objects.tests.api_client import SAVINGS, ApiAnswer, call
from qbsync.test import LiveTestCase
from qbwc.tests.test_api_desktop_e2e import qb_id

DEBIT = {"AccountRef": "Checking", "Amount": "200.00", "Memo": "cash in"}
CREDIT = {"AccountRef": "Sales", "Amount": "200.00", "EntityRef": "Amy Birds"}


class DesktopLedgerApiTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.WRITE)
        qb = self.quickbooks
        qb.add_record("Customer", Name="Amy Birds")
        self.early = qb.add_record("JournalEntry", RefNumber="J-1", TxnDate="2026-02-01",
                                   JournalDebitLine=[DEBIT], JournalCreditLine=[CREDIT])  # fmt: skip
        qb.advance_clock(3600)
        self.late = qb.add_record("JournalEntry", RefNumber="J-2", TxnDate="2026-02-20",
                                  JournalDebitLine=[DEBIT], JournalCreditLine=[CREDIT])  # fmt: skip
        self.mark = self.late.findtext("TimeModified") or ""
        self.savings = qb.add_record("Account", Name="Savings", AccountType="Bank",
                                     AccountNumber="1010", Desc="rainy days")  # fmt: skip
        self.old = qb.add_record("Account", Name="Old Income", AccountType="Income")
        qb.modify_record("Account", "Old Income", IsActive="false")
        self.checking = qb.find("Account", "Checking")

    def send(self, method: str, path: str, body: Any = None, **params: Any) -> ApiAnswer:
        return call(self.live_server_url, f"acme/{path}", self.key, params or None,
                    method=method, body=body)  # fmt: skip

    def asked(self, path: str, **params: Any) -> str:
        answer = self.send("GET", path, **params)
        self.assertEqual(answer.status, 202, answer.body)
        return str(answer.body["operation"]["url"])

    def fetch(self, url: str) -> ApiAnswer:
        return call(self.live_server_url, url, self.key)

    def test_it_answers_every_journal_and_account_filter_after_a_web_connector_run(
        self,
    ) -> None:
        assert self.checking is not None
        cases: list[tuple[str, dict[str, Any], list[str]]] = [
            ("JournalEntry", {"id": qb_id(self.early)}, [qb_id(self.early)]),
            ("JournalEntry", {"ref_number": "J-2"}, [qb_id(self.late)]),
            ("JournalEntry", {"transaction_date__gte": "2026-02-10"}, [qb_id(self.late)]),
            ("JournalEntry", {"updated_at__gte": self.mark}, [qb_id(self.late)]),
            ("JournalEntry", {"limit": 1, "offset": 1}, [qb_id(self.late)]),
            ("Account", {"id": qb_id(self.savings)}, [qb_id(self.savings)]),
            ("Account", {"name": "Checking"}, [qb_id(self.checking)]),
            ("Account", {"name__like": "Sav%"}, [qb_id(self.savings)]),
            ("Account", {"is_active": "false"}, [qb_id(self.old)]),
            ("Account", {"type": "Bank", "name__like": "%ing%"}, [qb_id(self.savings),
                                                                  qb_id(self.checking)]),
            ("Account", {"updated_at__gte": self.mark, "type": "Bank"}, [qb_id(self.savings)]),
        ]  # fmt: skip
        urls = [self.asked(entity, **params) for entity, params, _ in cases]

        self.run_webconnector()

        for (entity, params, expected), url in zip(cases, urls, strict=True):
            with self.subTest(entity=entity, **params):
                answer = self.fetch(url)
                self.assertEqual(answer.status, 200, answer.body)
                self.assertEqual(sorted(r["qbe_id"] for r in answer.body["records"]),
                                 sorted(expected))  # fmt: skip

    def test_it_gets_a_journal_entry_in_the_shape_of_an_add_journals_payload(self) -> None:
        url = self.asked(f"JournalEntry/{qb_id(self.early)}")

        self.run_webconnector()
        answer = self.fetch(url)

        self.assertEqual(answer.status, 200, answer.body)
        record = answer.body["record"]
        self.assertEqual((record["id"], record["journal_date"], record["qbe_id"]),
                         ("J-1", "2026-02-01", qb_id(self.early)))  # fmt: skip
        lines = [{k: line[k] for k in ("debit", "credit", "account_name", "description",
                                         "customer_name")} for line in record["line_items"]]  # fmt: skip
        self.assertEqual(lines, [
            {"debit": "200.00", "credit": "0.00", "account_name": "Checking",
             "description": "cash in", "customer_name": None},
            {"debit": "0.00", "credit": "200.00", "account_name": "Sales",
             "description": None, "customer_name": "Amy Birds"},
        ])  # fmt: skip

    def test_it_gets_an_account_in_its_small_shape(self) -> None:
        url = self.asked(f"Account/{qb_id(self.savings)}")

        self.run_webconnector()
        answer = self.fetch(url)

        self.assertEqual(answer.status, 200, answer.body)
        record = answer.body["record"]
        self.assertEqual({key: record.get(key) for key in SAVINGS}, SAVINGS)

    def test_it_adds_a_journal_entry_through_add_journals(self) -> None:
        queued = self.send("POST", "JournalEntry", {
            "id": "J-9", "journal_date": "2026-03-01", "line_items": [
                {"account_name": "Checking", "debit": 50, "credit": 0},
                {"account_name": "Sales", "debit": 0, "credit": 50, "customer": "Amy Birds"},
            ],
        })  # fmt: skip
        self.assertEqual(queued.status, 202, queued.body)

        self.run_webconnector()
        answer = self.fetch(queued.headers["Location"])

        self.assertEqual(answer.status, 200, answer.body)
        stored = self.quickbooks.find("JournalEntry", "J-9")
        assert stored is not None
        self.assertEqual(answer.body["qbe_id"], qb_id(stored))
        self.assertEqual(stored.findtext("JournalCreditLine/EntityRef/FullName"), "Amy Birds")

    def written_journal(self) -> str:
        """The TxnID of journal entry J-9, added through the API and a Web Connector run."""
        lines = [{"account_name": "Checking", "debit": 50, "credit": 0},
                 {"account_name": "Sales", "debit": 0, "credit": 50}]  # fmt: skip
        added = self.send("POST", "JournalEntry", {"id": "J-9", "line_items": lines})
        self.run_webconnector()
        return str(self.fetch(added.headers["Location"]).body["qbe_id"])

    def test_it_modifies_a_journal_entry_it_wrote_sparsely(self) -> None:
        qb_id_ = self.written_journal()

        patched = self.send("PATCH", f"JournalEntry/{qb_id_}", {"journal_date": "2026-03-05"})
        self.run_webconnector()
        answer = self.fetch(patched.headers["Location"])

        self.assertEqual(answer.status, 200, answer.body)
        stored = self.quickbooks.find("JournalEntry", "J-9")
        assert stored is not None
        self.assertEqual((qb_id(stored), stored.findtext("TxnDate")), (qb_id_, "2026-03-05"))
        self.assertEqual(stored.findtext("JournalDebitLine/AccountRef/FullName"), "Checking")

    def test_it_deletes_a_journal_entry_it_wrote(self) -> None:
        qb_id_ = self.written_journal()

        deleted = self.send("DELETE", f"JournalEntry/{qb_id_}")
        self.run_webconnector()
        answer = self.fetch(deleted.headers["Location"])

        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.body["operation"]["kind"], "delete")
        self.assertIsNone(self.quickbooks.find("JournalEntry", "J-9"))

    def test_it_refuses_filters_qbxml_cannot_express_and_unknown_account_types(self) -> None:
        cases = [
            ("JournalEntry", {"created_at__gte": "2026-03-01"}, "created_at__gte: QuickBooks"),
            ("Account", {"created_at__gte": "2026-03-01"}, "created_at__gte: QuickBooks"),
            ("Account", {"type": "Savings"}, "type: Account types are AccountsPayable"),
            ("JournalEntry", {"customer_id": "1"}, "customer_id: not a filter of JournalEntry"),
        ]
        for entity, params, words in cases:
            with self.subTest(entity=entity, **params):
                answer = self.send("GET", entity, **params)
                self.assertEqual(answer.status, 400, answer.body)
                self.assertIn(words, answer.body["error"]["message"])

    def test_it_refuses_writing_an_account(self) -> None:
        for method, path in (("POST", "Account"), ("PATCH", f"Account/{qb_id(self.savings)}"),
                             ("DELETE", f"Account/{qb_id(self.savings)}")):  # fmt: skip
            with self.subTest(method=method):
                answer = self.send(method, path, {"name": "X"} if method != "DELETE" else None)
                self.assertEqual(answer.status, 405, answer.body)
                self.assertIn("read-only", answer.body["error"]["message"])
