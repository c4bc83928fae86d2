"""The benchmark runner's page rewriting and statistics (never timings)."""

from __future__ import annotations

from django.test import SimpleTestCase

from bench import harness
from bench.__main__ import available, replace_section


class RunnerTestCase(SimpleTestCase):
    def test_it_replaces_only_the_named_section(self) -> None:
        page = "# B\n\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\ntext\n\n<!-- bench:b -->\nold b\n<!-- /bench:b -->\n"

        updated = replace_section(page, "a", "new a")

        self.assertEqual(updated, page.replace("old a", "new a"))

    def test_it_appends_a_section_the_page_lacks(self) -> None:
        updated = replace_section("# B\n", "large_pull", "figures")

        self.assertEqual(
            updated,
            "# B\n\n## large_pull\n\n<!-- bench:large_pull -->\nfigures\n<!-- /bench:large_pull -->\n",
        )

    def test_it_finds_every_benchmark_module(self) -> None:
        self.assertTrue({"intake", "roundtrip", "companies", "scaling"} <= set(available()))

    def test_it_takes_nearest_rank_percentiles(self) -> None:
        values = [float(n) for n in range(1, 101)]

        self.assertEqual(
            (harness.percentile(values, 0.5), harness.percentile(values, 0.99)), (50.0, 99.0)
        )

    def test_it_shows_the_median_and_the_spread(self) -> None:
        self.assertEqual(harness.Figure([3.0, 1.0, 2.0]).cell(1), "2.0 (1.0–3.0)")


class ProfileTestCase(SimpleTestCase):
    def test_it_groups_statements_that_differ_only_in_literals(self) -> None:
        from bench.profile import shape_of

        first = shape_of("""SAVEPOINT "s1401_x12" """)
        second = shape_of("""SAVEPOINT "s1402_x13" """)
        update = shape_of("UPDATE t SET a = 'x' WHERE id = 12")

        self.assertEqual(first, second)
        self.assertEqual(update, "UPDATE t SET a = '…' WHERE id = N")


class FuzzTestCase(SimpleTestCase):
    def test_it_counts_violations_by_class_not_by_operation(self) -> None:
        from bench.fuzz import Tally

        tally = Tally("SOAP")
        tally.record("envelope", 200, "", "", "serverVersion")
        tally.record(
            "envelope", 500, "HTTP 500 to a well-formed authenticate: b'x'", "", "authenticate"
        )
        tally.record(
            "envelope", 502, "HTTP 500 to a well-formed sendRequestXML: b'y'", "", "sendRequestXML"
        )
        tally.record(
            "webhook", 406, "a 406 without a JSON summary: add_orders b''", "", "add_orders"
        )

        self.assertEqual((tally.tried, tally.held), (4, 1))
        self.assertEqual(dict(tally.violations), {"HTTP 500": 2, "a 406 without a JSON summary": 1})

    def test_it_rewrites_only_the_results_between_the_markers(self) -> None:
        from bench.fuzz import replace_results

        page = "# R\n\n<!-- fuzz:results -->\nold\n<!-- /fuzz:results -->\n\nafter\n"

        self.assertEqual(replace_results(page, "new"), page.replace("old", "new"))
