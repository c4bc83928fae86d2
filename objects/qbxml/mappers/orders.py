"""FlowLink orders → QuickBooks sales orders (flowlink §6.2, §6.3; qbxml §18)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.qbxml import elements as E
from objects.qbxml import values
from objects.qbxml.mappers.base import (
    ENSURE,
    REQUIRE,
    Dependency,
    Element,
    LookupResult,
    Mapper,
    ObjectView,
    require,
)
from objects.qbxml.parse import text_of
from objects.qbxml.values import PayloadError, is_blank, is_on

REF_NUMBER_MAX = 11

# flowlink §5.1: the placeholder upstream put on transactions without an address.
PLACEHOLDER_ADDRESS: dict[str, str] = {
    "firstname": "Generic",
    "lastname": "Customer",
    "address1": "No Address",
    "address2": "No Address",
    "city": "No City",
    "state": "Pennsylvania",
    "zipcode": "12345",
    "country": "US",
    "phone": "555-555-1212",
}

# flowlink §6.2: adjustment name → (object field, parameter, sign). Checked in this order
# because "shipping_discount" also contains "discount" and "shipping".
ADJUSTMENT_ITEMS: tuple[tuple[str, str, str, int], ...] = (
    ("shipping_discount", "shipping_discount_item", "quickbooks_shipping_discount_item", 1),
    ("discount", "discount_item", "quickbooks_discount_item", -1),
    ("shipping", "shipping_item", "quickbooks_shipping_item", 1),
    ("tax", "tax_item", "quickbooks_tax_item", 1),
)


def derive_ref_number(identity: str, max_length: int = REF_NUMBER_MAX) -> str:
    """Upstream-compatible RefNumber: the last 11 characters of a longer id (flowlink §5.5)."""
    return identity[-max_length:]


def address_or_placeholder(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping) and any(not is_blank(v) for v in value.values()):
        return value
    return PLACEHOLDER_ADDRESS


def customer_name(payload: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[str, Any]:
    """The CustomerRef value and the field it came from."""
    email = params.get("quickbooks_customer_email")
    if not is_blank(email):
        return "parameters.quickbooks_customer_email", email
    customer = payload.get("customer")
    if isinstance(customer, Mapping):
        if not is_blank(customer.get("list_id")):
            return "customer.list_id", {"list_id": customer["list_id"]}
        if not is_blank(customer.get("name")):
            return "customer.name", customer["name"]
    elif not is_blank(customer):
        return "customer", customer
    raise PayloadError("customer.name", "is required (the QuickBooks customer of the order)")


class OrderMapper(Mapper):
    object_type = "orders"
    payload_types = ("order",)
    echo_key = "orders"
    notice_name = "Order"
    qb_type = "SalesOrder"
    is_transaction = True

    def identity(self, payload: Mapping[str, Any]) -> str:
        value = require(payload, "id")
        return str(value.strip() if isinstance(value, str) else value)

    def ref_number(self, obj: ObjectView) -> str:
        return derive_ref_number(obj.identity)

    def reference(self, obj: ObjectView) -> str:
        return obj.identity

    # -- dependencies -------------------------------------------------------
    def dependencies(
        self, payload: Mapping[str, Any], params: Mapping[str, Any]
    ) -> list[Dependency]:
        deps: list[Dependency] = []
        field, ref = customer_name(payload, params)
        if not isinstance(ref, Mapping):
            deps.append(self._customer_dependency(payload, params, str(ref), field))
        auto_create = is_on(params.get("quickbooks_auto_create_products"))
        seen: set[str] = set()
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
        for _, item_name, _ in self._adjustment_lines(payload, params):
            if item_name.upper() not in seen:
                seen.add(item_name.upper())
                deps.append(Dependency("products", {"product_id": item_name}, REQUIRE))
        return deps

    def _customer_dependency(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], name: str, field: str
    ) -> Dependency:
        if (
            field == "parameters.quickbooks_customer_email"
            or is_on(params.get("quickbooks_do_not_update_customer"))
            or is_on(payload.get("quickbooks_do_not_update_customer"))
        ):
            return Dependency("customers", {"name": name}, REQUIRE)
        customer = payload.get("customer")
        if is_on(params.get("quickbooks_use_customer_object")) and isinstance(customer, Mapping):
            return Dependency("customers", dict(customer), ENSURE)
        billing = address_or_placeholder(payload.get("billing_address"))
        shipping = address_or_placeholder(payload.get("shipping_address"))
        built: dict[str, Any] = {
            "name": name,
            "firstname": billing.get("firstname"),
            "lastname": billing.get("lastname"),
            "company": billing.get("company"),
            "phone": billing.get("phone"),
            "email": payload.get("email"),
            "billing_address": dict(billing),
            "shipping_address": dict(shipping),
        }
        return Dependency("customers", {k: v for k, v in built.items() if not is_blank(v)}, ENSURE)

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
    ) -> list[tuple[Mapping[str, Any], str, Any]]:
        """(adjustment, item name, signed value) for every adjustment that becomes a line."""
        out: list[tuple[Mapping[str, Any], str, Any]] = []
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
            for needle, field, parameter, sign in ADJUSTMENT_ITEMS:
                if needle in name:
                    if needle == "tax" and use_tax_lines:
                        break
                    item = payload.get(field) or params.get(parameter)
                    if is_blank(item):
                        raise PayloadError(
                            f"adjustments[{index}]",
                            f"no QuickBooks item for '{adjustment.get('name')}' adjustments; "
                            f"set the {parameter} parameter (or {field} on the order)",
                        )
                    out.append((adjustment, str(item), value * sign))
                    break
        if use_tax_lines:
            tax_item = payload.get("tax_item") or params.get("quickbooks_tax_item")
            for index, tax_line in enumerate(payload.get("tax_line_items") or []):
                raw = tax_line.get("value", tax_line.get("amount"))
                if is_blank(raw) or values.to_decimal(raw, f"tax_line_items[{index}].value") == 0:
                    continue
                if is_blank(tax_item):
                    raise PayloadError(
                        f"tax_line_items[{index}]",
                        "no QuickBooks item for tax lines; set the quickbooks_tax_item parameter",
                    )
                out.append((tax_line, str(tax_item), values.to_decimal(raw, "tax_line_items")))
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
        E.add_price(node, "Quantity", line.get("quantity"), f"line_items[{index}].quantity")
        E.add_text(
            node,
            "UnitOfMeasure",
            line.get("unit_of_measure"),
            f"line_items[{index}].unit_of_measure",
            31,
        )
        rate = line.get("line_item_price", line.get("price"))
        if is_blank(line.get("amount")) or not is_blank(rate):
            E.add_price(node, "Rate", rate, f"line_items[{index}].price")
        E.add_ref(node, "ClassRef", line.get("class_name"), f"line_items[{index}].class_name")
        if not is_blank(line.get("amount")) and is_blank(rate):
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

    def _adjustment_line(
        self,
        parent: Element,
        tag: str,
        obj: ObjectView,
        adjustment: Mapping[str, Any],
        item: str,
        value: Any,
        txn_line_id: str | None,
    ) -> None:
        node = E.child(parent, tag)
        if txn_line_id is not None:
            E.child(node, "TxnLineID", txn_line_id)
        E.add_ref(node, "ItemRef", item, "adjustments.item", 159)
        E.add_text(
            node,
            "Desc",
            adjustment.get("description") or adjustment.get("name"),
            "adjustments.name",
            4095,
        )
        use_amount = not is_blank(adjustment.get("amount")) or is_on(
            obj.params.get("use_amount_for_tax")
        )
        if use_amount:
            E.add_amount(node, "Amount", value, "adjustments.value")
        else:
            E.child(node, "Quantity", "0")
            E.add_price(node, "Rate", value, "adjustments.value")

    def _lines(
        self, rq_body: Element, obj: ObjectView, tag: str, existing: list[dict[str, str]] | None
    ) -> None:
        payload = obj.payload
        lines = payload.get("line_items") or []
        adjustments = self._adjustment_lines(payload, obj.params)
        if not lines and not adjustments:
            raise PayloadError("line_items", "an order needs at least one line")
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
            self._line(rq_body, tag, obj, line, index, take(str(line.get("product_id", ""))))
        for adjustment, item, value in adjustments:
            self._adjustment_line(rq_body, tag, obj, adjustment, item, value, take(item))

    # -- header -------------------------------------------------------------------
    def _header(self, body: Element, obj: ObjectView, is_add: bool) -> None:
        payload = obj.payload
        field, ref = customer_name(payload, obj.params)
        E.add_ref(body, "CustomerRef", ref, field)
        E.add_ref(body, "ClassRef", payload.get("class_name"), "class_name")
        E.add_ref(body, "TemplateRef", payload.get("template"), "template", 31)
        E.add_date(body, "TxnDate", payload.get("placed_on"), "placed_on")
        E.child(body, "RefNumber", values.text(self.ref_number(obj), "id", REF_NUMBER_MAX))
        E.add_address(
            body,
            "BillAddress",
            address_or_placeholder(payload.get("billing_address")),
            "billing_address",
        )
        E.add_address(
            body,
            "ShipAddress",
            address_or_placeholder(payload.get("shipping_address")),
            "shipping_address",
        )
        E.add_text(
            body, "PONumber", payload.get("purchase_order_number"), "purchase_order_number", 25
        )
        E.add_ref(body, "TermsRef", payload.get("terms_name"), "terms_name", 31)
        E.add_date(body, "ShipDate", payload.get("ship_date"), "ship_date")
        status = str(payload.get("status") or "").lower()
        if status in ("cancelled", "canceled", "closed"):
            E.child(body, "IsManuallyClosed", "true")
        E.add_text(body, "Memo", payload.get("memo"), "memo", 4095)
        if is_add:
            guid = values.guid(obj.external_guid or payload.get("external_guid"))
            if guid:
                E.child(body, "ExternalGUID", guid)

    def add(self, obj: ObjectView) -> Element:
        rq = E.element("SalesOrderAddRq")
        body = E.child(rq, "SalesOrderAdd")
        self._header(body, obj, is_add=True)
        self._lines(body, obj, "SalesOrderLineAdd", None)
        return rq

    def mod(self, obj: ObjectView) -> Element:
        rq = E.element("SalesOrderModRq")
        body = E.child(rq, "SalesOrderMod")
        E.child(body, "TxnID", obj.qb_id)
        E.child(body, "EditSequence", obj.edit_sequence)
        self._header(body, obj, is_add=False)
        self._lines(body, obj, "SalesOrderLineMod", list(obj.qb_state.get("lines", [])))
        return rq

    # -- lookup -------------------------------------------------------------------
    def lookup(self, obj: ObjectView) -> Element:
        rq = E.element("SalesOrderQueryRq")
        if obj.qb_id:
            E.child(rq, "TxnID", obj.qb_id)
        else:
            E.child(
                rq,
                "RefNumberCaseSensitive",
                values.text(self.ref_number(obj), "id", REF_NUMBER_MAX),
            )
        E.child(rq, "IncludeLineItems", "true")
        return rq

    def read_lookup(self, obj: ObjectView, rets: list[Element]) -> LookupResult:
        """Pick our sales order among those sharing the RefNumber (RefNumbers are not unique)."""
        if not rets:
            return LookupResult(found=False)
        ours = obj.external_guid.upper()
        chosen = None
        for ret in rets:
            if obj.qb_id and text_of(ret, "TxnID") == obj.qb_id:
                chosen = ret
                break
            if ours and text_of(ret, "ExternalGUID").upper() == ours:
                chosen = ret
                break
        if chosen is None:
            foreign = [r for r in rets if text_of(r, "ExternalGUID")]
            untagged = [r for r in rets if not text_of(r, "ExternalGUID")]
            if untagged and len(untagged) == 1:
                # Most likely created before qbsync (upstream sent no valid GUID): adopt it.
                chosen = untagged[0]
            else:
                ref = self.ref_number(obj)
                other = text_of((foreign or untagged)[0], "TxnID")
                return LookupResult(
                    found=False,
                    conflict=f"RefNumber {ref} collides with QuickBooks sales order {other}",
                )
        lines = [
            {"txn_line_id": text_of(line, "TxnLineID"), "item": text_of(line, "ItemRef/FullName")}
            for line in chosen.findall("SalesOrderLineRet")
        ]
        return LookupResult(
            found=True,
            qb_id=text_of(chosen, "TxnID"),
            edit_sequence=text_of(chosen, "EditSequence"),
            details={"lines": lines},
        )
