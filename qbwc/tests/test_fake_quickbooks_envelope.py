"""The in-memory QuickBooks company answers a message's envelope and statuses the way
QuickBooks does (qbxml.md), with injected faults and without the schemas."""

from __future__ import annotations

from django.test import SimpleTestCase

from qbsync.test import require_xsd_dir
from qbwc.qbxml.parse import parse_document, read_responses
from qbwc.simulator import FakeQuickBooks
from qbwc.tests.fake_quickbooks_helpers import (
    PARSE_ERROR,
    FakeQuickBooksTestCase,
    customer_add,
    message,
)


class EnvelopeTestCase(FakeQuickBooksTestCase):
    def test_it_writes_the_response_header_like_quickbooks(self) -> None:
        response, _, _ = self.quickbooks.process(message("<HostQueryRq/>"))

        self.assertTrue(response.startswith('<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>'))
        self.assertNotIn("<?qbxml", response)

    def test_it_echoes_the_request_id_only_when_there_is_one(self) -> None:
        response, _, _ = self.quickbooks.process(
            message('<HostQueryRq requestID="h-1"/>', "<HostQueryRq/>")
        )

        msgs = parse_document(response).find("QBXMLMsgsRs")
        assert msgs is not None
        first, second = msgs
        self.assertEqual(first.get("requestID"), "h-1")
        self.assertNotIn("requestID", second.attrib)
        self.assertEqual(
            list(first.attrib), ["requestID", "statusCode", "statusSeverity", "statusMessage"]
        )

    def test_it_logs_every_message_it_receives(self) -> None:
        self.quickbooks.process(message("<HostQueryRq/>"))
        self.quickbooks.process("not xml")

        self.assertEqual(len(self.quickbooks.request_log), 2)
        self.assertEqual(self.quickbooks.request_log[1], "not xml")

    def test_it_rejects_a_message_that_is_not_well_formed(self) -> None:
        result = self.quickbooks.process(message("<CustomerAddRq>"))

        self.assertEqual(result, PARSE_ERROR)

    def test_it_rejects_a_message_with_an_element_out_of_schema_order(self) -> None:
        request = (
            "<CustomerAddRq><CustomerAdd><IsActive>true</IsActive><Name>Jo</Name>"
            "</CustomerAdd></CustomerAddRq>"
        )

        result = self.quickbooks.process(message(request))

        self.assertEqual(result, PARSE_ERROR)
        self.assertIn("IsActive", self.quickbooks.last_rejection_errors[0])
        self.assertEqual(self.quickbooks.records("Customer"), [])

    def test_it_rejects_anything_before_the_xml_declaration(self) -> None:
        result = self.quickbooks.process(" " + message("<HostQueryRq/>"))

        self.assertEqual(result, PARSE_ERROR)

    def test_it_rejects_a_message_without_the_qbxml_instruction(self) -> None:
        text = message("<HostQueryRq/>").replace('<?qbxml version="13.0"?>', "")

        self.assertEqual(self.quickbooks.process(text), PARSE_ERROR)

    def test_it_rejects_a_version_newer_than_it_supports(self) -> None:
        quickbooks = FakeQuickBooks(xsd_dir=require_xsd_dir(), max_qbxml_version="13.0")

        _, hresult, _ = quickbooks.process(message("<HostQueryRq/>", version="16.0"))

        self.assertEqual(hresult, "0x80040423")

    def test_it_rejects_the_next_messages_when_told_to(self) -> None:
        self.quickbooks.reject_next_messages(1, "0x80040414")

        rejected = self.quickbooks.process(message(customer_add("Jo")))
        accepted = self.quickbooks.process(message(customer_add("Jo")))

        self.assertEqual(rejected[:2], ("", "0x80040414"))
        self.assertEqual(accepted[1], "")
        self.assertEqual(len(self.quickbooks.records("Customer")), 1)

    def test_it_skips_the_rest_after_an_error_under_stop_on_error(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")

        added, skipped = self.answers(
            customer_add("Jo", "a"), customer_add("Ann", "b"), on_error="stopOnError"
        )

        self.assertEqual(added.status_code, 3100)
        self.assertEqual(
            (skipped.request_id, skipped.status_code, skipped.severity, skipped.message),
            ("b", 3231, "Error", "The request has not been processed."),
        )
        self.assertIsNone(self.quickbooks.find("Customer", "Ann"))

    def test_it_runs_every_request_under_continue_on_error(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")

        first, second = self.answers(customer_add("Jo", "a"), customer_add("Ann", "b"))

        self.assertEqual((first.status_code, second.status_code), (3100, 0))

    def test_it_answers_an_unimplemented_request_with_3250(self) -> None:
        request = (
            "<GeneralSummaryReportQueryRq><GeneralSummaryReportType>ProfitAndLossStandard"
            "</GeneralSummaryReportType></GeneralSummaryReportQueryRq>"
        )

        answer = self.answer(request)

        self.assertEqual((answer.status_code, answer.severity), (3250, "Error"))
        self.assertIn("GeneralSummaryReportQueryRq", answer.message)


class FaultInjectionTestCase(FakeQuickBooksTestCase):
    def test_it_answers_an_injected_error_without_creating_anything(self) -> None:
        text = (
            'There was an error when saving a Customers list, element "Jo". '
            "QuickBooks error message: This list has been modified by another user."
        )
        self.quickbooks.inject_status("CustomerAddRq", 3180, text)

        first, second = self.answers(customer_add("Jo", "a"), customer_add("Jo", "b"))

        self.assertEqual((first.status_code, first.message), (3180, text))
        self.assertEqual(second.status_code, 0)
        self.assertEqual(len(self.quickbooks.records("Customer")), 1)

    def test_it_replaces_the_status_of_an_injected_warning_but_keeps_the_record(self) -> None:
        self.quickbooks.inject_status(
            "CustomerAddRq", 530, 'The field "IsStatementWithParent" is not supported.'
        )

        answer = self.answer(customer_add("Jo"))

        self.assertEqual((answer.status_code, answer.severity), (530, "Warn"))
        self.assertEqual(answer.rets[0].findtext("Name"), "Jo")


class WithoutSchemaTestCase(SimpleTestCase):
    def test_it_runs_requests_without_the_xsds(self) -> None:
        quickbooks = FakeQuickBooks()

        response, hresult, _ = quickbooks.process(message(customer_add("Jo")))

        self.assertEqual(hresult, "")
        self.assertEqual(read_responses(response)[0].status_code, 0)

    def test_it_still_requires_on_error_without_the_xsds(self) -> None:
        quickbooks = FakeQuickBooks()

        result = quickbooks.process(
            message("<HostQueryRq/>").replace(' onError="continueOnError"', "")
        )

        self.assertEqual(result, PARSE_ERROR)
