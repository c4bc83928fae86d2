"""The objects app's models: queued objects, notifications and pulls.

Split by noun (STYLE.md §2); everything is importable from `objects.models` as before.
"""

from objects.models.notifications import (
    NOTIFICATIONS_PER_ANSWER,
    Notification,
    NotificationDelivery,
    NotificationDeliveryQuerySet,
    NotificationQuerySet,
)
from objects.models.pulls import PollConfig, PollConfigQuerySet, PulledRecord, PulledRecordQuerySet
from objects.models.queued import (
    ACTIVE_PHASES,
    SENDABLE_PHASES,
    Mode,
    Phase,
    QueuedObject,
    QueuedObjectEvent,
    QueuedObjectQuerySet,
    update_from_values,
)

__all__ = [
    "ACTIVE_PHASES",
    "SENDABLE_PHASES",
    "Mode",
    "NOTIFICATIONS_PER_ANSWER",
    "Notification",
    "NotificationDelivery",
    "NotificationDeliveryQuerySet",
    "NotificationQuerySet",
    "Phase",
    "PollConfig",
    "PollConfigQuerySet",
    "PulledRecord",
    "PulledRecordQuerySet",
    "QueuedObject",
    "QueuedObjectEvent",
    "QueuedObjectQuerySet",
    "update_from_values",
]
