"""The in-memory QuickBooks company keeps list records and iterates over them the way
QuickBooks does (qbxml.md)."""

from __future__ import annotations

from qbwc.qbxml.parse import Response, text_of
from qbwc.tests.fake_quickbooks_helpers import (
    LIST_ID,
    FakeQuickBooksTestCase,
    customer_add,
    customer_mod,
)


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
