"""Customers and vendors (flowlink §6.12, §6.13) as QuickBooks Online Customer and Vendor.

The DisplayName is the FlowLink identity and is unique across customers and vendors,
inactive ones included (QBO answers a taken name with 6240), so both are found by it and
the lookup includes inactive records: a customer FlowLink sends again is reactivated
rather than created twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from objects.types.base import ObjectView
from objects.types.customers import CustomerType, VendorType, fallback
from objects.types.values import is_blank, is_on
from qbo.mappers import fields as F
from qbo.mappers.base import DISPLAY_NAME_MAX, Lookup, QboMapper, q


def display_name(view: ObjectView, field: str) -> str:
    return F.text(view.identity, field, DISPLAY_NAME_MAX)


class _PersonMapper(QboMapper):
    """What customers and vendors share: names, contact details, the main address."""

    natural_key = "DisplayName"
    address_key: ClassVar[str]  # the FlowLink address the name parts fall back to

    def lookup(self, view: ObjectView) -> Lookup:
        entity = self.entity_for(view)
        if view.qb_id:
            return Lookup(entity, qb_id=view.qb_id)
        name = display_name(view, self.identity_field(view.payload))
        # Inactive records keep their name (6240 on create), so they are found too.
        return Lookup(
            entity,
            statement=(
                f"SELECT * FROM {entity} WHERE DisplayName = {q(name)} AND Active IN (true, false)"
            ),
        )

    def create(self, view: ObjectView) -> dict[str, Any]:
        body = self.fill(view)
        F.put_flag(body, "Active", view.payload.get("is_active"))
        return body

    def update(self, view: ObjectView, current: Mapping[str, Any]) -> dict[str, Any]:
        body = self.fill(view)
        # FlowLink sending the record again means it is in use: an inactive one found by
        # the lookup comes back unless FlowLink itself says it is inactive.
        is_active = view.payload.get("is_active")
        body["Active"] = True if is_blank(is_active) else is_on(is_active)
        body.update({"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True})
        return body

    def fill(self, view: ObjectView) -> dict[str, Any]:
        payload = view.payload
        name = display_name(view, self.identity_field(view.payload))
        body: dict[str, Any] = {"DisplayName": name}
        F.put_text(body, "Title", payload.get("salutation"), "salutation", F.TITLE_MAX)
        first, field = fallback(payload, "firstname", self.address_key)
        F.put_text(body, "GivenName", first, field, F.GIVEN_NAME_MAX)
        F.put_text(body, "MiddleName", payload.get("middlename"), "middlename", F.MIDDLE_NAME_MAX)
        last, field = fallback(payload, "lastname", self.address_key)
        F.put_text(body, "FamilyName", last, field, F.FAMILY_NAME_MAX)
        company, field = fallback(payload, "company", self.address_key)
        F.put_text(body, "CompanyName", company, field, F.COMPANY_NAME_MAX)
        F.put_wrapped(
            body, "PrimaryEmailAddr", "Address", payload.get("email"), "email", F.EMAIL_MAX
        )
        phone, field = fallback(payload, "phone", self.address_key)
        F.put_wrapped(body, "PrimaryPhone", "FreeFormNumber", phone, field, F.PHONE_MAX)
        F.put_wrapped(
            body, "Mobile", "FreeFormNumber", payload.get("mobile"), "mobile", F.PHONE_MAX
        )
        F.put_wrapped(body, "Fax", "FreeFormNumber", payload.get("fax"), "fax", F.PHONE_MAX)
        F.put_address(body, "BillAddr", payload.get(self.address_key), self.address_key)
        self.fill_more(body, view)
        return body

    def identity_field(self, payload: Mapping[str, Any]) -> str:
        """The payload field the DisplayName comes from, for refusals."""
        return "name"

    def fill_more(self, body: dict[str, Any], view: ObjectView) -> None:
        """The fields of one entity only."""


class CustomerMapper(_PersonMapper, CustomerType):
    entity = "Customer"
    address_key = "billing_address"

    def fill_more(self, body: dict[str, Any], view: ObjectView) -> None:
        payload = view.payload
        F.put_address(body, "ShipAddr", payload.get("shipping_address"), "shipping_address")
        F.put_text(body, "Notes", payload.get("notes"), "notes", F.NOTES_MAX)
        parent = payload.get("parent_name")
        if not is_blank(parent):
            # A job: QBO keeps it as a sub-customer of the parent it is found under.
            body["ParentRef"] = F.name_ref("Customer", parent, "parent_name", "FullyQualifiedName")
            body["Job"] = True


class VendorMapper(_PersonMapper, VendorType):
    entity = "Vendor"
    address_key = "vendor_address"

    def identity_field(self, payload: Mapping[str, Any]) -> str:
        return "name" if not is_blank(payload.get("name")) else "id"

    def fill_more(self, body: dict[str, Any], view: ObjectView) -> None:
        payload = view.payload
        F.put_text(
            body,
            "PrintOnCheckName",
            payload.get("name_on_check"),
            "name_on_check",
            F.PRINT_ON_CHECK_NAME_MAX,
        )
        F.put_text(
            body,
            "AcctNum",
            payload.get("account_number"),
            "account_number",
            F.ACCOUNT_NUMBER_MAX,
        )
        F.put_text(
            body,
            "TaxIdentifier",
            payload.get("vendor_tax_ident"),
            "vendor_tax_ident",
            F.TAX_IDENTIFIER_MAX,
        )
        F.put_flag(body, "Vendor1099", payload.get("is_vendor_eligible_for_1099"))
