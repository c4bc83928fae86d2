"""The whole flow over real HTTP: FlowLink webhooks in, the fake Web Connector and the
in-memory QuickBooks company answering, records landing in one Web Connector run."""

from __future__ import annotations

import json
from typing import Any

from objects.models import Notification, Phase, QueuedObject
from qbsync.test import LiveTestCase, shared_file
from qbwc.models import Request, Session
from qbwc.simulator.quickbooks import FakeQuickBooks

ITEM_ACCOUNTS = {
    "quickbooks_income_account": "Sales",
    "quickbooks_cogs_account": "Cost of Goods Sold",
    "quickbooks_inventory_account": "Inventory Asset",
}


def envelope(
    payload_type: str, obj: Any, request_id: str = "req-1", **params: Any
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "parameters": {"payload_type": payload_type, **params},
        payload_type: obj,
    }


def names(records: list[Any]) -> set[str]:
    return {r.findtext("Name") for r in records}


class CoreFlowTestCase(LiveTestCase):
    def test_it_lands_customers_vendors_and_every_item_type_in_one_run(self) -> None:
        self.quickbooks.add_record("Account", Name="Supplies", AccountType="Expense")
        posts = [
            (
                "add_customers",
                envelope("customer", {"name": "Jo's Café & <Bar>", "email": "jo@example.com"}),
            ),
            ("add_vendors", envelope("vendor", {"name": "Acme Supply"})),
            (
                "add_products",
                envelope(
                    "product", {"product_id": "TEE-1", "price": 10, "cost": 4}, **ITEM_ACCOUNTS
                ),
            ),
            (
                "add_noninventoryproducts",
                envelope(
                    "noninventoryproduct",
                    {"product_id": "GIFT-WRAP", "price": 2.5, "income_account": "Sales"},
                ),
            ),
            (
                "add_serviceproducts",
                envelope(
                    "serviceproduct",
                    {"product_id": "SETUP", "price": 50, "income_account": "Sales"},
                ),
            ),
            (
                "add_discountproducts",
                envelope(
                    "discountproduct",
                    {"product_id": "PROMO10", "discount_rate_percent": 10, "account_name": "Sales"},
                ),
            ),
            (
                "add_salestaxproducts",
                envelope("salestaxproduct", {"product_id": "PA Tax", "tax_rate": 6}),
            ),
            (
                "add_otherchargeproducts",
                envelope(
                    "otherchargeproduct",
                    {"product_id": "HANDLING", "price": 3, "income_account": "Sales"},
                ),
            ),
        ]
        for route, body in posts:
            status, data = self.post(route, body)
            self.assertEqual(status, 200, (route, data))

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assertIn("Jo's Café & <Bar>", names(self.quickbooks.records("Customer")))
        self.assertEqual(
            names(self.quickbooks.records("Vendor")),
            {"Acme Supply"} | (names(self.quickbooks.records("Vendor")) - {"Acme Supply"}),
        )
        for kind, name in [
            ("ItemInventory", "TEE-1"),
            ("ItemNonInventory", "GIFT-WRAP"),
            ("ItemService", "SETUP"),
            ("ItemDiscount", "PROMO10"),
            ("ItemSalesTax", "PA Tax"),
            ("ItemOtherCharge", "HANDLING"),
        ]:
            self.assertIsNotNone(self.quickbooks.find(kind, name), kind)
        self.assertFalse(QueuedObject.objects.exclude(phase=Phase.PROCESSED).exists())

    def test_it_lands_an_order_with_a_new_customer_and_new_items_in_one_run(self) -> None:
        order = json.loads(shared_file("flowlink-payloads", "legacy", "orders.json").read_text())[
            "orders"
        ][0]
        body = envelope(
            "order",
            order,
            quickbooks_auto_create_products="1",
            quickbooks_tax_item="PA Sales Tax",
            **ITEM_ACCOUNTS,
        )
        self.quickbooks.add_record("ItemSalesTax", Name="PA Sales Tax", TaxRate="6")
        status, data = self.post("add_orders", body)
        self.assertEqual(status, 200, data)

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        sales_order = self.quickbooks.find("SalesOrder", order["id"][-11:])
        self.assertIsNotNone(sales_order)
        self.assertEqual(sales_order.findtext("CustomerRef/FullName"), "spree@example.com")
        items = [
            line.findtext("ItemRef/FullName") for line in sales_order.findall("SalesOrderLineRet")
        ]
        self.assertEqual(items, ["SPREE-T-SHIRT", "PA Sales Tax"])
        self.assertIsNotNone(self.quickbooks.find("Customer", "spree@example.com"))
        self.assertIsNotNone(self.quickbooks.find("ItemInventory", "SPREE-T-SHIRT"))
        obj = QueuedObject.objects.get(object_type="orders")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(obj.identity, "R154085346708777")

    def test_it_modifies_a_customer_resent_after_it_was_processed(self) -> None:
        self.post("add_customers", envelope("customer", {"name": "Jo", "phone": "111"}))
        self.run_webconnector()
        first = self.quickbooks.find("Customer", "Jo")
        list_id, edit_sequence = first.findtext("ListID"), first.findtext("EditSequence")

        self.post("add_customers", envelope("customer", {"name": "Jo", "phone": "222"}, "req-2"))
        self.run_webconnector()

        again = self.quickbooks.find("Customer", "Jo")
        self.assertEqual(again.findtext("ListID"), list_id)
        self.assertNotEqual(again.findtext("EditSequence"), edit_sequence)
        self.assertEqual(again.findtext("Phone"), "222")
        self.assertEqual(len(self.quickbooks.records("Customer")), 1)

    def test_it_isolates_the_request_quickbooks_rejects_and_lands_the_rest_in_the_same_run(
        self,
    ) -> None:
        class PoisonQuickBooks(FakeQuickBooks):
            # QuickBooks' parser chokes on something our XSD check cannot see.
            def process(self, request_xml: str) -> tuple[str, str, str]:
                if "POISON" in request_xml:
                    return (
                        "",
                        "0x80040400",
                        "QuickBooks found an error when parsing the provided XML text stream.",
                    )
                return super().process(request_xml)

        quickbooks = PoisonQuickBooks(xsd_dir=self.quickbooks.xsd_dir)
        for name in ["Ann", "Bob", "POISON Ltd", "Cy", "Di"]:
            self.post("add_customers", envelope("customer", {"name": name}, f"req-{name}"))

        result = self.run_webconnector(quickbooks)

        self.assertTrue(result.completed)
        self.assertEqual(names(quickbooks.records("Customer")), {"Ann", "Bob", "Cy", "Di"})
        poison = QueuedObject.objects.get(identity="POISON Ltd")
        self.assertEqual(poison.phase, Phase.FAILED)
        failure = Notification.objects.get(kind="fail")
        self.assertIn("0x80040400", failure.message)
        self.assertEqual(failure.request_id, "req-POISON Ltd")

    def test_it_retries_a_modification_whose_edit_sequence_went_stale(self) -> None:
        class BusyOffice(FakeQuickBooks):
            # Someone edits the customer in QuickBooks between our lookup and our Mod.
            edited = False

            def process(self, request_xml: str) -> tuple[str, str, str]:
                if "<CustomerModRq" in request_xml and not self.edited:
                    self.edited = True
                    record = self.find("Customer", "Jo")
                    super().process(
                        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
                        '<QBXMLMsgsRq onError="stopOnError"><CustomerModRq><CustomerMod>'
                        f"<ListID>{record.findtext('ListID')}</ListID>"
                        f"<EditSequence>{record.findtext('EditSequence')}</EditSequence>"
                        "<Fax>999</Fax></CustomerMod></CustomerModRq></QBXMLMsgsRq></QBXML>"
                    )
                return super().process(request_xml)

        office = BusyOffice(xsd_dir=self.quickbooks.xsd_dir)
        office.add_record("Customer", Name="Jo", Phone="111")
        self.post("add_customers", envelope("customer", {"name": "Jo", "phone": "222"}))

        result = self.run_webconnector(office)

        self.assertTrue(result.completed)
        self.assertTrue(office.edited)
        record = office.find("Customer", "Jo")
        self.assertEqual((record.findtext("Phone"), record.findtext("Fax")), ("222", "999"))
        obj = QueuedObject.objects.get(identity="Jo")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertTrue(obj.events.filter(reason__contains="out-of-date").exists())

    def test_it_fails_only_the_order_with_an_invalid_reference(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")
        self.quickbooks.add_record("ItemService", Name="SETUP")
        good = {
            "id": "GOOD-1",
            "customer": {"name": "Jo"},
            "line_items": [{"product_id": "SETUP", "quantity": 1, "price": 5}],
        }
        bad = {**good, "id": "BAD-1", "class_name": "No Such Class"}
        self.post("add_orders", envelope("order", good, "req-good"))
        self.post("add_orders", envelope("order", bad, "req-bad"))

        result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assertIsNotNone(self.quickbooks.find("SalesOrder", "GOOD-1"))
        self.assertIsNone(self.quickbooks.find("SalesOrder", "BAD-1"))
        failed = QueuedObject.objects.get(identity="BAD-1")
        self.assertEqual((failed.phase, failed.last_status_code), (Phase.FAILED, 3140))
        status, data = self.post("get_notifications", {"request_id": "n-1", "parameters": {}})
        self.assertEqual(status, 200)
        self.assertTrue(
            any(
                m["message"].startswith("BAD-1: 3140: There is an invalid reference")
                for m in data["fail"]
            )
        )
        self.assertTrue(any(m["request_id"] == "req-good" for m in data["success"]))

    def test_it_reports_a_missing_item_by_name_without_sending_the_order(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")
        order = {
            "id": "NOITEM-1",
            "customer": {"name": "Jo"},
            "line_items": [{"product_id": "GHOST", "quantity": 1}],
        }
        self.post("add_orders", envelope("order", order))

        self.run_webconnector()

        failed = QueuedObject.objects.get(identity="NOITEM-1")
        self.assertEqual(failed.phase, Phase.FAILED)
        self.assertIn("item 'GHOST' not found in QuickBooks", failed.last_status_message)
        self.assertEqual(self.quickbooks.records("SalesOrder"), [])

    def test_it_answers_none_when_there_is_nothing_to_do(self) -> None:
        result = self.run_webconnector()

        self.assertEqual(result.auth[1], "none")
        self.assertEqual(result.round_trips, 0)

    def test_it_refuses_a_wrong_password_with_nvu(self) -> None:
        result = self.run_webconnector(password="wrong")

        self.assertEqual(result.auth[1], "nvu")

    def test_it_negotiates_qbxml_16_when_the_web_connector_reports_it(self) -> None:
        self.post("add_customers", envelope("customer", {"name": "Jo"}))

        result = self.run_webconnector(qbxml_version=(16, 0))

        self.assertTrue(result.completed)
        self.assertIn('<?qbxml version="16.0"?>', result.requests[0])


class RequestStatusTestCase(LiveTestCase):
    def test_it_records_each_requests_status_from_quickbooks_answer(self) -> None:
        customers = [{"name": "Ann"}, {"name": "Bob"}]
        self.post("add_customers", envelope("customer", customers))

        self.run_webconnector()

        rows = Request.objects.order_by("id").values_list(
            "request_tag", "queued_object__identity", "status_code", "status_message"
        )
        self.assertEqual(
            [row[:3] for row in rows][:2],
            [("CustomerQueryRq", "Ann", 500), ("CustomerQueryRq", "Bob", 500)],
        )
        self.assertIn("Ann", rows[0][3])
        self.assertEqual([(tag, code) for tag, _, code, _ in rows][2:], [("CustomerAddRq", 0)] * 2)


class AbandonedRunTestCase(LiveTestCase):
    def test_it_lands_what_an_abandoned_run_held_exactly_once_in_the_next_run(self) -> None:
        self.post("add_customers", envelope("customer", {"name": "Jo"}))
        # The machine reboots after QuickBooks ran the Add (round trip 2: look-up, Add).
        first = self.run_webconnector(abandon_after=2)
        self.assertEqual(first.stop_reason, "abandoned after sendRequestXML")
        self.assertEqual(QueuedObject.objects.get().phase, Phase.IN_PROGRESS)

        second = self.run_webconnector()

        self.assertTrue(second.completed, second.transcript())
        self.assertEqual(names(self.quickbooks.records("Customer")), {"Jo"})
        self.assertFalse(any("<CustomerAddRq" in request for request in second.requests))
        obj = QueuedObject.objects.get()
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertTrue(
            obj.events.filter(
                to_phase=Phase.PENDING, reason__contains="ended before QuickBooks answered"
            ).exists()
        )
        abandoned, current = Session.objects.order_by("id")
        self.assertEqual((abandoned.status, current.status), ("expired", "closed"))
        self.assertIn("authenticated again", abandoned.last_error)
