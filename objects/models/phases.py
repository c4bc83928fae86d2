"""The phases a queued object goes through and the modes it is sent in.

Kept apart from the model so the pure decisions (objects.models.transitions) can name
them without importing the model they decide for.
"""

from django.db import models


class Phase(models.TextChoices):
    PENDING = "pending", "Pending (look up in QuickBooks)"
    TWO_PHASE_PENDING = "two_phase_pending", "Two-phase pending (waiting for dependencies)"
    READY = "ready", "Ready (add or modify)"
    IN_PROGRESS = "in_progress", "In progress (request with QuickBooks)"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


ACTIVE_PHASES = (Phase.PENDING, Phase.TWO_PHASE_PENDING, Phase.READY, Phase.IN_PROGRESS)
SENDABLE_PHASES = (Phase.PENDING, Phase.READY)


class Mode(models.TextChoices):
    UPSERT = "upsert", "Add or modify (sent by FlowLink)"
    ENSURE = "ensure", "Add if missing (dependency)"
    REQUIRE = "require", "Must exist (reference)"
