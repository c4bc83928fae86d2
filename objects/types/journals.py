"""FlowLink journals (flowlink §6.10): the `action` that decides how a journal is written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from objects.types.base import TransactionType
from objects.types.values import PayloadError, is_blank

ACTIONS = ("ADD", "UPDATE", "DELETE")


class JournalType(TransactionType):
    object_type = "journals"
    payload_types = ("journal",)
    echo_key = "journals"
    notice_name = "Journal"

    def action(self, payload: Mapping[str, Any]) -> str:
        raw = payload.get("action")
        if is_blank(raw):
            return ""
        action = str(raw).strip().upper()
        if action not in ACTIONS:
            raise PayloadError("action", f"{raw!r} is not one of ADD, UPDATE, DELETE")
        return action

    def is_delete(self, payload: Mapping[str, Any]) -> bool:
        """Whether the payload deletes the journal. A delete needs only the id to find the
        journal (PayloadError without one): its lines are never sent or checked."""
        if self.action(payload) != "DELETE":
            return False
        self.identity(payload)
        return True
