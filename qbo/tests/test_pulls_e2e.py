"""get_* end to end for a QuickBooks Online connection: FlowLink's calls over HTTP into
qbsync, the change feed over HTTP into the double, nothing of qbsync faked.

A company of a few thousand records of every pulled type is handed out completely, each
record once; then edits, deactivations and deletions made in QuickBooks are handed out
again, each once, and routes QBO cannot serve are refused.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from objects.types.pulls import pull_route
from qbo.client import QboClient
from qbo.feed import FeedSummary, nudge, run_feed
from qbo.tests.live import QboLiveTestCase

# route: how many records of it the company starts with
SEEDS = {
    "get_customers": 1200,
    "get_vendors": 250,
    "get_products": 200,
    "get_noninventoryproducts": 150,
    "get_serviceproducts": 150,
    "get_invoices": 400,
    "get_salesreceipts": 200,
    "get_orders": 150,
    "get_creditmemos": 120,
    "get_payments": 120,
    "get_purchaseorders": 120,
}
ROUTES = [*SEEDS, "get_inventoryproducts", "get_inventories"]


class QboPullsEndToEndTestCase(QboLiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.accounts = {a["Name"]: a["Id"] for a in self.qbo.entities(self.realm, "Account")}

    # -- FlowLink's side -----------------------------------------------------------------
    def get(self, route: str, request_id: str, **params: Any) -> tuple[int, Any]:
        return self.post(route, {"request_id": request_id, "parameters": params})

    def drain(self, route: str, prefix: str) -> list[dict[str, Any]]:
        """Call a get_* route until it answers 200; return every record handed out."""
        key = pull_route(route).response_key
        records: list[dict[str, Any]] = []
        for number in range(1000):
            status, body = self.get(route, f"{prefix}-{route}-{number}", page_size=300)
            records.extend(body.get(key, []))
            if status == 200:
                return records
            self.assertEqual(status, 206, body)
        raise AssertionError(f"{route} never reached the end")

    def drain_all(self, prefix: str) -> dict[str, list[dict[str, Any]]]:
        return {route: self.drain(route, prefix) for route in ROUTES}

    def feed(self) -> FeedSummary:
        nudge(self.connection)
        with QboClient(self.company, sleep=self.sleeps.append) as client:
            summary = run_feed(self.connection, client, self.clock.now())
        self.assertEqual(summary.error, "")
        return summary

    # -- the company ---------------------------------------------------------------------
    def add(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.qbo.seed(self.realm, entity, body)

    def item(self, name: str, kind: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "Name": name,
            "Type": kind,
            "UnitPrice": 10,
            "IncomeAccountRef": {"value": self.accounts["Sales of Product Income"]},
        }
        if kind == "Inventory":
            body.update(
                ExpenseAccountRef={"value": self.accounts["Cost of Goods Sold"]},
                AssetAccountRef={"value": self.accounts["Inventory Asset"]},
                TrackQtyOnHand=True,
                QtyOnHand=100000,
                InvStartDate="2026-01-01",
            )
        return self.add("Item", body)

    def seed_company(self) -> None:
        """Records spread over many seconds, as a real company's are, some sharing one."""
        count = 0

        def tick() -> None:
            nonlocal count
            count += 1
            if count % 7 == 0:
                self.clock.advance(1)

        customers = []
        for n in range(SEEDS["get_customers"]):
            customers.append(self.add("Customer", {"DisplayName": f"Cust-{n:05d}"}))
            tick()
        vendors = []
        for n in range(SEEDS["get_vendors"]):
            vendors.append(self.add("Vendor", {"DisplayName": f"Vend-{n:05d}"}))
            tick()
        kinds = {
            "get_products": ("Inventory", "Inv"),
            "get_noninventoryproducts": ("NonInventory", "NonInv"),
            "get_serviceproducts": ("Service", "Svc"),
        }
        items = []
        for route, (kind, prefix) in kinds.items():
            for n in range(SEEDS[route]):
                items.append(self.item(f"{prefix}-{n:05d}", kind))
                tick()
        widget = items[0]

        def line(qty: int = 2) -> dict[str, Any]:
            return {
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": widget["Id"]}, "Qty": qty},
                "Amount": 10 * qty,
            }

        documents = {
            "get_invoices": ("Invoice", "In"),
            "get_salesreceipts": ("SalesReceipt", "SR"),
            "get_orders": ("Estimate", "Est"),
            "get_creditmemos": ("CreditMemo", "CM"),
        }
        for route, (entity, prefix) in documents.items():
            for n in range(SEEDS[route]):
                customer = customers[n % len(customers)]
                self.add(
                    entity,
                    {
                        "DocNumber": f"{prefix}{n:05d}",
                        "CustomerRef": {"value": customer["Id"]},
                        "Line": [line()],
                    },
                )
                tick()
        for n in range(SEEDS["get_payments"]):
            self.add(
                "Payment",
                {
                    "CustomerRef": {"value": customers[n]["Id"]},
                    "TotalAmt": 5,
                    "PaymentRefNum": f"P{n:05d}",
                },
            )
            tick()
        for n in range(SEEDS["get_purchaseorders"]):
            self.add(
                "PurchaseOrder",
                {
                    "DocNumber": f"PO{n:05d}",
                    "VendorRef": {"value": vendors[n % len(vendors)]["Id"]},
                    "Line": [
                        {
                            "DetailType": "ItemBasedExpenseLineDetail",
                            "Amount": 20,
                            "ItemBasedExpenseLineDetail": {
                                "ItemRef": {"value": widget["Id"]},
                                "Qty": 2,
                                "UnitPrice": 10,
                            },
                        }
                    ],
                },
            )
            tick()

    def edit(self, entity: str, qb_id: str, **fields: Any) -> None:
        company = self.qbo.company(self.realm)
        with company.lock:
            current = company.records[entity][qb_id]
            company.update(
                entity, {"Id": qb_id, "SyncToken": current["SyncToken"], "sparse": True, **fields}
            )

    def remove(self, entity: str, qb_id: str) -> None:
        company = self.qbo.company(self.realm)
        with company.lock:
            current = company.records[entity][qb_id]
            company.delete(entity, {"Id": qb_id, "SyncToken": current["SyncToken"]})

    def one(self, entity: str, **match: Any) -> dict[str, Any]:
        company = self.qbo.company(self.realm)
        with company.lock:
            found = [
                r
                for r in company.records[entity].values()
                if all(r.get(k) == v for k, v in match.items())
            ]
        self.assertEqual(len(found), 1, match)
        return found[0]

    def assert_once(self, records: list[dict[str, Any]]) -> None:
        counts = Counter(r["id"] for r in records)
        self.assertEqual([i for i, c in counts.items() if c > 1], [])

    # -- the tests -----------------------------------------------------------------------
    def test_it_hands_out_a_whole_company_then_each_change_once(self) -> None:
        self.seed_company()
        for route in ROUTES:
            status, body = self.get(route, f"register-{route}")
            self.assertEqual(status, 200, body)
            self.assertEqual(
                body,
                {
                    "request_id": f"register-{route}",
                    "parameters": {"quickbooks_force_config": False},
                },
            )

        # The first run: every record once, in the Desktop shapes.
        self.feed()
        first = self.drain_all("run1")
        for route, count in SEEDS.items():
            with self.subTest(route=route):
                self.assert_once(first[route])
                self.assertEqual(len(first[route]), count)
        self.assertEqual(
            {r["id"] for r in first["get_inventoryproducts"]},
            {r["id"] for r in first["get_products"]},
        )
        self.assertEqual(len(first["get_inventories"]), SEEDS["get_products"])
        invoice = next(r for r in first["get_invoices"] if r["id"] == "In00003")
        self.assertEqual(invoice["line_items"][0]["product_id"], "Inv-00000")
        self.assertEqual(invoice["line_items"][0]["quantity"], "2")
        self.assertEqual(invoice["customer"]["name"], "Cust-00003")
        customer = next(r for r in first["get_customers"] if r["name"] == "Cust-00007")
        self.assertEqual(
            (customer["id"], customer["key"]), (customer["qbe_id"], ["qbe_id", "external_guid"])
        )

        # Nothing changed: the next run hands out nothing (the overlap is de-duplicated).
        self.clock.advance(600)
        self.feed()
        self.assertEqual({r: v for r, v in self.drain_all("idle").items() if v}, {})

        # Changes made in QuickBooks: each handed out once, newest version.
        self.clock.advance(600)
        cust_7 = self.one("Customer", DisplayName="Cust-00007")
        self.edit("Customer", cust_7["Id"], Notes="first edit")
        self.clock.advance(5)
        self.edit("Customer", cust_7["Id"], Notes="second edit")
        cust_9 = self.one("Customer", DisplayName="Cust-00009")
        self.edit("Customer", cust_9["Id"], Active=False)
        svc = self.one("Item", Name="Svc-00004")
        self.edit("Item", svc["Id"], Active=False)
        gone = self.one("Invoice", DocNumber="In00011")
        self.remove("Invoice", gone["Id"])
        self.edit("Invoice", self.one("Invoice", DocNumber="In00012")["Id"], PrivateNote="late")
        self.remove("Estimate", self.one("Estimate", DocNumber="Est00001")["Id"])
        self.add("Vendor", {"DisplayName": "Vend-new"})
        self.clock.advance(5)
        self.feed()
        second = self.drain_all("run2")
        self.assertEqual(
            sorted((r["name"], r.get("notes"), r["is_active"]) for r in second["get_customers"]),
            [("Cust-00007", "second edit", True), ("Cust-00009", None, False)],
        )
        self.assertEqual(
            [(r["id"], r["is_active"]) for r in second["get_serviceproducts"]],
            [("Svc-00004", False)],
        )
        self.assertEqual(
            sorted((r["id"], r.get("is_deleted", False)) for r in second["get_invoices"]),
            [("In00011", True), ("In00012", False)],
        )
        tombstone = next(r for r in second["get_invoices"] if r["id"] == "In00011")
        self.assertEqual(tombstone["qbe_id"], gone["Id"])
        self.assertEqual(
            [(r["id"], r.get("is_deleted")) for r in second["get_orders"]], [("Est00001", True)]
        )
        self.assertEqual([r["name"] for r in second["get_vendors"]], ["Vend-new"])
        untouched = {"get_products", "get_inventoryproducts", "get_noninventoryproducts"}
        self.assertEqual({r: v for r, v in second.items() if r in untouched and v}, {})
        # The invoice moved the widget's quantity; get_inventories sees it.
        self.assertEqual(
            [(r["id"], r["quantity"]) for r in second["get_inventories"]],
            [
                (
                    "Inv-00000",
                    str(
                        100000
                        - 2 * (SEEDS["get_invoices"] + SEEDS["get_salesreceipts"] - 1)
                        + 2 * SEEDS["get_creditmemos"]
                    ),
                )
            ],
        )

    def test_it_replays_a_page_for_the_same_request_id(self) -> None:
        for n in range(30):
            self.add("Customer", {"DisplayName": f"Cust-{n:05d}"})
        self.get("get_customers", "register")
        self.feed()
        status, page = self.get("get_customers", "page-1", page_size=20)
        self.assertEqual((status, len(page["customers"])), (206, 20))
        self.assertEqual(page["summary"], "Received customers records from quickbooks")
        again_status, again = self.get("get_customers", "page-1", page_size=20)
        self.assertEqual((again_status, again["customers"]), (206, page["customers"]))
        status, rest = self.get("get_customers", "page-2", page_size=20)
        self.assertEqual((status, len(rest["customers"])), (200, 10))
        self.assertEqual(
            rest["parameters"]["quickbooks_since"][:19],
            page["parameters"]["quickbooks_since"][:19],
        )

    def test_it_hands_out_only_the_whitelisted_fields(self) -> None:
        self.add("Customer", {"DisplayName": "Amy", "PrimaryEmailAddr": {"Address": "a@x.test"}})
        self.get("get_customers", "register")
        self.feed()
        status, body = self.get("get_customers", "w-1", fields_whitelist="email,qbo_sync_token")
        self.assertEqual(status, 200)
        [record] = body["customers"]
        self.assertEqual(record, {"id": record["id"], "email": "a@x.test", "qbo_sync_token": "0"})

    def test_it_refuses_a_route_quickbooks_online_cannot_serve(self) -> None:
        for route in (
            "get_discountproducts",
            "get_salestaxproducts",
            "get_otherchargeproducts",
            "get_inventoryassemblyproducts",
            "get_inventorywithsites",
        ):
            with self.subTest(route=route):
                status, body = self.get(route, f"refused-{route}")
                self.assertEqual(status, 400, body)
                self.assertIn(
                    f"{route}: not available for a Quickbooks Online connection", str(body)
                )
        self.assertFalse(self.connection.poll_configs.exists())
