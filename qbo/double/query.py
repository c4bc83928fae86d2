"""QBO's query language (spec §6): SELECT * | COUNT(*) FROM Entity [WHERE a AND b ...]
[ORDERBY p [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]; 4000 for syntax, 4001 for validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo.double import faults
from qbo.double.clock import parse_time
from qbo.double.entities import BY_LOWER_NAME, EntitySpec, lookup_path
from qbo.double.lines import number

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
TIME_PATHS = ("MetaData.CreateTime", "MetaData.LastUpdatedTime")
TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:\\.|[^'\\])*')
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|<>|!=|=|<|>)
    | (?P<punct>[(),*])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
Value = str | Decimal | bool


@dataclass
class Condition:
    path: str
    op: str
    values: list[Value]


@dataclass
class Query:
    spec: EntitySpec
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: str = "Id"
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_RESULTS


@dataclass
class Token:
    kind: str
    text: str

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(statement: str) -> list[Token]:
    tokens, position, end = [], 0, len(statement.rstrip())
    while position < end:
        match = TOKEN.match(statement, position)
        if match is None or match.end() == position:
            rest = statement[position:].strip()
            if rest.startswith("'"):
                raise faults.query_parser_error("Lexical error: unclosed string literal")
            raise faults.query_parser_error(f'Encountered "{rest[:20]}" at {position}')
        assert match.lastgroup is not None
        tokens.append(Token(match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


class Parser:
    def __init__(self, statement: str) -> None:
        self.tokens = tokenize(statement)
        self.at = 0

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise faults.query_parser_error(f"Unexpected end of query, expected {expected}")
        if expected is not None and expected not in (token.word, token.text):
            raise faults.query_parser_error(f'Encountered "{token.text}", expected {expected}')
        self.at += 1
        return token

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise faults.query_parser_error(f"Unexpected end of query, expected {what}")
        self.at += 1
        return token

    def accept(self, word: str) -> bool:
        token = self.peek()
        if token is not None and word in (token.word, token.text):
            self.at += 1
            return True
        return False

    def parse(self) -> Query:
        self.take("SELECT")
        count = False
        if self.accept("COUNT"):
            self.take("(")
            self.take("*")
            self.take(")")
            count = True
        elif not self.accept("*"):
            raise faults.query_parser_error("Only SELECT * or SELECT COUNT(*) is supported")
        self.take("FROM")
        name = self.next("an entity")
        spec = BY_LOWER_NAME.get(name.text.lower()) if name.kind == "word" else None
        if spec is None:
            raise faults.query_validation_error(f"Entity {name.text} not found")
        query = Query(spec, count)
        if self.accept("WHERE"):
            query.conditions.append(self.condition(spec))
            while self.accept("AND"):
                query.conditions.append(self.condition(spec))
        if self.accept("ORDERBY") or (self.accept("ORDER") and self.take("BY")):
            query.order = self.property(spec)
            if self.accept("DESC"):
                query.descending = True
            else:
                self.accept("ASC")
        while (token := self.peek()) is not None and token.word in ("STARTPOSITION", "MAXRESULTS"):
            self.take()
            value = self.next("a number")
            if value.kind != "number" or not value.text.isdigit() or int(value.text) < 1:
                raise faults.query_validation_error(f"{token.word} must be a positive integer")
            if token.word == "STARTPOSITION":
                query.start = int(value.text)
            else:
                query.max_results = int(value.text)
        leftover = self.peek()
        if leftover is not None:
            raise faults.query_parser_error(f'Encountered "{leftover.text}" at end of query')
        if query.max_results > MAX_RESULTS:
            raise faults.query_validation_error(
                f"MAXRESULTS value {query.max_results} is too large."
                f" Max allowed value is {MAX_RESULTS}"
            )
        return query

    def property(self, spec: EntitySpec) -> str:
        token = self.next("a property")
        if token.kind != "word":
            raise faults.query_parser_error(f'Encountered "{token.text}", expected a property')
        canonical = spec.filterable.get(token.text.lower())
        if canonical is None:
            raise faults.query_validation_error(
                f"Property {token.text} not found for Entity {spec.name}"
            )
        return canonical

    def value(self) -> Value:
        token = self.next("a value")
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            return Decimal(token.text)
        if token.word in ("TRUE", "FALSE"):
            return token.word == "TRUE"
        raise faults.query_parser_error(f'Encountered "{token.text}", expected a value')

    def condition(self, spec: EntitySpec) -> Condition:
        path = self.property(spec)
        token = self.next("an operator")
        if token.kind == "op" and token.text in ("=", "<", ">", "<=", ">="):
            return Condition(path, token.text, [self.value()])
        if token.word == "LIKE":
            value = self.value()
            if not isinstance(value, str):
                raise faults.query_parser_error("LIKE needs a quoted string")
            return Condition(path, "LIKE", [value])
        if token.word == "IN":
            self.take("(")
            values = [self.value()]
            while self.accept(","):
                values.append(self.value())
            self.take(")")
            return Condition(path, "IN", values)
        raise faults.query_parser_error(f'Encountered "{token.text}", expected an operator')


def parse(statement: str) -> Query:
    return Parser(statement).parse()


def _comparable(path: str, value: Any) -> Any:
    """Normalise a stored or queried value so that Python comparison means QBO comparison."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if path in TIME_PATHS:
        return parse_time(str(value))
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if path == "Id" or (path.endswith("Ref") and str(value).isdigit()):
        return number(value)
    return str(value).casefold()


def _like(pattern: str, text: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.casefold().split("%"))
    return re.fullmatch(regex, text, re.DOTALL) is not None


def matches(record: dict[str, Any], condition: Condition) -> bool:
    actual = _comparable(condition.path, lookup_path(record, condition.path))
    if actual is None:
        return False
    if condition.op == "LIKE":
        return isinstance(actual, str) and _like(str(condition.values[0]), actual)
    wanted = [_comparable(condition.path, value) for value in condition.values]
    if isinstance(actual, Decimal):
        wanted = [number(value) if not isinstance(value, bool) else None for value in wanted]
    try:
        if condition.op == "IN":
            return actual in wanted
        other = wanted[0]
        if other is None or type(other) is not type(actual):
            return False
        if condition.op == "=":
            return bool(actual == other)
        if condition.op == "<":
            return bool(actual < other)
        if condition.op == ">":
            return bool(actual > other)
        if condition.op == "<=":
            return bool(actual <= other)
        return bool(actual >= other)
    except TypeError:
        return False


def _sort_key(path: str, record: dict[str, Any]) -> tuple[int, Any, Decimal]:
    value = _comparable(path, lookup_path(record, path))
    ident = number(record.get("Id")) or Decimal(0)
    if value is None:
        return (1, "", ident)
    if isinstance(value, datetime):
        return (0, value.timestamp(), ident)
    return (0, value, ident)


def run(query: Query, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Answer `query` over the shown records of its entity, as the QueryResponse body."""
    conditions = list(query.conditions)
    if query.spec.is_list and not any(c.path == "Active" for c in conditions):
        conditions.append(Condition("Active", "=", [True]))
    found = [r for r in records if all(matches(r, c) for c in conditions)]
    if query.count:
        return {"totalCount": len(found)}
    found.sort(key=lambda r: _sort_key(query.order, r), reverse=query.descending)
    page = found[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.spec.name: page, "startPosition": query.start, "maxResults": len(page)}
