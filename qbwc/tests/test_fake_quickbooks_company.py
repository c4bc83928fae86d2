"""The in-memory QuickBooks company: its host answers, seeded lists and persistence across dump
and load."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lxml import etree

from qbwc.qbxml.parse import read_responses, text_of
from qbwc.simulator import FakeQuickBooks
from qbwc.tests.fake_quickbooks_helpers import FakeQuickBooksTestCase, message


class CompanyTestCase(FakeQuickBooksTestCase):
    def test_it_builds_an_hcp_response_up_to_the_given_version(self) -> None:
        responses = read_responses(self.quickbooks.hcp_response("13.0"))

        self.assertEqual(
            [r.tag for r in responses], ["HostQueryRs", "CompanyQueryRs", "PreferencesQueryRs"]
        )
        versions = [v.text for v in responses[0].rets[0].findall("SupportedQBXMLVersion")]
        self.assertEqual(versions[-1], "13.0")
        self.assertIn("12.0", versions)
        self.assertEqual(responses[1].rets[0].findtext("CompanyName"), "qbsync Sample Company")
        tax = responses[2].rets[0].find("SalesTaxPreferences")
        self.assertEqual(tax.findtext("DefaultTaxableSalesTaxCodeRef/FullName"), "Tax")

    def test_it_answers_host_queries_with_its_highest_version(self) -> None:
        answer = self.answer("<HostQueryRq/>")

        versions = [v.text for v in answer.rets[0].findall("SupportedQBXMLVersion")]
        self.assertEqual(versions[-1], "16.0")

    def test_it_seeds_the_lists_a_sales_flow_needs(self) -> None:
        self.assertEqual(
            self.quickbooks.find("Account", "Undeposited Funds").findtext("AccountType"),
            "OtherCurrentAsset",
        )
        for kind, name in [
            ("SalesTaxCode", "Non"),
            ("StandardTerms", "Net 30"),
            ("PaymentMethod", "Visa"),
            ("ItemSalesTax", "State Tax"),
        ]:
            self.assertIsNotNone(self.quickbooks.find(kind, name), (kind, name))


class PersistenceTestCase(FakeQuickBooksTestCase):
    def reload(self) -> FakeQuickBooks:
        directory = self.enterContext(tempfile.TemporaryDirectory())
        path = str(Path(directory) / "company.json")
        self.quickbooks.dump(path)
        return FakeQuickBooks.load(path, xsd_dir=self.quickbooks.xsd_dir)

    def test_it_keeps_records_across_dump_and_load(self) -> None:
        saved = self.quickbooks.add_record("Customer", Name="Ann", Phone="555")

        loaded = self.reload().find("Customer", "Ann")
        assert loaded is not None

        self.assertEqual(etree.tostring(loaded), etree.tostring(saved))

    def test_it_keeps_the_deletion_log_across_dump_and_load(self) -> None:
        record = self.quickbooks.add_record("Customer", Name="Jo")
        self.quickbooks.delete_record("Customer", "Jo")

        response, _, _ = self.reload().process(
            message("<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>")
        )

        (answer,) = read_responses(response)
        self.assertEqual(answer.rets[0].findtext("ListID"), record.findtext("ListID"))

    def test_it_continues_ids_and_clock_after_load(self) -> None:
        saved = self.quickbooks.add_record("Customer", Name="Ann")

        new = self.reload().add_record("Customer", Name="Cy")

        self.assertGreater(text_of(new, "TimeCreated"), text_of(saved, "TimeCreated"))
        self.assertGreater(text_of(new, "ListID"), text_of(saved, "ListID"))
