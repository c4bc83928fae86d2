"""The operations API on QuickBooks Desktop over real HTTP: a query answers 202 with an
operation URL, the fake Web Connector runs it against the simulated company over SOAP,
and the operation then answers the records (docs/api.md)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from unittest.mock import patch

from django.utils import timezone
from lxml import etree

from connections.deliveries import verify
from connections.models import ApiKey
from objects.api import callbacks
from objects.models import Operation
from objects.tasks import deliver_operation_callback, send_due_callbacks
from objects.tests.api_client import ApiAnswer, call
from qbsync.test import LiveTestCase

LINE = {"ItemRef": "Widget", "Quantity": "2", "Rate": "4.50"}


def qb_id(ret: etree._Element) -> str:
    return ret.findtext("ListID") or ret.findtext("TxnID") or ""


class DesktopApiTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.READ)
        qb = self.quickbooks
        self.amy = qb.add_record("Customer", Name="Amy Birds", Email="amy@birds.test")
        self.bill = qb.add_record("Customer", Name="Bill Surf")
        self.gone = qb.add_record("Customer", Name="Gone Ltd")
        qb.modify_record("Customer", "Gone Ltd", IsActive="false")
        self.vendor = qb.add_record("Vendor", Name="Lumber Co")
        self.widget = qb.add_record(
            "ItemInventory", Name="Widget", IncomeAccountRef="Sales",
            COGSAccountRef="Cost of Goods Sold", AssetAccountRef="Inventory Asset",
            QuantityOnHand="100",
        )  # fmt: skip
        self.design = qb.add_record(
            "ItemService", Name="Design", SalesOrPurchase={"Price": "75.00", "AccountRef": "Sales"}
        )
        self.early = qb.add_record("Invoice", CustomerRef="Amy Birds", RefNumber="1001",
                                   TxnDate="2026-02-01", InvoiceLineAdd=[LINE])  # fmt: skip
        qb.advance_clock(3600)
        self.late = qb.add_record("Invoice", CustomerRef="Bill Surf", RefNumber="1002",
                                  TxnDate="2026-02-20", InvoiceLineAdd=[LINE])  # fmt: skip
        self.mark = self.late.findtext("TimeModified") or ""
        self.receipt = qb.add_record("SalesReceipt", CustomerRef="Amy Birds", RefNumber="2001",
                                     SalesReceiptLineAdd=[LINE])  # fmt: skip
        self.order = qb.add_record("SalesOrder", CustomerRef="Amy Birds", RefNumber="3001",
                                   SalesOrderLineAdd=[LINE])  # fmt: skip
        self.memo = qb.add_record("CreditMemo", CustomerRef="Amy Birds", RefNumber="4001",
                                  CreditMemoLineAdd=[LINE])  # fmt: skip
        self.payment = qb.add_record("ReceivePayment", CustomerRef="Bill Surf", RefNumber="P1",
                                     TotalAmount="1.00")  # fmt: skip
        self.purchase = qb.add_record("PurchaseOrder", VendorRef="Lumber Co", RefNumber="5001",
                                      PurchaseOrderLineAdd=[LINE])  # fmt: skip

    def api(self, path: str, **params: Any) -> ApiAnswer:
        return call(self.live_server_url, f"acme/{path}", self.key, params)

    def ask(self, path: str, **params: Any) -> str:
        """Ask, expect 202 and a pending operation, return its URL."""
        answer = self.api(path, **params)
        self.assertEqual(answer.status, 202, answer.body)
        self.assertEqual(answer.body["operation"]["state"], "pending")
        self.assertEqual(answer.headers["Location"], answer.body["operation"]["url"])
        return str(answer.body["operation"]["url"])

    def fetch(self, url: str) -> ApiAnswer:
        return call(self.live_server_url, url, self.key)

    def test_it_answers_every_filter_qbxml_can_express_after_a_web_connector_run(self) -> None:
        cases: list[tuple[str, dict[str, Any], list[Any]]] = [
            ("Customer", {"id": qb_id(self.bill)}, [self.bill]),
            ("Customer", {"display_name": "Amy Birds"}, [self.amy]),
            ("Customer", {"display_name__like": "Amy%"}, [self.amy]),
            ("Customer", {"display_name__like": "%Surf"}, [self.bill]),
            ("Customer", {"display_name__like": "%ill%"}, [self.bill]),
            ("Customer", {"is_active": "false"}, [self.gone]),
            ("Customer", {"is_active": "true", "updated_at__gte": self.mark}, []),
            ("Customer", {"limit": 1, "offset": 1}, [self.bill]),
            ("Vendor", {"display_name__like": "Lumber%"}, [self.vendor]),
            ("Item", {"id": qb_id(self.design)}, [self.design]),
            ("Item", {"name": "Widget"}, [self.widget]),
            ("Item", {"name__like": "%sign"}, [self.design]),
            ("Item", {"type": "Service", "is_active": "true"}, [self.design]),
            ("Invoice", {"id": qb_id(self.early)}, [self.early]),
            ("Invoice", {"ref_number": "1002"}, [self.late]),
            ("Invoice", {"customer_id": qb_id(self.amy)}, [self.early]),
            ("Invoice", {"transaction_date__gte": "2026-02-10"}, [self.late]),
            ("Invoice", {"updated_at__gte": self.mark}, [self.late]),
            ("SalesReceipt", {"customer_id": qb_id(self.amy)}, [self.receipt]),
            ("SalesOrder", {"ref_number": "3001"}, [self.order]),
            ("CreditMemo", {"customer_id": qb_id(self.amy)}, [self.memo]),
            ("Payment", {"customer_id": qb_id(self.bill)}, [self.payment]),
            ("PurchaseOrder", {"vendor_id": qb_id(self.vendor)}, [self.purchase]),
        ]
        asked = [(entity, params, expected, self.ask(entity, **params))
                 for entity, params, expected in cases]  # fmt: skip
        self.assertEqual(self.fetch(asked[0][3]).status, 202)

        self.run_webconnector()

        for entity, params, expected, url in asked:
            with self.subTest(entity=entity, **params):
                answer = self.fetch(url)
                self.assertEqual(answer.status, 200, answer.body)
                self.assertEqual(answer.body["operation"]["state"], "done")
                self.assertEqual(
                    [r["qbe_id"] for r in answer.body["records"]],
                    [qb_id(r) for r in expected],
                )

    def test_it_gets_a_record_of_every_entity_by_id_in_the_shape_of_the_get_pulls(self) -> None:
        records = {
            "Customer": self.amy, "Vendor": self.vendor, "Item": self.widget,
            "Invoice": self.early, "SalesReceipt": self.receipt, "SalesOrder": self.order,
            "CreditMemo": self.memo, "Payment": self.payment, "PurchaseOrder": self.purchase,
        }  # fmt: skip
        urls = {entity: self.ask(f"{entity}/{qb_id(ret)}") for entity, ret in records.items()}

        self.run_webconnector()

        for entity, url in urls.items():
            with self.subTest(entity=entity):
                answer = self.fetch(url)
                self.assertEqual(answer.status, 200, answer.body)
                record = answer.body["record"]
                ret = records[entity]
                self.assertEqual(record["qbe_id"], qb_id(ret))
        invoice = self.fetch(urls["Invoice"]).body["record"]
        self.assertEqual((invoice["id"], invoice["customer"]["name"]), ("1001", "Amy Birds"))

    def test_it_fails_the_operation_of_a_missing_record_with_404(self) -> None:
        url = self.ask("Invoice/ABC-123")

        self.run_webconnector()
        answer = self.fetch(url)

        self.assertEqual(answer.status, 404, answer.body)
        self.assertEqual(answer.body["operation"]["state"], "failed")
        self.assertIn("no Invoice with id ABC-123", answer.body["error"]["message"])

    def test_it_keeps_the_result_until_fetched(self) -> None:
        url = self.ask("Customer", display_name="Amy Birds")
        self.run_webconnector()

        first, second = self.fetch(url), self.fetch(url)

        operation = Operation.objects.get()
        self.assertEqual(first.body, second.body)
        self.assertIsNotNone(operation.fetched_at)

    def test_it_fails_the_queries_of_a_message_quickbooks_rejected_whole(self) -> None:
        url = self.ask("Customer", display_name="Amy Birds")
        self.quickbooks.reject_next_messages(1, hresult="0x80040408")

        self.run_webconnector()
        answer = self.fetch(url)

        self.assertEqual(answer.status, 502, answer.body)
        self.assertIn("0x80040408", answer.body["error"]["message"])

    def test_it_explains_an_error_quickbooks_answered_with_its_status_code(self) -> None:
        url = self.ask("Customer", display_name__like="Am%")
        self.quickbooks.inject_status("CustomerQueryRq", 3000, "The filter is invalid")

        self.run_webconnector()
        answer = self.fetch(url)

        self.assertEqual(answer.status, 400, answer.body)
        self.assertEqual(answer.body["error"]["code"], "3000")
        self.assertEqual(answer.body["error"]["message"], "The filter is invalid")

    def test_it_opens_no_session_when_nothing_is_asked(self) -> None:
        result = self.run_webconnector()

        self.assertEqual(result.auth[1], "none")

    def test_it_refuses_filters_qbxml_cannot_express_naming_them(self) -> None:
        cases = [
            ("Invoice", {"due_date__gte": "2026-03-01"}, "due_date__gte: QuickBooks Desktop"),
            ("Invoice", {"created_at__gte": "2026-03-01"}, "created_at__gte: QuickBooks Desktop"),
            ("Customer", {"email": "amy@birds.test"}, "email: QuickBooks Desktop"),
            ("Customer", {"email__like": "%@birds.test"}, "email__like: QuickBooks Desktop"),
            ("Customer", {"balance__gte": "10"}, "balance__gte: QuickBooks Desktop"),
            ("Customer", {"order_by": "display_name"}, "order_by: QuickBooks Desktop"),
            ("Customer", {"display_name__like": "A%y"}, "display_name__like: QuickBooks Desktop"),
            ("Customer", {"id": "80000001-1", "is_active": "true"}, "cannot be combined"),
            (
                "Invoice",
                {"updated_at__gte": "2026-01-01", "transaction_date__gte": "2026-01-01"},
                "not both",
            ),  # fmt: skip
            ("Estimate", {}, "its pre-invoice document is the SalesOrder"),
        ]
        for entity, params, words in cases:
            with self.subTest(entity=entity, **params):
                answer = self.api(entity, **params)
                self.assertEqual(answer.status, 400, answer.body)
                self.assertIn(words, answer.body["error"]["message"])
        self.assertFalse(Operation.objects.exists())


class DesktopApiWriteTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.WRITE)

    def send(self, method: str, path: str, body: Any, idempotency_key: str = "") -> ApiAnswer:
        return call(self.live_server_url, f"acme/{path}", self.key, method=method, body=body,
                    idempotency_key=idempotency_key)  # fmt: skip

    def test_it_queues_an_add_that_the_next_web_connector_run_writes(self) -> None:
        queued = self.send("POST", "Customer", {"name": "Jo Smith", "email": "jo@x.test"}, "a1")
        self.assertEqual(queued.status, 202, queued.body)
        self.assertEqual(queued.body["phase"], "pending")
        url = queued.headers["Location"]

        self.run_webconnector()
        answer = call(self.live_server_url, url, self.key)

        self.assertEqual(answer.status, 200, answer.body)
        created = self.quickbooks.find("Customer", "Jo Smith")
        assert created is not None
        self.assertEqual(answer.body["qbe_id"], qb_id(created))
        self.assertEqual(created.findtext("Email"), "jo@x.test")

    def test_it_answers_a_retry_with_the_same_idempotency_key_with_the_same_operation(
        self,
    ) -> None:
        first = self.send("POST", "Customer", {"name": "Jo Smith"}, "retry-1")
        again = self.send("POST", "Customer", {"name": "Jo Smith", "email": "x@y.test"},
                          "retry-1")  # fmt: skip

        self.assertEqual(again.status, 202, again.body)
        self.assertEqual(again.body["operation"]["id"], first.body["operation"]["id"])
        self.assertEqual(Operation.objects.count(), 1)
        obj = Operation.objects.get().queued_object
        assert obj is not None
        self.assertNotIn("email", obj.payload)

    def test_it_modifies_sparsely_what_it_wrote(self) -> None:
        url = self.send("POST", "Customer", {"name": "Jo Smith", "email": "jo@x.test",
                                             "phone": "555-0100"}).headers["Location"]  # fmt: skip
        self.run_webconnector()
        written = call(self.live_server_url, url, self.key).body["qbe_id"]

        patched = self.send("PATCH", f"Customer/{written}", {"email": "new@x.test"})
        self.run_webconnector()
        answer = call(self.live_server_url, patched.headers["Location"], self.key)

        self.assertEqual(answer.status, 200, answer.body)
        stored = self.quickbooks.find("Customer", "Jo Smith")
        assert stored is not None
        self.assertEqual((stored.findtext("Email"), stored.findtext("Phone")),
                         ("new@x.test", "555-0100"))  # fmt: skip

    def test_it_explains_a_write_quickbooks_refused(self) -> None:
        url = self.send("POST", "Invoice", {
            "id": "INV-1", "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "NOPE", "quantity": 1, "price": "1.00"}],
        }).headers["Location"]  # fmt: skip

        self.run_webconnector()
        answer = call(self.live_server_url, url, self.key)

        self.assertEqual(answer.status, 422, answer.body)
        self.assertIn("NOPE", answer.body["error"]["message"])

    def written(self, entity: str, body: dict[str, Any]) -> str:
        url = self.send("POST", entity, body).headers["Location"]
        self.run_webconnector()
        return str(call(self.live_server_url, url, self.key).body["qbe_id"])

    def test_it_deactivates_a_list_record_on_delete(self) -> None:
        qb_id_ = self.written("Customer", {"name": "Jo Smith"})

        url = self.send("DELETE", f"Customer/{qb_id_}", None).headers["Location"]
        self.run_webconnector()

        self.assertEqual(call(self.live_server_url, url, self.key).status, 200)
        stored = self.quickbooks.find("Customer", "Jo Smith")
        assert stored is not None
        self.assertEqual(stored.findtext("IsActive"), "false")

    def test_it_closes_a_sales_order_on_delete(self) -> None:
        self.quickbooks.add_record("ItemService", Name="TEE",
                                   SalesOrPurchase={"Price": "10.00", "AccountRef": "Sales"})  # fmt: skip
        qb_id_ = self.written("SalesOrder", {
            "id": "R1", "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 1, "price": "10.00"}],
        })  # fmt: skip

        url = self.send("DELETE", f"SalesOrder/{qb_id_}", None).headers["Location"]
        self.run_webconnector()

        self.assertEqual(call(self.live_server_url, url, self.key).status, 200)
        stored = self.quickbooks.find("SalesOrder", "R1")
        assert stored is not None
        self.assertEqual(stored.findtext("IsManuallyClosed"), "true")

    def test_it_refuses_deleting_an_invoice_or_a_sales_receipt(self) -> None:
        for entity in ("Invoice", "SalesReceipt"):
            with self.subTest(entity=entity):
                answer = self.send("DELETE", f"{entity}/1-1", None)

                self.assertEqual(answer.status, 405, answer.body)
                self.assertIn("from a FlowLink order", answer.body["error"]["message"])

    def test_it_refuses_an_entity_desktop_does_not_have(self) -> None:
        answer = self.send("POST", "Estimate", {"id": "E1"})

        self.assertEqual(answer.status, 400, answer.body)
        self.assertIn("SalesOrder", answer.body["error"]["message"])


class Receiver:
    """A local HTTP server that records POSTs and answers them with the next status."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses) or [200]
        self.received: list[tuple[dict[str, str], bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), body))
                status = owner.statuses.pop(0) if len(owner.statuses) > 1 else owner.statuses[0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DesktopApiCallbackTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.connection.alert_secret = "callback-secret"
        self.connection.save()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.READ)
        self.quickbooks.add_record("Customer", Name="Amy Birds")

    def receiver(self, *statuses: int) -> Receiver:
        receiver = Receiver(*statuses)
        self.addCleanup(receiver.stop)
        return receiver

    def ask(self, callback_url: str) -> ApiAnswer:
        return call(self.live_server_url, "acme/Customer", self.key,
                    {"display_name": "Amy Birds", "callback_url": callback_url})  # fmt: skip

    def test_it_posts_the_answer_signed_like_alerts(self) -> None:
        receiver = self.receiver(200)
        asked = self.ask(receiver.url)
        self.assertEqual(asked.status, 202, asked.body)

        with patch.object(deliver_operation_callback, "delay") as delay:
            self.run_webconnector()
        sent = send_due_callbacks()

        self.assertEqual(sent, 1)
        headers, body = receiver.received[0]
        self.assertTrue(verify("callback-secret", headers["X-Qbsync-Signature"], body,
                               timezone.now()))  # fmt: skip
        self.assertEqual(headers["X-Qbsync-Event"], "operation.finished")
        answer = json.loads(body)
        self.assertEqual(answer["records"][0]["name"], "Amy Birds")
        self.assertEqual(answer["operation"]["id"], asked.body["operation"]["id"])
        self.assertEqual(send_due_callbacks(), 0)
        delay.assert_called_once_with(Operation.objects.get().callback.pk)

    def test_it_retries_a_refused_callback_with_backoff(self) -> None:
        receiver = self.receiver(500, 200)
        self.ask(receiver.url)
        self.run_webconnector()
        operation = Operation.objects.get()

        callback = operation.callback

        self.assertFalse(callbacks.deliver(callback.pk))
        callback.refresh_from_db()
        self.assertIn("HTTP 500", callback.last_error)
        self.assertEqual(callbacks.due(timezone.now()), [])
        later = timezone.now() + timedelta(minutes=2)
        self.assertTrue(callbacks.deliver(callback.pk, later))
        self.assertEqual(len(receiver.received), 2)

    def test_it_refuses_a_callback_without_a_secret_to_sign_it(self) -> None:
        self.connection.alert_secret = ""
        self.connection.save()

        answer = self.ask("https://example.test/hook")

        self.assertEqual(answer.status, 400, answer.body)
        self.assertIn("alert secret", answer.body["error"]["message"])

    def test_it_refuses_a_callback_that_is_not_a_web_url(self) -> None:
        answer = self.ask("ftp://example.test/hook")

        self.assertEqual(answer.status, 400, answer.body)
