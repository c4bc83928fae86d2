"""The objects app's models: queued objects, notifications, pulls and
the operations API's deferred queries (operations.py).

Queued objects: phases.py (Phase, Mode), transitions.py (the pure decisions of the state
machine), queued.py (the model and its history), querysets.py (set-level work and moves),
sql.py (the one-statement UPDATE of per-row values).

Split by noun (STYLE.md §2); everything is importable from `objects.models` as before.
"""

from objects.models.mappings import CustomRoute, FieldMapping, FieldMappingVersion, check_rules
from objects.models.notifications import (
    NOTIFICATIONS_PER_ANSWER,
    Notification,
    NotificationDelivery,
    NotificationDeliveryQuerySet,
    NotificationQuerySet,
)
from objects.models.operations import (
    Operation,
    OperationCallback,
    OperationEvent,
    OperationQuerySet,
)
from objects.models.phases import ACTIVE_PHASES, SENDABLE_PHASES, Mode, Phase
from objects.models.pulls import PollConfig, PollConfigQuerySet, PulledRecord, PulledRecordQuerySet
from objects.models.querysets import QueuedObjectQuerySet
from objects.models.queued import QueuedObject, QueuedObjectEvent
from objects.models.sql import update_from_values
from objects.models.transitions import Transition

__all__ = [
    "ACTIVE_PHASES",
    "CustomRoute",
    "FieldMapping",
    "FieldMappingVersion",
    "check_rules",
    "SENDABLE_PHASES",
    "Mode",
    "NOTIFICATIONS_PER_ANSWER",
    "Notification",
    "NotificationDelivery",
    "NotificationDeliveryQuerySet",
    "NotificationQuerySet",
    "Operation",
    "OperationCallback",
    "OperationEvent",
    "OperationQuerySet",
    "Phase",
    "PollConfig",
    "PollConfigQuerySet",
    "PulledRecord",
    "PulledRecordQuerySet",
    "QueuedObject",
    "QueuedObjectEvent",
    "QueuedObjectQuerySet",
    "Transition",
    "update_from_values",
]
