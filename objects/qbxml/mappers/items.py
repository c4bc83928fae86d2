"""The six QuickBooks item types FlowLink writes (flowlink §6.14–6.16, qbxml §18).

Each mapper lists its Add and Mod children in the order of the 13.0 XSD (16.0 is
identical for every item aggregate used here); `_FIELDS` knows how to write each
tag from the payload, so the order lives in one visible place per type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import (
    UPSERT,
    Element,
    LookupResult,
    Mapper,
    ObjectView,
    add_param_ref,
    first_present,
    param,
)
from objects.qbxml.values import PayloadError, is_blank, is_on

# FullName limits of the ref groups in the XSD: ListRef 159, VendorListRef 41,
# SimpleListRef 31, SalesTaxCodeListRef 3; GenericListRef has none, 209 is the
# longest colon path QuickBooks accepts anywhere.
_ACCOUNT_MAX = 159
_VENDOR_MAX = 41
_TAX_CODE_MAX = 3
_DESC_MAX = 4095

# Readable names of every `Item…Ret` an ItemQueryRq can answer with.
_TYPE_LABELS: dict[str, str] = {
    "ItemInventory": "inventory",
    "ItemInventoryAssembly": "inventory assembly",
    "ItemNonInventory": "non-inventory",
    "ItemService": "service",
    "ItemOtherCharge": "other-charge",
    "ItemDiscount": "discount",
    "ItemSalesTax": "sales-tax",
    "ItemSalesTaxGroup": "sales-tax group",
    "ItemGroup": "group",
    "ItemSubtotal": "subtotal",
    "ItemPayment": "payment",
    "ItemFixedAsset": "fixed-asset",
}


class MissingAccountError(PayloadError):
    """An account QuickBooks needs to create (not to modify) an item is missing."""


FieldWriter = Callable[[Element, ObjectView], None]


def _tags(order: str) -> tuple[str, ...]:
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
    name = values.text(obj.identity, "product_id", ItemMapper.name_max_length)
    if not name.strip():
        raise PayloadError("product_id", "is empty once control characters are removed")
    return name


def _write_name(node: Element, obj: ObjectView) -> None:
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
_SALES_AND_PURCHASE: tuple[str, ...] = _tags(
    """
    SalesDesc SalesPrice IncomeAccountRef PurchaseDesc PurchaseCost PurchaseTaxCodeRef
    ExpenseAccountRef PrefVendorRef
    """
)
_SALES_AND_PURCHASE_MOD: tuple[str, ...] = _tags(
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
    "Name": _write_name,
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


def _article(label: str) -> str:
    return "an" if label[:1] in "aeiou" else "a"


def _missing_account(field: str, label: str) -> MissingAccountError:
    return MissingAccountError(
        field,
        f"is required to create {_article(label)} {label} item in QuickBooks; "
        f"send {field} or set the quickbooks_{field} parameter",
    )


class ItemMapper(Mapper):
    """Shared identity, lookup and request skeleton of every item type."""

    echo_key = "products"
    name_max_length = 31
    label: ClassVar[str]  # "inventory", used in failure messages
    add_fields: ClassVar[tuple[str, ...]]  # the …Add children in XSD order
    mod_fields: ClassVar[tuple[str, ...]]  # the …Mod children after ListID/EditSequence

    def identity(self, payload: Mapping[str, Any]) -> str:
        key, value = first_present(payload, "product_id", "sku", "id")
        return values.identity_text(value, key)

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        try:
            super().validate(payload, params, adds_only=adds_only)
        except MissingAccountError:
            # Only an Add needs the accounts, and whether this item needs one is known
            # only after the lookup; add() raises again then. The Mod must still build.
            obj = ObjectView(self.object_type, self.identity(payload), dict(payload), dict(params))
            obj.qb_id, obj.edit_sequence = "0-0", "0"
            self.mod(obj)

    def has_parent(self) -> bool:
        return "ParentRef" in self.add_fields

    def full_name(self, obj: ObjectView) -> str:
        name = item_name(obj)
        parent = obj.payload.get("parent_name") if self.has_parent() else None
        if is_blank(parent):
            return name
        if isinstance(parent, Mapping):
            parent = parent.get("name") or parent.get("full_name")
            if is_blank(parent):
                raise PayloadError(
                    "parent_name",
                    "a parent given only by list_id cannot be looked up by FullName; "
                    "send the parent's full name",
                )
        return f"{values.text(parent, 'parent_name')}:{name}"

    def lookup(self, obj: ObjectView) -> Element:
        # Item names are unique across every item type (QuickBooks answers an Add of a
        # taken name with 3100), so an item is looked up across all of them: a
        # transaction's item may exist as any type (flowlink §5.6), and an upsert that
        # finds another type fails naming it (read_lookup) instead of trying the Add.
        rq = E.element("ItemQueryRq")
        if obj.qb_id:
            E.child(rq, "ListID", values.text(obj.qb_id, "list_id", 36))
        else:
            E.child(rq, "FullName", values.text(self.full_name(obj), "name", 209))
        return rq

    def read_lookup(self, obj: ObjectView, rets: list[Element]) -> LookupResult:
        if rets and obj.mode == UPSERT and rets[0].tag != f"{self.qb_type}Ret":
            # Only reachable when an ItemQueryRq was answered: never Mod another type.
            kind = str(rets[0].tag).removesuffix("Ret")
            label = _TYPE_LABELS.get(kind, kind)
            return LookupResult(
                found=False,
                conflict=(
                    f"item '{self.full_name(obj)}' already exists in QuickBooks "
                    f"as {_article(label)} {label} item"
                ),
            )
        found = super().read_lookup(obj, rets)
        if rets and rets[0].tag != f"{self.qb_type}Ret":
            # A transaction's item found as another type is used as it is: its Mod would
            # be this type's request for another type's ListID.
            found.writable = False
        return found

    def add(self, obj: ObjectView) -> Element:
        rq = E.element(f"{self.qb_type}AddRq")
        write_fields(E.child(rq, f"{self.qb_type}Add"), obj, self.add_fields)
        # Checked after building so every other field error is reported first
        # and validate() can still tell "needs accounts" from "unbuildable".
        self.check_add_accounts(obj)
        return rq

    def mod(self, obj: ObjectView) -> Element:
        rq, body = self.mod_head(obj)
        write_fields(body, obj, self.mod_fields)
        return rq

    def mod_head(self, obj: ObjectView) -> tuple[Element, Element]:
        rq = E.element(f"{self.qb_type}ModRq")
        body = E.child(rq, f"{self.qb_type}Mod")
        E.child(body, "ListID", values.text(obj.qb_id, "list_id", 36))
        E.child(body, "EditSequence", values.text(obj.edit_sequence, "edit_sequence", 16))
        return rq, body

    def check_add_accounts(self, obj: ObjectView) -> None:
        """Raise for an account QuickBooks needs on Add though the XSD makes it optional."""
        for field in self.accounts_for_add(obj):
            if param(obj, field) is None:
                raise _missing_account(field, self.label)

    def accounts_for_add(self, obj: ObjectView) -> tuple[str, ...]:
        return ()


class InventoryItemMapper(ItemMapper):
    object_type = "products"
    payload_types = ("product", "inventoryproduct")
    qb_type = "ItemInventory"
    notice_name = "Product"
    label = "inventory"
    add_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef ManufacturerPartNumber UnitOfMeasureSetRef
        IsTaxIncluded SalesTaxCodeRef SalesDesc SalesPrice IncomeAccountRef PurchaseDesc
        PurchaseCost PurchaseTaxCodeRef COGSAccountRef PrefVendorRef AssetAccountRef
        ReorderPoint Max QuantityOnHand TotalValue InventoryDate ExternalGUID
        """
    )
    mod_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef ManufacturerPartNumber UnitOfMeasureSetRef
        ForceUOMChange IsTaxIncluded SalesTaxCodeRef SalesDesc SalesPrice IncomeAccountRef
        ApplyIncomeAccountRefToExistingTxns PurchaseDesc PurchaseCost PurchaseTaxCodeRef
        COGSAccountRef ApplyCOGSAccountRefToExistingTxns PrefVendorRef AssetAccountRef
        ReorderPoint Max
        """
    )

    def mod(self, obj: ObjectView) -> Element:
        if "active" not in obj.payload:
            return super().mod(obj)
        # Upstream quirk kept on purpose (flowlink §6.14): an `active` key means
        # "reactivate", whatever its value, and nothing else is changed.
        rq, body = self.mod_head(obj)
        _write_name(body, obj)
        E.child(body, "IsActive", "true")
        return rq

    def accounts_for_add(self, obj: ObjectView) -> tuple[str, ...]:
        return ("income_account", "cogs_account", "inventory_account")


class _PriceBlockItemMapper(ItemMapper):
    """Non-inventory, service and other-charge items: one SalesOrPurchase/SalesAndPurchase."""

    def accounts_for_add(self, obj: ObjectView) -> tuple[str, ...]:
        if price_block(obj, is_mod=False) == "SalesOrPurchase":
            return ("account_name",)
        return ("income_account",)


class NonInventoryItemMapper(_PriceBlockItemMapper):
    object_type = "noninventoryproducts"
    payload_types = ("noninventoryproduct",)
    qb_type = "ItemNonInventory"
    notice_name = "Noninventoryproduct"
    label = "non-inventory"
    # ParentRef precedes ClassRef in ItemNonInventoryAdd only; the Mod has the usual order.
    add_fields = _tags(
        """
        Name BarCode IsActive ParentRef ClassRef ManufacturerPartNumber UnitOfMeasureSetRef
        IsTaxIncluded SalesTaxCodeRef PriceBlock ExternalGUID
        """
    )
    mod_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef ManufacturerPartNumber UnitOfMeasureSetRef
        ForceUOMChange IsTaxIncluded SalesTaxCodeRef PriceBlockMod
        """
    )


class ServiceItemMapper(_PriceBlockItemMapper):
    object_type = "serviceproducts"
    payload_types = ("serviceproduct",)
    qb_type = "ItemService"
    notice_name = "Serviceproduct"
    label = "service"
    add_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef UnitOfMeasureSetRef IsTaxIncluded
        SalesTaxCodeRef PriceBlock ExternalGUID
        """
    )
    mod_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef UnitOfMeasureSetRef ForceUOMChange
        IsTaxIncluded SalesTaxCodeRef PriceBlockMod
        """
    )


class OtherChargeItemMapper(_PriceBlockItemMapper):
    object_type = "otherchargeproducts"
    payload_types = ("otherchargeproduct",)
    qb_type = "ItemOtherCharge"
    notice_name = "Otherchargeproduct"
    label = "other-charge"
    add_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef IsTaxIncluded SalesTaxCodeRef PriceBlock
        ExternalGUID
        """
    )
    mod_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef IsTaxIncluded SalesTaxCodeRef PriceBlockMod
        """
    )


class DiscountItemMapper(ItemMapper):
    object_type = "discountproducts"
    payload_types = ("discountproduct",)
    qb_type = "ItemDiscount"
    notice_name = "Discountproduct"
    label = "discount"
    add_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef ItemDesc SalesTaxCodeRef DiscountChoice
        AccountRef ExternalGUID
        """
    )
    mod_fields = _tags(
        """
        Name BarCode IsActive ClassRef ParentRef ItemDesc SalesTaxCodeRef DiscountChoice
        AccountRef ApplyAccountRefToExistingTxns
        """
    )

    def accounts_for_add(self, obj: ObjectView) -> tuple[str, ...]:
        return ("account_name",)


class SalesTaxItemMapper(ItemMapper):
    object_type = "salestaxproducts"
    payload_types = ("salestaxproduct",)
    qb_type = "ItemSalesTax"
    notice_name = "Salestaxproduct"
    label = "sales-tax"
    # Sales-tax items cannot be sub-items (no ParentRef), so parent_name is ignored.
    add_fields = _tags(
        """
        Name BarCode IsActive ClassRef ItemDesc TaxRate TaxVendorRef SalesTaxReturnLineRef
        ExternalGUID
        """
    )
    mod_fields = _tags(
        """
        Name BarCode IsActive ClassRef ItemDesc TaxRate TaxVendorRef SalesTaxReturnLineRef
        """
    )


ITEM_MAPPERS: list[Mapper] = [
    InventoryItemMapper(),
    NonInventoryItemMapper(),
    ServiceItemMapper(),
    DiscountItemMapper(),
    SalesTaxItemMapper(),
    OtherChargeItemMapper(),
]
# The object types of items: one QuickBooks name space, whatever route created the item.
ITEM_TYPES: frozenset[str] = frozenset(m.object_type for m in ITEM_MAPPERS)
