"""The packages depend one way: qbwc (and qbo) -> objects -> connections.

objects/ is the backend-neutral core: it must build on neither a transport (qbwc's
SOAP and qbXML, lxml) nor a backend's app, so that a QuickBooks Online connection
never touches qbXML (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]


def imports_of(package: str) -> dict[str, set[str]]:
    """Top-level modules each product file of `package` imports (tests and migrations aside)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, names in imports_of(package).items()
        for name in sorted(names)
        if name.split(".")[0] in forbidden
    ]


class LayeringTestCase(SimpleTestCase):
    def test_it_keeps_the_core_free_of_transports_and_backends(self) -> None:
        self.assertEqual(offenders("objects", ("qbwc", "qbo", "lxml", "spyne")), [])

    def test_it_keeps_connections_below_the_core(self) -> None:
        self.assertEqual(offenders("connections", ("objects", "qbwc", "qbo", "spyne")), [])

    def test_it_keeps_the_two_backends_apart(self) -> None:
        # Only the transport differs between Desktop and Online: neither builds on the other.
        self.assertEqual(offenders("qbo", ("qbwc", "spyne")), [])
        self.assertEqual(offenders("qbwc", ("qbo",)), [])
