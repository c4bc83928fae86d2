"""Journal entries and accounts through the operations API on QuickBooks Online, over
real HTTP: qbsync's endpoints, the QBO double."""

from __future__ import annotations

from typing import Any

from connections.models import ApiKey
from objects.tests.api_client import SAVINGS, ApiAnswer, call
from qbo.tests.live import SHOP, QboLiveTestCase


class QboLedgerApiTestCase(QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.WRITE)
        self.accounts = {a["Name"]: a for a in self.qbo.entities(self.realm, "Account")}
        self.amy = self.seed("Customer", {"DisplayName": "Amy's Birds"})
        self.early = self.journal("J-1", "2026-02-01")
        self.clock.advance(3600)
        self.mark = self.clock.now()
        self.late = self.journal("J-2", "2026-02-20")
        self.savings = self.seed("Account", {"Name": "Savings", "AccountType": "Bank",
                                             "AcctNum": "1010", "Description": "rainy days"})  # fmt: skip
        self.old = self.seed("Account", {"Name": "Old Income", "AccountType": "Income"})
        self.qbo.edit(self.realm, "Account", self.old["Id"], Active=False)

    def seed(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.qbo.seed(self.realm, entity, body)

    def account(self, name: str) -> dict[str, str]:
        return {"value": self.accounts[name]["Id"], "name": name}

    def journal(self, doc_number: str, date: str) -> dict[str, Any]:
        def line(side: str, account: str, **more: Any) -> dict[str, Any]:
            detail = {"PostingType": side, "AccountRef": self.account(account)}
            return {"DetailType": "JournalEntryLineDetail", "Amount": 200,
                    "JournalEntryLineDetail": {**detail, **more}}  # fmt: skip

        bank = next(n for n, a in self.accounts.items() if a["AccountType"] == "Bank")
        debit = {**line("Debit", bank), "Description": "cash in"}
        customer = {"Type": "Customer",
                    "EntityRef": {"value": self.amy["Id"], "name": "Amy's Birds"}}  # fmt: skip
        credit = line("Credit", "Sales of Product Income", Entity=customer)
        return self.seed("JournalEntry", {"DocNumber": doc_number, "TxnDate": date,
                                          "Line": [debit, credit]})  # fmt: skip

    def send(self, method: str, path: str, body: Any = None, **params: Any) -> ApiAnswer:
        return call(self.live_server_url, f"{SHOP}/{path}", self.key, params or None,
                    method=method, body=body)  # fmt: skip

    def ids(self, entity: str, **params: Any) -> list[str]:
        answer = self.send("GET", entity, **params)
        self.assertEqual(answer.status, 200, answer.body)
        return sorted(r["qbe_id"] for r in answer.body["records"])

    def test_it_answers_every_journal_and_account_filter_at_once(self) -> None:
        bank = sorted(a["Id"] for a in self.accounts.values() if a["AccountType"] == "Bank")
        cases: list[tuple[str, dict[str, Any], list[str]]] = [
            ("JournalEntry", {"id": self.early["Id"]}, [self.early["Id"]]),
            ("JournalEntry", {"ref_number": "J-2"}, [self.late["Id"]]),
            ("JournalEntry", {"transaction_date__gte": "2026-02-10"}, [self.late["Id"]]),
            ("JournalEntry", {"created_at__gte": self.mark.isoformat()}, [self.late["Id"]]),
            ("JournalEntry", {"updated_at__gte": self.mark.isoformat()}, [self.late["Id"]]),
            ("Account", {"id": self.savings["Id"]}, [self.savings["Id"]]),
            ("Account", {"name": "Savings"}, [self.savings["Id"]]),
            ("Account", {"name__like": "Sav%"}, [self.savings["Id"]]),
            ("Account", {"is_active": "false"}, [self.old["Id"]]),
            ("Account", {"type": "Bank"}, sorted([*bank, self.savings["Id"]])),
            # Without is_active, active accounts only (as QuickBooks answers a list query).
            ("Account", {"created_at__gte": self.mark.isoformat()}, [self.savings["Id"]]),
            ("Account", {"updated_at__gte": self.mark.isoformat(), "type": "Income"},
             []),
        ]  # fmt: skip
        for entity, params, expected in cases:
            with self.subTest(entity=entity, **params):
                self.assertEqual(self.ids(entity, **params), expected)

    def test_it_gets_a_journal_entry_in_the_shape_of_an_add_journals_payload(self) -> None:
        answer = self.send("GET", f"JournalEntry/{self.early['Id']}")

        self.assertEqual(answer.status, 200, answer.body)
        record = answer.body["record"]
        self.assertEqual((record["id"], record["journal_date"], record["qbe_id"]),
                         ("J-1", "2026-02-01", self.early["Id"]))  # fmt: skip
        lines = [{k: line[k] for k in ("debit", "credit", "account_name", "description",
                                         "customer_name")} for line in record["line_items"]]  # fmt: skip
        self.assertEqual(lines[1], {"debit": "0.00", "credit": "200.00",
                                    "account_name": "Sales of Product Income",
                                    "description": None, "customer_name": "Amy's Birds"})  # fmt: skip
        self.assertEqual((lines[0]["debit"], lines[0]["credit"], lines[0]["description"]),
                         ("200.00", "0.00", "cash in"))  # fmt: skip

    def test_it_gets_an_account_in_its_small_shape(self) -> None:
        answer = self.send("GET", f"Account/{self.savings['Id']}")

        self.assertEqual(answer.status, 200, answer.body)
        record = answer.body["record"]
        self.assertEqual({key: record.get(key) for key in SAVINGS}, SAVINGS)

    def test_it_adds_a_journal_entry_at_once_through_add_journals(self) -> None:
        answer = self.send("POST", "JournalEntry", {
            "id": "J-9", "journal_date": "2026-03-01", "memo": "month end", "line_items": [
                {"account_name": "Sales of Product Income", "debit": 50, "credit": 0},
                {"account_name": "Sales of Product Income", "debit": 0, "credit": 50,
                 "customer": "Amy's Birds"},
            ],
        })  # fmt: skip

        self.assertEqual(answer.status, 200, answer.body)
        record = answer.body["record"]
        self.assertEqual((record["id"], record["journal_date"]), ("J-9", "2026-03-01"))
        self.assertEqual([line["customer_name"] for line in record["line_items"]],
                         [None, "Amy's Birds"])  # fmt: skip
        self.assertEqual(self.one("JournalEntry", DocNumber="J-9")["Id"], answer.body["qbe_id"])

    def test_it_modifies_a_journal_entry_it_wrote_sparsely(self) -> None:
        lines = [{"account_name": "Sales of Product Income", "debit": 50, "credit": 0},
                 {"account_name": "Sales of Product Income", "debit": 0, "credit": 50}]  # fmt: skip
        added = self.send("POST", "JournalEntry", {"id": "J-9", "line_items": lines})
        qb_id = added.body["qbe_id"]

        answer = self.send("PATCH", f"JournalEntry/{qb_id}", {"memo": "month end"})

        self.assertEqual(answer.status, 200, answer.body)
        stored = self.one("JournalEntry", Id=qb_id)
        self.assertTrue(stored["PrivateNote"].endswith("\nmonth end"), stored["PrivateNote"])
        self.assertEqual(len(stored["Line"]), 2)

    def test_it_refuses_an_account_type_qbo_does_not_have(self) -> None:
        non_posting = self.send("GET", "Account", type="NonPosting")
        unknown = self.send("GET", "Account", type="Savings")

        self.assertEqual((non_posting.status, unknown.status), (400, 400))
        self.assertIn("QuickBooks Online has no NonPosting accounts",
                      non_posting.body["error"]["message"])  # fmt: skip
        self.assertIn("type: Account types are", unknown.body["error"]["message"])

    def test_it_refuses_writing_an_account(self) -> None:
        path = f"Account/{self.savings['Id']}"
        for method, where in (("POST", "Account"), ("PATCH", path), ("DELETE", path)):
            with self.subTest(method=method):
                answer = self.send(method, where, {"name": "X"} if method != "DELETE" else None)
                self.assertEqual(answer.status, 405, answer.body)
                self.assertIn("read-only", answer.body["error"]["message"])
