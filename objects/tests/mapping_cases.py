"""What the end-to-end mapping tests of both backends share: the payload the rules read
and one test per transform (each backend's test case says where its value lands)."""

from __future__ import annotations

from typing import Any

TRANSFORMS = ("constant", "template", "lookup", "date", "number")


def invoice(invoice_id: str = "INV-1", **fields: Any) -> dict[str, Any]:
    """An invoice carrying a field for every transform's rule to read."""
    return {
        "id": invoice_id,
        "customer": {"name": "Jo Smith"},
        "channel": "amazon",
        "shipped_at": "01/12/2026",
        "weight": "1.5",
        "line_items": [{"product_id": "TEE", "quantity": 2, "price": "10.00"}],
        **fields,
    }


class EachTransformMixin:
    """One test per transform; the test case implements assert_lands(transform)."""

    def assert_lands(self, transform: str) -> None:
        raise NotImplementedError

    def test_it_lands_a_constant(self) -> None:
        self.assert_lands("constant")

    def test_it_lands_a_template(self) -> None:
        self.assert_lands("template")

    def test_it_lands_a_lookup(self) -> None:
        self.assert_lands("lookup")

    def test_it_lands_a_date(self) -> None:
        self.assert_lands("date")

    def test_it_lands_a_number(self) -> None:
        self.assert_lands("number")
