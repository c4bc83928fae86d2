"""Per-connection field mapping: rules that set QuickBooks fields from a FlowLink payload.

A mapping is a list of rules, each naming a `target` (a field of the entity's Add/Mod
request, in the backend's own spelling: `ShipMethodRef/FullName` in qbXML,
`ShipMethodRef.value` in QuickBooks Online JSON) and a transform that computes its value
from the payload. This module is the backend-neutral half: parsing and checking rules,
and turning a payload into `(target, value)` pairs. Where a target exists and how a value
is set into a request is each backend's (objects.backends: `mapping_target_error`, and
the write built by the backend with the view's rules). No rules = today's request, byte
for byte. docs/mapping.md has the rule format and examples.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from objects.types.values import PayloadError

TRANSFORMS = ("constant", "template", "lookup", "date", "number")
# {id}, {customer.email}, {line_items.0.sku}: a dotted path into the payload.
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_][A-Za-z0-9_.\-]*)\}")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
MAX_PLACES = 6


class MappingError(ValueError):
    """A mapping refused as written, naming the rule (1-based) and its target field."""

    def __init__(self, index: int, target: str, reason: str) -> None:
        self.index = index
        self.target = target
        self.reason = reason
        where = f"rule {index}" + (f" ({target})" if target else "")
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Rule:
    """One parsed rule: set `target` to what `transform` makes of the payload."""

    target: str
    transform: str
    value: str = ""  # constant
    template: str = ""  # template
    source: str = ""  # lookup, date, number: the payload field read
    table: dict[str, str] = field(default_factory=dict)  # lookup
    default: str | None = None  # lookup: the value when nothing matches (None: an error)
    input_format: str = ""  # date: strptime format of the source ("" = ISO 8601)
    format: str = DEFAULT_DATE_FORMAT  # date: strftime format of the value
    places: int = 2  # number
    grouping: bool = False  # number: 1,234.50

    def evaluate(self, payload: Mapping[str, Any]) -> str:
        """The rule's value for `payload`; PayloadError names the payload field at fault."""
        if self.transform == "constant":
            return self.value
        if self.transform == "template":
            return PLACEHOLDER.sub(lambda m: _text(self._read(payload, m.group(1))), self.template)
        if self.transform == "lookup":
            found = _find(payload, self.source)
            key = "" if found is None else _text(found)
            if key in self.table:
                return self.table[key]
            if self.default is not None:
                return self.default
            raise PayloadError(
                self.source,
                f"{key!r} has no entry in the look-up table of the mapping rule for {self.target}",
            )
        if self.transform == "date":
            return self._date(self._read(payload, self.source)).strftime(self.format)
        if self.transform == "number":
            return self._number(self._read(payload, self.source))
        raise AssertionError(self.transform)  # parse_rules admits no other

    def _read(self, payload: Mapping[str, Any], path: str) -> Any:
        found = _find(payload, path)
        if found is None or found == "":
            raise PayloadError(path, f"is required by the mapping rule for {self.target}")
        if isinstance(found, Mapping | list):
            raise PayloadError(
                path, f"must be a single value for the mapping rule for {self.target}"
            )
        return found

    def _date(self, raw: Any) -> date:
        text = _text(raw).strip()
        try:
            if self.input_format:
                return datetime.strptime(text, self.input_format).date()
            if len(text) == 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            expected = self.input_format or "an ISO 8601 date"
            raise PayloadError(
                self.source, f"{text!r} is not {expected} (mapping rule for {self.target})"
            ) from None

    def _number(self, raw: Any) -> str:
        try:
            number = Decimal(_text(raw).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise PayloadError(
                self.source, f"{raw!r} is not a number (mapping rule for {self.target})"
            )
        rounded = number.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)
        return f"{rounded:,f}" if self.grouping else f"{rounded:f}"


def parse_rules(raw: Any) -> list[Rule]:
    """The rules of a mapping's JSON; MappingError names the first rule at fault."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise MappingError(0, "", "the rules must be a JSON list of objects")
    rules = [_parse_rule(index, item) for index, item in enumerate(raw, start=1)]
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules, start=1):
        if rule.target in seen:
            raise MappingError(
                index, rule.target, f"sets the same field as rule {seen[rule.target]}"
            )
        seen[rule.target] = index
    return rules


def resolve(rules: Sequence[Rule], payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(target, value) of every rule, in rule order."""
    return [(rule.target, rule.evaluate(payload)) for rule in rules]


_KEYS: dict[str, frozenset[str]] = {
    "constant": frozenset({"value"}),
    "template": frozenset({"template"}),
    "lookup": frozenset({"source", "table", "default"}),
    "date": frozenset({"source", "input_format", "format"}),
    "number": frozenset({"source", "places", "grouping"}),
}


def _parse_rule(index: int, item: Any) -> Rule:
    if not isinstance(item, Mapping):
        raise MappingError(index, "", "must be a JSON object")
    target = item.get("target")
    if not isinstance(target, str) or not target.strip():
        raise MappingError(index, "", "target: is required (the QuickBooks field to set)")
    transform = item.get("transform")
    if transform not in _KEYS:
        raise MappingError(
            index, target, f"transform: {transform!r} is not one of {', '.join(TRANSFORMS)}"
        )
    unknown = set(item) - {"target", "transform"} - _KEYS[transform]
    if unknown:
        raise MappingError(
            index, target, f"{', '.join(sorted(unknown))}: not a setting of a {transform} rule"
        )
    fields = {key: item[key] for key in _KEYS[transform] if key in item}
    return _checked(index, Rule(target=target.strip(), transform=transform, **fields))


def _checked(index: int, rule: Rule) -> Rule:
    def refuse(reason: str) -> MappingError:
        return MappingError(index, rule.target, reason)

    if rule.transform == "constant" and (not isinstance(rule.value, str) or not rule.value):
        raise refuse("value: is required (a non-empty text)")
    if rule.transform == "template":
        if not isinstance(rule.template, str) or not PLACEHOLDER.search(rule.template):
            raise refuse(
                "template: names no payload field (write {field}; use a constant for fixed text)"
            )
    if rule.transform in ("lookup", "date", "number") and (
        not isinstance(rule.source, str) or not rule.source.strip()
    ):
        raise refuse("source: is required (the payload field to read)")
    if rule.transform == "lookup":
        if not isinstance(rule.table, Mapping) or not rule.table:
            raise refuse("table: needs at least one entry (payload value -> QuickBooks value)")
        if not all(isinstance(v, str) and v for v in rule.table.values()):
            raise refuse("table: every QuickBooks value must be a non-empty text")
        if rule.default is not None and not isinstance(rule.default, str):
            raise refuse("default: must be a text")
    if rule.transform == "date":
        for key in ("input_format", "format"):
            value = getattr(rule, key)
            if not isinstance(value, str) or (key == "format" and "%" not in value):
                raise refuse(f"{key}: must be a strftime format such as %Y-%m-%d")
    if rule.transform == "number":
        if not isinstance(rule.places, int) or not 0 <= rule.places <= MAX_PLACES:
            raise refuse(f"places: must be a whole number from 0 to {MAX_PLACES}")
        if not isinstance(rule.grouping, bool):
            raise refuse("grouping: must be true or false")
    return rule


def _find(payload: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`customer.email`, `line_items.0.sku`), None if absent."""
    value: Any = payload
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return ""
    return str(value)
