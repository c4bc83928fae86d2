"""The in-memory QuickBooks company adds, modifies and deletes transactions the way QuickBooks
does (qbxml.md)."""

from __future__ import annotations

from qbwc.qbxml.parse import text_of
from qbwc.tests.fake_quickbooks_helpers import (
    LIST_ID,
    TXN_ID,
    FakeQuickBooksTestCase,
    sales_order_add,
)


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
