"""References in a QuickBooks Online body, resolved by name within one push pass.

A mapper writes `Ref` placeholders (qbo.mappers.base) where QBO wants an Id it cannot
know: a customer by DisplayName, an item by Name, an invoice by DocNumber. The pass
replaces them with what a query finds, once per (entity, property, value) in the pass.
"""

from __future__ import annotations

from typing import Any

from qbo.client import QboClient
from qbo.mappers.base import Ref, q


class MissingReference(Exception):
    def __init__(self, ref: Ref) -> None:
        where = f" ({ref.where})" if ref.where else ""
        super().__init__(
            f"{ref.entity} '{ref.value}'{where} not found in QuickBooks Online; "
            "create it there or send it to qbsync first"
        )
        self.ref = ref


class References:
    """One pass's resolved references: (entity, property, value) -> {"value", "name"}."""

    def __init__(self, client: QboClient) -> None:
        self.client = client
        self.found: dict[tuple[str, str, str], dict[str, str]] = {}

    def resolve(self, body: Any) -> Any:
        """`body` with every Ref placeholder replaced by {"value": Id, "name": …}."""
        if isinstance(body, Ref):
            return self.ref(body)
        if isinstance(body, dict):
            return {
                # A linked transaction names its document by a bare Id (LinkedTxn.TxnId).
                key: self.ref(value)["value"]
                if isinstance(value, Ref) and key == "TxnId"
                else self.resolve(value)
                for key, value in body.items()
            }
        if isinstance(body, list):
            return [self.resolve(value) for value in body]
        return body

    def ref(self, ref: Ref) -> dict[str, str]:
        """The record `ref` names, as QBO's reference object; MissingReference if none."""
        key = (ref.entity, ref.field, ref.value)
        if key not in self.found:
            statement = f"SELECT * FROM {ref.entity} WHERE {ref.field} = {q(ref.value)}"
            records = self.client.query(statement).get(ref.entity, [])
            if not records:
                raise MissingReference(ref)
            self.found[key] = ref.as_json(str(records[0]["Id"]))
        return self.found[key]
