"""Transaction mappers against the QBO double over real HTTP: the bodies QBO accepts.

`Pushing.push` walks the mapper contract (qbo.mappers.base) the way the push pass does:
lookup, read_lookup, write_kind, then create/update/delete/void, resolving each `Ref` by
a query. Pure body tests are in test_mappers_tx_bodies.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from objects.types.base import ObjectView
from qbo.mappers import mapper_for
from qbo.mappers.base import CREATE, DELETE, UPDATE, VOID, Found, QboMapper, Ref, q
from qbo.tests.helpers import DoubleTestCase

SHIPPING_PARAMS = {
    "quickbooks_shipping_item": "Shipping",
    "quickbooks_discount_item": "Discount",
    "quickbooks_tax_item": "Tax",
}


def encoded(body: Any) -> bytes:
    """JSON as the client sends it: Decimals as JSON numbers."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(f"{value!r} left unresolved in a body")

    return json.dumps(body, default=default).encode()


class Pushing(DoubleTestCase):
    """A double with a customer, items and the mapper contract driven by hand."""

    def setUp(self) -> None:
        super().setUp()
        self.customer = self.create("Customer", {"DisplayName": "Jo O'Neil"})
        self.tee = self.make_item("TEE", "Inventory", QtyOnHand=20)
        self.mug = self.make_item("MUG")
        self.shipping = self.make_item("Shipping")

    # -- the contract, driven like the push pass ------------------------------------
    def resolve(self, body: Any, key: str = "") -> Any:
        if isinstance(body, Ref):
            found = self.found(f"SELECT * FROM {body.entity} WHERE {body.field} = {q(body.value)}")
            records = found.get(body.entity) or []
            self.assertEqual(len(records), 1, f"{body} matched {records}")
            resolved = body.as_json(str(records[0]["Id"]))
            # LinkedTxn names a transaction by its bare Id.
            return resolved["value"] if key == "TxnId" else resolved
        if isinstance(body, dict):
            return {k: self.resolve(v, k) for k, v in body.items()}
        if isinstance(body, list):
            return [self.resolve(v, key) for v in body]
        return body

    def post(self, entity: str, body: Any, **params: str) -> dict[str, Any]:
        answer = self.call("POST", entity.lower(), encoded(self.resolve(body)), params)
        self.assertEqual(answer.status, 200, answer.raw)
        record: dict[str, Any] = answer.body[entity]
        return record

    def look(self, mapper: QboMapper, view: ObjectView) -> ObjectView:
        """Lookup and read_lookup: the view as the state machine keeps it afterwards."""
        lookup = mapper.lookup(view)
        if lookup.qb_id:
            answer = self.call("GET", f"{lookup.entity.lower()}/{lookup.qb_id}")
            records = [answer.body[lookup.entity]] if answer.status == 200 else []
        else:
            records = self.found(lookup.statement).get(lookup.entity, [])
        found = mapper.read_lookup(view, records)
        self.assertEqual(found.conflict, "")
        return self.remember(view, found) if found.found else replace(view, qb_id="")

    def remember(self, view: ObjectView, found: Found) -> ObjectView:
        return replace(
            view,
            qb_id=found.qb_id,
            edit_sequence=found.sync_token,
            qb_state={**view.qb_state, **found.details},
        )

    def push(self, mapper: QboMapper, view: ObjectView) -> tuple[str | None, ObjectView]:
        """One pass: what was written (None: nothing) and the view with what it learnt."""
        view = self.look(mapper, view)
        kind = mapper.write_kind(view)
        entity = mapper.entity_for(view)
        if kind is None:
            return None, view
        if kind == CREATE:
            record = self.post(entity, mapper.create(view))
        else:
            current = self.call("GET", f"{entity.lower()}/{view.qb_id}").body[entity]
            if kind == UPDATE:
                record = self.post(entity, mapper.update(view, current))
            elif kind == DELETE:
                self.post(entity, mapper.delete(view, current), operation="delete")
                return kind, view
            else:
                assert kind == VOID
                params = (
                    {"operation": "void"}
                    if entity == "Invoice"
                    else {"operation": "update", "include": "void"}
                )
                record = self.post(entity, mapper.delete(view, current), **params)
        return kind, self.remember(view, mapper.read_write(entity, record))

    def view(
        self,
        object_type: str,
        payload: dict[str, Any],
        params: dict[str, Any] | None = None,
        **dependency_ids: str,
    ) -> ObjectView:
        view = mapper_for(object_type).view(payload, params or {})
        view.dependency_ids = dict(dependency_ids)
        return view

    def written(self, object_type: str, view: ObjectView) -> tuple[str, dict[str, Any]]:
        kind, view = self.push(mapper_for(object_type), view)
        self.assertIsNotNone(kind)
        entity = mapper_for(object_type).entity_for(view)
        return view.qb_id, self.stored(entity, view.qb_id)

    def order(self, **fields: Any) -> dict[str, Any]:
        return {
            "id": "R1001",
            "customer": {"name": "Jo O'Neil"},
            "placed_on": "2026-03-01T10:00:00Z",
            "billing_address": {"address1": "1 Main St", "city": "Reno", "zipcode": "89501"},
            "shipping_address": {"address1": "9 Dock Rd", "city": "Reno", "state": "NV"},
            "line_items": [
                {"product_id": "TEE", "name": "Tee", "quantity": 3, "price": "7.255"},
                {"product_id": "MUG", "quantity": 2, "price": 4.5},
            ],
            **fields,
        }

    def ids(self) -> dict[str, str]:
        return {
            "customers:Jo O'Neil": self.customer["Id"],
            "products:TEE": self.tee["Id"],
            "products:MUG": self.mug["Id"],
        }


class OrderTestCase(Pushing):
    def test_it_writes_an_order_as_a_sales_receipt_on_the_dependencies_ids(self) -> None:
        view = self.view(
            "orders",
            self.order(
                adjustments=[
                    {"name": "shipping", "value": 5},
                    {"name": "discount", "value": 2},
                    {"name": "tax", "value": "1.50"},
                ]
            ),
            SHIPPING_PARAMS,
            **self.ids(),
            **{"products:Shipping": self.shipping["Id"]},
        )
        qb_id, receipt = self.written("orders", view)
        self.assertEqual(self.qbo.entities(self.realm, "SalesReceipt")[0]["Id"], qb_id)
        lines = [(line["DetailType"], line["Amount"]) for line in receipt["Line"]]
        self.assertEqual(
            lines,
            [
                ("SalesItemLineDetail", Decimal("21.77")),  # 3 × 7.255 = 21.765, half-up
                ("SalesItemLineDetail", Decimal("9.00")),
                ("SalesItemLineDetail", Decimal("5.00")),
                ("DiscountLineDetail", Decimal("2.00")),
                ("SubTotalLineDetail", Decimal("35.77")),
            ],
        )
        self.assertEqual(receipt["TotalAmt"], Decimal("35.27"))  # 35.77 − 2 + 1.50
        self.assertEqual(receipt["TxnTaxDetail"]["TotalTax"], Decimal("1.50"))
        self.assertEqual(receipt["CustomerRef"]["value"], self.customer["Id"])
        items = [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in receipt["Line"][:3]]
        self.assertEqual(items, [self.tee["Id"], self.mug["Id"], self.shipping["Id"]])
        self.assertEqual(
            (receipt["DocNumber"], receipt["TxnDate"], receipt["PrivateNote"]),
            ("R1001", "2026-03-01", "FlowLink id: R1001"),
        )
        self.assertEqual(
            receipt["BillAddr"], {"Line1": "1 Main St", "City": "Reno", "PostalCode": "89501"}
        )
        self.assertEqual(receipt["ShipAddr"]["CountrySubDivisionCode"], "NV")
        # The inventory item sold three.
        self.assertEqual(self.call("GET", f"item/{self.tee['Id']}").body["Item"]["QtyOnHand"], 17)

    def test_it_writes_an_order_as_an_invoice_by_names_and_updates_its_lines(self) -> None:
        params = {"qbo_order_as": "invoice"}
        _, view = self.push(mapper_for("orders"), self.view("orders", self.order(), params))
        self.assertEqual(view.qb_state["entity"], "Invoice")
        invoice = self.stored("Invoice", view.qb_id)
        self.assertEqual(invoice["TotalAmt"], Decimal("30.77"))
        self.assertEqual(invoice["CustomerRef"]["value"], self.customer["Id"])
        changed = self.order(line_items=[{"product_id": "MUG", "quantity": 1, "price": 4.5}])
        # The parameter changed since: the order stays the invoice it was written as.
        later = replace(view, payload=changed, params={"qbo_order_as": "estimate"}, qb_id="")
        kind, later = self.push(mapper_for("orders"), later)
        self.assertEqual((kind, later.qb_id), (UPDATE, view.qb_id))
        updated = self.stored("Invoice", view.qb_id)
        self.assertEqual(updated["SyncToken"], "1")
        self.assertEqual([line["Amount"] for line in updated["Line"]], [Decimal("4.50")] * 2)
        self.assertEqual(updated["TotalAmt"], Decimal("4.50"))

    def test_it_finds_its_order_by_doc_number(self) -> None:
        params = {"qbo_order_as": "invoice"}
        _, first = self.push(mapper_for("orders"), self.view("orders", self.order(), params))
        again = self.view("orders", self.order(), params)
        self.assertEqual(self.look(mapper_for("orders"), again).qb_id, first.qb_id)

    def test_it_adopts_a_lone_document_written_before_qbsync(self) -> None:
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 1,
            "SalesItemLineDetail": {"ItemRef": {"value": self.mug["Id"]}},
        }
        old = self.create(
            "SalesReceipt",
            {"DocNumber": "R1001", "CustomerRef": {"value": self.customer["Id"]}, "Line": [line]},
        )
        kind, view = self.push(mapper_for("orders"), self.view("orders", self.order()))
        self.assertEqual((kind, view.qb_id), (UPDATE, old["Id"]))
        self.assertEqual(
            self.stored("SalesReceipt", old["Id"])["PrivateNote"], "FlowLink id: R1001"
        )

    def test_it_refuses_a_doc_number_another_flowlink_id_wrote(self) -> None:
        # "xR1001…" is 22 characters: its DocNumber is its last 21, which another id has.
        long_id = "x" + "R1001".rjust(21, "0")
        self.push(mapper_for("orders"), self.view("orders", self.order(id=long_id)))
        short = self.view("orders", self.order(id="R1001".rjust(21, "0")))
        lookup = mapper_for("orders").lookup(short)
        self.assertEqual(
            lookup.statement,
            f"SELECT * FROM SalesReceipt WHERE DocNumber = '{'R1001'.rjust(21, '0')}'",
        )
        found = mapper_for("orders").read_lookup(
            short, self.found(lookup.statement)["SalesReceipt"]
        )
        self.assertFalse(found.found)
        self.assertIn(f"not FlowLink's {short.identity}", found.conflict)

    def test_it_voids_a_cancelled_sales_receipt_once(self) -> None:
        _, view = self.push(
            mapper_for("orders"), self.view("orders", self.order(), {}, **self.ids())
        )
        cancelled = replace(view, payload={"id": "R1001", "status": "cancelled"})
        kind, cancelled = self.push(mapper_for("orders"), cancelled)
        self.assertEqual(kind, VOID)
        receipt = self.stored("SalesReceipt", view.qb_id)
        self.assertEqual((receipt["TotalAmt"], receipt["PrivateNote"]), (0, "Voided"))
        self.assertEqual(self.push(mapper_for("orders"), cancelled)[0], None)

    def test_it_voids_a_cancelled_invoice(self) -> None:
        params = {"qbo_order_as": "invoice"}
        _, view = self.push(mapper_for("orders"), self.view("orders", self.order(), params))
        cancelled = replace(view, payload={**self.order(), "status": "canceled"})
        self.assertEqual(self.push(mapper_for("orders"), cancelled)[0], VOID)
        self.assertEqual(self.stored("Invoice", view.qb_id)["TotalAmt"], 0)

    def test_it_deletes_a_cancelled_estimate(self) -> None:
        params = {"qbo_order_as": "estimate"}
        _, view = self.push(mapper_for("orders"), self.view("orders", self.order(), params))
        self.assertEqual(self.stored("Estimate", view.qb_id)["TxnStatus"], "Pending")
        cancelled = replace(view, payload={"id": "R1001", "status": "closed"})
        self.assertEqual(self.push(mapper_for("orders"), cancelled)[0], DELETE)
        self.assertIsNone(self.qbo.entity(self.realm, "Estimate", view.qb_id))
        self.assertEqual(len(self.qbo.deleted(self.realm, "Estimate")), 1)

    def test_it_writes_nothing_for_a_cancelled_order_quickbooks_never_had(self) -> None:
        view = self.view("orders", {**self.order(), "status": "cancelled"})
        self.assertEqual(self.push(mapper_for("orders"), view)[0], None)
        self.assertEqual(self.qbo.entities(self.realm, "SalesReceipt"), [])

    def test_it_books_a_value_without_quantity_and_awkward_prices_as_qbo_checks_them(
        self,
    ) -> None:
        lines = [
            {"product_id": "MUG", "amount": "12.345"},
            {"product_id": "MUG", "quantity": 0, "amount": 3},
            {"product_id": "MUG", "quantity": "1.5", "price": "0.335"},
            {"product_id": "MUG", "quantity": 7, "price": "0.14285"},
            {"product_id": "MUG", "quantity": 3, "amount": 10},
            {"product_id": "MUG", "price": "2.005"},
        ]
        view = self.view("orders", self.order(line_items=lines), {}, **self.ids())
        _, receipt = self.written("orders", view)
        amounts = [line["Amount"] for line in receipt["Line"][:-1]]
        self.assertEqual(
            amounts, [Decimal(a) for a in ("12.35", "3", "0.50", "1.00", "10", "2.01")]
        )

    def test_it_clears_the_tax_of_an_order_sent_again_without_it(self) -> None:
        taxed = self.order(adjustments=[{"name": "tax", "value": 2}])
        params = {"quickbooks_tax_item": "Tax"}
        _, view = self.push(mapper_for("orders"), self.view("orders", taxed, params))
        self.assertEqual(self.stored("SalesReceipt", view.qb_id)["TotalAmt"], Decimal("32.77"))
        kind, _ = self.push(mapper_for("orders"), replace(view, payload=self.order()))
        self.assertEqual(kind, UPDATE)
        receipt = self.stored("SalesReceipt", view.qb_id)
        self.assertEqual(
            (receipt["TotalAmt"], receipt["TxnTaxDetail"]["TotalTax"]), (Decimal("30.77"), 0)
        )

    def test_it_updates_its_own_document_where_doc_numbers_must_be_unique(self) -> None:
        self.qbo.company(self.realm).unique_doc_numbers = True
        _, view = self.push(mapper_for("orders"), self.view("orders", self.order()))
        kind, again = self.push(mapper_for("orders"), self.view("orders", self.order(memo="2nd")))
        self.assertEqual((kind, again.qb_id), (UPDATE, view.qb_id))
        self.assertEqual(len(self.qbo.entities(self.realm, "SalesReceipt")), 1)
