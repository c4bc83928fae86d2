"""CustomerRet and VendorRet → FlowLink records (flowlink §9.1, §9.2)."""

from __future__ import annotations

from objects.types.records import GUID_KEY, compact
from qbwc.qbxml.readers.common import (
    Element,
    Elementish,
    Node,
    Record,
    additional_contacts,
    address,
    blank,
    custom_fields,
    flag,
    integer,
    ref_name,
    text,
)


def _contacts(ret: Elementish) -> list[Record]:
    out = []
    for contact in ret.findall("ContactsRet"):
        list_id = text(contact, "ListID")
        out.append(
            {
                "id": list_id,
                "list_id": list_id,
                "qbe_id": list_id,
                "key": "qbe_id",
                "external_id": list_id,
                "created_at": text(contact, "TimeCreated"),
                "modified_at": text(contact, "TimeModified"),
                "first_name": text(contact, "FirstName"),
                "middle_name": text(contact, "MiddleName"),
                "last_name": text(contact, "LastName"),
                "salutation": text(contact, "Salutation"),
                "contact": text(contact, "Contact") or "",
                "job_title": text(contact, "JobTitle"),
                "additional_contacts": additional_contacts(contact),
            }
        )
    return out


def _notes(ret: Elementish, with_id: bool) -> list[Record]:
    out = []
    for note in ret.findall("AdditionalNotesRet"):
        item: Record = {"date": text(note, "Date"), "note": text(note, "Note")}
        if with_id:
            item = {"id": text(note, "NoteID"), **item}
        out.append(item)
    return out


def read_customer(element: Element) -> Record:
    ret = Node(element)
    list_id = text(ret, "ListID")
    ship_tos = []
    for node in ret.findall("ShipToAddress"):
        entry = {"name": text(node, "Name"), **address(node)}
        entry["default_ship_to"] = flag(node, "DefaultShipTo") or False
        ship_tos.append(entry)
    record: Record = {
        "id": list_id,
        "list_id": list_id,
        "qbe_id": list_id,
        "key": GUID_KEY,
        "external_id": list_id,
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "name": text(ret, "Name"),
        "full_name": text(ret, "FullName"),
        "email": text(ret, "Email"),
        "billing_address": address(ret.find("BillAddress")),
        "balance": text(ret, "Balance"),
        "total_balance": text(ret, "TotalBalance"),
        "job_status": text(ret, "JobStatus"),
        "shipping_address": address(ret.find("ShipAddress")),
        "ship_to_addresses": ship_tos,
        "class_name": ref_name(ret, "ClassRef"),
        "sales_rep": ref_name(ret, "SalesRepRef"),
        "is_active": flag(ret, "IsActive"),
        "phone": text(ret, "Phone"),
        "alternative_phone": text(ret, "AltPhone"),
        "fax": text(ret, "Fax"),
        "contact": text(ret, "Contact"),
        "alternative_contact": text(ret, "AltContact"),
        "sub_level": integer(ret, "Sublevel"),
        "first_name": text(ret, "FirstName"),
        "middle_name": text(ret, "MiddleName"),
        "last_name": text(ret, "LastName"),
        "company": text(ret, "CompanyName"),
        "salutation": text(ret, "Salutation"),
        "job_title": text(ret, "JobTitle"),
        "cc": text(ret, "Cc"),
        "sales_tax_country": text(ret, "SalesTaxCountry"),
        "resale_number": text(ret, "ResaleNumber"),
        "account_number": text(ret, "AccountNumber"),
        "credit_limit": text(ret, "CreditLimit"),
        "job_start_date": blank(ret, "JobStartDate"),
        "job_predicted_end_date": blank(ret, "JobProjectedEndDate"),
        "job_end_date": blank(ret, "JobEndDate"),
        "job_description": text(ret, "JobDesc"),
        "notes": text(ret, "Notes"),
        "preferred_delivery_method": text(ret, "PreferredDeliveryMethod"),
        "external_guid": text(ret, "ExternalGUID"),
        "tax_registration_number": text(ret, "TaxRegistrationNumber"),
        "currency_name": ref_name(ret, "CurrencyRef"),
        "parent_name": ref_name(ret, "ParentRef"),
        "customer_type_name": ref_name(ret, "CustomerTypeRef"),
        "terms": ref_name(ret, "TermsRef"),
        "sales_tax_code": ref_name(ret, "SalesTaxCodeRef"),
        "tax_ref": ref_name(ret, "ItemSalesTaxRef"),
        "preferred_payment_method_name": ref_name(ret, "PreferredPaymentMethodRef"),
        "job_type_name": ref_name(ret, "JobTypeRef"),
        "price_level_name": ref_name(ret, "PriceLevelRef"),
        "additional_notes": _notes(ret, with_id=True),
        "additional_contacts": additional_contacts(ret),
        "contacts": _contacts(ret),
    }
    record.update(custom_fields(ret))
    return compact(record)


def read_vendor(element: Element) -> Record:
    ret = Node(element)
    list_id = text(ret, "ListID")
    record: Record = {
        "id": list_id,
        "qbe_id": list_id,
        "key": GUID_KEY,
        "name": text(ret, "Name"),
        "created_at": text(ret, "TimeCreated"),
        "modified_at": text(ret, "TimeModified"),
        "is_active": flag(ret, "IsActive"),
        "vendor_address": address(ret.find("VendorAddress")),
        "shipping_address": address(ret.find("ShipAddress")),
        "vendor_type_name": ref_name(ret, "VendorTypeRef"),
        "billing_rate_name": ref_name(ret, "BillingRateRef"),
        "sales_tax_code_name": ref_name(ret, "SalesTaxCodeRef"),
        "sales_tax_return_name": ref_name(ret, "SalesTaxReturnRef"),
        "tax_on_purchases_account_name": ref_name(ret, "TaxOnPurchasesAccountRef"),
        "tax_on_sales_account_name": ref_name(ret, "TaxOnSalesAccountRef"),
        "currency_name": ref_name(ret, "CurrencyRef"),
        "terms": ref_name(ret, "TermsRef"),
        "vendor_tax_ident": text(ret, "VendorTaxIdent"),
        "name_on_check": text(ret, "NameOnCheck"),
        "is_vendor_eligible_for_1099": flag(ret, "IsVendorEligibleFor1099"),
        "balance": text(ret, "Balance"),
        "phone": text(ret, "Phone"),
        "alternative_phone": text(ret, "AltPhone"),
        "fax": text(ret, "Fax"),
        "email": text(ret, "Email"),
        "cc": text(ret, "Cc"),
        "contact": text(ret, "Contact"),
        "alternative_contact": text(ret, "AltContact"),
        "account_number": text(ret, "AccountNumber"),
        "notes": text(ret, "Notes"),
        "credit_limit": text(ret, "CreditLimit"),
        "sales_tax_country": text(ret, "SalesTaxCountry"),
        "is_sales_tax_agency": flag(ret, "IsSalesTaxAgency"),
        "tax_registration_number": text(ret, "TaxRegistrationNumber"),
        "reporting_period": text(ret, "ReportingPeriod"),
        "is_tax_tracked_on_purchases": flag(ret, "IsTaxTrackedOnPurchases"),
        "is_tax_tracked_on_sales": flag(ret, "IsTaxTrackedOnSales"),
        "is_tax_on_tax": flag(ret, "IsTaxOnTax"),
        "external_guid": text(ret, "ExternalGUID"),
        "additional_notes": _notes(ret, with_id=False),
        "additional_contacts": additional_contacts(ret),
        "contacts": _contacts(ret),
    }
    record.update(custom_fields(ret))
    return compact(record)
