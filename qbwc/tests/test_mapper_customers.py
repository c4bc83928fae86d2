from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from qbsync.test import require_xsd_dir, shared_file
from qbwc.qbxml import elements as E
from qbwc.qbxml.mappers.base import Element, Mapper, ObjectView
from qbwc.qbxml.mappers.customers import (
    DELIVERY_METHODS,
    JOB_STATUSES,
    SALES_TAX_COUNTRIES,
    CustomerMapper,
    VendorMapper,
)
from qbwc.qbxml.validate import errors_in_request
from qbwc.qbxml.values import PayloadError

VERSIONS = ("13.0", "16.0")
BARE_UUID = "35cb4e30-54e1-49f9-b5ce-4134799eb2c0"


def load_payload(*parts: str) -> dict[str, Any]:
    with shared_file("flowlink-payloads", *parts).open(encoding="utf-8") as handle:
        payload: dict[str, Any] = json.load(handle)
        return payload


def within_limits(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the fixture with its placeholders shortened to what QuickBooks accepts.

    The shared fixtures use placeholder text ("middlename", "sales_rep_reference", ...)
    longer than the XSD allows for MiddleName (5), SalesRepRef (5), SalesTaxCodeRef (3) and
    PreferredPaymentMethodRef (31); every other field is kept as FlowLink sent it.
    """
    fitted = dict(payload)
    replacements = {
        "middlename": "M",
        "sales_rep_name": "SR",
        "sales_tax_code_name": "Tax",
        "preferred_payment_method_name": "Check",
    }
    for key, value in replacements.items():
        if fitted.get(key):
            fitted[key] = value
    fitted["contacts"] = [{**c, "middlename": "M"} for c in fitted.get("contacts", [])]
    return fitted


def view(mapper: Mapper, payload: dict[str, Any], **extra: Any) -> ObjectView:
    return ObjectView(mapper.object_type, mapper.identity(payload), payload, **extra)


def modded(mapper: Mapper, payload: dict[str, Any], **extra: Any) -> Element:
    obj = view(mapper, payload, qb_id="80000001-1417118624", edit_sequence="7", **extra)
    return mapper.mod(obj)


def parsed(element: Element) -> Element:
    """Serialize and parse again, as QuickBooks will read it."""
    return etree.fromstring(E.to_string(element))


def assert_valid(test: SimpleTestCase, request: etree._Element, xsd: str) -> None:
    for version in VERSIONS:
        with test.subTest(version=version):
            test.assertEqual(errors_in_request(request, version, xsd), [])


# A mixin, not a TestCase, so that it is not collected and run without a mapper.
if TYPE_CHECKING:
    _FixtureBase = SimpleTestCase
else:
    _FixtureBase = object


class FixtureChecks(_FixtureBase):
    """What every list mapper must do with its FlowLink fixture (subclasses say which)."""

    mapper_class: type[Mapper]
    fixture = ""
    over_long_field = ""  # the fixture's one field past QuickBooks' limit
    add_tag = ""
    mapped_tags: list[str] = []

    def setUp(self) -> None:
        self.xsd = require_xsd_dir()
        self.mapper = self.mapper_class()
        self.payload = within_limits(load_payload("add", self.fixture))

    def test_it_builds_a_valid_add_from_every_fixture_field(self) -> None:
        request = self.mapper.add(view(self.mapper, self.payload))
        assert_valid(self, request, self.xsd)

    def test_it_builds_a_valid_mod_from_every_fixture_field(self) -> None:
        request = modded(self.mapper, self.payload)
        assert_valid(self, request, self.xsd)

    def test_it_refuses_the_fixtures_over_long_field(self) -> None:
        raw = load_payload("add", self.fixture)
        with self.assertRaises(PayloadError) as caught:
            self.mapper.add(view(self.mapper, raw))
        self.assertEqual(caught.exception.field, self.over_long_field)

    def test_it_sends_every_mapped_fixture_field(self) -> None:
        add = self.mapper.add(view(self.mapper, self.payload)).find(self.add_tag)
        self.assertEqual([child.tag for child in add], self.mapped_tags)


class CustomerFixtureTestCase(FixtureChecks, SimpleTestCase):
    mapper_class = CustomerMapper
    fixture = "customer_from_flowlink.json"
    over_long_field = "middlename"
    add_tag = "CustomerAdd"
    mapped_tags = (
        ["Name", "IsActive", "ClassRef", "ParentRef", "CompanyName", "FirstName",
         "MiddleName", "LastName", "JobTitle", "BillAddress", "ShipAddress",
         "ShipToAddress", "ShipToAddress", "Phone", "AltPhone", "Fax", "Email", "Cc",
         "Contact", "AltContact", "AdditionalContactRef", "AdditionalContactRef",
         "Contacts", "Contacts", "CustomerTypeRef", "TermsRef", "SalesRepRef",
         "OpenBalance", "OpenBalanceDate", "SalesTaxCodeRef", "ItemSalesTaxRef",
         "SalesTaxCountry", "ResaleNumber", "AccountNumber", "CreditLimit",
         "PreferredPaymentMethodRef", "JobStatus", "JobStartDate", "JobProjectedEndDate",
         "JobEndDate", "JobDesc", "Notes", "AdditionalNotes", "PreferredDeliveryMethod",
         "ExternalGUID"]
    )  # fmt: skip

    def test_it_keeps_the_legacy_slash_in_the_name(self) -> None:
        legacy = load_payload("legacy", "customers_with_backslashes.json")["customers"][0]
        request = self.mapper.add(view(self.mapper, legacy))
        self.assertEqual(self.mapper.identity(legacy), "Test Experiment/Example")
        self.assertEqual(request.findtext("CustomerAdd/Name"), "Test Experiment/Example")


class CustomerAddTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.mapper = CustomerMapper()

    def add(self, **fields: Any) -> Element:
        payload = {"name": "Ada Lovelace", **fields}
        add = self.mapper.add(view(self.mapper, payload)).find("CustomerAdd")
        assert add is not None
        return add

    def assert_refused(self, field: str, **fields: Any) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.add(**fields)
        self.assertEqual(caught.exception.field, field)

    def test_it_requires_a_name(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.identity({"name": "  "})
        self.assertEqual(caught.exception.field, "name")

    def test_it_accepts_a_name_of_41_characters(self) -> None:
        self.assertEqual(self.add(name="x" * 41).findtext("Name"), "x" * 41)

    def test_it_refuses_a_name_of_42_characters(self) -> None:
        self.assert_refused("name", name="x" * 42)

    def test_it_keeps_markup_characters_escaped(self) -> None:
        name = "A<B> & \"C\" 'D'"
        add = parsed(self.add(name=name, notes="1 < 2 && 3 > 2"))
        self.assertEqual(add.findtext("Name"), name)
        self.assertEqual(add.findtext("Notes"), "1 < 2 && 3 > 2")

    def test_it_keeps_accents(self) -> None:
        add = parsed(self.add(name="São Café Müller", billing_address={"city": "Besançon"}))
        self.assertEqual(add.findtext("Name"), "São Café Müller")
        self.assertEqual(add.findtext("BillAddress/City"), "Besançon")

    def test_it_transliterates_characters_outside_latin_1(self) -> None:
        self.assertEqual(self.add(name="Ōsaka Štore").findtext("Name"), "Osaka Store")

    def test_it_wraps_a_bare_uuid_external_guid_in_braces(self) -> None:
        guid = self.add(external_guid=BARE_UUID).findtext("ExternalGUID")
        self.assertEqual(guid, "{" + BARE_UUID.upper() + "}")

    def test_it_omits_an_integer_external_guid(self) -> None:
        self.assertIsNone(self.add(external_guid=12345).find("ExternalGUID"))

    def test_it_prefers_the_external_guid_stored_on_the_object(self) -> None:
        stored = "{9ADB6B68-2DDB-4FEA-9271-AE8725F4DBAD}"
        payload = {"name": "Ada", "external_guid": BARE_UUID}
        request = self.mapper.add(view(self.mapper, payload, external_guid=stored))
        self.assertEqual(request.findtext("CustomerAdd/ExternalGUID"), stored)

    def test_it_sends_is_active_false(self) -> None:
        self.assertEqual(self.add(is_active=False).findtext("IsActive"), "false")

    def test_it_sends_a_string_boolean_as_false(self) -> None:
        self.assertEqual(self.add(is_active="0").findtext("IsActive"), "false")

    def test_it_sends_a_list_id_ref_as_list_id(self) -> None:
        add = self.add(class_name={"list_id": "80000001-1590500864"})
        self.assertEqual(add.findtext("ClassRef/ListID"), "80000001-1590500864")
        self.assertIsNone(add.find("ClassRef/FullName"))

    def test_it_takes_a_missing_ref_from_the_quickbooks_parameter(self) -> None:
        payload = {"name": "Ada"}
        obj = view(self.mapper, payload, params={"quickbooks_terms": "Net 30"})
        self.assertEqual(self.mapper.add(obj).findtext("CustomerAdd/TermsRef/FullName"), "Net 30")

    def test_it_refuses_a_sales_rep_longer_than_quickbooks_initials(self) -> None:
        self.assert_refused("sales_rep_name", sales_rep_name="Margaret")

    def test_it_sends_mobile_as_alt_phone(self) -> None:
        add = self.add(mobile="555-0101")
        self.assertEqual(add.findtext("AltPhone"), "555-0101")
        self.assertIsNone(add.find("Mobile"))

    def test_it_sends_the_open_balance_date_as_a_date(self) -> None:
        add = self.add(open_balance=2500, open_balance_date="2019-11-01T13:22:02.718+00:00")
        self.assertEqual(add.findtext("OpenBalance"), "2500.00")
        self.assertEqual(add.findtext("OpenBalanceDate"), "2019-11-01")

    def test_it_spells_an_enumeration_the_way_the_xsd_does(self) -> None:
        add = self.add(job_status="in progress", preferred_delivery_method="EMAIL")
        self.assertEqual(add.findtext("JobStatus"), "InProgress")
        self.assertEqual(add.findtext("PreferredDeliveryMethod"), "Email")

    def test_it_refuses_an_unknown_job_status(self) -> None:
        self.assert_refused("job_status", job_status="Finished")

    def test_it_refuses_an_unknown_sales_tax_country(self) -> None:
        self.assert_refused("sales_tax_country", sales_tax_country="United States")

    def test_it_refuses_more_than_eight_additional_contacts(self) -> None:
        contacts = [{"name": f"n{i}", "value": f"v{i}"} for i in range(9)]
        self.assert_refused("additional_contacts", additional_contacts=contacts)

    def test_it_requires_a_contact_first_name(self) -> None:
        self.assert_refused("contacts[0].firstname", contacts=[{"lastname": "Doe"}])

    def test_it_requires_a_ship_to_address_name(self) -> None:
        self.assert_refused("ship_to_address[0].name", ship_to_address=[{"city": "Oslo"}])

    def test_it_omits_blank_values(self) -> None:
        add = self.add(tax_registration_number="", billing_address={}, contacts=[], fax=None)
        self.assertEqual([child.tag for child in add], ["Name"])

    def test_it_takes_names_from_the_billing_address_when_missing(self) -> None:
        add = self.add(billing_address={"firstname": "Ada", "lastname": "King", "city": "London"})
        self.assertEqual(add.findtext("FirstName"), "Ada")
        self.assertEqual(add.findtext("LastName"), "King")

    def test_it_builds_a_request_the_xsd_accepts_with_a_ship_to_address(self) -> None:
        xsd = require_xsd_dir()
        request = self.mapper.add(
            view(
                self.mapper,
                {
                    "name": "Ada",
                    "ship_to_address": [
                        {"name": "Dock", "default_ship_to": "true", "address1": "1 Quay"}
                    ],
                },
            )
        )
        for version in VERSIONS:
            with self.subTest(version=version):
                self.assertEqual(errors_in_request(request, version, xsd), [])

    def test_it_refuses_an_invalid_payload_in_validate(self) -> None:
        with self.assertRaises(PayloadError) as caught:
            self.mapper.validate({"name": "x" * 42}, {})
        self.assertEqual(caught.exception.field, "name")


class CustomerModTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.mapper = CustomerMapper()

    def mod(self, **fields: Any) -> Element:
        mod = modded(self.mapper, {"name": "Ada", **fields}).find("CustomerMod")
        assert mod is not None
        return mod

    def test_it_starts_with_list_id_and_edit_sequence(self) -> None:
        tags = [child.tag for child in self.mod()]
        self.assertEqual(tags, ["ListID", "EditSequence", "Name"])

    def test_it_never_sends_external_guid(self) -> None:
        self.assertIsNone(self.mod(external_guid=BARE_UUID).find("ExternalGUID"))

    def test_it_never_sends_an_open_balance(self) -> None:
        mod = self.mod(open_balance=10, open_balance_date="2020-01-01")
        self.assertIsNone(mod.find("OpenBalance"))
        self.assertIsNone(mod.find("OpenBalanceDate"))

    def test_it_leaves_contacts_and_additional_notes_alone(self) -> None:
        mod = self.mod(contacts=[{"firstname": "Lady"}], additional_notes=[{"id": 1, "note": "hi"}])
        self.assertIsNone(mod.find("ContactsMod"))
        self.assertIsNone(mod.find("Contacts"))
        self.assertIsNone(mod.find("AdditionalNotesMod"))
        self.assertIsNone(mod.find("AdditionalNotes"))


class CustomerLookupTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.mapper = CustomerMapper()

    def test_it_looks_up_a_job_by_parent_and_name(self) -> None:
        obj = view(self.mapper, {"name": "Kitchen", "parent_name": "Ada Lovelace"})
        self.assertEqual(self.mapper.lookup(obj).findtext("FullName"), "Ada Lovelace:Kitchen")

    def test_it_refuses_to_look_up_a_job_whose_parent_has_only_a_list_id(self) -> None:
        obj = view(self.mapper, {"name": "Kitchen", "parent_name": {"list_id": "80000001-1"}})
        with self.assertRaises(PayloadError) as caught:
            self.mapper.lookup(obj)
        self.assertEqual(caught.exception.field, "parent_name")

    def test_it_looks_up_a_customer_by_name(self) -> None:
        obj = view(self.mapper, {"name": "Ada Lovelace", "list_id": "80000001-1"})
        self.assertEqual(self.mapper.lookup(obj).findtext("FullName"), "Ada Lovelace")

    def test_it_looks_up_by_list_id_once_known(self) -> None:
        obj = view(self.mapper, {"name": "Ada"}, qb_id="80000001-1417118624")
        query = self.mapper.lookup(obj)
        self.assertEqual(query.findtext("ListID"), "80000001-1417118624")
        self.assertIsNone(query.find("FullName"))


class VendorMapperTestCase(FixtureChecks, SimpleTestCase):
    mapper_class = VendorMapper
    fixture = "vendor_from_flowlink.json"
    over_long_field = "contacts[0].middlename"
    add_tag = "VendorAdd"
    mapped_tags = (
        ["Name", "IsActive", "ClassRef", "CompanyName", "Salutation", "FirstName",
         "LastName", "JobTitle", "VendorAddress", "ShipAddress", "Phone", "AltPhone",
         "Email", "Cc", "Contact", "AltContact", "AdditionalContactRef",
         "AdditionalContactRef", "Contacts", "Contacts", "NameOnCheck", "AccountNumber",
         "Notes", "AdditionalNotes", "VendorTypeRef", "TermsRef", "CreditLimit",
         "VendorTaxIdent", "IsVendorEligibleFor1099", "OpenBalance", "OpenBalanceDate",
         "BillingRateRef", "ExternalGUID", "SalesTaxCodeRef", "SalesTaxCountry",
         "IsSalesTaxAgency", "SalesTaxReturnRef", "TaxRegistrationNumber",
         "ReportingPeriod", "IsTaxTrackedOnPurchases", "TaxOnPurchasesAccountRef",
         "IsTaxTrackedOnSales", "TaxOnSalesAccountRef", "IsTaxOnTax", "CurrencyRef"]
    )  # fmt: skip

    def test_it_sends_the_ship_from_address_as_ship_address(self) -> None:
        payload = {"name": "Acme", "ship_from_address": {"city": "Reno"}}
        add = self.mapper.add(view(self.mapper, payload)).find("VendorAdd")
        self.assertEqual(add.findtext("ShipAddress/City"), "Reno")
        self.assertIsNone(add.find("VendorAddress"))

    def test_it_falls_back_to_the_id_for_identity(self) -> None:
        self.assertEqual(self.mapper.identity({"id": 12345}), "12345")

    def test_it_names_the_vendor_after_its_id_without_a_name(self) -> None:
        request = self.mapper.add(view(self.mapper, {"id": 12345}))
        self.assertEqual(request.findtext("VendorAdd/Name"), "12345")

    def test_it_refuses_an_unknown_reporting_period(self) -> None:
        payload = {"name": "Acme", "reporting_period": "Yearly"}
        with self.assertRaises(PayloadError) as caught:
            self.mapper.add(view(self.mapper, payload))
        self.assertEqual(caught.exception.field, "reporting_period")

    def test_it_never_sends_add_only_fields_on_mod(self) -> None:
        mod = modded(self.mapper, self.payload).find("VendorMod")
        for tag in ("ExternalGUID", "OpenBalance", "OpenBalanceDate", "Contacts"):
            with self.subTest(tag=tag):
                self.assertIsNone(mod.find(tag))


def _text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size)


def _enum_or_junk(options: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(options), st.sampled_from(options).map(str.lower), _text(12))


CUSTOMER_PAYLOADS = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=41)},
    optional={
        "is_active": st.one_of(st.booleans(), st.sampled_from(["true", "false", "1", "0"])),
        "company": _text(45),
        "salutation": _text(16),
        "firstname": _text(27),
        "middlename": _text(6),
        "lastname": _text(27),
        "phone": _text(22),
        "mobile": _text(22),
        "email": _text(60),
        "notes": _text(200),
        "class_name": st.one_of(
            _text(40), st.fixed_dictionaries({"list_id": st.text(min_size=1, max_size=40)})
        ),
        "terms": _text(35),
        "parent_name": _text(50),
        "billing_address": st.fixed_dictionaries(
            {}, optional={"address1": _text(45), "city": _text(35), "zipcode": _text(15)}
        ),
        "ship_to_address": st.lists(
            st.fixed_dictionaries(
                {"name": _text(45)},
                optional={"default_ship_to": st.booleans(), "state": _text(25)},
            ),
            max_size=3,
        ),
        "additional_contacts": st.lists(
            st.fixed_dictionaries({"name": _text(42), "value": _text(20)}), max_size=10
        ),
        "credit_limit": st.one_of(
            st.integers(min_value=-(10**16), max_value=10**16),
            st.decimals(min_value=-(10**14), max_value=10**14, allow_nan=False),
            _text(6),
        ),
        "open_balance_date": st.one_of(
            st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()), _text(10)
        ),
        "external_guid": st.one_of(st.uuids().map(str), st.integers(), _text(38)),
        "job_status": _enum_or_junk(JOB_STATUSES),
        "preferred_delivery_method": _enum_or_junk(DELIVERY_METHODS),
        "sales_tax_country": _enum_or_junk(SALES_TAX_COUNTRIES),
    },
)


class CustomerPropertyTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.xsd = require_xsd_dir()
        self.mapper = CustomerMapper()

    @settings(max_examples=50, deadline=None)
    @given(payload=CUSTOMER_PAYLOADS)
    def test_it_builds_a_valid_add_or_names_the_bad_field(self, payload: dict[str, Any]) -> None:
        try:
            request = self.mapper.add(view(self.mapper, payload))
        except PayloadError as err:
            # "billing_address.city" and "ship_to_address[0].name" name their top-level key.
            self.assertIn(re.split(r"[.\[]", err.field)[0], payload)
            return
        self.assertEqual(errors_in_request(request, "13.0", self.xsd), [])
