"""Customers and vendors (flowlink §6.12, §6.13) as CustomerAdd/Mod and VendorAdd/Mod.

Children are listed in the order of qbxml130.xsd / qbxml160.xsd (identical for these
aggregates, qbxml.md §18). Maximum lengths of names and refs are the XSD facets, checked
here so an over-long value fails its object with a named field instead of failing the
schema check (or QuickBooks with 3070) later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from objects.types.customers import CustomerType, VendorType, fallback
from qbwc.qbxml import elements as E
from qbwc.qbxml import values
from qbwc.qbxml.mappers.base import (
    Element,
    Mapper,
    ObjectView,
    add_param_ref,
)
from qbwc.qbxml.values import PayloadError, is_blank

# Enumerations of the XSD (same in 13.0 and 16.0).
JOB_STATUSES = ("Awarded", "Closed", "InProgress", "None", "NotAwarded", "Pending")
DELIVERY_METHODS = ("None", "Email", "Fax")
SALES_TAX_COUNTRIES = ("Australia", "Canada", "UK", "US")
REPORTING_PERIODS = ("Monthly", "Quarterly")

# FullName facets of the ref groups: ListRef 159, SimpleListRef 31, SalesRepListRef 5,
# SalesTaxCodeListRef 3, CurrencyListRef 64. Unrestricted refs keep the 209 of a full path.
LIST_REF = 159
SIMPLE_REF = 31
SALES_REP_REF = 5
SALES_TAX_CODE_REF = 3
CURRENCY_REF = 64

MAX_ADDITIONAL_CONTACTS = 8
MAX_CONTACT_ADDITIONAL_CONTACTS = 5
MAX_SHIP_TO_ADDRESSES = 50


def _enum(value: Any, field: str, allowed: Sequence[str]) -> str:
    """Return the XSD spelling of an enumeration value given in any case."""
    # Payloads come from many shops: accept "in progress" or "not_awarded" for the XSD value
    # rather than fail the customer over spelling; anything else is refused by name.
    wanted = str(value).strip().lower().replace(" ", "").replace("_", "")
    for option in allowed:
        if option.lower() == wanted:
            return option
    raise PayloadError(field, f"{value!r} is not one of {', '.join(allowed)}")


def _add_enum(parent: Element, tag: str, value: Any, field: str, allowed: Sequence[str]) -> None:
    if is_blank(value):
        return
    E.child(parent, tag, _enum(value, field, allowed))


def _entries(value: Any, field: str, limit: int | None = None) -> list[Mapping[str, Any]]:
    """Return the hashes of a FlowLink array field, checked against the XSD's maxOccurs."""
    if is_blank(value):
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise PayloadError(field, "must be a list of objects")
    if limit is not None and len(value) > limit:
        raise PayloadError(field, f"has {len(value)} entries; QuickBooks allows {limit}")
    return value


def _add_additional_contacts(parent: Element, value: Any, field: str, limit: int) -> None:
    entries = _entries(value, field)
    # Upstream skipped entries lacking a name or a value; both are required by the XSD.
    usable = [
        (i, e)
        for i, e in enumerate(entries)
        if not is_blank(e.get("name")) and not is_blank(e.get("value"))
    ]
    if len(usable) > limit:
        raise PayloadError(field, f"has {len(usable)} entries; QuickBooks allows {limit}")
    for index, entry in usable:
        ref = E.child(parent, "AdditionalContactRef")
        E.child(ref, "ContactName", values.text(entry["name"], f"{field}[{index}].name", 40))
        E.child(ref, "ContactValue", values.text(entry["value"], f"{field}[{index}].value", 255))


def _add_contacts(parent: Element, value: Any) -> None:
    for index, entry in enumerate(_entries(value, "contacts")):
        field = f"contacts[{index}]"
        if is_blank(entry.get("firstname")):
            raise PayloadError(f"{field}.firstname", "is required")
        node = E.child(parent, "Contacts")
        E.add_text(node, "Salutation", entry.get("salutation"), f"{field}.salutation", 15)
        E.add_text(node, "FirstName", entry.get("firstname"), f"{field}.firstname", 25)
        E.add_text(node, "MiddleName", entry.get("middlename"), f"{field}.middlename", 5)
        E.add_text(node, "LastName", entry.get("lastname"), f"{field}.lastname", 25)
        E.add_text(node, "JobTitle", entry.get("job_title"), f"{field}.job_title", 41)
        _add_additional_contacts(
            node,
            entry.get("additional_contacts"),
            f"{field}.additional_contacts",
            MAX_CONTACT_ADDITIONAL_CONTACTS,
        )


def _add_additional_notes(parent: Element, value: Any) -> None:
    if is_blank(value):
        return
    if not isinstance(value, list):
        raise PayloadError("additional_notes", "must be a list")
    for index, entry in enumerate(value):
        # Upstream sent the whole {"id", "note"} hash as the note text; only `note` is text.
        note = entry.get("note") if isinstance(entry, Mapping) else entry
        if is_blank(note):
            continue
        node = E.child(parent, "AdditionalNotes")
        E.child(node, "Note", values.text(note, f"additional_notes[{index}].note", 4095))


def _add_ship_to_addresses(parent: Element, value: Any) -> None:
    entries = _entries(value, "ship_to_address", MAX_SHIP_TO_ADDRESSES)
    for index, entry in enumerate(entries):
        field = f"ship_to_address[{index}]"
        if is_blank(entry.get("name")):
            raise PayloadError(f"{field}.name", "is required")
        # Unlike BillAddress, ShipToAddressData wraps the address in Name … DefaultShipTo.
        node = E.child(parent, "ShipToAddress")
        E.child(node, "Name", values.text(entry["name"], f"{field}.name", 41))
        for key, tag, max_length in E.ADDRESS_FIELDS:
            E.add_text(node, tag, entry.get(key), f"{field}.{key}", max_length)
        E.add_bool(node, "DefaultShipTo", entry.get("default_ship_to"))


def _add_person(parent: Element, payload: Mapping[str, Any], address_key: str) -> None:
    """Add CompanyName, the PersonName group (FlowLink has no suffix) and JobTitle."""
    company, field = fallback(payload, "company", address_key)
    E.add_text(parent, "CompanyName", company, field, 41)
    E.add_text(parent, "Salutation", payload.get("salutation"), "salutation", 15)
    first, field = fallback(payload, "firstname", address_key)
    E.add_text(parent, "FirstName", first, field, 25)
    E.add_text(parent, "MiddleName", payload.get("middlename"), "middlename", 5)
    last, field = fallback(payload, "lastname", address_key)
    E.add_text(parent, "LastName", last, field, 25)
    E.add_text(parent, "JobTitle", payload.get("job_title"), "job_title", 41)


def _add_comm_info(parent: Element, payload: Mapping[str, Any], address_key: str) -> None:
    """Add the CommInfo group and the AdditionalContactRef list that follows it."""
    phone, field = fallback(payload, "phone", address_key)
    E.add_text(parent, "Phone", phone, field, 21)
    # flowlink §6.12: `mobile` goes to AltPhone, as upstream did; get_* reads it back from
    # there as `alternative_phone`, so nothing is sent as Mobile.
    E.add_text(parent, "AltPhone", payload.get("mobile"), "mobile", 21)
    E.add_text(parent, "Fax", payload.get("fax"), "fax", 21)
    E.add_text(parent, "Email", payload.get("email"), "email", 1023)
    E.add_text(parent, "Cc", payload.get("cc"), "cc", 1023)
    E.add_text(parent, "Contact", payload.get("contact"), "contact", 41)
    E.add_text(parent, "AltContact", payload.get("alternative_contact"), "alternative_contact", 41)
    _add_additional_contacts(
        parent, payload.get("additional_contacts"), "additional_contacts", MAX_ADDITIONAL_CONTACTS
    )


def _add_opening_balance(parent: Element, payload: Mapping[str, Any]) -> None:
    # Add only: QuickBooks sets an opening balance when the record is created (no …Mod field).
    E.add_amount(parent, "OpenBalance", payload.get("open_balance"), "open_balance")
    # FlowLink sends a datetime here; OpenBalanceDate is a DATETYPE (upstream sent it as is).
    E.add_date(parent, "OpenBalanceDate", payload.get("open_balance_date"), "open_balance_date")


def _add_ref(parent: Element, tag: str, obj: ObjectView, field: str, max_length: int) -> None:
    add_param_ref(parent, tag, obj, field, max_length)


def _add_external_guid(parent: Element, obj: ObjectView) -> None:
    # flowlink §5.4: a bare UUID gets braces; integers and other junk are left out, since one
    # invalid GUIDTYPE makes QuickBooks reject the whole message.
    guid = values.guid(obj.external_guid or obj.payload.get("external_guid"))
    if guid is not None:
        E.child(parent, "ExternalGUID", guid)


def _list_name(mapper: Mapper, obj: ObjectView) -> str:
    name = values.text(mapper.identity(obj.payload), "name", mapper.name_max_length)
    if not name.strip():
        # Control characters are stripped; a name made only of them would be sent empty.
        raise PayloadError("name", "is required")
    return name


def _mod_request(rq_tag: str, mod_tag: str, obj: ObjectView) -> tuple[Element, Element]:
    rq = E.element(rq_tag)
    body = E.child(rq, mod_tag)
    E.child(body, "ListID", values.text(obj.qb_id, "list_id", 36))
    E.child(body, "EditSequence", values.text(obj.edit_sequence, "edit_sequence", 16))
    return rq, body


class _NameListMapper(Mapper):
    """Customers and vendors: one `_fill` writes the Add and the Mod body in XSD order."""

    def add(self, obj: ObjectView) -> Element:
        rq = E.element(f"{self.qb_type}AddRq")
        self._fill(E.child(rq, f"{self.qb_type}Add"), obj, is_add=True)
        return rq

    def mod(self, obj: ObjectView) -> Element:
        rq, body = _mod_request(f"{self.qb_type}ModRq", f"{self.qb_type}Mod", obj)
        self._fill(body, obj, is_add=False)
        return rq

    def _fill(self, body: Element, obj: ObjectView, *, is_add: bool) -> None:
        raise NotImplementedError


class CustomerMapper(_NameListMapper, CustomerType):
    qb_type = "Customer"
    name_max_length = 41

    def full_name(self, obj: ObjectView) -> str:
        parent = _parent_name(obj.payload)
        return f"{parent}:{obj.identity}" if parent else obj.identity

    def _fill(self, body: Element, obj: ObjectView, *, is_add: bool) -> None:
        payload = obj.payload
        E.child(body, "Name", _list_name(self, obj))
        E.add_bool(body, "IsActive", payload.get("is_active"))
        _add_ref(body, "ClassRef", obj, "class_name", LIST_REF)
        # Not from the parameter chain: a connection-wide parent would silently turn every
        # customer into a job and change the FullName it is looked up by.
        E.add_ref(body, "ParentRef", payload.get("parent_name"), "parent_name")
        _add_person(body, payload, "billing_address")
        E.add_address(body, "BillAddress", payload.get("billing_address"), "billing_address")
        E.add_address(body, "ShipAddress", payload.get("shipping_address"), "shipping_address")
        _add_ship_to_addresses(body, payload.get("ship_to_address"))
        _add_comm_info(body, payload, "billing_address")
        if is_add:
            _add_contacts(body, payload.get("contacts"))
        # On Mod, ContactsMod needs each contact's own ListID and EditSequence, which FlowLink
        # does not send; re-sending the contacts without them would duplicate them.
        _add_ref(body, "CustomerTypeRef", obj, "customer_type_name", LIST_REF)
        _add_ref(body, "TermsRef", obj, "terms", SIMPLE_REF)
        _add_ref(body, "SalesRepRef", obj, "sales_rep_name", SALES_REP_REF)
        if is_add:
            _add_opening_balance(body, payload)
        _add_ref(body, "SalesTaxCodeRef", obj, "sales_tax_code_name", SALES_TAX_CODE_REF)
        _add_ref(body, "ItemSalesTaxRef", obj, "item_sales_tax_name", SIMPLE_REF)
        _add_enum(
            body,
            "SalesTaxCountry",
            payload.get("sales_tax_country"),
            "sales_tax_country",
            SALES_TAX_COUNTRIES,
        )
        E.add_text(body, "ResaleNumber", payload.get("resale_number"), "resale_number", 15)
        E.add_text(body, "AccountNumber", payload.get("account_number"), "account_number", 99)
        E.add_amount(body, "CreditLimit", payload.get("credit_limit"), "credit_limit")
        _add_ref(
            body, "PreferredPaymentMethodRef", obj, "preferred_payment_method_name", SIMPLE_REF
        )
        _add_enum(body, "JobStatus", payload.get("job_status"), "job_status", JOB_STATUSES)
        E.add_date(body, "JobStartDate", payload.get("job_start_date"), "job_start_date")
        E.add_date(
            body,
            "JobProjectedEndDate",
            payload.get("job_projected_end_date"),
            "job_projected_end_date",
        )
        E.add_date(body, "JobEndDate", payload.get("job_end_date"), "job_end_date")
        E.add_text(body, "JobDesc", payload.get("job_description"), "job_description", 99)
        _add_ref(body, "JobTypeRef", obj, "job_type_name", LIST_REF)
        E.add_text(body, "Notes", payload.get("notes"), "notes", 4095)
        if is_add:
            _add_additional_notes(body, payload.get("additional_notes"))
        # On Mod, AdditionalNotesMod needs the QuickBooks NoteID of the note it replaces.
        _add_enum(
            body,
            "PreferredDeliveryMethod",
            payload.get("preferred_delivery_method"),
            "preferred_delivery_method",
            DELIVERY_METHODS,
        )
        _add_ref(body, "PriceLevelRef", obj, "price_level_name", SIMPLE_REF)
        if is_add:
            _add_external_guid(body, obj)
        E.add_text(
            body,
            "TaxRegistrationNumber",
            payload.get("tax_registration_number"),
            "tax_registration_number",
            30,
        )
        _add_ref(body, "CurrencyRef", obj, "currency_name", CURRENCY_REF)


def _parent_name(payload: Mapping[str, Any]) -> str:
    parent = payload.get("parent_name")
    if isinstance(parent, Mapping):
        parent = parent.get("full_name") or parent.get("name")
        if is_blank(parent):
            # Looking the job up by its bare name would find (and modify) a top-level
            # customer of that name instead, so refuse rather than guess.
            raise PayloadError("parent_name", "needs a name to look the job up by FullName")
    return "" if is_blank(parent) else str(parent)


class VendorMapper(_NameListMapper, VendorType):
    qb_type = "Vendor"

    def _fill(self, body: Element, obj: ObjectView, *, is_add: bool) -> None:
        payload = obj.payload
        E.child(body, "Name", _list_name(self, obj))
        E.add_bool(body, "IsActive", payload.get("is_active"))
        _add_ref(body, "ClassRef", obj, "class_name", LIST_REF)
        _add_person(body, payload, "vendor_address")
        E.add_address(body, "VendorAddress", payload.get("vendor_address"), "vendor_address")
        E.add_address(body, "ShipAddress", payload.get("ship_from_address"), "ship_from_address")
        _add_comm_info(body, payload, "vendor_address")
        if is_add:
            _add_contacts(body, payload.get("contacts"))
        # On Mod, ContactsMod needs each contact's own ListID and EditSequence, which FlowLink
        # does not send; re-sending the contacts without them would duplicate them.
        E.add_text(body, "NameOnCheck", payload.get("name_on_check"), "name_on_check", 41)
        E.add_text(body, "AccountNumber", payload.get("account_number"), "account_number", 99)
        E.add_text(body, "Notes", payload.get("notes"), "notes", 4095)
        if is_add:
            _add_additional_notes(body, payload.get("additional_notes"))
        # On Mod, AdditionalNotesMod needs the QuickBooks NoteID of the note it replaces.
        _add_ref(body, "VendorTypeRef", obj, "vendor_type_name", LIST_REF)
        _add_ref(body, "TermsRef", obj, "terms", SIMPLE_REF)
        E.add_amount(body, "CreditLimit", payload.get("credit_limit"), "credit_limit")
        E.add_text(body, "VendorTaxIdent", payload.get("vendor_tax_ident"), "vendor_tax_ident", 15)
        E.add_bool(body, "IsVendorEligibleFor1099", payload.get("is_vendor_eligible_for_1099"))
        if is_add:
            _add_opening_balance(body, payload)
        _add_ref(body, "BillingRateRef", obj, "billing_rate_name", SIMPLE_REF)
        if is_add:
            _add_external_guid(body, obj)
        _add_ref(body, "SalesTaxCodeRef", obj, "sales_tax_code_name", SALES_TAX_CODE_REF)
        _add_enum(
            body,
            "SalesTaxCountry",
            payload.get("sales_tax_country"),
            "sales_tax_country",
            SALES_TAX_COUNTRIES,
        )
        E.add_bool(body, "IsSalesTaxAgency", payload.get("is_sales_tax_agency"))
        _add_ref(body, "SalesTaxReturnRef", obj, "sales_tax_return_name", 209)
        E.add_text(
            body,
            "TaxRegistrationNumber",
            payload.get("tax_registration_number"),
            "tax_registration_number",
            30,
        )
        _add_enum(
            body,
            "ReportingPeriod",
            payload.get("reporting_period"),
            "reporting_period",
            REPORTING_PERIODS,
        )
        E.add_bool(body, "IsTaxTrackedOnPurchases", payload.get("is_tax_tracked_on_purchases"))
        _add_ref(body, "TaxOnPurchasesAccountRef", obj, "tax_on_purchases_account_name", LIST_REF)
        E.add_bool(body, "IsTaxTrackedOnSales", payload.get("is_tax_tracked_on_sales"))
        _add_ref(body, "TaxOnSalesAccountRef", obj, "tax_on_sales_account_name", LIST_REF)
        E.add_bool(body, "IsTaxOnTax", payload.get("is_tax_on_tax"))
        _add_ref(body, "CurrencyRef", obj, "currency_name", CURRENCY_REF)
