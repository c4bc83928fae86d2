"""Child order of `…Ret` aggregates, read from Intuit's XSDs when they are available.

QuickBooks writes every Ret in schema order. Without the XSDs the simulator keeps the
order of the request (which is already schema order for the Add fields) and the
responses are only roughly ordered; with them, records come back in exact order and
elements that do not exist on the Ret are dropped.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from qbwc.qbxml.parse import tag_of

_XS = "{http://www.w3.org/2001/XMLSchema}"


def _schema_file(xsd_dir: str) -> Path | None:
    # 16.0 is a superset of 13.0 for the Ret aggregates, so prefer it.
    for nnn in ("160", "130"):
        path = Path(xsd_dir) / f"v{nnn}" / f"qbxml{nnn}.xsd"
        if path.is_file():
            return path
    return None


def _flatten(
    node: etree._Element,
    groups: dict[str, etree._Element],
    out: list[list[str]],
    seen: set[str],
    shared: list[str] | None = None,
) -> None:
    """Collect element names in schema order; members of a repeating choice share a rank."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag[len(_XS) :] if child.tag.startswith(_XS) else child.tag
        if tag == "element":
            name = child.get("name") or child.get("ref") or ""
            if name and name not in seen:
                seen.add(name)
                if shared is not None:
                    shared.append(name)
                else:
                    out.append([name])
        elif tag == "group":
            group = groups.get(child.get("ref", ""))
            if group is not None:
                _flatten(group, groups, out, seen, shared)
        elif tag == "choice" and child.get("maxOccurs") == "unbounded" and shared is None:
            # Interleaved lines (journal debits and credits) keep the order they were sent in.
            bucket: list[str] = []
            _flatten(child, groups, out, seen, bucket)
            if bucket:
                out.append(bucket)
        elif tag in ("sequence", "choice", "complexType", "all"):
            _flatten(child, groups, out, seen, shared)


@functools.lru_cache(maxsize=4)
def ret_orders(xsd_dir: str) -> dict[str, dict[str, int]]:
    """Map every `…Ret` (and journal line) element name to {child tag: position}."""
    path = _schema_file(xsd_dir)
    if path is None:
        return {}
    root = etree.parse(str(path)).getroot()
    elements = {e.get("name", ""): e for e in root.findall(f"{_XS}element")}
    groups = {g.get("name", ""): g for g in root.findall(f"{_XS}group")}
    orders: dict[str, dict[str, int]] = {}
    for name, element in elements.items():
        if not (
            name.endswith("Ret")
            or name in ("JournalDebitLine", "JournalCreditLine", "SalesOrPurchase")
            or name == "SalesAndPurchase"
        ):
            continue
        ranks: list[list[str]] = []
        _flatten(element, groups, ranks, set())
        orders[name] = {tag: i for i, bucket in enumerate(ranks) for tag in bucket}
    return orders


def sort_children(element: etree._Element, order: dict[str, int], drop_unknown: bool) -> None:
    """Reorder `element`'s children by `order` (stable); optionally drop foreign tags."""
    children = [c for c in element if isinstance(c.tag, str)]
    if drop_unknown:
        for child in children:
            if child.tag not in order:
                element.remove(child)
        children = [c for c in children if c.tag in order]
    end = len(order)
    ranked = sorted(children, key=lambda c: order.get(tag_of(c), end))
    if ranked != children:
        for child in children:
            element.remove(child)
        element.extend(ranked)
