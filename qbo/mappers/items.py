"""The six FlowLink item routes (flowlink §6.14–6.16) as QuickBooks Online Items.

QBO has four item types (Inventory, NonInventory, Service, Category). Products are
Inventory items, non-inventory products NonInventory, service products Service; the
Desktop-only kinds are modelled as docs/objects/qbo-lists.md explains: other-charge and
discount products become Service items, sales-tax products are refused (QBO calculates
sales tax itself and has no item for it).

Item names are unique across every type, inactive items included, so an item is looked
up across all of them, inactive ones too, and reactivated when FlowLink sends it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from django.utils import timezone

from objects.types.base import UPSERT, ObjectView, first_present
from objects.types.items import (
    DiscountItemType,
    InventoryItemType,
    ItemType,
    NonInventoryItemType,
    OtherChargeItemType,
    SalesTaxItemType,
    ServiceItemType,
)
from objects.types.values import PayloadError, is_blank, is_on, to_decimal
from qbo.mappers import fields as F
from qbo.mappers.base import ITEM_NAME_MAX, Found, Lookup, QboMapper, Ref, q

# Accounts of QBO's starter chart of accounts, used when no parameter names one.
SALES_INCOME = "Sales of Product Income"
SERVICES_INCOME = "Services"
COST_OF_GOODS_SOLD = "Cost of Goods Sold"
INVENTORY_ASSET = "Inventory Asset"

# Tax codes FlowLink sends for goods that are not taxable (QuickBooks Desktop's "Non").
_NON_TAXABLE_CODES = frozenset({"NON", "NONE", "EXEMPT"})


def _article(label: str) -> str:
    return "an" if label[:1].lower() in "aeiou" else "a"


def _date(value: Any, field: str) -> str:
    """A FlowLink date or datetime as a QBO date (YYYY-MM-DD)."""
    raw = str(value).strip()
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        raise PayloadError(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


class ItemMapper(QboMapper, ItemType):
    """Shared identity, lookup and fields of every item route."""

    entity = "Item"
    natural_key = "Name"
    qbo_type: ClassVar[str]  # the QBO Item Type this route writes
    label: ClassVar[str]  # "service", for messages

    # -- identity and lookup ------------------------------------------------------

    def identity_key(self, payload: Mapping[str, Any]) -> str:
        return first_present(payload, "product_id", "sku", "id")[0]

    def split_path(self, view: ObjectView) -> tuple[str, str]:
        """(parent's full name or "", leaf Name) of the identity.

        A transaction names a sub-item by its full name, "Parent:Child" (objects.types.lines
        queues that name as the line's item; qbo.mappers.documents.item_ref sends it as
        the FullyQualifiedName): the leaf is QBO's Name, the rest its parent.
        """
        field = self.identity_key(view.payload)
        path = view.identity
        if ":" not in path:
            return "", path
        if not is_blank(view.payload.get("parent_name")):
            # QBO keeps the path in FullyQualifiedName; a leaf name cannot hold one.
            raise PayloadError(
                field,
                "cannot contain ':' in QuickBooks Online when parent_name is sent; send "
                "the item's own name",
            )
        parent, _, name = path.rpartition(":")
        if not name or any(not part for part in parent.split(":")):
            raise PayloadError(
                field, f"{path!r} is not a full item name (Parent:Child) QuickBooks Online takes"
            )
        for part in parent.split(":"):
            F.text(part, field, ITEM_NAME_MAX)
        return parent, name

    def item_name(self, view: ObjectView) -> str:
        field = self.identity_key(view.payload)
        return F.text(self.split_path(view)[1], field, ITEM_NAME_MAX)

    def parent(self, view: ObjectView) -> Ref | dict[str, str] | None:
        value = view.payload.get("parent_name")
        if is_blank(value):
            path = self.split_path(view)[0]
            if not path:
                return None
            return Ref("Item", path, "FullyQualifiedName", self.identity_key(view.payload))
        return F.name_ref("Item", value, "parent_name", "FullyQualifiedName")

    def lookup(self, view: ObjectView) -> Lookup:
        if view.qb_id:
            return Lookup("Item", qb_id=view.qb_id)
        name = self.item_name(view)
        parent = self.parent(view)
        if isinstance(parent, Ref):
            where = f"FullyQualifiedName = {q(f'{parent.value}:{name}')}"
        elif parent is not None:
            where = f"Name = {q(name)} AND ParentRef = {q(parent['value'])}"
        else:
            where = f"FullyQualifiedName = {q(name)}"
        # Whatever its type, and inactive ones too: the name is taken either way (6240).
        return Lookup(
            "Item", statement=f"SELECT * FROM Item WHERE {where} AND Active IN (true, false)"
        )

    def read_lookup(self, view: ObjectView, records: list[dict[str, Any]]) -> Found:
        if not records:
            return Found(found=False)
        record = records[0]
        kind = str(record.get("Type", ""))
        found = self.read_write("Item", record)
        if kind == self.qbo_type:
            return found
        if view.mode == UPSERT:
            # FlowLink sent this route's item: changing another type's record under it
            # would be a different item than the one FlowLink describes.
            label = kind.lower() if kind != "NonInventory" else "non-inventory"
            return Found(
                found=False,
                conflict=(
                    f"item '{record.get('FullyQualifiedName') or view.identity}' already "
                    f"exists in QuickBooks Online as {_article(label)} {label} item "
                    f"(Type {kind}), not as {_article(self.label)} {self.label} item"
                ),
                details=found.details,
            )
        # A transaction's item found as another type is used as it is.
        found.writable = False
        return found

    def read_write(self, entity: str, record: Mapping[str, Any]) -> Found:
        found = super().read_write(entity, record)
        found.details["type"] = str(record.get("Type", ""))
        return found

    # -- bodies ---------------------------------------------------------------------

    def create(self, view: ObjectView) -> dict[str, Any]:
        body = self.common(view)
        body["Type"] = self.qbo_type
        F.put_flag(body, "Active", view.payload.get("is_active"))
        self.fill(body, view, is_create=True)
        return body

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        body = self.common(view)
        # FlowLink sending the item again means it is in use: an inactive one comes back
        # unless FlowLink itself says it is inactive.
        is_active = view.payload.get("is_active")
        body["Active"] = True if is_blank(is_active) else is_on(is_active)
        self.fill(body, view, is_create=False)
        body.update({"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True})
        return body

    def common(self, view: ObjectView) -> dict[str, Any]:
        payload = view.payload
        body: dict[str, Any] = {"Name": self.item_name(view)}
        parent = self.parent(view)
        if parent is not None:
            body["ParentRef"] = parent
            body["SubItem"] = True
        F.put_text(body, "Sku", payload.get("sku"), "sku", F.SKU_MAX)
        F.put_text(
            body, "Description", payload.get("description"), "description", F.DESCRIPTION_MAX
        )
        code = payload.get("sales_tax_code_name")
        if isinstance(code, str) and code.strip():
            body["Taxable"] = code.strip().upper() not in _NON_TAXABLE_CODES
        return body

    def fill(self, body: dict[str, Any], view: ObjectView, *, is_create: bool) -> None:
        """The fields of this route's item type."""
        raise NotImplementedError

    def put_account(
        self, body: dict[str, Any], key: str, view: ObjectView, field: str, default: str | None
    ) -> None:
        """An account ref, else `default` (callers pass one on create only: an update
        changes an item's account only when FlowLink names one)."""
        ref = F.account_ref(view, field, default)
        if ref is not None:
            body[key] = ref

    def put_purchase(self, body: dict[str, Any], view: ObjectView) -> None:
        payload = view.payload
        F.put_text(
            body,
            "PurchaseDesc",
            payload.get("purchase_description"),
            "purchase_description",
            F.PURCHASE_DESCRIPTION_MAX,
        )
        key = "cost" if not is_blank(payload.get("cost")) else "purchase_cost"
        F.put_number(body, "PurchaseCost", payload.get(key), key)
        vendor = payload.get("preferred_vendor_name")
        if not is_blank(vendor):
            body["PrefVendorRef"] = F.name_ref(
                "Vendor", vendor, "preferred_vendor_name", "DisplayName"
            )


class InventoryItemMapper(ItemMapper, InventoryItemType):
    qbo_type = "Inventory"
    label = "inventory"

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        if "active" not in view.payload:
            return super().update(view, current)
        # Upstream quirk kept on purpose (flowlink §6.14): an `active` key means
        # "reactivate", whatever its value, and nothing else is changed.
        return {
            "Name": self.item_name(view),
            "Active": True,
            "Id": current["Id"],
            "SyncToken": current["SyncToken"],
            "sparse": True,
        }

    def fill(self, body: dict[str, Any], view: ObjectView, *, is_create: bool) -> None:
        payload = view.payload
        F.put_number(body, "UnitPrice", payload.get("price"), "price")
        self.put_purchase(body, view)
        F.put_number(body, "ReorderPoint", payload.get("reorder_point"), "reorder_point")
        self.put_account(
            body, "IncomeAccountRef", view, "income_account", SALES_INCOME if is_create else None
        )
        self.put_account(
            body,
            "ExpenseAccountRef",
            view,
            "cogs_account",
            COST_OF_GOODS_SOLD if is_create else None,
        )
        self.put_account(
            body,
            "AssetAccountRef",
            view,
            "inventory_account",
            INVENTORY_ASSET if is_create else None,
        )
        if not is_create:
            # Quantity and start date are opening values (flowlink §6.14, as Desktop's
            # Add-only QuantityOnHand): counts change through set_inventory, and a product
            # FlowLink sends again must not reset the count QBO has moved since.
            return
        body["TrackQtyOnHand"] = True
        quantity = payload.get("quantity")
        body["QtyOnHand"] = 0 if is_blank(quantity) else F.number(quantity, "quantity")
        start = payload.get("inventory_date")
        body["InvStartDate"] = (
            timezone.localdate().isoformat() if is_blank(start) else _date(start, "inventory_date")
        )


class _PriceBlockItemMapper(ItemMapper):
    """Non-inventory, service and other-charge items: FlowLink's price block (§6.15).

    SalesOrPurchase (`sales_or_purchase` on, `sales_and_purchase` not) has one price and
    one account (`account_name`); otherwise the sales and purchase sides are separate.
    QBO has no percentage price, so a `price_percent` without a `price` is refused.
    """

    default_income_account: ClassVar[str]  # of the starter chart, used on create

    def fill(self, body: dict[str, Any], view: ObjectView, *, is_create: bool) -> None:
        payload = view.payload
        default = self.default_income_account if is_create else None
        if is_blank(payload.get("price")) and not is_blank(payload.get("price_percent")):
            raise PayloadError(
                "price_percent",
                "QuickBooks Online items have no percentage price; send price instead",
            )
        F.put_number(body, "UnitPrice", payload.get("price"), "price")
        and_on = is_on(payload.get("sales_and_purchase"))
        or_on = is_on(payload.get("sales_or_purchase"))
        if or_on and not and_on:
            self.put_account(body, "IncomeAccountRef", view, "account_name", default)
            return
        self.put_account(body, "IncomeAccountRef", view, "income_account", default)
        self.put_purchase(body, view)
        self.put_account(body, "ExpenseAccountRef", view, "expense_account", None)


class NonInventoryItemMapper(_PriceBlockItemMapper, NonInventoryItemType):
    qbo_type = "NonInventory"
    label = "non-inventory"
    default_income_account = SALES_INCOME


class ServiceItemMapper(_PriceBlockItemMapper, ServiceItemType):
    qbo_type = "Service"
    label = "service"
    default_income_account = SERVICES_INCOME


class OtherChargeItemMapper(_PriceBlockItemMapper, OtherChargeItemType):
    """QBO has no other-charge type: a charge (shipping, a fee, an adjustment item) is
    not a good, so it is a Service item."""

    qbo_type = "Service"
    label = "service"
    default_income_account = SERVICES_INCOME


class DiscountItemMapper(ItemMapper, DiscountItemType):
    """QBO has no discount type: a Service item whose price is the discount, negated, so
    a line of it subtracts. Only an amount: QBO items have no percentage price (a
    percentage discount is a transaction's DiscountLineDetail)."""

    qbo_type = "Service"
    label = "service"

    def fill(self, body: dict[str, Any], view: ObjectView, *, is_create: bool) -> None:
        payload = view.payload
        rate = payload.get("discount_rate")
        if not is_blank(rate):
            body["UnitPrice"] = F.number(-abs(to_decimal(rate, "discount_rate")), "discount_rate")
        elif not is_blank(payload.get("discount_rate_percent")):
            raise PayloadError(
                "discount_rate_percent",
                "QuickBooks Online items have no percentage price; send discount_rate "
                "(an amount) instead",
            )
        # A discount reduces sales: by default it posts against the sales income account.
        default = SALES_INCOME if is_create else None
        self.put_account(body, "IncomeAccountRef", view, "account_name", default)


class SalesTaxItemMapper(ItemMapper, SalesTaxItemType):
    """Refused: QBO calculates US sales tax itself (automated sales tax) and has no item
    for it; tax rates and agencies are not created through the Item entity."""

    # No QBO item has this type: any item found under the name is another route's.
    qbo_type = "SalesTax"
    label = "sales-tax"

    def fill(self, body: dict[str, Any], view: ObjectView, *, is_create: bool) -> None:
        raise PayloadError(
            self.identity_key(view.payload),
            "QuickBooks Online has no sales-tax items (it calculates sales tax itself); "
            "set up the tax rate in QuickBooks Online instead of sending a salestaxproduct",
        )


ITEM_MAPPERS: tuple[ItemMapper, ...] = (
    InventoryItemMapper(),
    NonInventoryItemMapper(),
    ServiceItemMapper(),
    OtherChargeItemMapper(),
    DiscountItemMapper(),
    SalesTaxItemMapper(),
)
