"""How each child of an item's Add and Mod is written from the payload (flowlink §6.14–6.16).

The item mappers (qbwc.qbxml.mappers.items) list the children in XSD order; this table
knows how to write each tag, so an order tuple picks from it.
"""

from __future__ import annotations

from collections.abc import Callable

from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import Element, ObjectView, add_param_ref, param
from qbwc.qbxml.values import PayloadError, is_blank, is_on

ITEM_NAME_MAX = 31  # the Name facet of every item aggregate

# FullName limits of the ref groups in the XSD: ListRef 159, VendorListRef 41,
# SimpleListRef 31, SalesTaxCodeListRef 3; GenericListRef has none, 209 is the
# longest colon path QuickBooks accepts anywhere.
_ACCOUNT_MAX = 159
_VENDOR_MAX = 41
_TAX_CODE_MAX = 3
_DESC_MAX = 4095

FieldWriter = Callable[[Element, ObjectView], None]


def tags(order: str) -> tuple[str, ...]:
    """Read an XSD child order written as whitespace-separated tags, as in qbxml.md §18."""
    return tuple(order.split())


def _text(tag: str, key: str, max_length: int | None = None) -> FieldWriter:
    return lambda node, obj: E.add_text(node, tag, obj.payload.get(key), key, max_length)


def _bool(tag: str, key: str) -> FieldWriter:
    return lambda node, obj: E.add_bool(node, tag, obj.payload.get(key))


def _price(tag: str, key: str) -> FieldWriter:
    return lambda node, obj: E.add_price(node, tag, obj.payload.get(key), key)


def _ref(tag: str, key: str, max_length: int = 209) -> FieldWriter:
    return lambda node, obj: E.add_ref(node, tag, obj.payload.get(key), key, max_length)


def _account(tag: str, key: str) -> FieldWriter:
    # Accounts follow the flowlink §6.1 fallback chain (payload, parameter,
    # quickbooks_ parameter), which upstream never applied to items.
    return lambda node, obj: add_param_ref(node, tag, obj, key, _ACCOUNT_MAX)


def _apply_flag(tag: str, key: str, account_key: str) -> FieldWriter:
    def write(node: Element, obj: ObjectView) -> None:
        # "Apply to existing transactions" means nothing without the account it applies.
        if param(obj, account_key) is not None:
            E.add_bool(node, tag, obj.payload.get(key))

    return write


def item_name(obj: ObjectView) -> str:
    """The QuickBooks Name: the identity itself, failed (never cut) when too long."""
    name = values.text(obj.identity, "product_id", ITEM_NAME_MAX)
    if not name.strip():
        raise PayloadError("product_id", "is empty once control characters are removed")
    return name


def write_name(node: Element, obj: ObjectView) -> None:
    E.child(node, "Name", item_name(obj))


def _write_barcode(node: Element, obj: ObjectView) -> None:
    barcode = obj.payload.get("barcode_value")
    if is_blank(barcode):
        return
    block = E.child(node, "BarCode")
    E.child(block, "BarCodeValue", values.text(barcode, "barcode_value", 50))
    E.add_bool(block, "AssignEvenIfUsed", obj.payload.get("assign_barcode_even_if_used"))


def _write_purchase_cost(node: Element, obj: ObjectView) -> None:
    key = "cost" if not is_blank(obj.payload.get("cost")) else "purchase_cost"
    E.add_price(node, "PurchaseCost", obj.payload.get(key), key)


def _write_price_choice(node: Element, obj: ObjectView) -> None:
    # Price and PricePercent are an XSD choice; upstream sent both (flowlink §6.15).
    if not is_blank(obj.payload.get("price")):
        E.add_price(node, "Price", obj.payload["price"], "price")
    else:
        E.add_price(node, "PricePercent", obj.payload.get("price_percent"), "price_percent")


def _write_discount_choice(node: Element, obj: ObjectView) -> None:
    if not is_blank(obj.payload.get("discount_rate")):
        E.add_price(node, "DiscountRate", obj.payload["discount_rate"], "discount_rate")
    else:
        value = obj.payload.get("discount_rate_percent")
        E.add_price(node, "DiscountRatePercent", value, "discount_rate_percent")


def _write_external_guid(node: Element, obj: ObjectView) -> None:
    # Anything but a UUID would invalidate the whole message (flowlink §5.4), so it is dropped.
    guid = values.guid(obj.external_guid or obj.payload.get("external_guid"))
    if guid is not None:
        E.child(node, "ExternalGUID", guid)


def price_block(obj: ObjectView, is_mod: bool) -> str | None:
    """Which price aggregate a non-inventory/service/other-charge item gets (flowlink §6.15).

    SalesAndPurchase wins when both flags are on and is the Add default; a Mod
    without either flag on leaves the block (and the item's prices) alone.
    """
    and_on = is_on(obj.payload.get("sales_and_purchase"))
    or_on = is_on(obj.payload.get("sales_or_purchase"))
    if or_on and not and_on:
        return "SalesOrPurchase"
    if and_on or not is_mod:
        return "SalesAndPurchase"
    return None


_SALES_OR_PURCHASE: tuple[str, ...] = ("Desc", "PriceChoice", "AccountRef")
_SALES_OR_PURCHASE_MOD: tuple[str, ...] = (*_SALES_OR_PURCHASE, "ApplyAccountRefToExistingTxns")
_SALES_AND_PURCHASE: tuple[str, ...] = tags(
    """
    SalesDesc SalesPrice IncomeAccountRef PurchaseDesc PurchaseCost PurchaseTaxCodeRef
    ExpenseAccountRef PrefVendorRef
    """
)
_SALES_AND_PURCHASE_MOD: tuple[str, ...] = tags(
    """
    SalesDesc SalesPrice IncomeAccountRef ApplyIncomeAccountRefToExistingTxns
    PurchaseDesc PurchaseCost PurchaseTaxCodeRef ExpenseAccountRef
    ApplyExpenseAccountRefToExistingTxns PrefVendorRef
    """
)


def _write_block(tag: str, fields: tuple[str, ...]) -> FieldWriter:
    def write(node: Element, obj: ObjectView) -> None:
        block = E.element(tag)
        write_fields(block, obj, fields)
        if len(block):
            node.append(block)

    return write


def _write_price_block(is_mod: bool) -> FieldWriter:
    def write(node: Element, obj: ObjectView) -> None:
        kind = price_block(obj, is_mod)
        if kind == "SalesOrPurchase":
            fields = _SALES_OR_PURCHASE_MOD if is_mod else _SALES_OR_PURCHASE
        elif kind == "SalesAndPurchase":
            fields = _SALES_AND_PURCHASE_MOD if is_mod else _SALES_AND_PURCHASE
        else:
            return
        _write_block(f"{kind}Mod" if is_mod else kind, fields)(node, obj)

    return write


# How each tag is written; a mapper's order tuples pick from these.
_FIELDS: dict[str, FieldWriter] = {
    "Name": write_name,
    "BarCode": _write_barcode,
    "IsActive": _bool("IsActive", "is_active"),
    "ClassRef": _ref("ClassRef", "class_name", _ACCOUNT_MAX),
    "ParentRef": _ref("ParentRef", "parent_name"),
    "ManufacturerPartNumber": _text("ManufacturerPartNumber", "manufacturer_part_number", 31),
    "UnitOfMeasureSetRef": _ref("UnitOfMeasureSetRef", "unit_of_measure", 31),
    "ForceUOMChange": _bool("ForceUOMChange", "force_uom_change"),
    "IsTaxIncluded": _bool("IsTaxIncluded", "is_tax_included"),
    "SalesTaxCodeRef": _ref("SalesTaxCodeRef", "sales_tax_code_name", _TAX_CODE_MAX),
    "SalesDesc": _text("SalesDesc", "description", _DESC_MAX),
    "SalesPrice": _price("SalesPrice", "price"),
    "IncomeAccountRef": _account("IncomeAccountRef", "income_account"),
    "ApplyIncomeAccountRefToExistingTxns": _apply_flag(
        "ApplyIncomeAccountRefToExistingTxns",
        "apply_income_account_ref_to_existing_txns",
        "income_account",
    ),
    "PurchaseDesc": _text("PurchaseDesc", "purchase_description", _DESC_MAX),
    "PurchaseCost": _write_purchase_cost,
    "PurchaseTaxCodeRef": _ref("PurchaseTaxCodeRef", "purchase_tax_code_name", _TAX_CODE_MAX),
    "COGSAccountRef": _account("COGSAccountRef", "cogs_account"),
    "ApplyCOGSAccountRefToExistingTxns": _apply_flag(
        "ApplyCOGSAccountRefToExistingTxns",
        "apply_cogs_account_ref_to_existing_txns",
        "cogs_account",
    ),
    "PrefVendorRef": _ref("PrefVendorRef", "preferred_vendor_name", _VENDOR_MAX),
    "AssetAccountRef": _account("AssetAccountRef", "inventory_account"),
    "ReorderPoint": _price("ReorderPoint", "reorder_point"),
    "Max": _price("Max", "max"),
    "QuantityOnHand": _price("QuantityOnHand", "quantity"),
    "TotalValue": lambda node, obj: E.add_amount(
        node, "TotalValue", obj.payload.get("total_value"), "total_value"
    ),
    "InventoryDate": lambda node, obj: E.add_date(
        node, "InventoryDate", obj.payload.get("inventory_date"), "inventory_date"
    ),
    "ExternalGUID": _write_external_guid,
    "PriceBlock": _write_price_block(is_mod=False),
    "PriceBlockMod": _write_price_block(is_mod=True),
    "Desc": _text("Desc", "description", _DESC_MAX),
    "PriceChoice": _write_price_choice,
    "AccountRef": _account("AccountRef", "account_name"),
    "ApplyAccountRefToExistingTxns": _apply_flag(
        "ApplyAccountRefToExistingTxns", "apply_account_ref_to_existing_txns", "account_name"
    ),
    "ExpenseAccountRef": _account("ExpenseAccountRef", "expense_account"),
    "ApplyExpenseAccountRefToExistingTxns": _apply_flag(
        "ApplyExpenseAccountRefToExistingTxns",
        "apply_expense_account_ref_to_existing_txns",
        "expense_account",
    ),
    "ItemDesc": _text("ItemDesc", "description", _DESC_MAX),
    "DiscountChoice": _write_discount_choice,
    "TaxRate": _price("TaxRate", "tax_rate"),
    "TaxVendorRef": _ref("TaxVendorRef", "tax_vendor_name", _VENDOR_MAX),
    "SalesTaxReturnLineRef": _ref("SalesTaxReturnLineRef", "sales_tax_return_line_name"),
}


def write_fields(node: Element, obj: ObjectView, fields: tuple[str, ...]) -> None:
    for tag in fields:
        _FIELDS[tag](node, obj)
