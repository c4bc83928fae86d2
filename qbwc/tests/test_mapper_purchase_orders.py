"""What a purchase order needs in QuickBooks before it is written (flowlink §5.6)."""

from __future__ import annotations

from django.test import SimpleTestCase

from objects.tests.test_flow_purchase_orders import purchase_order
from qbwc.qbxml.mappers.base import ENSURE, REQUIRE
from qbwc.qbxml.mappers.purchase_orders import PurchaseOrderMapper


class PurchaseOrderDependenciesTestCase(SimpleTestCase):
    mapper = PurchaseOrderMapper()

    def test_it_needs_its_vendor_and_items_and_never_a_customer(self) -> None:
        params = {
            "quickbooks_shipping_item": "Freight",
            "quickbooks_customer_email": "shop@example.com",
            "quickbooks_auto_create_products": "1",
        }

        deps = self.mapper.dependencies(purchase_order(), params)

        self.assertEqual(
            [(d.object_type, d.mode) for d in deps],
            [
                ("vendors", ENSURE),
                ("products", ENSURE),
                ("products", ENSURE),
                ("products", REQUIRE),
            ],
        )
        self.assertEqual([d.payload.get("product_id") for d in deps[1:]], ["TEE", "CAP", "Freight"])
