"""PDF and send endpoints, the sample company, and the double's own failures."""

from __future__ import annotations

from decimal import Decimal

from qbo.double import FakeQbo
from qbo.double.store import Company
from qbo.tests.helpers import DoubleTestCase


class DocumentTestCase(DoubleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.customer = self.create("Customer", {"DisplayName": "Amy"})
        item = self.make_item("Pump")
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 5,
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
        }
        self.invoice = self.create(
            "Invoice",
            {"CustomerRef": {"value": self.customer["Id"]}, "Line": [line], "DocNumber": "1001"},
        )

    def test_it_serves_a_pdf_of_a_document(self) -> None:
        answer = self.call("GET", f"invoice/{self.invoice['Id']}/pdf", accept="application/pdf")
        self.assertEqual(answer.headers["content-type"], "application/pdf")
        self.assertTrue(answer.raw.startswith(b"%PDF-1.4"))
        self.assertIn(b"(Invoice 1001) Tj", answer.raw)

    def test_it_marks_a_sent_document_as_emailed(self) -> None:
        answer = self.call(
            "POST",
            f"invoice/{self.invoice['Id']}/send",
            b"",
            {"sendTo": "amy@example.com"},
            content_type="application/octet-stream",
        )
        sent = answer.body["Invoice"]
        self.assertEqual(
            (sent["EmailStatus"], sent["BillEmail"]["Address"], sent["SyncToken"]),
            ("EmailSent", "amy@example.com", "1"),
        )

    def test_it_requires_an_address_to_send_to(self) -> None:
        answer = self.call(
            "POST",
            f"invoice/{self.invoice['Id']}/send",
            b"",
            content_type="application/octet-stream",
        )
        self.assertEqual(answer.codes(), ["2020"])

    def test_it_answers_a_fault_10000_for_its_own_errors(self) -> None:
        def broken(company: Company, statement: str) -> None:
            raise RuntimeError("bug in a hook")

        self.qbo.before_query(broken)
        answer = self.query("SELECT * FROM Customer")
        self.assertEqual((answer.status, answer.codes()), (500, ["10000"]))
        self.assertEqual([str(e) for e in self.qbo.gateway.errors], ["bug in a hook"])


class SampleCompanyTestCase(DoubleTestCase):
    def test_it_seeds_a_sandbox_like_company(self) -> None:
        sample = FakeQbo(clock=self.clock)
        company = sample.add_company(
            "4620816365", "Craig's Design and Landscaping Services", sample=True
        )
        names = {c["DisplayName"]: c for c in company.shown("Customer")}
        self.assertFalse(names["Weiskopf Consulting"]["Active"])
        self.assertEqual(names["Amy's Bird Sanctuary"]["Balance"], Decimal("166.20"))
        pump = next(i for i in company.shown("Item") if i["Name"] == "Pump")
        self.assertEqual(pump["QtyOnHand"], 24)
        gardening = next(i for i in company.shown("Item") if i["Name"] == "Gardening")
        self.assertEqual(gardening["FullyQualifiedName"], "Landscaping:Gardening")
