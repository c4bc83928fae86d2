"""Sample records shaped like Intuit's sandbox company ("Craig's Design and Landscaping")."""

from __future__ import annotations

from typing import Any

from qbo.double.store import Company


def seed_sample(company: Company) -> None:
    """Add customers, vendors, items and a few documents, through the same rules as the API."""

    def add(entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return company.create(entity, body, seeding=True)

    accounts = {a["Name"]: a["Id"] for a in company.live("Account")}
    income = {"value": accounts["Sales of Product Income"]}
    amy = add(
        "Customer",
        {
            "DisplayName": "Amy's Bird Sanctuary",
            "GivenName": "Amy",
            "FamilyName": "Lauterbach",
            "CompanyName": "Amy's Bird Sanctuary",
            "PrimaryEmailAddr": {"Address": "Birds@Intuit.com"},
            "PrimaryPhone": {"FreeFormNumber": "(650) 555-3311"},
            "BillAddr": {
                "Line1": "4581 Finch St.",
                "City": "Bayshore",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "94326",
            },
        },
    )
    add("Customer", {"DisplayName": "Bill's Windsurf Shop", "CompanyName": "Bill's Windsurf Shop"})
    add("Customer", {"DisplayName": "Cool Cars", "CompanyName": "Cool Cars"})
    gone = add("Customer", {"DisplayName": "Weiskopf Consulting"})
    company.update(
        "Customer", {"Id": gone["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    add("Vendor", {"DisplayName": "Norton Lumber and Building Materials"})
    add("Vendor", {"DisplayName": "Tania's Nursery"})
    services = add("Item", {"Name": "Landscaping", "Type": "Category"})
    design = add(
        "Item",
        {"Name": "Design", "Type": "Service", "UnitPrice": 75, "IncomeAccountRef": income},
    )
    add(
        "Item",
        {
            "Name": "Gardening",
            "Type": "Service",
            "ParentRef": {"value": services["Id"]},
            "IncomeAccountRef": income,
        },
    )
    pump = add(
        "Item",
        {
            "Name": "Pump",
            "Type": "Inventory",
            "Sku": "P461-17",
            "UnitPrice": 15,
            "IncomeAccountRef": income,
            "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
            "AssetAccountRef": {"value": accounts["Inventory Asset"]},
            "TrackQtyOnHand": True,
            "QtyOnHand": 25,
            "InvStartDate": "2026-01-01",
        },
    )
    add(
        "Invoice",
        {
            "DocNumber": "1037",
            "CustomerRef": {"value": amy["Id"]},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": design["Id"]},
                        "Qty": 2,
                        "UnitPrice": 75,
                        "TaxCodeRef": {"value": "NON"},
                    },
                },
                {
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": pump["Id"]},
                        "Qty": 1,
                        "UnitPrice": 15,
                        "TaxCodeRef": {"value": "TAX"},
                    },
                },
            ],
            "TxnTaxDetail": {"TotalTax": 1.2},
        },
    )
