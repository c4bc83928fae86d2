"""FlowLink orders → QuickBooks sales orders (flowlink §6.2, §6.3; qbxml §18)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import (
    ENSURE,
    NOT_FOUND_HINT,
    REQUIRE,
    Dependency,
    Element,
    ObjectView,
    require,
)
from objects.qbxml.mappers.sales import (  # noqa: F401 (re-exported for other mappers)
    ADJUSTMENT_ITEMS,
    CANCELLED_STATUSES,
    HEADER_FIELDS,
    PLACEHOLDER_ADDRESS,
    REF_NUMBER_MAX,
    AdjustmentLine,
    address_or_placeholder,
    customer_dependency,
    customer_name,
    derive_ref_number,
    is_cancelled,
    line_value,
)
from objects.qbxml.mappers.transactions import TransactionMapper
from objects.qbxml.values import PayloadError, is_blank, is_on


class OrderMapper(TransactionMapper):
    """Sales orders, and the base of every transaction with item and adjustment lines.

    Subclasses (invoices, credit memos) set `qb_type`, the header elements they send
    (`header_tags`) and override the hooks `_after_guid` (elements between ExternalGUID
    and the lines) and `_line_tail` (line elements after SalesTaxCodeRef). Sales receipts
    and purchase orders, whose headers differ more, override `_header` and `_line`.
    """

    object_type = "orders"
    payload_types = ("order",)
    echo_key = "orders"
    notice_name = "Order"
    qb_type = "SalesOrder"
    qb_label = "sales order"
    has_adjustments: ClassVar[bool] = True
    # Adjustment lines also carry the adjustment's class_name and tax_code_id (§6.2 names
    # them for sales receipts; sales orders and invoices never sent them).
    adjustment_refs: ClassVar[bool] = False
    uses_customer_object: ClassVar[bool] = True
    # Header elements of HEADER_FIELDS this type sends (the order set is upstream's).
    header_tags: ClassVar[frozenset[str]] = frozenset(
        {
            "ClassRef",
            "TemplateRef",
            "TxnDate",
            "RefNumber",
            "BillAddress",
            "ShipAddress",
            "PONumber",
            "TermsRef",
            "ShipDate",
            "IsManuallyClosed",
            "Memo",
        }
    )
    # Header elements the Mod of this type does not accept.
    add_only_tags: ClassVar[frozenset[str]] = frozenset()

    def is_bare_cancel(self, payload: Mapping[str, Any]) -> bool:
        """A cancel_order that names the order but not its contents: close it, change nothing."""
        return (
            "IsManuallyClosed" in self.header_tags
            and is_cancelled(payload)
            and not payload.get("line_items")
        )

    def validate(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], *, adds_only: bool = False
    ) -> None:
        if self.is_bare_cancel(payload):
            view = ObjectView(self.object_type, self.identity(payload), dict(payload), dict(params))
            self.mod(ObjectView(**{**view.__dict__, "qb_id": "0-0", "edit_sequence": "0"}))
            return
        super().validate(payload, params, adds_only=adds_only)

    # -- dependencies -------------------------------------------------------
    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
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
                and float(values.to_decimal(line.get("quantity"), f"line_items[{index}].quantity"))
                != 0
            )
            if creatable:
                deps.append(Dependency("products", self._item_payload(line, params), ENSURE))
            else:
                deps.append(Dependency("products", {"product_id": product_id}, REQUIRE))
        for line in self._adjustment_lines(payload, params):
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
    def _adjustment_lines(
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
            value = values.to_decimal(raw, f"adjustments[{index}].value")
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
                if is_blank(raw) or values.to_decimal(raw, where) == 0:
                    continue
                if is_blank(tax_item):
                    raise PayloadError(
                        f"tax_line_items[{index}]",
                        "no QuickBooks item for tax lines; set the quickbooks_tax_item parameter",
                    )
                value = values.to_decimal(raw, where)
                out.append(
                    AdjustmentLine(
                        tax_line, str(tax_item), value, "tax", chosen_by, f"tax_line_items[{index}]"
                    )
                )
        return out

    def _line(
        self,
        parent: Element,
        tag: str,
        obj: ObjectView,
        line: Mapping[str, Any],
        index: int,
        txn_line_id: str | None,
    ) -> None:
        node = E.child(parent, tag)
        if txn_line_id is not None:
            E.child(node, "TxnLineID", txn_line_id)
        E.add_ref(node, "ItemRef", str(line["product_id"]), f"line_items[{index}].product_id", 159)
        E.add_text(
            node,
            "Desc",
            line.get("description") or line.get("name"),
            f"line_items[{index}].description",
            4095,
        )
        rate = line.get("line_item_price", line.get("price"))
        sends = line_value(line, rate, f"line_items[{index}]")
        if sends.quantity:
            E.add_price(node, "Quantity", line.get("quantity"), f"line_items[{index}].quantity")
        E.add_text(
            node,
            "UnitOfMeasure",
            line.get("unit_of_measure"),
            f"line_items[{index}].unit_of_measure",
            31,
        )
        if sends.rate:
            E.add_price(node, "Rate", rate, f"line_items[{index}].price")
        E.add_ref(node, "ClassRef", line.get("class_name"), f"line_items[{index}].class_name")
        if sends.amount:
            E.add_amount(node, "Amount", line.get("amount"), f"line_items[{index}].amount")
        E.add_ref(
            node,
            "InventorySiteRef",
            line.get("inventory_site_name"),
            f"line_items[{index}].inventory_site_name",
            31,
        )
        E.add_ref(
            node, "SalesTaxCodeRef", line.get("tax_code_id"), f"line_items[{index}].tax_code_id", 3
        )
        self._line_tail(node, obj, line, index, txn_line_id is None)

    def _line_tail(
        self, node: Element, obj: ObjectView, line: Mapping[str, Any], index: int, is_add: bool
    ) -> None:
        """Hook: line elements after SalesTaxCodeRef (e.g. an invoice line's LinkToTxn)."""

    def _adjustment_line(
        self,
        parent: Element,
        tag: str,
        obj: ObjectView,
        adjustment: AdjustmentLine,
        txn_line_id: str | None,
    ) -> None:
        """One adjustment or tax line (flowlink §6.2): always its value as Amount, and no
        Quantity; the class and tax code where `adjustment_refs`.

        Upstream sent Quantity 0 + Rate, which QuickBooks books as 0 × rate = 0.00. The
        Rate (the value, for one) still goes along unless the adjustment has its own
        `amount` or the flow sets use_amount_for_tax, as upstream's Amount-only lines.
        """
        entry, where, value = adjustment.entry, adjustment.where, adjustment.value
        node = E.child(parent, tag)
        if txn_line_id is not None:
            E.child(node, "TxnLineID", txn_line_id)
        E.add_ref(node, "ItemRef", adjustment.item, f"{where}.item", 159)
        E.add_text(
            node, "Desc", entry.get("description") or entry.get("name"), f"{where}.name", 4095
        )
        use_amount = not is_blank(entry.get("amount")) or is_on(
            obj.params.get("use_amount_for_tax")
        )
        if not use_amount:
            E.add_price(node, "Rate", value, f"{where}.value")
        if self.adjustment_refs:
            E.add_ref(node, "ClassRef", entry.get("class_name"), f"{where}.class_name")
        E.add_amount(node, "Amount", value, f"{where}.value")
        if self.adjustment_refs:
            E.add_ref(node, "SalesTaxCodeRef", entry.get("tax_code_id"), f"{where}.tax_code_id", 3)

    def _lines(
        self, rq_body: Element, obj: ObjectView, tag: str, existing: list[dict[str, str]] | None
    ) -> None:
        payload = obj.payload
        lines = payload.get("line_items") or []
        adjustments = self._adjustment_lines(payload, obj.params)
        if not lines and not adjustments:
            if existing is not None and self.is_bare_cancel(payload):
                return  # a Mod without lines keeps the lines QuickBooks has
            raise PayloadError("line_items", f"a {self.qb_label} needs at least one line")
        unused = list(existing or [])

        def take(item: str) -> str | None:
            if existing is None:
                return None
            # Mod: reuse the TxnLineID of the first unused line with the same item
            # (two lines with one item match by position), else add a line (-1).
            for position, old in enumerate(unused):
                if old.get("item", "").upper() == item.upper():
                    return unused.pop(position)["txn_line_id"]
            return "-1"

        for index, line in enumerate(lines):
            if not isinstance(line, Mapping):
                raise PayloadError(f"line_items[{index}]", "must be an object")
            if is_blank(line.get("product_id")):
                raise PayloadError(f"line_items[{index}].product_id", "is required")
            self._line(rq_body, tag, obj, line, index, take(str(line.get("product_id", ""))))
        for adjustment in adjustments:
            self._adjustment_line(rq_body, tag, obj, adjustment, take(adjustment.item))

    # -- header -------------------------------------------------------------------
    def _header_value(self, obj: ObjectView, fields: tuple[str, ...]) -> tuple[str, Any]:
        for name in fields:
            value = obj.payload.get(name)
            if not is_blank(value):
                return name, value
        return (fields[0] if fields else ""), None

    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        if is_add or not self.is_bare_cancel(payload):
            field, ref = customer_name(payload, obj.params)
            E.add_ref(body, "CustomerRef", ref, field)
        bare = not is_add and self.is_bare_cancel(payload)
        for tag, kind, fields, max_length in HEADER_FIELDS:
            if tag not in self.header_tags or (not is_add and tag in self.add_only_tags):
                continue
            if bare and tag != "IsManuallyClosed":
                continue  # cancelling by id alone must not overwrite the order's data
            field, value = self._header_value(obj, fields)
            if kind == "ref":
                E.add_ref(body, tag, value, field, max_length)
            elif kind == "text":
                E.add_text(body, tag, value, field, max_length)
            elif kind == "date":
                E.add_date(body, tag, value, field)
            elif kind == "bool":
                E.add_bool(body, tag, value)
            elif kind == "float":
                E.add_price(body, tag, value, field)
            elif kind == "ref_number":
                E.child(body, "RefNumber", values.text(self.ref_number(obj), "id", REF_NUMBER_MAX))
            elif kind == "address":
                E.add_address(body, tag, address_or_placeholder(value), field)
            elif kind == "closed" and is_cancelled(payload):
                E.child(body, tag, "true")
        if is_add:
            guid = values.guid(obj.external_guid or payload.get("external_guid"))
            if guid:
                E.child(body, "ExternalGUID", guid)
        self._after_guid(body, obj, is_add)

    def _after_guid(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        """Hook: header elements between ExternalGUID and the lines (LinkToTxnID, SetCredit)."""

    def add(self, obj: ObjectView) -> Element:
        if self.is_bare_cancel(obj.payload):
            raise PayloadError(
                "line_items",
                f"the {self.qb_label} is not in QuickBooks, so there is nothing to cancel; "
                "send it with its line_items to record it closed",
            )
        rq = E.element(f"{self.qb_type}AddRq")
        body = E.child(rq, f"{self.qb_type}Add")
        self._header(body, obj, is_add=True)
        self._lines(body, obj, f"{self.qb_type}LineAdd", None)
        return rq

    def mod(self, obj: ObjectView) -> Element:
        rq, body = self._mod_request(obj)
        self._header(body, obj, is_add=False)
        self._lines(body, obj, f"{self.qb_type}LineMod", list(obj.qb_state.get("lines", [])))
        return rq
