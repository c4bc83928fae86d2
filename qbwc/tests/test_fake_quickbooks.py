"""The in-memory QuickBooks company answers qbXML the way QuickBooks does (qbxml.md)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir
from qbwc.qbxml.parse import Response, parse_document, read_responses, text_of
from qbwc.simulator import FakeQuickBooks

LIST_ID = re.compile(r"^[0-9A-F]{8}-\d{10}$")
TXN_ID = re.compile(r"^[0-9A-F]+-\d{10}$")
PARSE_ERROR = (
    "",
    "0x80040400",
    "QuickBooks found an error when parsing the provided XML text stream.",
)


def message(*requests: str, on_error: str = "continueOnError", version: str = "13.0") -> str:
    body = "".join(requests)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>'
    )


def customer_add(name: str, request_id: str = "1", extra: str = "") -> str:
    return (
        f'<CustomerAddRq requestID="{request_id}"><CustomerAdd><Name>{name}</Name>{extra}'
        "</CustomerAdd></CustomerAddRq>"
    )


def customer_mod(record: etree._Element, edit_sequence: str | None = None, extra: str = "") -> str:
    sequence = record.findtext("EditSequence") if edit_sequence is None else edit_sequence
    return (
        f"<CustomerModRq><CustomerMod><ListID>{record.findtext('ListID')}</ListID>"
        f"<EditSequence>{sequence}</EditSequence>{extra}</CustomerMod></CustomerModRq>"
    )


def sales_order_add(customer: str, item: str, ref_number: str = "SO-1") -> str:
    return (
        "<SalesOrderAddRq><SalesOrderAdd>"
        f"<CustomerRef><FullName>{customer}</FullName></CustomerRef><RefNumber>{ref_number}</RefNumber>"
        f"<SalesOrderLineAdd><ItemRef><FullName>{item}</FullName></ItemRef>"
        "<Quantity>2</Quantity><Rate>10.00</Rate></SalesOrderLineAdd>"
        "</SalesOrderAdd></SalesOrderAddRq>"
    )


class FakeQuickBooksTestCase(SimpleTestCase):
    def setUp(self) -> None:
        self.quickbooks = FakeQuickBooks(xsd_dir=require_xsd_dir())

    def answers(self, *requests: str, **kwargs: str) -> list[Response]:
        response, hresult, text = self.quickbooks.process(message(*requests, **kwargs))
        self.assertEqual((hresult, text), ("", ""), self.quickbooks.last_rejection_errors)
        return read_responses(response)

    def answer(self, request: str, **kwargs: str) -> Response:
        (only,) = self.answers(request, **kwargs)
        return only

    def add_item(self, name: str = "Widget") -> None:
        self.quickbooks.add_record(
            "ItemService",
            Name=name,
            SalesOrPurchase={"Price": "10.00", "AccountRef": "Sales"},
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


class ListTestCase(FakeQuickBooksTestCase):
    def test_it_adds_a_customer_with_quickbooks_identifiers(self) -> None:
        answer = self.answer(customer_add("Jo"))

        (ret,) = answer.rets
        self.assertEqual(answer.status_code, 0)
        self.assertRegex(text_of(ret, "ListID"), LIST_ID)
        self.assertTrue(ret.findtext("ListID").endswith("-1700000000"))
        self.assertEqual(ret.findtext("EditSequence"), "1700000000")
        self.assertEqual(ret.findtext("TimeCreated"), "2023-11-14T14:13:20-08:00")
        self.assertEqual(
            [ret.findtext(t) for t in ("Name", "FullName", "IsActive", "Sublevel")],
            ["Jo", "Jo", "true", "0"],
        )

    def test_it_finds_an_added_customer_by_full_name(self) -> None:
        added = self.answer(customer_add("Jo")).rets[0]

        answer = self.answer("<CustomerQueryRq><FullName>jo</FullName></CustomerQueryRq>")

        self.assertEqual(answer.status_code, 0)
        self.assertEqual(answer.rets[0].findtext("ListID"), added.findtext("ListID"))

    def test_it_answers_1_when_a_filter_matches_nothing(self) -> None:
        answer = self.answer("<CustomerQueryRq><MaxReturned>10</MaxReturned></CustomerQueryRq>")

        self.assertEqual(
            (answer.status_code, answer.severity, answer.message),
            (1, "Info", "A query request did not find a matching object in QuickBooks"),
        )

    def test_it_warns_500_when_a_full_name_is_missing(self) -> None:
        answer = self.answer("<CustomerQueryRq><FullName>Nobody</FullName></CustomerQueryRq>")

        self.assertEqual((answer.status_code, answer.severity), (500, "Warn"))
        self.assertEqual(
            answer.message,
            "The query request has not been fully completed. There was a required element "
            '("Nobody") that could not be found in QuickBooks.',
        )

    def test_it_fails_3120_when_a_list_id_is_missing(self) -> None:
        answer = self.answer(
            "<CustomerQueryRq><ListID>8000001B-1405768916</ListID></CustomerQueryRq>"
        )

        self.assertEqual((answer.status_code, answer.severity), (3120, "Error"))
        self.assertTrue(
            answer.message.startswith(
                'Object "8000001B-1405768916" specified in the request cannot be found.  '
            )
        )

    def test_it_refuses_a_vendor_named_like_a_customer(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")

        answer = self.answer("<VendorAddRq><VendorAdd><Name>JO</Name></VendorAdd></VendorAddRq>")

        self.assertEqual(answer.status_code, 3100)
        self.assertEqual(answer.message, 'The name "JO" of the list element is already in use.')
        self.assertEqual(
            [v.findtext("Name") for v in self.quickbooks.records("Vendor")],
            ["State Board of Equalization"],
        )

    def test_it_refuses_an_item_named_like_an_item_of_another_type(self) -> None:
        self.quickbooks.add_record(
            "ItemNonInventory", Name="Soil", SalesOrPurchase={"AccountRef": "Sales"}
        )

        answer = self.answer(
            "<ItemInventoryAddRq><ItemInventoryAdd><Name>SOIL</Name>"
            "<IncomeAccountRef><FullName>Sales</FullName></IncomeAccountRef>"
            "<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef>"
            "<AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>"
            "</ItemInventoryAdd></ItemInventoryAddRq>"
        )

        self.assertEqual(answer.status_code, 3100)
        self.assertEqual(answer.message, 'The name "SOIL" of the list element is already in use.')

    def test_it_finds_an_item_of_any_type_by_full_name_only_with_the_item_query(self) -> None:
        self.quickbooks.add_record(
            "ItemNonInventory", Name="Soil", SalesOrPurchase={"AccountRef": "Sales"}
        )

        typed = self.answer(
            "<ItemInventoryQueryRq><FullName>Soil</FullName></ItemInventoryQueryRq>"
        )
        anytype = self.answer("<ItemQueryRq><FullName>soil</FullName></ItemQueryRq>")

        self.assertEqual((typed.status_code, typed.rets), (500, []))
        self.assertEqual(
            [(r.tag, r.findtext("Name")) for r in anytype.rets], [("ItemNonInventoryRet", "Soil")]
        )

    def test_it_changes_the_edit_sequence_on_a_mod(self) -> None:
        record = self.quickbooks.add_record("Customer", Name="Jo")
        before = record.findtext("EditSequence")

        answer = self.answer(customer_mod(record, extra="<Phone>555</Phone>"))

        ret = answer.rets[0]
        self.assertEqual(answer.status_code, 0)
        self.assertNotEqual(ret.findtext("EditSequence"), before)
        self.assertEqual(ret.findtext("Phone"), "555")
        self.assertGreater(text_of(ret, "TimeModified"), text_of(ret, "TimeCreated"))

    def test_it_refuses_a_stale_edit_sequence_and_returns_the_current_record(self) -> None:
        record = self.quickbooks.add_record("Customer", Name="Jo")
        current = record.findtext("EditSequence")

        answer = self.answer(customer_mod(record, "1272664823", "<Phone>555</Phone>"))

        self.assertEqual(answer.status_code, 3200)
        self.assertEqual(answer.message, 'The provided edit sequence "1272664823" is out-of-date. ')
        self.assertEqual(answer.rets[0].findtext("EditSequence"), current)
        self.assertIsNone(self.quickbooks.find("Customer", "Jo").findtext("Phone"))

    def test_it_renames_the_jobs_of_a_renamed_customer(self) -> None:
        parent = self.quickbooks.add_record("Customer", Name="Acme")
        self.quickbooks.add_record("Customer", Name="Roof", ParentRef="Acme")

        self.answer(customer_mod(parent, extra="<Name>Acme Inc</Name>"))

        job = self.quickbooks.find("Customer", "Acme Inc:Roof")
        self.assertIsNotNone(job)
        self.assertEqual(
            (job.findtext("Sublevel"), job.findtext("ParentRef/FullName")), ("1", "Acme Inc")
        )

    def test_it_hides_inactive_records_from_filters_but_not_from_name_lookups(self) -> None:
        self.quickbooks.add_record("Customer", Name="Old", IsActive=False)

        filtered = self.answer("<CustomerQueryRq><MaxReturned>5</MaxReturned></CustomerQueryRq>")
        named = self.answer("<CustomerQueryRq><FullName>Old</FullName></CustomerQueryRq>")

        self.assertEqual(filtered.status_code, 1)
        self.assertEqual(named.rets[0].findtext("IsActive"), "false")

    def test_it_queries_every_item_type_with_item_query(self) -> None:
        self.add_item("Setup")
        self.quickbooks.add_record(
            "ItemInventory",
            Name="Tee",
            IncomeAccountRef="Sales",
            COGSAccountRef="Cost of Goods Sold",
            AssetAccountRef="Inventory Asset",
        )

        answer = self.answer(
            "<ItemQueryRq><NameRangeFilter><FromName>S</FromName><ToName>U</ToName>"
            "</NameRangeFilter></ItemQueryRq>"
        )

        self.assertEqual(
            [(r.tag, r.findtext("Name")) for r in answer.rets],
            [
                ("ItemSalesTaxRet", "State Tax"),
                ("ItemServiceRet", "Setup"),
                ("ItemInventoryRet", "Tee"),
            ],
        )

    def test_it_filters_by_modified_date(self) -> None:
        self.quickbooks.add_record("Customer", Name="Early")
        self.quickbooks.advance_clock(3600)
        self.quickbooks.add_record("Customer", Name="Late")

        answer = self.answer(
            "<CustomerQueryRq><FromModifiedDate>2023-11-14T15:00:00-08:00</FromModifiedDate>"
            "</CustomerQueryRq>"
        )

        self.assertEqual([r.findtext("Name") for r in answer.rets], ["Late"])

    def test_it_limits_the_returned_elements(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo", Phone="555")

        answer = self.answer(
            "<CustomerQueryRq><FullName>Jo</FullName><IncludeRetElement>ListID</IncludeRetElement>"
            "<IncludeRetElement>EditSequence</IncludeRetElement></CustomerQueryRq>"
        )

        self.assertEqual([c.tag for c in answer.rets[0]], ["ListID", "EditSequence"])

    def test_it_returns_public_custom_fields_for_owner_id_0(self) -> None:
        self.quickbooks.add_record("Customer", Name="Jo")
        self.quickbooks.set_custom_field("Customer", "Jo", "Color", "Blue")

        plain = self.answer("<CustomerQueryRq><FullName>Jo</FullName></CustomerQueryRq>")
        custom = self.answer(
            "<CustomerQueryRq><FullName>Jo</FullName><OwnerID>0</OwnerID></CustomerQueryRq>"
        )

        self.assertIsNone(plain.rets[0].find("DataExtRet"))
        self.assertEqual(custom.rets[0].findtext("DataExtRet/DataExtValue"), "Blue")


class IteratorTestCase(FakeQuickBooksTestCase):
    def setUp(self) -> None:
        super().setUp()
        for number in range(25):
            self.quickbooks.add_record("Customer", Name=f"Customer {number:02}")

    def start(self) -> Response:
        return self.answer(
            '<CustomerQueryRq iterator="Start"><MaxReturned>10</MaxReturned></CustomerQueryRq>'
        )

    def more(self, iterator_id: str) -> Response:
        return self.answer(
            f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}">'
            "<MaxReturned>10</MaxReturned></CustomerQueryRq>"
        )

    def test_it_pages_through_all_records(self) -> None:
        pages = [self.start()]
        while pages[-1].iterator_remaining:
            pages.append(self.more(pages[-1].iterator_id))

        self.assertEqual([len(p.rets) for p in pages], [10, 10, 5])
        self.assertEqual([p.iterator_remaining for p in pages], [15, 5, 0])
        self.assertRegex(pages[0].iterator_id, r"^\{[0-9a-f-]{36}\}$")
        names = [r.findtext("Name") for p in pages for r in p.rets]
        self.assertEqual(names, [f"Customer {n:02}" for n in range(25)])

    def test_it_refuses_an_iterator_of_an_earlier_session(self) -> None:
        first = self.start()
        self.quickbooks.new_session()

        answer = self.more(first.iterator_id)

        self.assertEqual(answer.status_code, 3391)
        self.assertEqual(answer.message, f'The iteratorID "{first.iterator_id}" is not valid.')


class TransactionTestCase(FakeQuickBooksTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.quickbooks.add_record("Customer", Name="Jo")
        self.add_item()

    def test_it_refuses_a_sales_order_for_a_missing_customer(self) -> None:
        answer = self.answer(sales_order_add("Nobody", "Widget"))

        self.assertEqual(answer.status_code, 3140)
        self.assertTrue(
            answer.message.startswith(
                'There is an invalid reference to QuickBooks Customer "Nobody" in the SalesOrder.'
            )
        )
        self.assertEqual(self.quickbooks.records("SalesOrder"), [])

    def test_it_refuses_a_sales_order_line_with_a_missing_item(self) -> None:
        answer = self.answer(sales_order_add("Jo", "Gadget"))

        self.assertEqual(answer.status_code, 3140)
        self.assertTrue(
            answer.message.startswith(
                'There is an invalid reference to QuickBooks Item "Gadget" in the SalesOrder line.'
            )
        )

    def test_it_fills_in_both_list_id_and_full_name_of_references(self) -> None:
        customer_id = self.quickbooks.find("Customer", "Jo").findtext("ListID")
        request = sales_order_add("Jo", "Widget").replace(
            "<FullName>Jo</FullName>", f"<ListID>{customer_id}</ListID>"
        )

        ret = self.answer(request).rets[0]

        self.assertEqual(
            (ret.findtext("CustomerRef/ListID"), ret.findtext("CustomerRef/FullName")),
            (customer_id, "Jo"),
        )
        item_ref = ret.find("SalesOrderLineRet/ItemRef")
        self.assertRegex(text_of(item_ref, "ListID"), LIST_ID)
        self.assertEqual(item_ref.findtext("FullName"), "Widget")

    def test_it_accepts_references_into_lists_the_company_does_not_use(self) -> None:
        site = "<InventorySiteRef><FullName>Back room</FullName></InventorySiteRef>"
        request = sales_order_add("Jo", "Widget").replace("</Rate>", "</Rate>" + site)

        answer = self.answer(request)

        self.assertEqual(answer.status_code, 0)
        self.assertEqual(
            answer.rets[0].findtext("SalesOrderLineRet/InventorySiteRef/FullName"), "Back room"
        )

    def test_it_numbers_lines_and_totals_the_order(self) -> None:
        ret = self.answer(sales_order_add("Jo", "Widget")).rets[0]

        self.assertRegex(text_of(ret, "TxnID"), TXN_ID)
        self.assertRegex(text_of(ret, "SalesOrderLineRet/TxnLineID"), TXN_ID)
        self.assertEqual(ret.findtext("SalesOrderLineRet/Amount"), "20.00")
        self.assertEqual(
            (ret.findtext("Subtotal"), ret.findtext("TotalAmount")), ("20.00", "20.00")
        )
        self.assertEqual(ret.findtext("TxnNumber"), "1")

    def test_it_books_quantity_times_rate_else_the_amount_as_quickbooks_does(self) -> None:
        lines = "".join(
            f"<SalesOrderLineAdd><ItemRef><FullName>Widget</FullName></ItemRef>{values}"
            "</SalesOrderLineAdd>"
            for values in (
                "<Quantity>0</Quantity><Rate>7.25</Rate>",  # upstream's adjustment line
                "<Rate>7.25</Rate><Amount>7.25</Amount>",
                "<Amount>-5.00</Amount>",
                "<Quantity>3</Quantity><Rate>2.50</Rate>",
            )
        )
        request = (
            "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Jo</FullName></CustomerRef>"
            f"{lines}</SalesOrderAdd></SalesOrderAddRq>"
        )

        ret = self.answer(request).rets[0]

        self.assertEqual(
            [line.findtext("Amount") for line in ret.findall("SalesOrderLineRet")],
            ["0.00", "7.25", "-5.00", "7.50"],
        )
        self.assertEqual(ret.findtext("TotalAmount"), "9.75")

    def test_it_allows_duplicate_ref_numbers(self) -> None:
        self.answers(sales_order_add("Jo", "Widget"), sales_order_add("Jo", "Widget"))

        answer = self.answer("<SalesOrderQueryRq><RefNumber>SO-1</RefNumber></SalesOrderQueryRq>")

        self.assertEqual(len(answer.rets), 2)

    def test_it_returns_lines_only_when_asked(self) -> None:
        self.answer(sales_order_add("Jo", "Widget"))

        plain = self.answer("<SalesOrderQueryRq><RefNumber>SO-1</RefNumber></SalesOrderQueryRq>")
        lines = self.answer(
            "<SalesOrderQueryRq><RefNumber>SO-1</RefNumber>"
            "<IncludeLineItems>true</IncludeLineItems></SalesOrderQueryRq>"
        )

        self.assertIsNone(plain.rets[0].find("SalesOrderLineRet"))
        self.assertIsNotNone(lines.rets[0].find("SalesOrderLineRet"))

    def test_it_deletes_lines_a_mod_does_not_mention_and_adds_new_ones(self) -> None:
        order = self.answer(sales_order_add("Jo", "Widget")).rets[0]
        request = (
            f"<SalesOrderModRq><SalesOrderMod><TxnID>{order.findtext('TxnID')}</TxnID>"
            f"<EditSequence>{order.findtext('EditSequence')}</EditSequence>"
            "<SalesOrderLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Widget</FullName>"
            "</ItemRef><Quantity>1</Quantity></SalesOrderLineMod></SalesOrderMod></SalesOrderModRq>"
        )

        ret = self.answer(request).rets[0]

        lines = ret.findall("SalesOrderLineRet")
        self.assertEqual(len(lines), 1)
        self.assertNotEqual(
            lines[0].findtext("TxnLineID"), order.findtext("SalesOrderLineRet/TxnLineID")
        )
        self.assertEqual(ret.findtext("TotalAmount"), "10.00")

    def test_it_refuses_to_receive_more_than_the_invoice_balance(self) -> None:
        invoice = self.quickbooks.add_record(
            "Invoice", CustomerRef="Jo", InvoiceLineAdd=[{"ItemRef": "Widget", "Quantity": "1"}]
        )
        request = (
            "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Jo</FullName>"
            "</CustomerRef><TotalAmount>20.00</TotalAmount><AppliedToTxnAdd>"
            f"<TxnID>{invoice.findtext('TxnID')}</TxnID><PaymentAmount>20.00</PaymentAmount>"
            "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>"
        )

        answer = self.answer(request)

        self.assertEqual(answer.status_code, 3210)
        self.assertIn("You cannot pay more than the amount due.", answer.message)

    def test_it_voids_a_transaction_by_zeroing_its_amounts(self) -> None:
        invoice = self.quickbooks.add_record(
            "Invoice", CustomerRef="Jo", InvoiceLineAdd=[{"ItemRef": "Widget", "Quantity": "3"}]
        )
        request = (
            "<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType>"
            f"<TxnID>{invoice.findtext('TxnID')}</TxnID></TxnVoidRq>"
        )

        answer = self.answer(request)

        voided = self.quickbooks.find("Invoice", text_of(invoice, "TxnID"))
        self.assertEqual(answer.status_code, 0)
        self.assertEqual(voided.findtext("BalanceRemaining"), "0.00")
        self.assertEqual(voided.findtext("InvoiceLineRet/Amount"), "0.00")


class DeletionTestCase(FakeQuickBooksTestCase):
    def test_it_reports_deleted_list_records(self) -> None:
        record = self.quickbooks.add_record("Customer", Name="Gone")
        deleted = self.answer(
            "<ListDelRq><ListDelType>Customer</ListDelType>"
            f"<ListID>{record.findtext('ListID')}</ListID></ListDelRq>"
        )

        answer = self.answer(
            "<ListDeletedQueryRq><ListDelType>Customer</ListDelType><DeletedDateRangeFilter>"
            "<FromDeletedDate>2023-11-14T00:00:00-08:00</FromDeletedDate>"
            "</DeletedDateRangeFilter></ListDeletedQueryRq>"
        )

        self.assertEqual(deleted.status_code, 0)
        (ret,) = answer.rets
        self.assertEqual(
            [ret.findtext(t) for t in ("ListDelType", "ListID", "FullName")],
            ["Customer", record.findtext("ListID"), "Gone"],
        )
        self.assertIsNone(self.quickbooks.find("Customer", "Gone"))

    def test_it_reports_transactions_deleted_by_the_test_helper(self) -> None:
        self.quickbooks.add_record(
            "JournalEntry",
            RefNumber="J-1",
            JournalDebitLine={"AccountRef": "Checking", "Amount": "5.00"},
            JournalCreditLine={"AccountRef": "Sales", "Amount": "5.00"},
        )
        self.quickbooks.delete_record("JournalEntry", "J-1")

        answer = self.answer(
            "<TxnDeletedQueryRq><TxnDelType>JournalEntry</TxnDelType></TxnDeletedQueryRq>"
        )

        self.assertEqual(answer.rets[0].findtext("RefNumber"), "J-1")

    def test_it_refuses_to_delete_a_list_record_in_use(self) -> None:
        parent = self.quickbooks.add_record("Customer", Name="Acme")
        self.quickbooks.add_record("Customer", Name="Roof", ParentRef="Acme")

        answer = self.answer(
            "<ListDelRq><ListDelType>Customer</ListDelType>"
            f"<ListID>{parent.findtext('ListID')}</ListID></ListDelRq>"
        )

        self.assertEqual(answer.status_code, 3170)
        self.assertIsNotNone(self.quickbooks.find("Customer", "Acme"))

    def test_it_answers_1_when_nothing_was_deleted(self) -> None:
        answer = self.answer(
            "<ListDeletedQueryRq><ListDelType>Vendor</ListDelType></ListDeletedQueryRq>"
        )

        self.assertEqual(answer.status_code, 1)


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
