"""Item…Ret → FlowLink product records (flowlink §9.3), one reader per item type."""

from __future__ import annotations

from collections.abc import Callable

from objects.types.records import VENDOR_RELATIONSHIP, compact
from qbwc.qbxml.readers.common import (
    Element,
    Elementish,
    Node,
    Record,
    custom_fields,
    flag,
    integer,
    ref_id,
    ref_name,
    text,
)


def _vendor(node: Elementish | None, tag: str = "PrefVendorRef") -> Record | None:
    if node is None or node.find(tag) is None:
        return None
    list_id = ref_id(node, tag)
    return {"name": ref_name(node, tag), "external_id": list_id, "qbe_id": list_id}


def _common(ret: Elementish, item_type: str, key: list[str] | str) -> Record:
    name = text(ret, "Name")
    return {
        "id": name,
        "sku": name,
        "product_id": name,
        "qbe_id": text(ret, "ListID"),
        "key": key,
        "name": name,
        "fullname": text(ret, "FullName"),
        "is_active": flag(ret, "IsActive"),
        "barcode_value": text(ret, "BarCodeValue"),
        "external_guid": text(ret, "ExternalGUID"),
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "class_name": ref_name(ret, "ClassRef"),
        "parent_name": ref_name(ret, "ParentRef"),
        "qbe_item_type": item_type,
    }


def _finish(record: Record, ret: Elementish) -> Record:
    record.update(custom_fields(ret))
    return compact(record)


def _blocks(ret: Elementish, record: Record) -> None:
    """SalesOrPurchase / SalesAndPurchase blocks of non-inventory, service, other-charge."""
    relationships = [VENDOR_RELATIONSHIP] if record.get("vendor") else []
    either = ret.find("SalesOrPurchase")
    if either is not None:
        record.update(
            {
                "sales_or_purchase": True,
                "price": text(either, "Price"),
                "price_percent": text(either, "PricePercent"),
                "description": text(either, "Desc"),
                "account_name": ref_name(either, "AccountRef"),
            }
        )
    both = ret.find("SalesAndPurchase")
    if both is not None:
        price = text(both, "SalesPrice")
        cost = text(both, "PurchaseCost")
        record.update(
            {
                "sales_and_purchase": True,
                "sales_description": text(both, "SalesDesc"),
                "sales_price": price,
                "price": price,
                "purchase_description": text(both, "PurchaseDesc"),
                "purchase_cost": cost,
                "cost": cost,
                "purchase_tax_code_name": ref_name(both, "PurchaseTaxCodeRef"),
                "income_account_name": ref_name(both, "IncomeAccountRef"),
                "expense_account_name": ref_name(both, "ExpenseAccountRef"),
            }
        )
        vendor = _vendor(both)
        if vendor is not None and "vendor" in record:
            # Service and other-charge items have their own preferred vendor as well.
            record["sales_and_purchase_vendor"] = vendor
            relationships.append({"object": "sales_and_purchase_vendor", "key": "qbe_id"})
        elif vendor is not None:
            # Non-inventory items: the block's vendor is the vendor (upstream fixture shape).
            record["vendor"] = {"name": vendor["name"], "external_id": vendor["external_id"]}
            relationships.append(VENDOR_RELATIONSHIP)
    if relationships:
        record["relationships"] = relationships


def _stock(ret: Elementish, record: Record) -> None:
    """Fields shared by inventory parts and assemblies."""
    record.update(
        {
            "quantity": text(ret, "QuantityOnHand"),
            "sales_price": text(ret, "SalesPrice"),
            "sales_description": text(ret, "SalesDesc"),
            "purchase_description": text(ret, "PurchaseDesc"),
            "purchase_cost": text(ret, "PurchaseCost"),
            "average_cost": text(ret, "AverageCost"),
            "quantity_on_order": text(ret, "QuantityOnOrder"),
            "quantity_on_sales_order": text(ret, "QuantityOnSalesOrder"),
            "vendor": _vendor(ret),
            "unit_measure": ref_name(ret, "UnitOfMeasureSetRef"),
            "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
            "income_account_name": ref_name(ret, "IncomeAccountRef"),
            "purchase_tax_code_name": ref_name(ret, "PurchaseTaxCodeRef"),
            "cogs_account_name": ref_name(ret, "COGSAccountRef"),
            "asset_account_name": ref_name(ret, "AssetAccountRef"),
            "sublevel": integer(ret, "Sublevel"),
            "manufacturer_part_number": text(ret, "ManufacturerPartNumber"),
            "is_tax_included": flag(ret, "IsTaxIncluded"),
            "max": text(ret, "Max"),
            "relationships": [VENDOR_RELATIONSHIP],
        }
    )


def read_inventory(element: Element) -> Record:
    ret = Node(element)
    record = _common(ret, "qbe_inventory", ["qbe_id", "product_id", "sku"])
    _stock(ret, record)
    record["reorder_point"] = text(ret, "ReorderPoint")
    return _finish(record, ret)


def read_assembly(element: Element) -> Record:
    ret = Node(element)
    record = _common(ret, "inventory_assembly", "qbe_id")
    record["list_id"] = text(ret, "ListID")
    _stock(ret, record)
    record["build_point"] = text(ret, "BuildPoint")
    return _finish(record, ret)


def read_non_inventory(element: Element) -> Record:
    ret = Node(element)
    record = _common(ret, "non_inventory", ["qbe_id", "external_guid"])
    record.update(
        {
            "sublevel": integer(ret, "Sublevel"),
            "manufacturer_part_number": text(ret, "ManufacturerPartNumber"),
            "is_tax_included": flag(ret, "IsTaxIncluded"),
            "unit_measure": ref_name(ret, "UnitOfMeasureSetRef"),
            "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
        }
    )
    _blocks(ret, record)
    return _finish(record, ret)


def read_service(element: Element) -> Record:
    ret = Node(element)
    # The upstream fixture keys services by qbe_id alone (service_product_fixtures).
    record = _common(ret, "service", "qbe_id")
    record.update(
        {
            "sublevel": integer(ret, "Sublevel"),
            "is_tax_included": flag(ret, "IsTaxIncluded"),
            "vendor": _vendor(ret),
            "unit_measure": ref_name(ret, "UnitOfMeasureSetRef"),
            "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
        }
    )
    _blocks(ret, record)
    return _finish(record, ret)


def read_other_charge(element: Element) -> Record:
    ret = Node(element)
    record = _common(ret, "othercharge", "qbe_id")
    record.update(
        {
            "sublevel": integer(ret, "Sublevel"),
            "is_tax_included": flag(ret, "IsTaxIncluded"),
            "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
            "vendor": _vendor(ret),
        }
    )
    _blocks(ret, record)
    return _finish(record, ret)


def read_discount(element: Element) -> Record:
    ret = Node(element)
    record = _common(ret, "discount", ["qbe_id", "external_guid"])
    rate = text(ret, "DiscountRate")
    percent = text(ret, "DiscountRatePercent")
    record.update(
        {
            "sublevel": integer(ret, "Sublevel"),
            "description": text(ret, "ItemDesc"),
            "discount_rate": rate,
            "discount_rate_percent": percent,
            "account_name": ref_name(ret, "AccountRef"),
            "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
        }
    )
    return _finish(record, ret)


def read_sales_tax(element: Element) -> Record:
    ret = Node(element)
    record = _common(ret, "sales_tax", ["qbe_id", "external_guid"])
    record.update(
        {
            "fullname": text(ret, "Name"),
            "description": text(ret, "ItemDesc"),
            "tax_rate": text(ret, "TaxRate"),
            "tax_vendor_name": ref_name(ret, "TaxVendorRef"),
            "sales_tax_return_line_name": ref_name(ret, "SalesTaxReturnLineRef"),
        }
    )
    return _finish(record, ret)


ITEM_READERS: dict[str, Callable[[Element], Record]] = {
    "ItemInventoryRet": read_inventory,
    "ItemInventoryAssemblyRet": read_assembly,
    "ItemNonInventoryRet": read_non_inventory,
    "ItemServiceRet": read_service,
    "ItemOtherChargeRet": read_other_charge,
    "ItemDiscountRet": read_discount,
    "ItemSalesTaxRet": read_sales_tax,
}
