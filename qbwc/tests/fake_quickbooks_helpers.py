"""What the simulated-company tests share: qbXML message builders, id patterns and the base
test case."""

from __future__ import annotations

import re

from django.test import SimpleTestCase
from lxml import etree

from qbsync.test import require_xsd_dir
from qbwc.qbxml.parse import Response, read_responses
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
