"""Validation and computed fields of each entity on create and update (spec §5.3, §14.13).

`prepare` checks the whole record and raises one `QboFault` listing every error, then fills
what QBO computes (DisplayName, FullyQualifiedName, line amounts, TotalAmt).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Protocol

from qbo.double import faults, lines
from qbo.double.entities import DISPLAY_NAME_SPACE, SALES_TYPES, EntitySpec
from qbo.double.faults import ErrorItem, QboFault
from qbo.double.lines import ZERO, LineErrors, number, round2

ACCOUNT_CLASSES = {
    "Bank": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Receivable": "Asset",
    "Equity": "Equity",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Long Term Liability": "Liability",
    "Other Current Liability": "Liability",
    "Income": "Revenue",
    "Other Income": "Revenue",
}
ITEM_TYPES = ("Inventory", "NonInventory", "Service", "Category")
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
PSEUDO_TAX_CODES = ("TAX", "NON")


class Records(Protocol):
    unique_doc_numbers: bool

    def find(self, entity: str, ident: str) -> dict[str, Any] | None: ...

    def live(self, entity: str) -> Iterable[dict[str, Any]]: ...

    def applied_to_invoice(self, invoice_id: str, except_payment: str | None) -> Decimal: ...

    def item_movement(self, item_id: str) -> Decimal: ...


def prepare(company: Records, spec: EntitySpec, record: dict[str, Any]) -> None:
    errors: list[ErrorItem] = []
    for name in spec.required:
        if record.get(name) in (None, "", []):
            errors.append(faults.required(name))
    for name, limit in spec.lengths.items():
        value = record.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(faults.too_long(name, limit, len(value)))
    refs = [(key, entity, record.get(key)) for key, entity in spec.refs.items() if key in record]
    errors += check_refs(company, refs + lines.line_refs(record))
    errors += PREPARERS.get(spec.name, _nothing)(company, record)
    if errors:
        raise QboFault(errors)


def check_refs(company: Records, refs: list[tuple[str, str, Any]]) -> list[ErrorItem]:
    errors = []
    for element, entity, ref in refs:
        if not isinstance(ref, dict) or ref.get("value") in (None, ""):
            errors.append(faults.invalid_value(element, f"{element} needs a value"))
            continue
        ident = str(ref["value"])
        if entity == "TaxCode" and ident in PSEUDO_TAX_CODES:
            continue
        target = company.find(entity, ident)
        if target is None:
            errors.append(faults.invalid_reference(element, entity, ident))
        elif target.get("Active") is False:
            errors.append(faults.inactive_reference(element, entity, ident))
        else:
            ref["value"] = ident
            label = target.get("DisplayName") or target.get("Name")
            if label and entity != "TaxCode":
                ref["name"] = target.get("FullyQualifiedName") or label
    return errors


def _nothing(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    return []


def _same_name(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _name_taken(
    company: Records, entities: Iterable[str], field: str, name: str, own: Any
) -> ErrorItem | None:
    for entity in entities:
        for other in company.live(entity):
            if other.get("Id") != own and _same_name(str(other.get(field, "")), name):
                return faults.duplicate_name(entity, name)
    return None


def _qualified(company: Records, entity: str, record: dict[str, Any], name: str) -> str:
    parent_ref = record.get("ParentRef")
    parent = company.find(entity, str(parent_ref["value"])) if parent_ref else None
    if parent is None:
        record.pop("Level", None)
        return name
    record["Level"] = int(parent.get("Level", 0)) + 1
    return f"{parent.get('FullyQualifiedName') or name}:{name}"


def _person(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    """Customer and Vendor: DisplayName from the name parts, unique across both (6240)."""
    if not record.get("DisplayName"):
        parts = [str(record[p]) for p in NAME_PARTS if record.get(p)]
        if not parts:
            return [faults.required("DisplayName")]
        record["DisplayName"] = " ".join(parts)
    name = str(record["DisplayName"])
    record.setdefault("PrintOnCheckName", name)
    record.setdefault("Active", True)
    taken = _name_taken(company, DISPLAY_NAME_SPACE, "DisplayName", name, record.get("Id"))
    if "ParentRef" in record:
        record["Job"] = True
    record["FullyQualifiedName"] = _qualified(company, "Customer", record, name)
    return [taken] if taken else []


def _item(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    errors: list[ErrorItem] = []
    record.setdefault("Active", True)
    kind = record.get("Type")
    if kind is not None and kind not in ITEM_TYPES:
        errors.append(faults.invalid_value("Type", f"Invalid Enumeration : {kind}"))
    if kind == "Inventory":
        record.setdefault("TrackQtyOnHand", True)
        for field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
            if field not in record:
                errors.append(faults.required(field))
        if record.get("TrackQtyOnHand"):
            for field in ("InvStartDate", "QtyOnHand"):
                if record.get(field) is None:
                    errors.append(faults.required(field))
        qty = number(record.get("QtyOnHand"))
        if qty is not None and record.get("Id"):
            # QtyOnHand sent on update is the new count; keep it net of later movements.
            record["_QtyBase"] = qty + company.item_movement(str(record["Id"]))
        elif qty is not None:
            record["_QtyBase"] = qty
    elif kind in ("NonInventory", "Service"):
        record["TrackQtyOnHand"] = False
        if "IncomeAccountRef" not in record and "ExpenseAccountRef" not in record:
            errors.append(faults.required("IncomeAccountRef"))
    name = str(record.get("Name") or "")
    if ":" in name:
        errors.append(faults.invalid_value("Name", "Name can not contain a colon (:)"))
    if "ParentRef" in record:
        record["SubItem"] = True
    record["FullyQualifiedName"] = _qualified(company, "Item", record, name)
    taken = _name_taken(
        company, ("Item",), "FullyQualifiedName", record["FullyQualifiedName"], record.get("Id")
    )
    return errors + ([taken] if taken and name else [])


def _account(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    record.setdefault("Active", True)
    kind = record.get("AccountType")
    errors: list[ErrorItem] = []
    if kind is not None and kind not in ACCOUNT_CLASSES:
        errors.append(faults.invalid_value("AccountType", f"Invalid Enumeration : {kind}"))
    elif kind is not None:
        record["Classification"] = ACCOUNT_CLASSES[kind]
    record.setdefault("CurrentBalance", ZERO)
    name = str(record.get("Name") or "")
    if "ParentRef" in record:
        record["SubAccount"] = True
    record["FullyQualifiedName"] = _qualified(company, "Account", record, name)
    taken = _name_taken(
        company, ("Account",), "FullyQualifiedName", record["FullyQualifiedName"], record.get("Id")
    )
    return errors + ([taken] if taken and name else [])


def _payment_method(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    record.setdefault("Active", True)
    record.setdefault("Type", "NON_CREDIT_CARD")
    name = str(record.get("Name") or "")
    taken = _name_taken(company, ("PaymentMethod",), "Name", name, record.get("Id"))
    return [taken] if taken and name else []


def _doc_number(company: Records, entity: str, record: dict[str, Any]) -> list[ErrorItem]:
    number_ = record.get("DocNumber")
    if not company.unique_doc_numbers or not number_:
        return []
    for other in company.live(entity):
        if other.get("Id") != record.get("Id") and other.get("DocNumber") == number_:
            return [faults.duplicate_doc_number(entity, str(number_), str(other["Id"]))]
    return []


def _sales(entity: str) -> Callable[[Records, dict[str, Any]], list[ErrorItem]]:
    def prepare_sales(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
        errors = LineErrors()

        def item_type(ident: str) -> Any:
            item = company.find("Item", ident)
            return item.get("Type") if item else None

        record["TotalAmt"] = round2(lines.sales_lines(record, item_type, errors))
        if entity == "Estimate":
            record.setdefault("TxnStatus", "Pending")
        return errors.errors + _doc_number(company, entity, record)

    return prepare_sales


def _purchase_order(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    errors = LineErrors()
    record["TotalAmt"] = round2(lines.purchase_lines(record, errors))
    record.setdefault("POStatus", "Open")
    return errors.errors + _doc_number(company, "PurchaseOrder", record)


def _journal(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    errors = LineErrors()
    record["TotalAmt"] = round2(lines.journal_lines(record, errors))
    return errors.errors + _doc_number(company, "JournalEntry", record)


def _payment(company: Records, record: dict[str, Any]) -> list[ErrorItem]:
    errors: list[ErrorItem] = []
    total = number(record.get("TotalAmt"))
    if total is None:
        return errors  # already reported as required
    applied = ZERO
    customer = (record.get("CustomerRef") or {}).get("value")
    for line in record.get("Line") or []:
        amount = number(line.get("Amount")) if isinstance(line, dict) else None
        if amount is None:
            errors.append(faults.required("Line.Amount"))
            continue
        line["Amount"] = round2(amount)
        for linked in line.get("LinkedTxn") or []:
            ident, kind = str(linked.get("TxnId", "")), linked.get("TxnType")
            invoice = company.find("Invoice", ident) if kind == "Invoice" else None
            if invoice is None:
                errors.append(faults.invalid_reference("Line.LinkedTxn", str(kind), ident))
                continue
            if str((invoice.get("CustomerRef") or {}).get("value")) != str(customer):
                errors.append(faults.business(f"Invoice {ident} belongs to another customer."))
            open_ = invoice["TotalAmt"] - company.applied_to_invoice(ident, record.get("Id"))
            if line["Amount"] > open_:
                errors.append(faults.business(f"Payment exceeds the open balance of {ident}."))
        applied += line["Amount"]
    record["TotalAmt"] = round2(total)
    if applied > record["TotalAmt"]:
        errors.append(faults.business("The amount applied is more than the payment amount."))
    record["UnappliedAmt"] = record["TotalAmt"] - applied
    return errors


PREPARERS: dict[str, Callable[[Records, dict[str, Any]], list[ErrorItem]]] = {
    "Customer": _person,
    "Vendor": _person,
    "Item": _item,
    "Account": _account,
    "PaymentMethod": _payment_method,
    "PurchaseOrder": _purchase_order,
    "JournalEntry": _journal,
    "Payment": _payment,
    **{entity: _sales(entity) for entity in SALES_TYPES},
}
