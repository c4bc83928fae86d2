"""What Intuit's XSD says about the children of a qbXML element: their names and order.

A field mapping (objects.mapping) sets a field anywhere in an `…Add`/`…Mod`, so where a
child goes (qbXML is strictly ordered, qbxml.md §18) and whether a path exists at all are
read from the schema itself, from settings.QBXML_XSD_DIR at runtime (the XSDs are
Intuit's and never ship with qbsync).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from qbwc.qbxml.validate import _schema_version, configured_dir

XS = "{http://www.w3.org/2001/XMLSchema}"
Node = etree._Element


@dataclass(frozen=True)
class Field:
    """A child element as the schema declares it."""

    name: str
    node: Node  # its xsd:element declaration (a ref already followed)
    is_leaf: bool  # holds a value, not other elements
    max_length: int | None
    repeats: bool = False  # may occur more than once (lines, LinkToTxnID …)


class Schema:
    """The global elements, groups and types of one qbXML version's XSDs."""

    def __init__(self, directory: Path) -> None:
        self.elements: dict[str, Node] = {}
        self.groups: dict[str, Node] = {}
        self.complex_types: dict[str, Node] = {}
        self.simple_types: dict[str, Node] = {}
        tables = {
            "element": self.elements,
            "group": self.groups,
            "complexType": self.complex_types,
            "simpleType": self.simple_types,
        }
        for path in sorted(directory.glob("*.xsd")):
            for node in etree.parse(str(path)).getroot():
                if not isinstance(node.tag, str) or not node.get("name"):
                    continue
                table = tables.get(etree.QName(node).localname)
                if table is not None:
                    table[node.get("name", "")] = node

    def element_at(self, path: tuple[str, ...]) -> Node | None:
        """The declaration at a path of element names from a global element."""
        node = self.elements.get(path[0]) if path else None
        for part in path[1:]:
            if node is None:
                return None
            found = self.field_in(node, part)
            node = found.node if found is not None else None
        return node

    def field_at(self, path: tuple[str, ...]) -> Field | None:
        """The child at the end of `path` (a global element name, then child names)."""
        parent = self.element_at(path[:-1]) if len(path) >= 2 else None
        return self.field_in(parent, path[-1]) if parent is not None else None

    def field_in(self, element: Node, name: str) -> Field | None:
        return next((f for f in self.children(element) if f.name == name), None)

    def children(self, element: Node) -> list[Field]:
        """The children an element may have, in schema order."""
        content = self._complex_type(element)
        return self._fields(content) if content is not None else []

    # -- reading declarations ----------------------------------------------------------
    def _resolve(self, node: Node) -> Node:
        ref = node.get("ref")
        return self.elements.get(ref, node) if ref else node

    def _complex_type(self, element: Node) -> Node | None:
        inline = element.find(f"{XS}complexType")
        if inline is not None:
            return inline
        named = element.get("type", "")
        return self.complex_types.get(named)

    def _fields(self, content: Node, repeats: bool = False) -> list[Field]:
        out: list[Field] = []
        for child in content:
            if not isinstance(child.tag, str):
                continue
            kind = etree.QName(child).localname
            many = repeats or child.get("maxOccurs", "1") != "1"
            if kind == "element":
                node = self._resolve(child)
                out.append(replace(self._field(node), repeats=many))
            elif kind in ("sequence", "choice", "all"):
                out += self._fields(child, many)
            elif kind == "group":
                group = self.groups.get(child.get("ref", ""))
                if group is not None:
                    out += self._fields(group, many)
            elif kind == "complexContent":
                for derivation in child:
                    if not isinstance(derivation.tag, str):
                        continue
                    base = self.complex_types.get(derivation.get("base", ""))
                    if base is not None:
                        out += self._fields(base)
                    out += self._fields(derivation)
        return out

    def _field(self, node: Node) -> Field:
        content = self._complex_type(node)
        is_leaf = content is None or content.find(f"{XS}simpleContent") is not None
        return Field(node.get("name", ""), node, is_leaf, self._max_length(node))

    def _max_length(self, node: Node) -> int | None:
        simple = node.find(f"{XS}simpleType")
        if simple is None:
            simple = self.simple_types.get(node.get("type", ""))
        if simple is None:
            return None
        limit = simple.find(f"{XS}restriction/{XS}maxLength")
        return int(limit.get("value", "0")) if limit is not None else None


def schema_for(version: str, xsd_dir: str | None = None) -> Schema | None:
    """The schema of a qbXML version (None when no XSD directory is configured)."""
    directory = configured_dir() if xsd_dir is None else xsd_dir
    if not directory:
        return None
    return _load(directory, _schema_version(version))


@functools.lru_cache(maxsize=4)
def _load(directory: str, version: str) -> Schema:
    nnn = version.replace(".", "")
    folder = Path(directory) / f"v{nnn}"
    if not folder.is_dir():
        raise FileNotFoundError(f"qbXML schema not found: {folder}")
    return Schema(folder)
