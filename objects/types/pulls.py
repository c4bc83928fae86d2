"""What each get_* route hands out, whatever the backend polls (flowlink §8).

A backend decides how to read QuickBooks for a route (QuickBooks Desktop: the qbXML
queries of qbwc.qbxml.queries); the core registers polls and hands records out under
these names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PullRoute:
    route: str
    object_type: str  # the name of the records in the summary (flowlink §8.4)
    response_key: str  # the key the records go under in the answer


PULL_ROUTES: dict[str, PullRoute] = {
    r.route: r
    for r in (
        PullRoute("get_customers", "customers", "customers"),
        PullRoute("get_vendors", "vendors", "vendors"),
        PullRoute("get_products", "products", "products"),
        PullRoute("get_inventoryproducts", "inventoryproducts", "products"),
        PullRoute("get_noninventoryproducts", "noninventoryproducts", "products"),
        PullRoute("get_serviceproducts", "serviceproducts", "products"),
        PullRoute("get_discountproducts", "discountproducts", "products"),
        PullRoute("get_salestaxproducts", "salestaxproducts", "products"),
        PullRoute("get_otherchargeproducts", "otherchargeproducts", "products"),
        PullRoute("get_inventoryassemblyproducts", "inventoryassemblyproducts", "products"),
        PullRoute("get_orders", "orders", "orders"),
        PullRoute("get_invoices", "invoices", "invoices"),
        PullRoute("get_salesreceipts", "sales_receipts", "sales_receipts"),
        PullRoute("get_purchaseorders", "purchase_orders", "purchase_orders"),
        PullRoute("get_creditmemos", "credit_memos", "credit_memos"),
        PullRoute("get_payments", "payments", "payments"),
        PullRoute("get_inventories", "inventories", "inventories"),
        PullRoute("get_inventorywithsites", "inventorywithsites", "inventories"),
    )
}
# Upstream's legacy singular route pulls the same as get_inventories (flowlink §4.2).
ROUTE_ALIASES = {"get_inventory": "get_inventories"}
GET_ROUTES = (*PULL_ROUTES, *ROUTE_ALIASES)
# The most records one get_* answer hands out, whatever page_size asks.
MAX_PAGE_SIZE = 1000


def pull_route(route: str) -> PullRoute:
    return PULL_ROUTES[ROUTE_ALIASES.get(route, route)]
