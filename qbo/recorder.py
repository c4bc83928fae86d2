"""What a push pass keeps of its calls to QuickBooks Online (the admin's view of them)."""

from __future__ import annotations

from connections.models import Connection
from objects.models import QueuedObject
from qbo.client import CallRecord
from qbo.models import QboCall


class CallRecorder:
    """Keeps each call as a QboCall row of the object it was made for.

    Passed to QboClient as its `record`; the pass sets `current` around each object's
    calls. `calls` counts every call and `reached` says whether QuickBooks answered one.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.current: QueuedObject | None = None
        self.calls = 0
        self.reached = False

    def __call__(self, call: CallRecord) -> None:
        self.calls += 1
        if call.http_status is not None and call.http_status < 500:
            self.reached = True
        if self.current is None:
            # Health pings and change-feed pages (megabytes of JSON) belong to no object:
            # the admin shows calls per object, so they are counted, not kept.
            return
        QboCall.objects.create(
            connection=self.connection,
            queued_object=self.current,
            sent_at=call.sent_at,
            kind=call.kind[:20],
            method=call.method[:8],
            path=call.path[:2000],
            request_id=call.request_id[:100],
            request_body=call.request_body,
            http_status=call.http_status,
            code=call.code[:20],
            message=call.message,
            response_body=call.response_body,
            intuit_tid=call.intuit_tid[:100],
        )
