"""DELETE of transactions through the operations API on QuickBooks Online, over real
HTTP: what a FlowLink order became is voided or deleted (cancel_order), a journal entry
deleted (add_journals' action DELETE); the rest answer 405."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connections.models import ApiKey
from objects.tests.api_client import ApiAnswer, call
from objects.tests.flows import envelope
from qbo.tests.live import SHOP, QboLiveTestCase
from qbo.tests.test_push_e2e import order, order_params


class QboApiDeleteTestCase(QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.WRITE)

    def send(self, method: str, path: str, body: Any = None) -> ApiAnswer:
        return call(self.live_server_url, f"{SHOP}/{path}", self.key, method=method, body=body)

    def written_order(self, entity: str, order_as: str, order_id: str = "R1001") -> str:
        """The id of the `entity` a FlowLink order became (qbo_order_as)."""
        params = order_params(qbo_order_as=order_as)
        self.post_ok("add_orders", envelope("order", order(order_id), **params))
        self.push()
        return str(self.one(entity)["Id"])

    def test_it_voids_the_sales_receipt_or_invoice_an_order_became(self) -> None:
        cases = (("SalesReceipt", "sales_receipt", "R1"), ("Invoice", "invoice", "R2"))
        for entity, order_as, order_id in cases:
            with self.subTest(entity=entity):
                qb_id = self.written_order(entity, order_as, order_id)

                answer = self.send("DELETE", f"{entity}/{qb_id}")

                self.assertEqual(answer.status, 200, answer.body)
                self.assertEqual(answer.body["operation"]["kind"], "delete")
                voided = self.one(entity, Id=qb_id)
                self.assertTrue(voided["PrivateNote"].startswith("Voided"), voided)
                self.assertEqual(Decimal(str(voided["TotalAmt"])), Decimal(0))
                self.assertEqual(answer.body["record"]["qbe_id"], qb_id)

    def test_it_deletes_the_estimate_an_order_became(self) -> None:
        qb_id = self.written_order("Estimate", "estimate")

        answer = self.send("DELETE", f"Estimate/{qb_id}")

        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(self.records("Estimate"), [])
        self.assertEqual(self.qbo.deleted(self.realm, "Estimate"), [qb_id])
        self.assertNotIn("record", answer.body)

    def test_it_deletes_a_journal_entry_it_wrote(self) -> None:
        income = "Sales of Product Income"
        lines = [{"account_name": income, "debit": 5, "credit": 0},
                 {"account_name": income, "debit": 0, "credit": 5}]  # fmt: skip
        added = self.send("POST", "JournalEntry", {"id": "J-1", "line_items": lines})
        qb_id = added.body["qbe_id"]

        answer = self.send("DELETE", f"JournalEntry/{qb_id}")

        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(self.records("JournalEntry"), [])
        self.assertEqual(self.qbo.deleted(self.realm, "JournalEntry"), [qb_id])

    def test_it_refuses_voiding_an_invoice_no_order_became(self) -> None:
        qb_id = self.written_order("SalesReceipt", "sales_receipt")

        answer = self.send("DELETE", f"Invoice/{qb_id}")

        self.assertEqual(answer.status, 405, answer.body)
        self.assertIn("only when qbsync wrote it from a FlowLink order",
                      answer.body["error"]["message"])  # fmt: skip
        self.assertFalse(self.one("SalesReceipt", Id=qb_id)["PrivateNote"].startswith("Voided"))
