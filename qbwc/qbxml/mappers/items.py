"""The six QuickBooks item types FlowLink writes (flowlink §6.14–6.16, qbxml §18).

Each mapper lists its Add and Mod children in the order of the 13.0 XSD (16.0 is
identical for every item aggregate used here); qbwc.qbxml.mappers.item_fields knows how
to write each tag from the payload, so the order lives in one visible place per type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.types.items import (
    DiscountItemType,
    InventoryItemType,
    ItemType,
    NonInventoryItemType,
    OtherChargeItemType,
    SalesTaxItemType,
    ServiceItemType,
)
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    UPSERT,
    Element,
    LookupResult,
    Mapper,
    ObjectView,
    as_found,
    param,
)
from qbwc.qbxml.mappers.item_fields import (
    ITEM_NAME_MAX,
    item_name,
    price_block,
    tags,
    write_fields,
    write_name,
)
from qbwc.qbxml.values import PayloadError, is_blank

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


def _article(label: str) -> str:
    return "an" if label[:1] in "aeiou" else "a"


def _missing_account(field: str, label: str) -> MissingAccountError:
    return MissingAccountError(
        field,
        f"is required to create {_article(label)} {label} item in QuickBooks; "
        f"send {field} or set the quickbooks_{field} parameter",
    )


class ItemMapper(Mapper, ItemType):
    """Shared lookup and request skeleton of every item type."""

    name_max_length = ITEM_NAME_MAX
    label: ClassVar[str]  # "inventory", used in failure messages
    add_fields: ClassVar[tuple[str, ...]]  # the …Add children in XSD order
    mod_fields: ClassVar[tuple[str, ...]]  # the …Mod children after ListID/EditSequence

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        try:
            super().validate(payload, params, adds_only=adds_only)
        except MissingAccountError:
            # Only an Add needs the accounts, and whether this item needs one is known
            # only after the lookup; add() raises again then. The Mod must still build.
            self.mod(as_found(self.view(payload, params)))

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


class InventoryItemMapper(ItemMapper, InventoryItemType):
    qb_type = "ItemInventory"
    label = "inventory"
    add_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef ManufacturerPartNumber UnitOfMeasureSetRef
        IsTaxIncluded SalesTaxCodeRef SalesDesc SalesPrice IncomeAccountRef PurchaseDesc
        PurchaseCost PurchaseTaxCodeRef COGSAccountRef PrefVendorRef AssetAccountRef
        ReorderPoint Max QuantityOnHand TotalValue InventoryDate ExternalGUID
        """
    )
    mod_fields = tags(
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
        write_name(body, obj)
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


class NonInventoryItemMapper(_PriceBlockItemMapper, NonInventoryItemType):
    qb_type = "ItemNonInventory"
    label = "non-inventory"
    # ParentRef precedes ClassRef in ItemNonInventoryAdd only; the Mod has the usual order.
    add_fields = tags(
        """
        Name BarCode IsActive ParentRef ClassRef ManufacturerPartNumber UnitOfMeasureSetRef
        IsTaxIncluded SalesTaxCodeRef PriceBlock ExternalGUID
        """
    )
    mod_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef ManufacturerPartNumber UnitOfMeasureSetRef
        ForceUOMChange IsTaxIncluded SalesTaxCodeRef PriceBlockMod
        """
    )


class ServiceItemMapper(_PriceBlockItemMapper, ServiceItemType):
    qb_type = "ItemService"
    label = "service"
    add_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef UnitOfMeasureSetRef IsTaxIncluded
        SalesTaxCodeRef PriceBlock ExternalGUID
        """
    )
    mod_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef UnitOfMeasureSetRef ForceUOMChange
        IsTaxIncluded SalesTaxCodeRef PriceBlockMod
        """
    )


class OtherChargeItemMapper(_PriceBlockItemMapper, OtherChargeItemType):
    qb_type = "ItemOtherCharge"
    label = "other-charge"
    add_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef IsTaxIncluded SalesTaxCodeRef PriceBlock
        ExternalGUID
        """
    )
    mod_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef IsTaxIncluded SalesTaxCodeRef PriceBlockMod
        """
    )


class DiscountItemMapper(ItemMapper, DiscountItemType):
    qb_type = "ItemDiscount"
    label = "discount"
    add_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef ItemDesc SalesTaxCodeRef DiscountChoice
        AccountRef ExternalGUID
        """
    )
    mod_fields = tags(
        """
        Name BarCode IsActive ClassRef ParentRef ItemDesc SalesTaxCodeRef DiscountChoice
        AccountRef ApplyAccountRefToExistingTxns
        """
    )

    def accounts_for_add(self, obj: ObjectView) -> tuple[str, ...]:
        return ("account_name",)


class SalesTaxItemMapper(ItemMapper, SalesTaxItemType):
    qb_type = "ItemSalesTax"
    label = "sales-tax"
    # Sales-tax items cannot be sub-items (no ParentRef), so parent_name is ignored.
    add_fields = tags(
        """
        Name BarCode IsActive ClassRef ItemDesc TaxRate TaxVendorRef SalesTaxReturnLineRef
        ExternalGUID
        """
    )
    mod_fields = tags(
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
