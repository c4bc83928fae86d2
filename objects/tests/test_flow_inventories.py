"""Inventory levels (set_inventory / add_inventories) into the simulated QuickBooks company."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from objects.models import Notification, Phase, QueuedObject
from objects.tests.flows import ITEM_ACCOUNTS, envelope
from qbsync.test import LiveTestCase
from qbwc.simulator.webconnector import http_transport

ADJUSTMENT_ACCOUNT = {"quickbooks_income_account": "Cost of Goods Sold"}


def level(**fields: Any) -> dict[str, Any]:
    return {"id": "ADJ-1", "product_id": "SKU-1", "quantity": 42, **fields}


class InventoryFlowTestCase(LiveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record(
            "ItemInventory",
            Name="SKU-1",
            IncomeAccountRef="Sales",
            COGSAccountRef="Cost of Goods Sold",
            AssetAccountRef="Inventory Asset",
        )

    def on_hand(self, name: str = "SKU-1") -> str | None:
        return self.quickbooks.find("ItemInventory", name).findtext("QuantityOnHand")

    def test_it_sets_the_quantity_on_hand_with_a_new_quantity_adjustment(self) -> None:
        status, data = self.post(
            "set_inventory", envelope("inventory", level(), **ADJUSTMENT_ACCOUNT)
        )
        result = self.run_webconnector()

        self.assertEqual(status, 200, data)
        self.assertEqual(
            data,
            {
                "request_id": "req-1",
                "summary": "Inventory waiting for Quickbooks Desktop scheduler",
            },
        )
        self.assertTrue(result.completed)
        self.assertEqual(self.on_hand(), "42")
        adjustment = self.quickbooks.find("InventoryAdjustment", "ADJ-1")
        self.assertEqual(adjustment.findtext("AccountRef/FullName"), "Cost of Goods Sold")
        self.assertEqual(adjustment.findtext("InventoryAdjustmentLineRet/QuantityDifference"), "42")
        obj = QueuedObject.objects.get(object_type="inventories")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(
            [n.message for n in Notification.objects.filter(object_type="inventories")],
            ["ADJ-1: Inventory successfully sent to Quickbooks Desktop"],
        )

    def test_it_answers_with_the_pending_notifications_like_get_notifications(self) -> None:
        self.post("set_inventory", envelope("inventory", level(), **ADJUSTMENT_ACCOUNT))
        self.run_webconnector()

        status, data = self.post("set_inventory", envelope("inventory", level(id="ADJ-2"), "req-2"))

        self.assertEqual(status, 200)
        self.assertEqual(
            data["success"],
            [
                {
                    "message": "ADJ-1: Inventory successfully sent to Quickbooks Desktop",
                    "request_id": "req-1",
                }
            ],
        )
        self.assertNotIn("fail", data)

    def test_it_adds_a_new_adjustment_for_every_call_with_the_same_id(self) -> None:
        self.post("set_inventory", envelope("inventory", level(), **ADJUSTMENT_ACCOUNT))
        self.run_webconnector()

        self.post("set_inventory", envelope("inventory", level(quantity=40), "req-2"))
        self.run_webconnector()

        self.assertEqual(len(self.quickbooks.records("InventoryAdjustment")), 2)
        self.assertEqual(self.on_hand(), "40")

    def test_it_adjusts_once_when_the_answer_to_the_add_was_lost(self) -> None:
        self.post("set_inventory", envelope("inventory", level(), **ADJUSTMENT_ACCOUNT))

        def lose_the_adjustment_answer(
            url: str, body: bytes, headers: dict[str, str]
        ) -> tuple[int, str, bytes]:
            if b"receiveResponseXML" in body and b"InventoryAdjustmentAddRs" in body:
                raise ConnectionResetError("the network dropped the answer")
            return http_transport(url, body, headers)

        with self.assertRaises(ConnectionResetError):
            self.run_webconnector(transport=lose_the_adjustment_answer)
        self.assertEqual(len(self.quickbooks.records("InventoryAdjustment")), 1)

        with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
            result = self.run_webconnector()

        self.assertTrue(result.completed)
        self.assertEqual(len(self.quickbooks.records("InventoryAdjustment")), 1)
        self.assertEqual(self.on_hand(), "42")
        obj = QueuedObject.objects.get(object_type="inventories")
        self.assertEqual(obj.phase, Phase.PROCESSED)
        self.assertEqual(
            obj.qb_id, self.quickbooks.records("InventoryAdjustment")[0].findtext("TxnID")
        )
        reasons = [e.reason for e in obj.events.order_by("id")]
        self.assertEqual(reasons[-1], "already in QuickBooks; nothing to write")

    def test_it_adjusts_at_the_site_of_the_site_name_parameter(self) -> None:
        self.quickbooks.add_record("InventorySite", Name="DFW")
        self.post(
            "add_inventories",
            envelope("inventory", level(), site_name="DFW", **ADJUSTMENT_ACCOUNT),
        )
        self.run_webconnector()

        adjustment = self.quickbooks.find("InventoryAdjustment", "ADJ-1")
        self.assertEqual(adjustment.findtext("InventorySiteRef/FullName"), "DFW")

    def test_it_prefers_the_object_site_name_over_the_parameter(self) -> None:
        self.quickbooks.add_record("InventorySite", Name="DFW")
        self.quickbooks.add_record("InventorySite", Name="AUS")
        self.post(
            "set_inventory",
            envelope("inventory", level(site_name="AUS"), site_name="DFW", **ADJUSTMENT_ACCOUNT),
        )
        self.run_webconnector()

        adjustment = self.quickbooks.find("InventoryAdjustment", "ADJ-1")
        self.assertEqual(adjustment.findtext("InventorySiteRef/FullName"), "AUS")

    def test_it_keeps_the_stored_configuration_unless_forced(self) -> None:
        self.post("set_inventory", envelope("inventory", level(), **ADJUSTMENT_ACCOUNT))
        self.post(
            "set_inventory",
            envelope("inventory", level(id="ADJ-2"), quickbooks_income_account="Sales"),
        )
        self.post(
            "set_inventory",
            envelope(
                "inventory",
                level(id="ADJ-3"),
                quickbooks_income_account="Sales",
                quickbooks_force_config="1",
            ),
        )
        self.run_webconnector()

        accounts = {
            ref: self.quickbooks.find("InventoryAdjustment", ref).findtext("AccountRef/FullName")
            for ref in ("ADJ-1", "ADJ-2", "ADJ-3")
        }
        self.assertEqual(
            accounts,
            {"ADJ-1": "Cost of Goods Sold", "ADJ-2": "Cost of Goods Sold", "ADJ-3": "Sales"},
        )

    def test_it_creates_a_missing_item_with_auto_create_products(self) -> None:
        self.post(
            "set_inventory",
            envelope(
                "inventory",
                level(product_id="SKU-NEW", quantity=5),
                quickbooks_auto_create_products="1",
                **ITEM_ACCOUNTS,
            ),
        )
        self.run_webconnector()

        self.assertEqual(self.on_hand("SKU-NEW"), "5")
        adjustment = self.quickbooks.find("InventoryAdjustment", "ADJ-1")
        self.assertEqual(adjustment.findtext("AccountRef/FullName"), "Sales")

    def test_it_fails_naming_the_item_when_it_is_missing_without_auto_create(self) -> None:
        self.post(
            "set_inventory",
            envelope("inventory", level(product_id="SKU-NEW"), **ADJUSTMENT_ACCOUNT),
        )
        self.run_webconnector()

        obj = QueuedObject.objects.get(object_type="inventories")
        self.assertEqual(obj.phase, Phase.FAILED)
        self.assertIn("SKU-NEW", obj.last_status_message)
        self.assertEqual(self.quickbooks.records("InventoryAdjustment"), [])

    def test_it_refuses_a_level_without_an_adjustment_account(self) -> None:
        status, data = self.post("set_inventory", envelope("inventory", level()))

        self.assertEqual(status, 400)
        self.assertIn("parameters.quickbooks_income_account", data["summary"])
        self.assertFalse(QueuedObject.objects.exists())
