"""What the simulator knows about qbXML object kinds, references and status texts.

Everything here works without Intuit's XSDs (they never ship with qbsync), so the
simulator runs anywhere; when an XSD folder is given, `qb_order` refines the element
order of the records it returns.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# List kinds: identified by ListID (qbxml.md §6.1). Taken from the 13.0/16.0 schemas.
ITEM_KINDS: tuple[str, ...] = (
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemInventoryAssembly",
    "ItemFixedAsset",
    "ItemSubtotal",
    "ItemDiscount",
    "ItemPayment",
    "ItemSalesTax",
    "ItemSalesTaxGroup",
    "ItemGroup",
)
ENTITY_KINDS: tuple[str, ...] = ("Customer", "Vendor", "Employee", "OtherName")
TERMS_KINDS: tuple[str, ...] = ("StandardTerms", "DateDrivenTerms")

LIST_KINDS: frozenset[str] = frozenset(
    ITEM_KINDS
    + ENTITY_KINDS
    + TERMS_KINDS
    + (
        "Account",
        "Lead",
        "Class",
        "SalesRep",
        "CustomerType",
        "VendorType",
        "JobType",
        "CustomerMsg",
        "PaymentMethod",
        "ShipMethod",
        "SalesTaxCode",
        "ToDo",
        "PayrollItemWage",
        "PayrollItemNonWage",
        "Template",
        "InventorySite",
        "PriceLevel",
        "BillingRate",
        "Vehicle",
        "UnitOfMeasureSet",
        "WorkersCompCode",
        "Currency",
    )
)

# Transaction kinds: identified by TxnID.
TXN_KINDS: frozenset[str] = frozenset(
    (
        "Invoice",
        "Estimate",
        "SalesOrder",
        "SalesReceipt",
        "CreditMemo",
        "Charge",
        "PurchaseOrder",
        "Bill",
        "ItemReceipt",
        "VendorCredit",
        "SalesTaxPaymentCheck",
        "InventoryAdjustment",
        "TimeTracking",
        "Check",
        "CreditCardCharge",
        "CreditCardCredit",
        "JournalEntry",
        "Deposit",
        "BuildAssembly",
        "TransferInventory",
        "Transfer",
        "ReceivePayment",
        "BillPaymentCheck",
        "BillPaymentCreditCard",
        "ARRefundCreditCard",
        "VehicleMileage",
    )
)

# Queries that span several lists; their Rs holds each record under its own …Ret tag.
MULTI_KIND_QUERIES: dict[str, tuple[str, ...]] = {
    "Item": ITEM_KINDS,
    "Entity": ENTITY_KINDS,
    "Terms": TERMS_KINDS,
}

# Lists whose Ret carries FullName/ParentRef/Sublevel (a colon path); the others have
# only Name, although references to them still use <FullName> (= Name).
HIERARCHICAL_KINDS: frozenset[str] = frozenset(
    (
        "Account",
        "Customer",
        "Class",
        "CustomerType",
        "VendorType",
        "JobType",
        "ItemService",
        "ItemNonInventory",
        "ItemOtherCharge",
        "ItemInventory",
        "ItemInventoryAssembly",
        "ItemDiscount",
    )
)

# The element holding a list record's name; SalesRep is named by its initials.
NAME_FIELDS: dict[str, str | None] = {"SalesRep": "Initial", "Lead": "FullName", "ToDo": None}

SALES_KINDS: frozenset[str] = frozenset(
    ("Invoice", "Estimate", "SalesOrder", "SalesReceipt", "CreditMemo")
)
PURCHASE_KINDS: frozenset[str] = frozenset(
    ("PurchaseOrder", "Bill", "ItemReceipt", "VendorCredit", "Check", "CreditCardCharge")
)

# Computed defaults QuickBooks adds to a new list record (values from real samples).
LIST_DEFAULTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Customer": (("Balance", "0.00"), ("TotalBalance", "0.00"), ("JobStatus", "None")),
    "Vendor": (("Balance", "0.00"),),
    "Account": (("Balance", "0.00"), ("TotalBalance", "0.00")),
    "ItemInventory": (
        ("QuantityOnHand", "0"),
        ("AverageCost", "0.00"),
        ("QuantityOnOrder", "0"),
        ("QuantityOnSalesOrder", "0"),
    ),
    "ItemInventoryAssembly": (
        ("QuantityOnHand", "0"),
        ("AverageCost", "0.00"),
        ("QuantityOnOrder", "0"),
        ("QuantityOnSalesOrder", "0"),
    ),
}

# Fields that exist on an Add but not on the Ret; QuickBooks turns them into state.
ADD_ONLY_FIELDS: frozenset[str] = frozenset(
    (
        "OpenBalance",
        "OpenBalanceDate",
        "TotalValue",
        "InventoryDate",
        "SetCredit",
        "LinkToTxnID",
        "LinkToTxn",
        "IsAutoApply",
        "DataExt",
    )
)
RENAMED_ON_RET: dict[str, str] = {
    "BarCode": "BarCodeValue",
    "Contacts": "ContactsRet",
    "AdditionalNotes": "AdditionalNotesRet",
}

# --- references (qbxml.md §6.5) ------------------------------------------------------

_REF_TARGETS: dict[str, tuple[str, ...]] = {
    "CustomerRef": ("Customer",),
    "VendorRef": ("Vendor",),
    "PrefVendorRef": ("Vendor",),
    "TaxVendorRef": ("Vendor",),
    "EntityRef": ENTITY_KINDS,
    "PayeeEntityRef": ENTITY_KINDS,
    "ShipToEntityRef": ENTITY_KINDS,
    "SalesRepEntityRef": ENTITY_KINDS,
    "SupervisorRef": ("Employee",),
    "ItemRef": ITEM_KINDS,
    "ItemGroupRef": ("ItemGroup",),
    "ItemSalesTaxRef": ("ItemSalesTax", "ItemSalesTaxGroup"),
    "ItemPurchaseTaxRef": ("ItemSalesTax", "ItemSalesTaxGroup"),
    "ItemInventoryRef": ("ItemInventory",),
    "ItemInventoryAssemblyRef": ("ItemInventoryAssembly",),
    "TermsRef": TERMS_KINDS,
    "SalesRepRef": ("SalesRep",),
    "PaymentMethodRef": ("PaymentMethod",),
    "PreferredPaymentMethodRef": ("PaymentMethod",),
    "ShipMethodRef": ("ShipMethod",),
    "TemplateRef": ("Template",),
    "InventorySiteRef": ("InventorySite",),
    "FromInventorySiteRef": ("InventorySite",),
    "ToInventorySiteRef": ("InventorySite",),
    "CustomerTypeRef": ("CustomerType",),
    "VendorTypeRef": ("VendorType",),
    "JobTypeRef": ("JobType",),
    "PriceLevelRef": ("PriceLevel",),
    "CurrencyRef": ("Currency",),
    "CustomerMsgRef": ("CustomerMsg",),
    "UnitOfMeasureSetRef": ("UnitOfMeasureSet",),
    "OverrideUOMSetRef": ("UnitOfMeasureSet",),
    "BillingRateRef": ("BillingRate",),
    "VehicleRef": ("Vehicle",),
    "WorkersCompCodeRef": ("WorkersCompCode",),
    "PayrollItemWageRef": ("PayrollItemWage",),
}

# The company seeds none of these lists; a reference into one of them is accepted as
# given while the list is still empty (and checked once a test adds a record to it).
LENIENT_WHEN_EMPTY: frozenset[str] = frozenset(
    (
        "InventorySite",
        "CustomerType",
        "VendorType",
        "JobType",
        "PriceLevel",
        "Currency",
        "UnitOfMeasureSet",
        "BillingRate",
        "Vehicle",
        "WorkersCompCode",
        "PayrollItemWage",
        "ItemGroup",
        "ItemInventoryAssembly",
    )
)

_TYPE_WORDS: dict[tuple[str, ...], str] = {
    ITEM_KINDS: "Item",
    ENTITY_KINDS: "Entity",
    TERMS_KINDS: "Terms",
    ("ItemSalesTax", "ItemSalesTaxGroup"): "ItemSalesTax",
}


def ref_targets(tag: str, owner_kind: str) -> tuple[str, ...] | None:
    """Return the kinds a `…Ref` element may point to; None when the simulator has no list."""
    if tag == "ParentRef":
        if owner_kind in ITEM_KINDS:
            return ITEM_KINDS
        return (owner_kind,)
    if tag in _REF_TARGETS:
        return _REF_TARGETS[tag]
    if tag.endswith("AccountRef"):
        return ("Account",)
    if tag.endswith("ClassRef"):
        return ("Class",)
    if tag.endswith("TaxCodeRef"):
        return ("SalesTaxCode",)
    return None


def type_word(targets: tuple[str, ...]) -> str:
    """Name the list the way the 3140 text does ("QuickBooks Customer", "QuickBooks Item")."""
    return _TYPE_WORDS.get(targets, targets[0])


def namespace_of(kind: str) -> str:
    """Names are unique per namespace: entities share one, items share one (qbxml.md §6.1)."""
    if kind in ENTITY_KINDS:
        return "Entity"
    if kind in ITEM_KINDS:
        return "Item"
    if kind in TERMS_KINDS:
        return "Terms"
    return kind


def is_list(kind: str) -> bool:
    return kind in LIST_KINDS


def is_txn(kind: str) -> bool:
    return kind in TXN_KINDS


def split_request_tag(tag: str) -> tuple[str, str] | None:
    """Split `CustomerAddRq` into ("Customer", "Add"); None for other shapes."""
    if not tag.endswith("Rq"):
        return None
    body = tag[:-2]
    for verb in ("Query", "Add", "Mod"):
        if body.endswith(verb) and len(body) > len(verb):
            return body[: -len(verb)], verb
    return None


# --- line elements -------------------------------------------------------------------

JOURNAL_LINES: tuple[str, str] = ("JournalDebitLine", "JournalCreditLine")
_LINES_WITHOUT_ID: frozenset[str] = frozenset(
    ("DiscountLineRet", "SalesTaxLineRet", "ShippingLineRet", "AppliedToTxnRet")
)


def is_line_tag(tag: str) -> bool:
    """Tell whether a child of a transaction Ret is a line (returned only with IncludeLineItems)."""
    return tag in JOURNAL_LINES or tag.endswith("LineRet") or tag.endswith("LineGroupRet")


def line_ret_tag(add_tag: str) -> str:
    """Map an Add-side line tag to its Ret tag (`InvoiceLineAdd` -> `InvoiceLineRet`)."""
    if add_tag.endswith("Add"):
        return add_tag[:-3] + "Ret"
    return add_tag


def line_has_id(ret_tag: str) -> bool:
    return ret_tag not in _LINES_WITHOUT_ID


def is_add_line(tag: str) -> bool:
    return tag in JOURNAL_LINES or (tag.endswith("Add") and ("Line" in tag or "Applied" in tag))


def is_mod_line(tag: str) -> bool:
    return tag.endswith("Mod") and ("Line" in tag or "Applied" in tag)


def mod_line_family(mod_tag: str) -> tuple[str, ...]:
    """The Ret line tags a line-Mod element replaces (unmentioned ones are deleted)."""
    if mod_tag == "JournalLineMod":
        return JOURNAL_LINES
    base = mod_tag[:-3]
    if base.endswith("LineGroup"):
        base = base[: -len("Group")]
    if base.endswith("Line") and base not in ("ExpenseLine", "ItemLine", "ItemGroupLine"):
        return (base + "Ret", base + "GroupRet")
    if base in ("ItemLine", "ItemGroupLine"):
        return ("ItemLineRet", "ItemGroupLineRet")
    return (base + "Ret",)


# --- status codes and texts (qbxml.md §13, real samples) ------------------------------

OK_TEXT = "Status OK"
EMPTY_TEXT = "A query request did not find a matching object in QuickBooks"
NOT_PROCESSED_CODE = 3231
NOT_PROCESSED_TEXT = "The request has not been processed."
UNSUPPORTED_CODE = 3250
UNSUPPORTED_TEXT = "This feature is not enabled or not available in this version of QuickBooks."
_NOT_IN_LIST = (
    "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
)

PARSE_HRESULT = "0x80040400"
HRESULT_TEXTS: dict[str, str] = {
    "0x80040400": "QuickBooks found an error when parsing the provided XML text stream.",
    "0x80040401": "Could not access QuickBooks.",
    "0x80040402": "Unexpected error. Check the qbsdklog.txt file for possible additional "
    "information.",
    "0x80040408": "Could not start QuickBooks.",
    "0x8004040D": "The ticket parameter is invalid.",
    "0x80040414": "A modal dialog box is showing in the QuickBooks user interface. "
    "Your application cannot access QuickBooks until the user dismisses the dialog box.",
    "0x8004041B": "Unable to lock the necessary information to allow this application to access "
    "the company file. Try again later.",
    "0x80040423": "The version of QBXML that was requested is not supported or is unknown.",
    "0x80040424": "QuickBooks did not finish its initialization. Please try again later.",
}


def severity(code: int) -> str:
    if code >= 1000:
        return "Error"
    if code >= 500:
        return "Warn"
    return "Info"


def missing_element_text(name: str) -> str:
    return (
        "The query request has not been fully completed. There was a required element "
        f'("{name}") that could not be found in QuickBooks.'
    )


def not_found_text(object_id: str) -> str:
    # Two spaces after each sentence, as QuickBooks writes it (sample 3120).
    return f'Object "{object_id}" specified in the request cannot be found.  {_NOT_IN_LIST}'


def invalid_reference_text(word: str, value: str, where: str) -> str:
    return (
        f'There is an invalid reference to QuickBooks {word} "{value}" in the {where}.  '
        + _NOT_IN_LIST
    )


def name_in_use_text(name: str) -> str:
    return f'The name "{name}" of the list element is already in use.'


def stale_edit_sequence_text(edit_sequence: str) -> str:
    return (
        f'The provided edit sequence "{edit_sequence}" is out-of-date. '  # trailing space is real
    )


def bad_iterator_text(iterator_id: str) -> str:
    return f'The iteratorID "{iterator_id}" is not valid.'


# --- money -----------------------------------------------------------------------------

CENT = Decimal("0.01")


def to_decimal(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))
