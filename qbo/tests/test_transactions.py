"""Transactions in the double: totals from lines, references, delete, void, payments (spec §5)."""

from __future__ import annotations

from typing import Any

from qbo.tests.helpers import DoubleTestCase


def sales_line(item_id: str, qty: Any, price: Any, amount: Any = None) -> dict[str, Any]:
    line: dict[str, Any] = {
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": price},
    }
    if amount is not None:
        line["Amount"] = amount
    return line


class TransactionTestCase(DoubleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.customer = self.create("Customer", {"DisplayName": "Amy's Bird Sanctuary"})
        self.pump = self.make_item("Pump")
        self.rock = self.make_item("Rock", "Inventory", QtyOnHand=10)

    def invoice(self, *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"CustomerRef": {"value": self.customer["Id"]}, "Line": list(lines), **fields}
        return self.create("Invoice", body)

    def test_it_computes_line_amounts_subtotal_discount_tax_and_total(self) -> None:
        invoice = self.invoice(
            sales_line(self.pump["Id"], 3, 12.5),
            sales_line(self.rock["Id"], 2, "7.255"),
            {
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10},
            },
            TxnTaxDetail={"TotalTax": 4.2},
            DocNumber="1001",
        )
        amounts = [(line["DetailType"], line["Amount"]) for line in invoice["Line"]]
        self.assertEqual(
            amounts,
            [
                ("SalesItemLineDetail", 37.5),
                ("SalesItemLineDetail", 14.51),
                ("DiscountLineDetail", 5.2),
                ("SubTotalLineDetail", 52.01),
            ],
        )
        self.assertEqual([line.get("Id") for line in invoice["Line"]], ["1", "2", "3", None])
        self.assertEqual((invoice["TotalAmt"], invoice["Balance"]), (51.01, 51.01))
        self.assertEqual(
            invoice["CustomerRef"], {"value": self.customer["Id"], "name": "Amy's Bird Sanctuary"}
        )

    def test_it_answers_6070_when_amount_is_not_qty_times_price(self) -> None:
        answer = self.call(
            "POST",
            "invoice",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "Line": [sales_line(self.pump["Id"], 7, 225, 1000)],
            },
        )
        self.assertEqual((answer.status, answer.codes()), (400, ["6070"]))
        self.assertEqual(self.qbo.entities(self.realm, "Invoice"), [])

    def test_it_lists_several_errors_in_one_fault(self) -> None:
        answer = self.call(
            "POST",
            "invoice",
            {
                "CustomerRef": {"value": "999"},
                "Line": [sales_line("998", 1, 5)],
                "DocNumber": "x" * 22,
            },
        )
        self.assertEqual(sorted(answer.codes()), ["2050", "2500", "2500"])

    def test_it_answers_610_for_a_reference_to_an_inactive_customer(self) -> None:
        self.call(
            "POST",
            "customer",
            {"Id": self.customer["Id"], "SyncToken": "0", "sparse": True, "Active": False},
        )
        answer = self.call(
            "POST",
            "invoice",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "Line": [sales_line(self.pump["Id"], 1, 5)],
            },
        )
        self.assertEqual(answer.codes(), ["610"])
        self.assertEqual(answer.body["Fault"]["Error"][0]["element"], "CustomerRef")

    def test_it_answers_6520_for_an_inventory_line_without_quantity(self) -> None:
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 5,
            "SalesItemLineDetail": {"ItemRef": {"value": self.rock["Id"]}},
        }
        answer = self.call(
            "POST", "invoice", {"CustomerRef": {"value": self.customer["Id"]}, "Line": [line]}
        )
        self.assertEqual(answer.codes(), ["6520"])

    def test_it_takes_sold_and_returned_quantities_off_inventory(self) -> None:
        self.create("SalesReceipt", {"Line": [sales_line(self.rock["Id"], 4, 3)]})
        self.create(
            "CreditMemo",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "Line": [sales_line(self.rock["Id"], 1, 3)],
            },
        )
        self.assertEqual(self.call("GET", f"item/{self.rock['Id']}").body["Item"]["QtyOnHand"], 7)
        current = self.stored("Item", self.rock["Id"])
        updated = self.call(
            "POST",
            "item",
            {
                "Id": self.rock["Id"],
                "SyncToken": current["SyncToken"],
                "sparse": True,
                "QtyOnHand": 20,
            },
        ).body["Item"]
        self.assertEqual(updated["QtyOnHand"], 20)
        self.create("SalesReceipt", {"Line": [sales_line(self.rock["Id"], 5, 3)]})
        self.assertEqual(self.call("GET", f"item/{self.rock['Id']}").body["Item"]["QtyOnHand"], 15)

    def test_it_shares_one_id_counter_across_transaction_types(self) -> None:
        invoice = self.invoice(sales_line(self.pump["Id"], 1, 5))
        receipt = self.create("SalesReceipt", {"Line": [sales_line(self.pump["Id"], 1, 5)]})
        estimate = self.create(
            "Estimate",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "Line": [sales_line(self.pump["Id"], 1, 5)],
            },
        )
        self.assertEqual(
            [int(invoice["Id"]) + 1, int(invoice["Id"]) + 2],
            [int(receipt["Id"]), int(estimate["Id"])],
        )
        self.assertEqual(estimate["TxnStatus"], "Pending")

    def test_it_deletes_a_transaction_and_leaves_a_marker(self) -> None:
        invoice = self.invoice(sales_line(self.pump["Id"], 1, 5))
        stale = self.call(
            "POST", "invoice", {"Id": invoice["Id"], "SyncToken": "9"}, {"operation": "delete"}
        )
        self.assertEqual(stale.codes(), ["5010"])
        answer = self.call(
            "POST", "invoice", {"Id": invoice["Id"], "SyncToken": "0"}, {"operation": "delete"}
        )
        self.assertEqual(
            answer.body["Invoice"], {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
        )
        self.assertEqual(self.call("GET", f"invoice/{invoice['Id']}").codes(), ["610"])
        self.assertEqual(self.found("SELECT * FROM Invoice"), {})
        self.assertEqual(self.qbo.deleted(self.realm, "Invoice"), [invoice["Id"]])

    def test_it_voids_an_invoice_with_operation_void(self) -> None:
        invoice = self.invoice(sales_line(self.pump["Id"], 2, 5))
        answer = self.call(
            "POST", "invoice", {"Id": invoice["Id"], "SyncToken": "0"}, {"operation": "void"}
        )
        voided = answer.body["Invoice"]
        self.assertEqual((voided["TotalAmt"], voided["Balance"], voided["SyncToken"]), (0, 0, "1"))
        self.assertEqual(voided["PrivateNote"], "Voided")
        self.assertEqual(len(self.found("SELECT * FROM Invoice")["Invoice"]), 1)

    def test_it_voids_a_sales_receipt_with_include_void_only(self) -> None:
        receipt = self.create("SalesReceipt", {"Line": [sales_line(self.pump["Id"], 2, 5)]})
        wrong = self.call(
            "POST", "salesreceipt", {"Id": receipt["Id"], "SyncToken": "0"}, {"operation": "void"}
        )
        self.assertEqual(wrong.codes(), ["500"])
        answer = self.call(
            "POST",
            "salesreceipt",
            {"Id": receipt["Id"], "SyncToken": "0", "sparse": True},
            {"operation": "update", "include": "void"},
        )
        self.assertEqual(answer.body["SalesReceipt"]["TotalAmt"], 0)

    def test_it_applies_a_payment_to_an_invoice(self) -> None:
        invoice = self.invoice(sales_line(self.pump["Id"], 10, 10))
        payment = self.create(
            "Payment",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "TotalAmt": 60,
                "Line": [
                    {"Amount": 40, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )
        self.assertEqual(payment["UnappliedAmt"], 20)
        self.assertEqual(
            self.call("GET", f"invoice/{invoice['Id']}").body["Invoice"]["Balance"], 60
        )
        self.assertEqual(
            self.call("GET", f"customer/{self.customer['Id']}").body["Customer"]["Balance"], 40
        )

    def test_it_refuses_a_payment_above_the_open_balance(self) -> None:
        invoice = self.invoice(sales_line(self.pump["Id"], 1, 10))
        answer = self.call(
            "POST",
            "payment",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "TotalAmt": 50,
                "Line": [
                    {"Amount": 50, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}
                ],
            },
        )
        self.assertEqual(answer.codes(), ["6000"])

    def test_it_answers_6140_for_a_duplicate_doc_number_when_the_company_asks(self) -> None:
        self.invoice(sales_line(self.pump["Id"], 1, 5), DocNumber="A-1")
        self.invoice(sales_line(self.pump["Id"], 1, 5), DocNumber="A-1")
        self.qbo.company().unique_doc_numbers = True
        answer = self.call(
            "POST",
            "invoice",
            {
                "CustomerRef": {"value": self.customer["Id"]},
                "Line": [sales_line(self.pump["Id"], 1, 5)],
                "DocNumber": "A-1",
            },
        )
        self.assertEqual(answer.codes(), ["6140"])

    def test_it_totals_purchase_orders_refund_receipts_and_journal_entries(self) -> None:
        vendor = self.create("Vendor", {"DisplayName": "Pump Supply"})
        accounts = self.accounts()
        order = self.create(
            "PurchaseOrder",
            {
                "VendorRef": {"value": vendor["Id"]},
                "Line": [
                    {
                        "DetailType": "ItemBasedExpenseLineDetail",
                        "ItemBasedExpenseLineDetail": {
                            "ItemRef": {"value": self.pump["Id"]},
                            "Qty": 4,
                            "UnitPrice": 2.5,
                        },
                    },
                    {
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "Amount": 3,
                        "AccountBasedExpenseLineDetail": {
                            "AccountRef": {"value": accounts["Cost of Goods Sold"]}
                        },
                    },
                ],
            },
        )
        self.assertEqual((order["TotalAmt"], order["POStatus"]), (13, "Open"))
        refund = self.create(
            "RefundReceipt",
            {
                "DepositToAccountRef": {"value": accounts["Checking"]},
                "Line": [sales_line(self.pump["Id"], 1, 5)],
            },
        )
        self.assertEqual(refund["TotalAmt"], 5)

        def journal(credit: float) -> dict[str, Any]:
            return {
                "Line": [
                    {
                        "DetailType": "JournalEntryLineDetail",
                        "Amount": 10,
                        "JournalEntryLineDetail": {
                            "PostingType": "Debit",
                            "AccountRef": {"value": accounts["Checking"]},
                        },
                    },
                    {
                        "DetailType": "JournalEntryLineDetail",
                        "Amount": credit,
                        "JournalEntryLineDetail": {
                            "PostingType": "Credit",
                            "AccountRef": {"value": accounts["Services"]},
                        },
                    },
                ]
            }

        self.assertEqual(self.call("POST", "journalentry", journal(9)).codes(), ["6000"])
        self.assertEqual(self.create("JournalEntry", journal(10))["TotalAmt"], 10)

    def test_it_answers_xml_without_accept_json(self) -> None:
        invoice = self.invoice(sales_line(self.pump["Id"], 1, 5))
        answer = self.call("GET", f"invoice/{invoice['Id']}", accept="")
        self.assertTrue(answer.headers["content-type"].startswith("application/xml"))
        self.assertIn(b'<CustomerRef name="Amy\'s Bird Sanctuary">', answer.raw)
        self.assertIn(b'<Invoice domain="QBO" sparse="false">', answer.raw)
