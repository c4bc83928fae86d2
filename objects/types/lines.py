"""What every FlowLink transaction with item and adjustment lines shares (flowlink §5.6, §6.2).

Orders, invoices, credit memos, sales receipts, returns, purchase orders and shipments
are siblings on `LinesType`: their customer (or vendor) and the items their lines and
adjustments are booked on are the records they depend on. A type whose payload comes in
another shape (a return's `items`, a shipment) says how it reads as an order in
`normalise`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.types.base import (
    ENSURE,
    NOT_FOUND_HINT,
    REQUIRE,
    Dependency,
    TransactionType,
    require,
)
from objects.types.sales import (
    ADJUSTMENT_ITEMS,
    AdjustmentLine,
    customer_dependency,
    customer_name,
    is_cancelled,
)
from objects.types.values import PayloadError, is_blank, is_on, to_decimal


class LinesType(TransactionType):
    """Base of every transaction type with item and adjustment lines."""

    # The object's adjustments[] and tax_line_items[] become lines (credit memos: never).
    has_adjustments: ClassVar[bool] = True
    # quickbooks_use_customer_object may send the object's `customer` as it is.
    uses_customer_object: ClassVar[bool] = True
    # A cancelled status without lines closes the record and changes nothing else.
    closes_on_cancel: ClassVar[bool] = True

    def normalise(self, payload: Mapping[str, Any], params: Mapping[str, Any]) -> Mapping[str, Any]:
        """The payload in the shape of an order; most types come in it already."""
        return payload

    def is_bare_cancel(self, payload: Mapping[str, Any]) -> bool:
        """A cancel_order that names the order but not its contents: close it, change nothing."""
        return self.closes_on_cancel and is_cancelled(payload) and not payload.get("line_items")

    # -- dependencies -------------------------------------------------------
    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        payload = self.normalise(payload, params)
        if self.is_bare_cancel(payload):
            return []
        deps: list[Dependency] = []
        field, ref = customer_name(payload, params)
        if not isinstance(ref, Mapping):
            deps.append(self._customer_dependency(payload, params, str(ref), field))
        return deps + self.item_dependencies(payload, params)

    def item_dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        """The items the lines and adjustments are booked on (flowlink §5.6, §7.2)."""
        if self.is_bare_cancel(payload):
            return []  # closing by id alone writes no lines
        deps: list[Dependency] = []
        seen: set[str] = set()
        # quickbooks_use_product_objects: a line's or adjustment's item sent in products[]
        # is written as sent, in its place; products no line names follow at the end.
        given = self._product_objects(payload, params)
        auto_create = is_on(params.get("quickbooks_auto_create_products"))
        for index, line in enumerate(payload.get("line_items") or []):
            if not isinstance(line, Mapping):
                raise PayloadError(f"line_items[{index}]", "must be an object")
            product_id = (
                str(require(line, "product_id")) if line.get("product_id") is not None else ""
            )
            if not product_id:
                raise PayloadError(f"line_items[{index}].product_id", "is required")
            if product_id.upper() in seen:
                continue
            seen.add(product_id.upper())
            if product_id.upper() in given:
                deps.append(given.pop(product_id.upper()))
                continue
            creatable = (
                auto_create
                and not is_blank(line.get("quantity"))
                and float(to_decimal(line.get("quantity"), f"line_items[{index}].quantity")) != 0
            )
            if creatable:
                deps.append(Dependency("products", self._item_payload(line, params), ENSURE))
            else:
                deps.append(Dependency("products", {"product_id": product_id}, REQUIRE))
        for line in self.adjustment_lines(payload, params):
            if line.item.upper() in seen:
                continue
            seen.add(line.item.upper())
            if line.item.upper() in given:
                deps.append(given.pop(line.item.upper()))
                continue
            account = params.get(line.account_parameter)
            if not is_blank(account):
                # flowlink §7.2: with its account configured, a missing adjustment item is
                # created as an other-charge item (an existing one of any type is used as
                # it is).
                item: dict[str, Any] = {
                    "product_id": line.item,
                    "description": line.item,
                    "sales_or_purchase": True,
                    "account_name": account,
                }
                deps.append(Dependency("otherchargeproducts", item, ENSURE))
            else:
                required = {"product_id": line.item, NOT_FOUND_HINT: line.not_found_hint()}
                deps.append(Dependency("products", required, REQUIRE))
        return deps + list(given.values())

    def _product_objects(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> dict[str, Dependency]:
        """flowlink §5.6: with quickbooks_use_product_objects the object's `products[]` are the
        items to create, as they are; keyed by upper-cased item name, in payload order."""
        if not is_on(params.get("quickbooks_use_product_objects")):
            return {}
        products = payload.get("products")
        if is_blank(products):
            return {}
        if not isinstance(products, list):
            raise PayloadError("products", "must be a list of objects")
        given: dict[str, Dependency] = {}
        for index, product in enumerate(products):
            if not isinstance(product, Mapping):
                raise PayloadError(f"products[{index}]", "must be an object")
            # The item identity rule (flowlink §5.5): product_id, else sku, else id.
            name = next(
                (
                    str(product[k])
                    for k in ("product_id", "sku", "id")
                    if not is_blank(product.get(k))
                ),
                None,
            )
            if name is None:
                raise PayloadError(f"products[{index}].product_id", "is required")
            given.setdefault(name.upper(), Dependency("products", dict(product), ENSURE))
        return given

    def _customer_dependency(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], name: str, field: str
    ) -> Dependency:
        return customer_dependency(
            payload, params, name, field, use_object=self.uses_customer_object
        )

    def _item_payload(self, line: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {
            "product_id": str(line["product_id"]),
            "description": line.get("description") or line.get("name"),
            "price": line.get("price"),
            "cost": line.get("cost"),
            "unit_of_measure": line.get("unit_of_measure"),
        }
        for account in ("income_account", "cogs_account", "inventory_account"):
            value = line.get(account) or params.get(f"quickbooks_{account}")
            if not is_blank(value):
                item[account] = value
        return {k: v for k, v in item.items() if not is_blank(v)}

    # -- lines ------------------------------------------------------------------
    def adjustment_lines(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[AdjustmentLine]:
        """Every adjustment and tax line that becomes a line, with the item it is booked on."""
        out: list[AdjustmentLine] = []
        if not self.has_adjustments:
            return out
        use_tax_lines = is_on(params.get("quickbooks_use_tax_line_items")) and bool(
            payload.get("tax_line_items")
        )
        for index, adjustment in enumerate(payload.get("adjustments") or []):
            if not isinstance(adjustment, Mapping):
                raise PayloadError(f"adjustments[{index}]", "must be an object")
            raw = adjustment.get("value", adjustment.get("amount"))
            if is_blank(raw):
                continue
            value = to_decimal(raw, f"adjustments[{index}].value")
            if value == 0:
                continue
            name = str(adjustment.get("name") or "").lower()
            for kind, field, parameter, sign in ADJUSTMENT_ITEMS:
                if kind in name:
                    if kind == "tax" and use_tax_lines:
                        break
                    chosen_by = field if not is_blank(payload.get(field)) else parameter
                    item = payload.get(field) or params.get(parameter)
                    if is_blank(item):
                        raise PayloadError(
                            f"adjustments[{index}]",
                            f"no QuickBooks item for '{adjustment.get('name')}' adjustments; "
                            f"set the {parameter} parameter (or {field} on the order)",
                        )
                    out.append(
                        AdjustmentLine(
                            adjustment,
                            str(item),
                            value * sign,
                            kind,
                            chosen_by,
                            f"adjustments[{index}]",
                        )
                    )
                    break
        if use_tax_lines:
            chosen_by = (
                "tax_item" if not is_blank(payload.get("tax_item")) else "quickbooks_tax_item"
            )
            tax_item = payload.get("tax_item") or params.get("quickbooks_tax_item")
            for index, tax_line in enumerate(payload.get("tax_line_items") or []):
                if not isinstance(tax_line, Mapping):
                    raise PayloadError(f"tax_line_items[{index}]", "must be an object")
                raw = tax_line.get("value", tax_line.get("amount"))
                where = f"tax_line_items[{index}].value"
                if is_blank(raw) or to_decimal(raw, where) == 0:
                    continue
                if is_blank(tax_item):
                    raise PayloadError(
                        f"tax_line_items[{index}]",
                        "no QuickBooks item for tax lines; set the quickbooks_tax_item parameter",
                    )
                value = to_decimal(raw, where)
                out.append(
                    AdjustmentLine(
                        tax_line, str(tax_item), value, "tax", chosen_by, f"tax_line_items[{index}]"
                    )
                )
        return out
