"""What the double knows about each entity: kind, filterable properties, references, limits.

Name lists (Customer, Vendor, Item, Account, PaymentMethod, TaxCode) take ids from a counter
of their own and cannot be deleted; transactions share one id counter (spec §5.1, §14.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMMON_FILTERS = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
SALES = ("DocNumber", "TxnDate", "CustomerRef", "TotalAmt")


@dataclass(frozen=True)
class EntitySpec:
    name: str
    is_list: bool
    filters: tuple[str, ...] = ()
    refs: dict[str, str] = field(default_factory=dict)  # top-level reference -> entity
    required: tuple[str, ...] = ()
    lengths: dict[str, int] = field(default_factory=dict)
    void: str | None = None  # "operation" (?operation=void) or "include" (&include=void)
    creatable: bool = True
    in_cdc: bool = True
    has_lines: bool = False

    @property
    def filterable(self) -> dict[str, str]:
        """Lower-case property path -> canonical path (query paths are case-insensitive)."""
        paths = COMMON_FILTERS + self.filters + (("Active",) if self.is_list else ())
        return {path.lower(): path for path in paths}

    @property
    def path(self) -> str:
        return self.name.lower()


def _spec(name: str, is_list: bool, **kw: Any) -> EntitySpec:
    return EntitySpec(name, is_list, **kw)


NAME_LENGTHS = {"DisplayName": 500, "GivenName": 100, "FamilyName": 100, "CompanyName": 100}
DOC_LENGTHS = {"DocNumber": 21, "PrivateNote": 4000}

SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "Customer",
            True,
            filters=(
                "DisplayName",
                "GivenName",
                "FamilyName",
                "CompanyName",
                "FullyQualifiedName",
                "PrimaryEmailAddr",
                "Balance",
            ),
            refs={"ParentRef": "Customer", "PaymentMethodRef": "PaymentMethod"},
            lengths=NAME_LENGTHS,
        ),
        _spec(
            "Vendor",
            True,
            filters=(
                "DisplayName",
                "GivenName",
                "FamilyName",
                "CompanyName",
                "PrimaryEmailAddr",
                "Balance",
            ),
            lengths=NAME_LENGTHS,
        ),
        _spec(
            "Item",
            True,
            filters=("Name", "Type", "Sku", "FullyQualifiedName", "ParentRef"),
            refs={
                "ParentRef": "Item",
                "IncomeAccountRef": "Account",
                "ExpenseAccountRef": "Account",
                "AssetAccountRef": "Account",
            },
            required=("Name", "Type"),
            lengths={"Name": 100, "Sku": 100, "Description": 4000},
        ),
        _spec(
            "Account",
            True,
            filters=(
                "Name",
                "AccountType",
                "AccountSubType",
                "Classification",
                "FullyQualifiedName",
                "CurrentBalance",
            ),
            refs={"ParentRef": "Account"},
            required=("Name", "AccountType"),
            lengths={"Name": 100, "AcctNum": 7},
        ),
        _spec("TaxCode", True, filters=("Name",), creatable=False, in_cdc=False),
        _spec("PaymentMethod", True, filters=("Name", "Type"), required=("Name",)),
        _spec("CompanyInfo", False, creatable=False, in_cdc=False),
        _spec(
            "Invoice",
            False,
            filters=(*SALES, "DueDate", "Balance"),
            refs={"CustomerRef": "Customer"},
            required=("CustomerRef", "Line"),
            lengths=DOC_LENGTHS,
            void="operation",
            has_lines=True,
        ),
        _spec(
            "SalesReceipt",
            False,
            filters=SALES,
            refs={
                "CustomerRef": "Customer",
                "DepositToAccountRef": "Account",
                "PaymentMethodRef": "PaymentMethod",
            },
            required=("Line",),
            lengths=DOC_LENGTHS,
            void="include",
            has_lines=True,
        ),
        _spec(
            "Estimate",
            False,
            filters=(*SALES, "ExpirationDate"),
            refs={"CustomerRef": "Customer"},
            required=("CustomerRef", "Line"),
            lengths=DOC_LENGTHS,
            has_lines=True,
        ),
        _spec(
            "CreditMemo",
            False,
            filters=SALES,
            refs={"CustomerRef": "Customer"},
            required=("CustomerRef", "Line"),
            lengths=DOC_LENGTHS,
            has_lines=True,
        ),
        _spec(
            "RefundReceipt",
            False,
            filters=SALES,
            refs={
                "CustomerRef": "Customer",
                "DepositToAccountRef": "Account",
                "PaymentMethodRef": "PaymentMethod",
            },
            required=("Line", "DepositToAccountRef"),
            lengths=DOC_LENGTHS,
            has_lines=True,
        ),
        _spec(
            "Payment",
            False,
            filters=("TxnDate", "CustomerRef", "TotalAmt", "PaymentRefNum"),
            refs={
                "CustomerRef": "Customer",
                "DepositToAccountRef": "Account",
                "PaymentMethodRef": "PaymentMethod",
            },
            required=("CustomerRef", "TotalAmt"),
            lengths={"PaymentRefNum": 21, "PrivateNote": 4000},
            void="include",
        ),
        _spec(
            "PurchaseOrder",
            False,
            filters=("DocNumber", "TxnDate", "VendorRef", "TotalAmt", "POStatus"),
            refs={"VendorRef": "Vendor", "APAccountRef": "Account"},
            required=("VendorRef", "Line"),
            lengths=DOC_LENGTHS,
            has_lines=True,
        ),
        _spec(
            "JournalEntry",
            False,
            filters=("DocNumber", "TxnDate", "TotalAmt"),
            required=("Line",),
            lengths=DOC_LENGTHS,
            has_lines=True,
        ),
    )
}

BY_PATH = {spec.path: spec for spec in SPECS.values()}
BY_LOWER_NAME = {name.lower(): spec for name, spec in SPECS.items()}
# Customer, Vendor (and Employee, not simulated) share one DisplayName space.
DISPLAY_NAME_SPACE = ("Customer", "Vendor")
SALES_TYPES = ("Invoice", "SalesReceipt", "Estimate", "CreditMemo", "RefundReceipt")
# Fields the caller cannot set: QBO ignores them on input and recomputes them.
READ_ONLY = frozenset(
    {
        "Id",
        "SyncToken",
        "MetaData",
        "domain",
        "sparse",
        "TotalAmt",
        "Balance",
        "BalanceWithJobs",
        "HomeBalance",
        "HomeTotalAmt",
        "FullyQualifiedName",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
        "UnappliedAmt",
        "RemainingCredit",
        "Level",
        "status",
    }
)


def read_only(entity: str) -> frozenset[str]:
    # A payment's TotalAmt is what the customer paid, so the caller sets it.
    return READ_ONLY - {"TotalAmt"} if entity == "Payment" else READ_ONLY


def lookup_path(record: dict[str, Any], path: str) -> Any:
    """Follow a dotted path case-insensitively; references yield their `value`."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(match) if match is not None else None
    if isinstance(value, dict):
        if "value" in value:
            return value["value"]
        if "Address" in value:  # PrimaryEmailAddr
            return value["Address"]
    return value
