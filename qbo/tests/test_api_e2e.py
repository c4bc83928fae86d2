"""The operations API on QuickBooks Online over real HTTP: qbsync's endpoints, the QBO double."""

from __future__ import annotations

from typing import Any

from connections.models import ApiKey
from objects.tests.api_client import ApiAnswer, call
from qbo.double import faults
from qbo.tests.live import SHOP, QboLiveTestCase


class QboApiTestCase(QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.READ)
        accounts = {a["Name"]: a["Id"] for a in self.qbo.entities(self.realm, "Account")}
        income = {"value": accounts["Sales of Product Income"]}
        self.amy = self.seed("Customer", {"DisplayName": "Amy's Birds",
                                          "PrimaryEmailAddr": {"Address": "amy@birds.test"}})  # fmt: skip
        self.bill = self.seed("Customer", {"DisplayName": "Bill's Surf",
                                           "PrimaryEmailAddr": {"Address": "bill@surf.test"}})  # fmt: skip
        self.gone = self.seed("Customer", {"DisplayName": "Gone Ltd"})
        self.qbo.edit(self.realm, "Customer", self.gone["Id"], Active=False)
        self.vendor = self.seed("Vendor", {"DisplayName": "Lumber Co",
                                           "PrimaryEmailAddr": {"Address": "wood@lumber.test"}})  # fmt: skip
        self.design = self.seed(
            "Item", {"Name": "Design", "Type": "Service", "IncomeAccountRef": income}
        )
        self.clock.advance(3600)
        self.mark = self.clock.now()
        self.pump = self.seed(
            "Item",
            {
                "Name": "Pump",
                "Type": "Inventory",
                "IncomeAccountRef": income,
                "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
                "AssetAccountRef": {"value": accounts["Inventory Asset"]},
                "TrackQtyOnHand": True,
                "QtyOnHand": 5,
                "InvStartDate": "2026-01-01",
            },
        )
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 150,
            "SalesItemLineDetail": {"ItemRef": {"value": self.design["Id"]}},
        }
        self.early = self.seed("Invoice", {
            "CustomerRef": {"value": self.amy["Id"]}, "Line": [line], "DocNumber": "1001",
            "TxnDate": "2026-02-01", "DueDate": "2026-03-01",
        })  # fmt: skip
        self.clock.advance(3600)
        self.late = self.seed("Invoice", {
            "CustomerRef": {"value": self.bill["Id"]}, "Line": [line], "DocNumber": "1002",
            "TxnDate": "2026-02-20", "DueDate": "2026-04-01",
        })  # fmt: skip
        self.bill = self.qbo.edit(self.realm, "Customer", self.bill["Id"], Notes="surfs")
        ref = {"CustomerRef": {"value": self.amy["Id"]}, "Line": [line], "DocNumber": "2001"}
        self.receipt = self.seed("SalesReceipt", ref)
        self.estimate = self.seed("Estimate", {**ref, "DocNumber": "3001"})
        self.memo = self.seed("CreditMemo", {**ref, "DocNumber": "4001"})
        self.payment = self.seed("Payment", {"CustomerRef": {"value": self.amy["Id"]},
                                             "TotalAmt": 10})  # fmt: skip
        po_line = {
            "DetailType": "ItemBasedExpenseLineDetail",
            "Amount": 30,
            "ItemBasedExpenseLineDetail": {"ItemRef": {"value": self.pump["Id"]}, "Qty": 3},
        }
        self.order = self.seed("PurchaseOrder", {"VendorRef": {"value": self.vendor["Id"]},
                                                 "Line": [po_line], "DocNumber": "5001"})  # fmt: skip

    def seed(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.qbo.seed(self.realm, entity, body)

    def api(self, path: str, key: str | None = "", **params: Any) -> ApiAnswer:
        return call(self.live_server_url, f"{SHOP}/{path}", self.key if key == "" else key,
                    params)  # fmt: skip

    def ids(self, entity: str, **params: Any) -> list[str]:
        answer = self.api(entity, **params)
        self.assertEqual(answer.status, 200, answer.body)
        return [r["qbe_id"] for r in answer.body["records"]]

    def test_it_answers_every_filter_of_seed_003_at_once(self) -> None:
        cases: list[tuple[str, dict[str, Any], list[str]]] = [
            ("Invoice", {"id": self.early["Id"]}, [self.early["Id"]]),
            ("Invoice", {"customer_id": self.bill["Id"]}, [self.late["Id"]]),
            ("Invoice", {"due_date__gte": "2026-03-15"}, [self.late["Id"]]),
            (
                "Invoice",
                {"created_at__gte": self.clock.now().isoformat()},
                [self.late["Id"]],
            ),  # fmt: skip
            (
                "Invoice",
                {"updated_at__gte": self.clock.now().isoformat()},
                [self.late["Id"]],
            ),  # fmt: skip
            ("Invoice", {"ref_number": "1001"}, [self.early["Id"]]),
            ("Invoice", {"transaction_date__gte": "2026-02-10"}, [self.late["Id"]]),
            ("Customer", {"id": self.amy["Id"]}, [self.amy["Id"]]),
            ("Customer", {"display_name": "Bill's Surf"}, [self.bill["Id"]]),
            ("Customer", {"display_name__like": "Amy%"}, [self.amy["Id"]]),
            ("Customer", {"is_active": "false"}, [self.gone["Id"]]),
            ("Customer", {"email": "amy@birds.test"}, [self.amy["Id"]]),
            ("Customer", {"email__like": "%@surf.test"}, [self.bill["Id"]]),
            ("Customer", {"balance__gte": "100"}, [self.bill["Id"]]),
            ("Customer", {"created_at__gte": self.mark.isoformat()}, []),
            ("Customer", {"updated_at__gte": self.clock.now().isoformat()}, [self.bill["Id"]]),
            ("Item", {"id": self.pump["Id"]}, [self.pump["Id"]]),
            ("Item", {"name": "Design"}, [self.design["Id"]]),
            ("Item", {"name__like": "%um%"}, [self.pump["Id"]]),
            ("Item", {"is_active": "true", "type": "Inventory"}, [self.pump["Id"]]),
            ("Item", {"created_at__gte": self.mark.isoformat()}, [self.pump["Id"]]),
            ("Item", {"updated_at__gte": self.mark.isoformat()}, [self.pump["Id"]]),
            ("Vendor", {"display_name__like": "Lumber%"}, [self.vendor["Id"]]),
            ("SalesReceipt", {"customer_id": self.amy["Id"]}, [self.receipt["Id"]]),
            ("Estimate", {"ref_number": "3001"}, [self.estimate["Id"]]),
            ("CreditMemo", {"customer_id": self.amy["Id"]}, [self.memo["Id"]]),
            ("Payment", {"customer_id": self.amy["Id"]}, [self.payment["Id"]]),
            ("PurchaseOrder", {"vendor_id": self.vendor["Id"]}, [self.order["Id"]]),
        ]
        for entity, params, expected in cases:
            with self.subTest(entity=entity, **params):
                self.assertEqual(self.ids(entity, **params), expected)

    def test_it_answers_a_record_in_the_shape_of_the_get_pulls(self) -> None:
        answer = self.api(f"Invoice/{self.early['Id']}")

        self.assertEqual(answer.status, 200, answer.body)
        record = answer.body["record"]
        self.assertEqual((answer.body["entity"], record["qbe_id"], record["id"]),
                         ("Invoice", self.early["Id"], "1001"))  # fmt: skip
        self.assertEqual(record["customer"]["name"], "Amy's Birds")
        self.assertEqual(record["total"], "150.00")

    def test_it_gets_a_record_of_every_entity_by_id(self) -> None:
        for entity, record in [
            ("Customer", self.amy), ("Vendor", self.vendor), ("Item", self.pump),
            ("Invoice", self.late), ("SalesReceipt", self.receipt), ("Estimate", self.estimate),
            ("CreditMemo", self.memo), ("Payment", self.payment), ("PurchaseOrder", self.order),
        ]:  # fmt: skip
            with self.subTest(entity=entity):
                answer = self.api(f"{entity}/{record['Id']}")
                self.assertEqual(answer.status, 200, answer.body)
                self.assertEqual(answer.body["record"]["qbe_id"], record["Id"])

    def test_it_pages_and_orders(self) -> None:
        newest_first = self.ids("Customer", order_by="-display_name")
        page = self.api("Customer", order_by="display_name", limit=1, offset=1)

        self.assertEqual(newest_first, [self.bill["Id"], self.amy["Id"]])
        self.assertEqual(page.status, 200, page.body)
        self.assertEqual([r["qbe_id"] for r in page.body["records"]], [self.bill["Id"]])
        self.assertEqual((page.body["offset"], page.body["limit"], page.body["next_offset"]),
                         (1, 1, 2))  # fmt: skip

    def test_it_explains_a_missing_record_with_qbos_code(self) -> None:
        answer = self.api("Invoice/99999")

        self.assertEqual(answer.status, 404, answer.body)
        self.assertEqual(answer.body["error"]["code"], "610")

    def test_it_explains_a_fault_of_qbo_with_its_code_and_message(self) -> None:
        def refuse(company: Any, statement: str) -> None:
            raise faults.query_validation_error("MAXRESULTS too large for this company")

        self.qbo.before_query(refuse)
        answer = self.api("Invoice", limit=500)

        self.assertEqual(answer.status, 400, answer.body)
        self.assertEqual(answer.body["error"], {
            "status": 400,
            "code": "4001",
            "message": "Invalid query: QueryValidationError: MAXRESULTS too large for this company",
        })  # fmt: skip

    def test_it_asks_to_retry_when_qbo_throttles_instead_of_holding_the_call(self) -> None:
        self.qbo.inject_throttle(count=1, retry_after=30)
        answer = self.api("Customer")

        self.assertEqual(answer.status, 503, answer.body)
        self.assertIn("retry in 30 s", answer.body["error"]["message"])

    def test_it_refuses_an_entity_qbo_does_not_have(self) -> None:
        answer = self.api("SalesOrder")

        self.assertEqual(answer.status, 400, answer.body)
        self.assertIn("QuickBooks Online has no SalesOrder", answer.body["error"]["message"])

    def test_it_refuses_what_no_backend_knows(self) -> None:
        unknown = self.api("Customer", colour="red")
        wrong_op = self.api("Customer", balance__like="1%")
        too_many = self.api("Customer", limit=1001)

        self.assertEqual([unknown.status, wrong_op.status, too_many.status], [400, 400, 400])
        self.assertIn("colour: not a filter of Customer", unknown.body["error"]["message"])
        self.assertIn("balance takes gte, not like", wrong_op.body["error"]["message"])
        self.assertIn("limit: must be 1 to 1000", too_many.body["error"]["message"])


class QboApiWriteTestCase(QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        _key, self.key = ApiKey.issue(self.connection, ApiKey.Scope.WRITE)

    def send(self, method: str, path: str, body: Any, idempotency_key: str = "") -> ApiAnswer:
        return call(self.live_server_url, f"{SHOP}/{path}", self.key, method=method, body=body,
                    idempotency_key=idempotency_key)  # fmt: skip

    def test_it_adds_a_record_at_once_and_answers_it_in_the_get_shape(self) -> None:
        answer = self.send("POST", "Customer", {"name": "Jo Smith", "email": "jo@x.test"}, "k1")

        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.body["phase"], "processed")
        created = self.one("Customer", DisplayName="Jo Smith")
        self.assertEqual(answer.body["qbe_id"], created["Id"])
        self.assertEqual(answer.body["record"]["email"], "jo@x.test")
        self.assertEqual(self.obj("customers", "Jo Smith").events.count() > 1, True)

    def test_it_answers_a_retry_with_the_same_idempotency_key_without_writing_again(
        self,
    ) -> None:
        first = self.send("POST", "Customer", {"name": "Jo Smith"}, "retry-1")
        again = self.send("POST", "Customer", {"name": "Jo Smith"}, "retry-1")

        self.assertEqual(again.status, 200, again.body)
        self.assertEqual(again.body["operation"]["id"], first.body["operation"]["id"])
        self.assertEqual(len(self.records("Customer", DisplayName="Jo Smith")), 1)
        self.assertEqual(self.obj("customers", "Jo Smith").events.filter(
            to_phase="pending").count(), 1)  # fmt: skip

    def test_it_refuses_an_idempotency_key_reused_for_another_call(self) -> None:
        self.send("POST", "Customer", {"name": "Jo Smith"}, "same")
        other = self.send("POST", "Vendor", {"name": "Acme"}, "same")

        self.assertEqual(other.status, 422, other.body)

    def test_it_modifies_sparsely_what_it_wrote(self) -> None:
        added = self.send("POST", "Customer", {"name": "Jo Smith", "email": "jo@x.test",
                                               "phone": "555-0100"})  # fmt: skip
        qb_id = added.body["qbe_id"]

        answer = self.send("PATCH", f"Customer/{qb_id}", {"email": "new@x.test"})

        self.assertEqual(answer.status, 200, answer.body)
        stored = self.one("Customer", Id=qb_id)
        self.assertEqual(stored["PrimaryEmailAddr"]["Address"], "new@x.test")
        self.assertEqual(stored["PrimaryPhone"]["FreeFormNumber"], "555-0100")

    def invoice(self) -> dict[str, Any]:
        return {
            "id": "INV-1",
            "customer": {"name": "Jo Smith"},
            "line_items": [{"product_id": "TEE", "quantity": 2, "price": "10.00"}],
        }

    def test_it_adds_a_transaction_with_its_dependencies(self) -> None:
        accounts = {a["Name"]: a["Id"] for a in self.qbo.entities(self.realm, "Account")}
        self.qbo.seed(self.realm, "Item", {"Name": "TEE", "Type": "Service",
                      "IncomeAccountRef": {"value": accounts["Sales of Product Income"]}})  # fmt: skip

        answer = self.send("POST", "Invoice", self.invoice())

        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.body["operation"]["state"], "done")
        self.assertEqual(answer.body["record"]["customer"]["name"], "Jo Smith")
        self.assertEqual(answer.body["record"]["total"], "20.00")
        self.one("Customer", DisplayName="Jo Smith")

    def test_it_explains_a_write_quickbooks_refused(self) -> None:
        answer = self.send("POST", "Invoice", self.invoice())

        self.assertEqual(answer.status, 422, answer.body)
        self.assertEqual(answer.body["operation"]["state"], "failed")
        self.assertIn("item 'TEE' not found", answer.body["error"]["message"])

    def test_it_refuses_a_payload_qbo_cannot_take_naming_the_field(self) -> None:
        answer = self.send("POST", "Customer", {"name": "Jo", "firstname": "F" * 101})

        self.assertEqual(answer.status, 400, answer.body)
        self.assertIn("firstname", answer.body["error"]["message"])

    def test_it_refuses_modifying_a_record_it_did_not_write(self) -> None:
        answer = self.send("PATCH", "Customer/999", {"email": "a@b.test"})

        self.assertEqual(answer.status, 404, answer.body)

    def test_it_deactivates_a_list_record_on_delete(self) -> None:
        qb_id = self.send("POST", "Customer", {"name": "Jo Smith"}).body["qbe_id"]

        answer = self.send("DELETE", f"Customer/{qb_id}", None, "del-1")

        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.body["operation"]["kind"], "delete")
        self.assertIs(self.one("Customer", Id=qb_id)["Active"], False)

    def test_it_refuses_deleting_what_it_cannot_delete(self) -> None:
        for entity in ("Invoice", "Estimate"):
            with self.subTest(entity=entity):
                answer = self.send("DELETE", f"{entity}/1", None)
                self.assertIn(answer.status, (400, 405), answer.body)
                self.assertIn(entity, answer.body["error"]["message"])
