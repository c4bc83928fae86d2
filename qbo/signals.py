"""Signals between the QuickBooks Online parts that are built apart.

`record_changed` is sent by the change feed (qbo.feed) once a changed record is stored,
for each record and version, after its transaction commits; the triggers (qbo.events)
turn it into events for subscribers. Keyword arguments:

- `connection`: the connections.models.Connection
- `entity`: QBO's entity name ("Invoice", "Customer", "Item" …)
- `qb_id`: the record's Id
- `change`: "created", "updated" or "deleted"
- `record`: the record as QBO returned it (a deletion marker for "deleted")
- `version`: the record's SyncToken ("" for a deletion), with `qb_id` its identity
"""

from __future__ import annotations

from django.dispatch import Signal

record_changed = Signal()
