"""Name-list entities in the double: ids, SyncToken, sparse/full update, 5010, 6240 (spec §5)."""

from __future__ import annotations

from qbo.tests.helpers import DoubleTestCase


class ListEntityTestCase(DoubleTestCase):
    def test_it_creates_a_customer_with_id_sync_token_and_metadata(self) -> None:
        answer = self.call("POST", "customer", {"DisplayName": "Amy's Bird Sanctuary"})
        self.assertEqual(answer.status, 200)
        self.assertIn("intuit_tid", answer.headers)
        customer = answer.body["Customer"]
        self.assertEqual((customer["Id"], customer["SyncToken"]), ("1", "0"))
        self.assertEqual((customer["domain"], customer["sparse"]), ("QBO", False))
        self.assertEqual(customer["MetaData"]["CreateTime"], "2026-03-02T09:00:00-08:00")
        self.assertEqual(answer.body["time"], "2026-03-02T09:00:00.000-08:00")
        self.assertTrue(customer["Active"])

    def test_it_builds_the_display_name_from_the_name_parts(self) -> None:
        customer = self.create("Customer", {"GivenName": "Amy", "FamilyName": "Lee"})
        self.assertEqual(customer["DisplayName"], "Amy Lee")

    def test_it_requires_a_display_name_or_name_parts(self) -> None:
        answer = self.call("POST", "customer", {"CompanyName": "Acme"})
        self.assertEqual((answer.status, answer.codes()), (400, ["2020"]))

    def test_it_reads_by_id_and_answers_610_for_a_missing_id(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        self.assertEqual(self.call("GET", f"customer/{customer['Id']}").body["Customer"], customer)
        missing = self.call("GET", "customer/999")
        self.assertEqual((missing.status, missing.codes()), (400, ["610"]))

    def test_it_merges_a_sparse_update_and_bumps_the_sync_token(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy", "CompanyName": "Birds"})
        self.clock.advance(61)
        answer = self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "VIP"},
        )
        updated = answer.body["Customer"]
        self.assertEqual((updated["SyncToken"], updated["CompanyName"]), ("1", "Birds"))
        self.assertEqual(updated["Notes"], "VIP")
        self.assertEqual(updated["MetaData"]["CreateTime"], "2026-03-02T09:00:00-08:00")
        self.assertEqual(updated["MetaData"]["LastUpdatedTime"], "2026-03-02T09:01:01-08:00")

    def test_it_clears_omitted_fields_on_a_full_update(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy", "CompanyName": "Birds"})
        answer = self.call(
            "POST", "customer", {"Id": customer["Id"], "SyncToken": "0", "DisplayName": "Amy"}
        )
        self.assertNotIn("CompanyName", answer.body["Customer"])

    def test_it_ignores_read_only_fields_on_input(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy", "Balance": 99, "SyncToken": "7"})
        self.assertEqual((customer["SyncToken"], customer["Balance"]), ("0", 0))

    def test_it_answers_5010_for_a_stale_sync_token(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        first = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "one"}
        self.assertEqual(self.call("POST", "customer", first).status, 200)
        answer = self.call("POST", "customer", {**first, "Notes": "two"})
        self.assertEqual((answer.status, answer.codes()), (400, ["5010"]))
        self.assertEqual(answer.body["Fault"]["type"], "ValidationFault")
        self.assertEqual(self.stored("Customer", customer["Id"])["Notes"], "one")

    def test_it_requires_the_sync_token_on_update(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        answer = self.call("POST", "customer", {"Id": customer["Id"], "sparse": True})
        self.assertEqual(answer.codes(), ["2020"])

    def test_it_answers_6240_for_a_display_name_used_by_a_vendor(self) -> None:
        self.create("Vendor", {"DisplayName": "Rock Fountain"})
        answer = self.call("POST", "customer", {"DisplayName": "rock fountain"})
        self.assertEqual((answer.status, answer.codes()), (400, ["6240"]))
        self.assertEqual(len(self.qbo.entities(self.realm, "Customer")), 0)

    def test_it_counts_inactive_customers_for_name_uniqueness(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False},
        )
        self.assertEqual(self.call("POST", "customer", {"DisplayName": "Amy"}).codes(), ["6240"])

    def test_it_hides_a_deactivated_customer_from_reads_and_default_queries(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        self.call(
            "POST",
            "customer",
            {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False},
        )
        self.assertEqual(self.call("GET", f"customer/{customer['Id']}").codes(), ["610"])
        self.assertEqual(self.found("SELECT * FROM Customer"), {})
        every = self.found("SELECT * FROM Customer WHERE Active IN (true, false)")
        self.assertEqual([c["Active"] for c in every["Customer"]], [False])

    def test_it_refuses_to_delete_a_name_list_entity(self) -> None:
        customer = self.create("Customer", {"DisplayName": "Amy"})
        answer = self.call(
            "POST", "customer", {"Id": customer["Id"], "SyncToken": "0"}, {"operation": "delete"}
        )
        self.assertEqual((answer.status, answer.codes()), (400, ["500"]))

    def test_it_answers_6240_for_a_duplicate_item_name(self) -> None:
        self.make_item("Pump")
        answer = self.call(
            "POST",
            "item",
            {
                "Name": "Pump",
                "Type": "Service",
                "IncomeAccountRef": {"value": self.accounts()["Services"]},
            },
        )
        self.assertEqual(answer.codes(), ["6240"])

    def test_it_requires_accounts_start_date_and_quantity_for_inventory(self) -> None:
        answer = self.call(
            "POST", "item", {"Name": "Rock", "Type": "Inventory", "TrackQtyOnHand": True}
        )
        self.assertEqual(sorted(answer.codes()), ["2020"] * 5)
        elements = {e["element"] for e in answer.body["Fault"]["Error"]}
        self.assertEqual(
            elements,
            {
                "IncomeAccountRef",
                "ExpenseAccountRef",
                "AssetAccountRef",
                "InvStartDate",
                "QtyOnHand",
            },
        )

    def test_it_nests_items_under_a_category(self) -> None:
        category = self.create("Item", {"Name": "Garden", "Type": "Category"})
        item = self.make_item("Rake", ParentRef={"value": category["Id"]})
        self.assertEqual(item["FullyQualifiedName"], "Garden:Rake")
        self.assertEqual(item["ParentRef"], {"value": category["Id"], "name": "Garden"})
        self.assertTrue(item["SubItem"])

    def test_it_answers_2500_for_a_reference_to_a_missing_account(self) -> None:
        answer = self.call(
            "POST", "item", {"Name": "X", "Type": "Service", "IncomeAccountRef": {"value": "999"}}
        )
        self.assertEqual(answer.codes(), ["2500"])
        self.assertEqual(answer.body["Fault"]["Error"][0]["element"], "IncomeAccountRef")

    def test_it_limits_name_lengths_with_2050(self) -> None:
        answer = self.call(
            "POST",
            "item",
            {"Name": "x" * 101, "Type": "Service", "IncomeAccountRef": {"value": "1"}},
        )
        self.assertEqual(answer.codes(), ["2050"])

    def test_it_classifies_accounts_by_type(self) -> None:
        account = self.create("Account", {"Name": "Petty Cash", "AccountType": "Bank"})
        self.assertEqual(account["Classification"], "Asset")
        self.assertEqual(
            self.call("POST", "account", {"Name": "Petty Cash", "AccountType": "Bank"}).codes(),
            ["6240"],
        )

    def test_it_serves_company_info_and_refuses_tax_code_creation(self) -> None:
        info = self.call("GET", f"companyinfo/{self.realm}").body["CompanyInfo"]
        self.assertEqual(info["CompanyName"], "Sandbox Company_US_1")
        self.assertEqual(self.call("POST", "taxcode", {"Name": "CA"}).codes(), ["500"])

    def test_it_creates_payment_methods_with_unique_names(self) -> None:
        self.create("PaymentMethod", {"Name": "Visa", "Type": "CREDIT_CARD"})
        self.assertEqual(self.call("POST", "paymentmethod", {"Name": "Visa"}).codes(), ["6240"])


class UserEditsTestCase(DoubleTestCase):
    """Changes made "in QBO's screens" (FakeQbo.edit/remove) look like any other write."""

    def test_it_edits_a_record_into_a_new_version(self) -> None:
        amy = self.create("Customer", {"DisplayName": "Amy"})

        edited = self.qbo.edit(self.realm, "Customer", amy["Id"], CompanyName="Amy's Birds")

        self.assertEqual((edited["SyncToken"], edited["CompanyName"]), ("1", "Amy's Birds"))
        self.assertEqual(self.stored("Customer", amy["Id"])["DisplayName"], "Amy")

    def test_it_deactivates_a_list_record_and_deletes_a_transaction(self) -> None:
        amy = self.create("Customer", {"DisplayName": "Amy"})
        item = self.make_item("Pump")
        invoice = self.create(
            "Invoice",
            {
                "CustomerRef": {"value": amy["Id"]},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": 10,
                        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
                    }
                ],
            },
        )

        self.qbo.remove(self.realm, "Invoice", invoice["Id"])
        self.qbo.remove(self.realm, "Customer", amy["Id"])

        self.assertIn(invoice["Id"], self.qbo.deleted(self.realm, "Invoice"))
        self.assertIs(self.stored("Customer", amy["Id"])["Active"], False)
