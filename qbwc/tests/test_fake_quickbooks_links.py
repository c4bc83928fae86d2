"""The simulated company links credits to invoices and invoice lines to sales orders."""

from __future__ import annotations

from qbwc.tests.fake_quickbooks_helpers import FakeQuickBooksTestCase


class LinkedTransactionsTestCase(FakeQuickBooksTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.add_item()
        self.quickbooks.add_record("Customer", Name="Jo")
        self.memo = self.quickbooks.add_record(
            "CreditMemo",
            CustomerRef="Jo",
            RefNumber="CM-1",
            CreditMemoLineAdd=[{"ItemRef": "Widget", "Quantity": "3", "Rate": "10.00"}],
        )

    def invoice_add(self, credit: str = "", line_extra: str = "") -> str:
        return (
            "<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Jo</FullName></CustomerRef>"
            f"<RefNumber>INV-1</RefNumber>{credit}"
            "<InvoiceLineAdd><ItemRef><FullName>Widget</FullName></ItemRef>"
            f"<Quantity>5</Quantity><Rate>10.00</Rate>{line_extra}</InvoiceLineAdd>"
            "</InvoiceAdd></InvoiceAddRq>"
        )

    def set_credit(self, amount: str) -> str:
        return (
            f"<SetCredit><CreditTxnID>{self.memo.findtext('TxnID')}</CreditTxnID>"
            f"<AppliedAmount>{amount}</AppliedAmount><Override>false</Override></SetCredit>"
        )

    def test_it_applies_a_credit_memo_to_a_new_invoice(self) -> None:
        rs = self.answer(self.invoice_add(self.set_credit("20.00")))

        self.assertEqual(rs.status_code, 0, rs.message)
        invoice = rs.rets[0]
        memo = self.quickbooks.find("CreditMemo", "CM-1")
        self.assertEqual(
            (invoice.findtext("AppliedAmount"), invoice.findtext("BalanceRemaining")),
            ("-20.00", "30.00"),
        )
        self.assertEqual(memo.findtext("CreditRemaining"), "10.00")
        self.assertEqual(
            (memo.findtext("LinkedTxn/TxnID"), memo.findtext("LinkedTxn/Amount")),
            (invoice.findtext("TxnID"), "-20.00"),
        )
        self.assertEqual(invoice.findtext("LinkedTxn/TxnType"), "CreditMemo")

    def test_it_refuses_more_credit_than_the_memo_has_left(self) -> None:
        rs = self.answer(self.invoice_add(self.set_credit("31.00")))

        self.assertEqual(rs.status_code, 3210)
        self.assertEqual(self.quickbooks.records("Invoice"), [])
        self.assertEqual(
            self.quickbooks.find("CreditMemo", "CM-1").findtext("CreditRemaining"), "30.00"
        )

    def test_it_applies_a_credit_inside_a_payment(self) -> None:
        invoice = self.answer(self.invoice_add()).rets[0]

        rs = self.answer(
            "<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Jo</FullName>"
            "</CustomerRef><TotalAmount>15.00</TotalAmount><AppliedToTxnAdd>"
            f"<TxnID>{invoice.findtext('TxnID')}</TxnID><PaymentAmount>15.00</PaymentAmount>"
            f"<SetCredit><CreditTxnID>{self.memo.findtext('TxnID')}</CreditTxnID>"
            "<AppliedAmount>5.00</AppliedAmount></SetCredit>"
            "</AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>"
        )

        self.assertEqual(rs.status_code, 0, rs.message)
        stored = self.quickbooks.find("Invoice", "INV-1")
        self.assertEqual(stored.findtext("BalanceRemaining"), "30.00")
        self.assertEqual(
            self.quickbooks.find("CreditMemo", "CM-1").findtext("CreditRemaining"), "25.00"
        )

    def test_it_invoices_a_sales_order_line_through_link_to_txn(self) -> None:
        order = self.answer(
            "<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Jo</FullName></CustomerRef>"
            "<RefNumber>SO-1</RefNumber><SalesOrderLineAdd><ItemRef><FullName>Widget</FullName>"
            "</ItemRef><Quantity>5</Quantity><Rate>10.00</Rate></SalesOrderLineAdd>"
            "</SalesOrderAdd></SalesOrderAddRq>"
        ).rets[0]
        link = (
            f"<LinkToTxn><TxnID>{order.findtext('TxnID')}</TxnID>"
            f"<TxnLineID>{order.findtext('SalesOrderLineRet/TxnLineID')}</TxnLineID></LinkToTxn>"
        )

        rs = self.answer(self.invoice_add(line_extra=link))

        self.assertEqual(rs.status_code, 0, rs.message)
        stored = self.quickbooks.find("SalesOrder", "SO-1")
        self.assertEqual(stored.findtext("SalesOrderLineRet/Invoiced"), "5")
        self.assertEqual(stored.findtext("IsFullyInvoiced"), "true")
        self.assertEqual(stored.findtext("LinkedTxn/TxnID"), rs.rets[0].findtext("TxnID"))
        self.assertEqual(rs.rets[0].findtext("LinkedTxn/LinkType"), "QUANTYPE")

    def test_it_refuses_a_link_to_an_unknown_order_line(self) -> None:
        link = "<LinkToTxn><TxnID>1-1</TxnID><TxnLineID>2-2</TxnLineID></LinkToTxn>"

        rs = self.answer(self.invoice_add(line_extra=link))

        self.assertEqual(rs.status_code, 3120)
        self.assertEqual(self.quickbooks.records("Invoice"), [])

    def test_it_lists_links_in_a_query_only_when_asked(self) -> None:
        self.answer(self.invoice_add(self.set_credit("20.00")))
        query = "<InvoiceQueryRq><RefNumber>INV-1</RefNumber>{}</InvoiceQueryRq>"

        plain = self.answer(query.format("")).rets[0]
        linked = self.answer(query.format("<IncludeLinkedTxns>true</IncludeLinkedTxns>")).rets[0]

        self.assertIsNone(plain.find("LinkedTxn"))
        self.assertEqual(linked.findtext("LinkedTxn/TxnType"), "CreditMemo")
