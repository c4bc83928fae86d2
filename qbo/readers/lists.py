"""Customer, Vendor and Item → FlowLink records (flowlink §9.1–§9.4)."""

from __future__ import annotations

from objects.types.records import GUID_KEY, VENDOR_RELATIONSHIP, compact
from qbo.readers.common import (
    Record,
    address,
    flag,
    integer,
    money,
    quantity,
    ref_id,
    ref_name,
    stamps,
    string,
)


def _names(record: Record) -> Record:
    """Fields QBO keeps on both customers and vendors with no Desktop twin."""
    return {
        "qbo_sync_token": string(record, "SyncToken"),
        "qbo_display_name": string(record, "DisplayName"),
        "qbo_mobile": string(record, "Mobile.FreeFormNumber"),
        "qbo_web_address": string(record, "WebAddr.URI"),
        "qbo_print_on_check_name": string(record, "PrintOnCheckName"),
        "qbo_suffix": string(record, "Suffix"),
    }


def read_customer(record: Record) -> Record:
    qb_id = string(record, "Id")
    out: Record = {
        "id": qb_id,
        "list_id": qb_id,
        "qbe_id": qb_id,
        "key": GUID_KEY,
        "external_id": qb_id,
        **stamps(record),
        "name": string(record, "DisplayName"),
        "full_name": string(record, "FullyQualifiedName"),
        "email": string(record, "PrimaryEmailAddr.Address"),
        "billing_address": address(record.get("BillAddr")),
        "balance": money(record, "Balance"),
        "total_balance": money(record, "BalanceWithJobs"),
        "shipping_address": address(record.get("ShipAddr")),
        "ship_to_addresses": [],
        "is_active": flag(record, "Active"),
        "phone": string(record, "PrimaryPhone.FreeFormNumber"),
        "alternative_phone": string(record, "AlternatePhone.FreeFormNumber"),
        "fax": string(record, "Fax.FreeFormNumber"),
        "sub_level": integer(record, "Level"),
        "first_name": string(record, "GivenName"),
        "middle_name": string(record, "MiddleName"),
        "last_name": string(record, "FamilyName"),
        "company": string(record, "CompanyName"),
        "salutation": string(record, "Title"),
        "resale_number": string(record, "ResaleNum"),
        "notes": string(record, "Notes"),
        "preferred_delivery_method": string(record, "PreferredDeliveryMethod"),
        "currency_name": ref_name(record, "CurrencyRef"),
        "parent_name": ref_name(record, "ParentRef"),
        "customer_type_name": ref_name(record, "CustomerTypeRef"),
        "terms": ref_name(record, "SalesTermRef"),
        "sales_tax_code": ref_name(record, "DefaultTaxCodeRef"),
        "preferred_payment_method_name": ref_name(record, "PaymentMethodRef"),
        "additional_notes": [],
        "additional_contacts": [],
        "contacts": [],
        **_names(record),
        "qbo_is_job": flag(record, "Job"),
        "qbo_bill_with_parent": flag(record, "BillWithParent"),
        "qbo_parent_id": ref_id(record, "ParentRef"),
        "qbo_taxable": flag(record, "Taxable"),
        "qbo_tax_exemption_reason_id": string(record, "TaxExemptionReasonId"),
    }
    return compact(out)


def read_vendor(record: Record) -> Record:
    qb_id = string(record, "Id")
    out: Record = {
        "id": qb_id,
        "qbe_id": qb_id,
        "key": GUID_KEY,
        "name": string(record, "DisplayName"),
        **stamps(record),
        "is_active": flag(record, "Active"),
        "vendor_address": address(record.get("BillAddr")),
        "shipping_address": {},
        "currency_name": ref_name(record, "CurrencyRef"),
        "terms": ref_name(record, "TermRef"),
        "vendor_tax_ident": string(record, "TaxIdentifier"),
        "name_on_check": string(record, "PrintOnCheckName"),
        "is_vendor_eligible_for_1099": flag(record, "Vendor1099"),
        "balance": money(record, "Balance"),
        "phone": string(record, "PrimaryPhone.FreeFormNumber"),
        "alternative_phone": string(record, "AlternatePhone.FreeFormNumber"),
        "fax": string(record, "Fax.FreeFormNumber"),
        "email": string(record, "PrimaryEmailAddr.Address"),
        "account_number": string(record, "AcctNum"),
        "additional_notes": [],
        "additional_contacts": [],
        "contacts": [],
        **_names(record),
        "qbo_company_name": string(record, "CompanyName"),
        "qbo_first_name": string(record, "GivenName"),
        "qbo_middle_name": string(record, "MiddleName"),
        "qbo_last_name": string(record, "FamilyName"),
        "qbo_title": string(record, "Title"),
    }
    return compact(out)


def _vendor(record: Record) -> Record | None:
    if not isinstance(record.get("PrefVendorRef"), dict):
        return None
    qb_id = ref_id(record, "PrefVendorRef")
    return {"name": ref_name(record, "PrefVendorRef"), "external_id": qb_id, "qbe_id": qb_id}


def _common(record: Record, item_type: str, key: list[str] | str) -> Record:
    name = string(record, "Name")
    return {
        "id": name,
        "sku": name,
        "product_id": name,
        "qbe_id": string(record, "Id"),
        "key": key,
        "name": name,
        "fullname": string(record, "FullyQualifiedName"),
        "is_active": flag(record, "Active"),
        **stamps(record),
        "class_name": ref_name(record, "ClassRef"),
        "parent_name": ref_name(record, "ParentRef"),
        "qbe_item_type": item_type,
        "sublevel": integer(record, "Level"),
        "is_tax_included": flag(record, "SalesTaxIncluded"),
        "sales_tax_code_name": ref_name(record, "SalesTaxCodeRef"),
        "qbo_sync_token": string(record, "SyncToken"),
        "qbo_type": string(record, "Type"),
        "qbo_sku": string(record, "Sku"),
        "qbo_taxable": flag(record, "Taxable"),
        "qbo_parent_id": ref_id(record, "ParentRef"),
    }


def _blocks(record: Record, out: Record) -> None:
    """Desktop's SalesOrPurchase / SalesAndPurchase blocks: QBO has one flat item, which
    is "sales and purchase" when it names both an income and an expense account."""
    price = money(record, "UnitPrice")
    if isinstance(record.get("IncomeAccountRef"), dict) and isinstance(
        record.get("ExpenseAccountRef"), dict
    ):
        cost = money(record, "PurchaseCost")
        out.update(
            {
                "sales_and_purchase": True,
                "sales_description": string(record, "Description"),
                "sales_price": price,
                "price": price,
                "purchase_description": string(record, "PurchaseDesc"),
                "purchase_cost": cost,
                "cost": cost,
                "purchase_tax_code_name": ref_name(record, "PurchaseTaxCodeRef"),
                "income_account_name": ref_name(record, "IncomeAccountRef"),
                "expense_account_name": ref_name(record, "ExpenseAccountRef"),
            }
        )
    else:
        account = ref_name(record, "IncomeAccountRef") or ref_name(record, "ExpenseAccountRef")
        out.update(
            {
                "sales_or_purchase": True,
                "price": price,
                "description": string(record, "Description"),
                "account_name": account,
            }
        )
    vendor = _vendor(record)
    if vendor is not None:
        out["vendor"] = vendor
        out["relationships"] = [VENDOR_RELATIONSHIP]


def read_inventory(record: Record) -> Record:
    out = _common(record, "qbe_inventory", ["qbe_id", "product_id", "sku"])
    out.update(
        {
            "quantity": quantity(record, "QtyOnHand"),
            "sales_price": money(record, "UnitPrice"),
            "sales_description": string(record, "Description"),
            "purchase_description": string(record, "PurchaseDesc"),
            "purchase_cost": money(record, "PurchaseCost"),
            "vendor": _vendor(record),
            "income_account_name": ref_name(record, "IncomeAccountRef"),
            "purchase_tax_code_name": ref_name(record, "PurchaseTaxCodeRef"),
            "cogs_account_name": ref_name(record, "ExpenseAccountRef"),
            "asset_account_name": ref_name(record, "AssetAccountRef"),
            "reorder_point": quantity(record, "ReorderPoint"),
            "relationships": [VENDOR_RELATIONSHIP],
            "qbo_track_qty_on_hand": flag(record, "TrackQtyOnHand"),
            "qbo_inv_start_date": string(record, "InvStartDate"),
        }
    )
    return compact(out)


def read_non_inventory(record: Record) -> Record:
    out = _common(record, "non_inventory", ["qbe_id", "external_guid"])
    _blocks(record, out)
    return compact(out)


def read_service(record: Record) -> Record:
    # The upstream fixture keys services by qbe_id alone (service_product_fixtures).
    out = _common(record, "service", "qbe_id")
    _blocks(record, out)
    return compact(out)


def read_inventory_level(record: Record, grabbed_at: str) -> Record:
    """Legacy get_inventories shape: id/sku/product_id = item Name."""
    name = string(record, "Name")
    return {
        "id": name,
        "sku": name,
        "product_id": name,
        "quantity": quantity(record, "QtyOnHand"),
        "grabbed_at": grabbed_at,
        "fullname": string(record, "FullyQualifiedName"),
        "qbe_id": string(record, "Id"),
    }
