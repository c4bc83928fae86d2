"""Pulls end to end: get_* over HTTP, the fake Web Connector over SOAP, the fake company.

The company is seeded with thousands of records of every pulled type; records are then
modified, deactivated and deleted between runs and while a pull is in progress, and
every get_* route is drained after each run. The assertions are about FlowLink's view:
every change handed out, each record once per change, the newest version, nothing lost.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from typing import Any

from lxml import etree

from objects.models import PollConfig
from qbsync.test import LiveTestCase
from qbwc.models import Message
from qbwc.qbxml.queries import POLL_KINDS
from qbwc.simulator import FakeQuickBooks

LIST_SEEDS: dict[str, tuple[str, int]] = {
    # get_* route: (simulator kind, how many to add)
    "get_customers": ("Customer", 1000),
    "get_vendors": ("Vendor", 300),
    "get_products": ("ItemInventory", 300),
    "get_noninventoryproducts": ("ItemNonInventory", 250),
    "get_serviceproducts": ("ItemService", 250),
    "get_discountproducts": ("ItemDiscount", 120),
    "get_salestaxproducts": ("ItemSalesTax", 120),
    "get_otherchargeproducts": ("ItemOtherCharge", 150),
    "get_inventoryassemblyproducts": ("ItemInventoryAssembly", 100),
}
TXN_SEEDS: dict[str, tuple[str, int]] = {
    "get_orders": ("SalesOrder", 250),
    "get_invoices": ("Invoice", 250),
    "get_salesreceipts": ("SalesReceipt", 200),
    "get_purchaseorders": ("PurchaseOrder", 200),
    "get_creditmemos": ("CreditMemo", 150),
    "get_payments": ("ReceivePayment", 150),
}
ROUTE_KIND = {
    **{route: kind for route, (kind, _n) in LIST_SEEDS.items()},
    **{route: kind for route, (kind, _n) in TXN_SEEDS.items()},
    "get_inventoryproducts": "ItemInventory",
}


PREFIX = {
    "Customer": "Cust",
    "Vendor": "Vend",
    "ItemInventory": "Inv",
    "ItemNonInventory": "NonInv",
    "ItemService": "Svc",
    "ItemDiscount": "Disc",
    "ItemSalesTax": "Tax",
    "ItemOtherCharge": "Chg",
    "ItemInventoryAssembly": "Asm",
}


def list_fields(kind: str, n: int) -> dict[str, Any]:
    name = f"{PREFIX[kind]}-{n:05d}"
    if kind == "Customer":
        return {"Name": name, "Email": f"c{n}@example.test", "Phone": "555-0100"}
    if kind == "Vendor":
        return {"Name": name, "CompanyName": f"Vendor {n}"}
    if kind in ("ItemInventory", "ItemInventoryAssembly"):
        return {
            "Name": name,
            "SalesPrice": "10.00",
            "IncomeAccountRef": "Sales",
            "COGSAccountRef": "Cost of Goods Sold",
            "AssetAccountRef": "Inventory Asset",
        }
    if kind == "ItemDiscount":
        return {"Name": name, "DiscountRate": "5.00", "AccountRef": "Discounts Given"}
    if kind == "ItemSalesTax":
        return {"Name": name, "TaxRate": "1.5", "TaxVendorRef": "State Board of Equalization"}
    return {"Name": name, "SalesOrPurchase": {"Price": "3.00", "AccountRef": "Sales"}}


def txn_fields(kind: str, n: int) -> dict[str, Any]:
    ref = f"{kind[:2]}{n:05d}"
    line = {"ItemRef": "Widget", "Quantity": "2", "Rate": "4.50"}
    if kind == "PurchaseOrder":
        return {"VendorRef": "Acme Supply", "RefNumber": ref, "PurchaseOrderLineAdd": [line]}
    if kind == "ReceivePayment":
        return {"CustomerRef": "Buyer", "RefNumber": ref, "TotalAmount": "1.00"}
    return {"CustomerRef": "Buyer", "RefNumber": ref, f"{kind}LineAdd": [line]}


def record_id(route: str, ret: etree._Element) -> str:
    """The `id` FlowLink gets for a simulator record (flowlink §9)."""
    kind = POLL_KINDS[route]
    if not kind.is_txn:
        if route in ("get_customers", "get_vendors"):
            return ret.findtext("ListID") or ""
        return ret.findtext("Name") or ""
    if route == "get_creditmemos":
        return ret.findtext("TxnID") or ""
    return ret.findtext("RefNumber") or ret.findtext("TxnID") or ""


class DuringPull:
    """The company, with a change made after the n-th poll message was answered."""

    def __init__(self, quickbooks: FakeQuickBooks, after: int, change: Callable[[], None]) -> None:
        self.quickbooks = quickbooks
        self.after = after
        self.change = change
        self.polls = 0

    def process(self, request_xml: str) -> tuple[str, str, str]:
        answer = self.quickbooks.process(request_xml)
        if 'iterator="' in request_xml:
            self.polls += 1
            if self.polls == self.after:
                self.change()
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.quickbooks, name)


class PullsEndToEndTestCase(LiveTestCase):
    def get(self, route: str, request_id: str, **params: Any) -> tuple[int, Any]:
        return self.post(route, {"request_id": request_id, "parameters": params})

    def drain(self, route: str, prefix: str, **params: Any) -> list[dict[str, Any]]:
        """Call a get_* route until it answers 200; return every record handed out."""
        key = POLL_KINDS[route].response_key
        records: list[dict[str, Any]] = []
        for number in range(1000):
            status, body = self.get(route, f"{prefix}-{route}-{number}", page_size=400, **params)
            records.extend(body.get(key, []))
            if status == 200:
                return records
            self.assertEqual(status, 206)
        raise AssertionError(f"{route} never reached the end")

    def drain_all(self, prefix: str) -> dict[str, list[dict[str, Any]]]:
        return {route: self.drain(route, prefix) for route in ROUTE_KIND}

    def seed(self) -> None:
        qb = self.quickbooks
        qb.add_record("Customer", Name="Buyer")
        qb.add_record("Vendor", Name="Acme Supply")
        qb.add_record(
            "ItemInventory", Name="Widget", IncomeAccountRef="Sales",
            COGSAccountRef="Cost of Goods Sold", AssetAccountRef="Inventory Asset",
            QuantityOnHand="100000",
        )  # fmt: skip
        for kind, count in LIST_SEEDS.values():
            qb.add_records(kind, count, functools.partial(list_fields, kind))
        for kind, count in TXN_SEEDS.values():
            qb.add_records(kind, count, functools.partial(txn_fields, kind))

    def expected(self, route: str) -> set[str]:
        return {record_id(route, ret) for ret in self.quickbooks.records(ROUTE_KIND[route])}

    def assert_once(self, records: list[dict[str, Any]]) -> None:
        counts = Counter(r["id"] for r in records)
        self.assertEqual([i for i, c in counts.items() if c > 1], [])

    def test_it_pulls_every_type_completely_and_incrementally(self) -> None:
        self.seed()
        qb = self.quickbooks
        for route in ROUTE_KIND:
            status, body = self.get(route, f"register-{route}")
            self.assertEqual(status, 200)
            self.assertEqual(body, {"request_id": f"register-{route}",
                                    "parameters": {"quickbooks_force_config": False}})  # fmt: skip

        # Run 1: everything, each record once, in the spec's shape.
        result = self.run_webconnector()
        self.assertTrue(result.completed, result.transcript())
        first = self.drain_all("run1")
        for route, records in first.items():
            with self.subTest(route=route):
                self.assert_once(records)
                self.assertEqual({r["id"] for r in records}, self.expected(route))
        customer = next(r for r in first["get_customers"] if r["name"] == "Cust-00007")
        self.assertEqual(customer["key"], ["qbe_id", "external_guid"])
        self.assertEqual(customer["email"], "c7@example.test")
        self.assertEqual(customer["id"], customer["qbe_id"])
        invoice = next(r for r in first["get_invoices"] if r["id"] == "In00003")
        self.assertEqual(invoice["line_items"][0]["product_id"], "Widget")
        self.assertEqual(invoice["line_items"][0]["quantity"], "2")
        self.assertEqual(invoice["customer"]["name"], "Buyer")
        self.assertEqual(
            {r["qbe_item_type"] for r in first["get_inventoryassemblyproducts"]},
            {"inventory_assembly"},
        )

        # Nothing changed: a second run hands out nothing again.
        self.run_webconnector()
        self.assertEqual({r: v for r, v in self.drain_all("idle").items() if v}, {})

        # Between runs: modify, deactivate, delete, add.
        for n in range(0, 1000, 10):
            qb.modify_record("Customer", f"Cust-{n:05d}", Phone="555-0199")
        qb.modify_record("Customer", "Cust-00003", IsActive="false")
        qb.delete_record("Customer", "Cust-00004")
        qb.delete_record("ItemService", "Svc-00009")
        qb.modify_record("ItemNonInventory", "NonInv-00001", IsActive="false")
        qb.modify_record("Invoice", "In00005", Memo="changed")
        qb.delete_record("SalesOrder", "Sa00006")
        qb.add_records("Customer", 50, lambda n: {"Name": f"Late-{n:03d}"})
        self.run_webconnector()
        second = self.drain_all("run2")
        customers = {r["id"]: r for r in second["get_customers"]}
        self.assert_once(second["get_customers"])
        self.assertEqual(len(customers), 100 + 1 + 1 + 50)  # modified, inactive, deleted, new
        phones = {
            r["phone"]
            for r in customers.values()
            if r.get("name", "").startswith("Cust-") and r.get("name") != "Cust-00003"
        }
        self.assertEqual(phones, {"555-0199"})
        inactive = next(r for r in customers.values() if r.get("name") == "Cust-00003")
        self.assertIs(inactive["is_active"], False)
        gone = [r for r in customers.values() if r.get("is_deleted")]
        self.assertEqual(len(gone), 1)
        self.assertEqual(gone[0]["full_name"], "Cust-00004")
        self.assertEqual(gone[0]["key"], ["qbe_id", "external_guid"])
        self.assertEqual(
            [(r["id"], r.get("is_deleted")) for r in second["get_serviceproducts"]],
            [("Svc-00009", True)],
        )
        self.assertEqual(
            [(r["id"], r["is_active"]) for r in second["get_noninventoryproducts"]],
            [("NonInv-00001", False)],
        )
        self.assertEqual([(r["id"], r["memo"]) for r in second["get_invoices"]],
                         [("In00005", "changed")])  # fmt: skip
        self.assertEqual([(r["id"], r["is_deleted"]) for r in second["get_orders"]],
                         [("Sa00006", True)])  # fmt: skip
        self.assertEqual(second["get_vendors"], [])

        # During a pull: records change after the first poll page was answered. The
        # ones already read come again in the next run (newer version); none is lost.
        def change() -> None:
            for n in range(0, 300, 3):
                qb.modify_record("Customer", f"Cust-{n + 2:05d}", Fax="555-0111")

        for n in range(1000, 1400):
            qb.add_record("Customer", **list_fields("Customer", n))
        self.run_webconnector(quickbooks=DuringPull(qb, after=1, change=change))
        self.run_webconnector()
        third = self.drain_all("run3")
        customers = {r["id"]: r for r in third["get_customers"]}
        self.assert_once(third["get_customers"])
        faxed = {r["name"] for r in customers.values() if r.get("fax") == "555-0111"}
        self.assertEqual(faxed, {f"Cust-{n + 2:05d}" for n in range(0, 300, 3)})
        new = {r["name"] for r in customers.values()}
        self.assertTrue({f"Cust-{n:05d}" for n in range(1000, 1400)} <= new)


class EndSessionAfter(DuringPull):
    """QuickBooks loses its iterators (a new QuickBooks session) after the n-th poll."""

    def __init__(self, quickbooks: Any, after: int) -> None:
        super().__init__(quickbooks, after, quickbooks.new_session)


class PullsInterruptedTestCase(LiveTestCase):
    def drain(self, route: str, prefix: str) -> list[dict[str, Any]]:
        return PullsEndToEndTestCase.drain(self, route, prefix)  # type: ignore[arg-type]

    def get(self, route: str, request_id: str, **params: Any) -> tuple[int, Any]:
        return self.post(route, {"request_id": request_id, "parameters": params})

    def seed_customers(self, count: int) -> set[str]:
        self.quickbooks.add_records("Customer", count, lambda n: list_fields("Customer", n))
        return {r.findtext("ListID") or "" for r in self.quickbooks.records("Customer")}

    def test_it_restarts_an_iteration_the_session_did_not_finish(self) -> None:
        expected = self.seed_customers(900)
        self.get("get_customers", "r0")
        with self.settings(QBWC_MAX_ROUND_TRIPS=3, PULL_MAX_ROUND_TRIPS=0):
            self.run_webconnector()  # stops after 3 pages of 100
        self.assertIsNone(PollConfig.objects.get(route="get_customers").cursor)
        early = self.drain("get_customers", "a")
        self.assertEqual(len(early), 300)
        self.run_webconnector()
        late = self.drain("get_customers", "b")
        ids = [r["id"] for r in early + late]
        self.assertEqual(sorted(ids), sorted(expected))  # each once: re-read pages deduplicated
        self.assertIsNotNone(PollConfig.objects.get(route="get_customers").cursor)

    def test_it_gives_polls_round_trips_beyond_the_write_limit(self) -> None:
        expected = self.seed_customers(900)
        self.get("get_customers", "r0")
        with self.settings(QBWC_MAX_ROUND_TRIPS=2):
            self.run_webconnector()
        self.assertIsNotNone(PollConfig.objects.get(route="get_customers").cursor)
        self.assertEqual({r["id"] for r in self.drain("get_customers", "a")}, expected)

    def test_it_restarts_after_quickbooks_forgets_the_iterator(self) -> None:
        expected = self.seed_customers(450)
        self.get("get_customers", "r0")
        result = self.run_webconnector(quickbooks=EndSessionAfter(self.quickbooks, after=2))
        self.assertTrue(result.completed, result.transcript())
        self.assertTrue(Message.objects.filter(response_xml__contains='statusCode="3391"').exists())
        records = self.drain("get_customers", "a")
        self.assertEqual(sorted(r["id"] for r in records), sorted(expected))

    def test_it_lets_one_failing_poll_block_neither_others_nor_writes(self) -> None:
        expected = self.seed_customers(30)
        self.quickbooks.inject_status("VendorQueryRq", 3250, "This feature is not enabled.")
        self.get("get_vendors", "r0")
        self.get("get_customers", "r1")
        self.post("add_customers", {"request_id": "add-1", "parameters": {},
                                    "customer": {"id": "new-1", "firstname": "Ann",
                                                 "lastname": "Lee", "name": "Ann Lee"}})  # fmt: skip
        self.run_webconnector()
        self.assertIsNotNone(self.quickbooks.find("Customer", "Ann Lee"))
        config = PollConfig.objects.get(route="get_vendors")
        self.assertIn("3250", config.last_error)
        self.assertIsNotNone(config.next_poll_at)  # tried again later, from the same cursor
        records = self.drain("get_customers", "a")
        # The write landed before the poll, so the new customer is pulled too.
        self.assertEqual({r["id"] for r in records},
                         expected | {self.quickbooks.find("Customer", "Ann Lee").findtext("ListID")})  # fmt: skip

    def test_it_pulls_item_site_quantities_for_the_requested_site(self) -> None:
        qb = self.quickbooks
        qb.add_record("InventorySite", Name="Main")
        qb.add_record("InventorySite", Name="Annex")
        for n in range(120):
            fields = list_fields("ItemInventory", n)
            qb.add_record("ItemInventory", **fields)
            qb.set_site_quantity(fields["Name"], "Main", str(n))
            qb.set_site_quantity(fields["Name"], "Annex", "1")
        self.get("get_inventorywithsites", "r0", quickbooks_site="Main")
        self.run_webconnector()
        records = self.drain("get_inventorywithsites", "a")
        self.assertEqual(len(records), 120)
        self.assertEqual({r["inventory_site"] for r in records}, {"Main"})
        first = next(r for r in records if r["id"] == "Inv-00007-site-Main")
        self.assertEqual(
            (first["quantity_on_hand"], first["qbe_item_type"]), ("7", "qbe_inventory")
        )


class InventoryPullTestCase(LiveTestCase):
    def drain(self, route: str, prefix: str) -> list[dict[str, Any]]:
        return PullsEndToEndTestCase.drain(self, route, prefix)  # type: ignore[arg-type]

    def get(self, route: str, request_id: str, **params: Any) -> tuple[int, Any]:
        return self.post(route, {"request_id": request_id, "parameters": params})

    def test_it_hands_out_quantities_moved_by_transactions(self) -> None:
        qb = self.quickbooks
        qb.add_record("Customer", Name="Buyer")
        qb.add_record("Vendor", Name="Acme Supply")
        qb.add_record("ItemService", Name="Labour",
                      SalesOrPurchase={"Price": "5.00", "AccountRef": "Sales"})  # fmt: skip
        for n in range(250):
            qb.add_record("ItemInventory", QuantityOnHand="50", **list_fields("ItemInventory", n))
        for n in range(20):
            qb.add_record("ItemInventoryAssembly", **list_fields("ItemInventoryAssembly", n))
        self.get("get_inventories", "r0")
        self.run_webconnector()
        first = {r["id"]: r for r in self.drain("get_inventories", "a")}
        self.assertEqual(len(first), 270)
        self.assertEqual(first["Inv-00007"]["quantity"], "50")
        self.assertEqual(set(first["Inv-00007"]), {"id", "sku", "product_id", "quantity",
                                                   "grabbed_at", "fullname"})  # fmt: skip

        # The items' own TimeModified does not move: only the transactions name them.
        for n in range(0, 150, 3):
            qb.add_record("Invoice", CustomerRef="Buyer", InvoiceLineAdd=[
                {"ItemRef": f"Inv-{n:05d}", "Quantity": "2", "Rate": "1.00"},
                {"ItemRef": "Labour", "Quantity": "1"}])  # fmt: skip
        qb.add_record("Bill", VendorRef="Acme Supply", ItemLineAdd=[
            {"ItemRef": "Inv-00200", "Quantity": "10", "Cost": "1.00"}])  # fmt: skip
        self.run_webconnector()
        second = {r["id"]: r for r in self.drain("get_inventories", "b")}
        expected = {f"Inv-{n:05d}": "48" for n in range(0, 150, 3)} | {"Inv-00200": "60"}
        self.assertEqual({k: r["quantity"] for k, r in second.items()}, expected)

        self.run_webconnector()
        self.assertEqual(self.drain("get_inventories", "c"), [])
