"""The change feed's state (qbo.feed): when a connection is read next, how far each entity
has been read, and the version of each record last told to the triggers."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from connections.models import Connection

DEFAULT_INTERVAL_SECONDS = 600  # seed 003 polls every ten minutes
MIN_INTERVAL_SECONDS = 60


class Feed(models.Model):
    """One per connection with get_* polls: the poll interval and when the next run is due."""

    connection = models.OneToOneField(Connection, models.CASCADE, related_name="qbo_feed")
    interval_seconds = models.PositiveIntegerField(
        default=DEFAULT_INTERVAL_SECONDS,
        validators=[MinValueValidator(MIN_INTERVAL_SECONDS)],
        help_text="How often QuickBooks Online is read for changes (at least 60 seconds).",
    )
    # None: due now (a first run, or a nudge from an Intuit webhook).
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "QuickBooks Online change feed"

    def __str__(self) -> str:
        return f"feed of {self.connection_id}"


class FeedState(models.Model):
    """How far one entity of one connection has been read.

    `watermark` is a QuickBooks-clock value (a CDC answer's `time` or the upper edge of a
    completed sweep): every change before it is stored. A sweep (paged LastUpdatedTime
    queries: the first read, a new route, return_all, or a watermark past CDC's 30 days)
    keeps its position in `sweep_*` so a run cut short resumes where it stopped.
    """

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="qbo_feed_states")
    entity = models.CharField(max_length=40)
    watermark = models.DateTimeField(null=True, blank=True)
    # The routes whose first read is complete: a route added later gets a sweep of its own.
    routes = models.JSONField(default=list, blank=True)
    sweep_upper = models.DateTimeField(null=True, blank=True)  # None: no sweep under way
    sweep_lower = models.DateTimeField(null=True, blank=True)  # None: from the beginning
    sweep_after = models.DateTimeField(null=True, blank=True)  # the last page's newest time
    sweep_skip = models.PositiveIntegerField(default=0)  # rows of that time already read
    sweep_routes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "entity"], name="qbo_feedstate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.entity}"

    @property
    def is_sweeping(self) -> bool:
        return self.sweep_upper is not None


class FeedRecord(models.Model):
    """The version of a QBO record last told to the triggers (qbo.signals.record_changed):
    a version read twice (CDC overlap, a sweep) is told once, and a first sighting is new."""

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="qbo_feed_records")
    entity = models.CharField(max_length=40)
    qb_id = models.CharField(max_length=40)
    sync_token = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    is_deleted = models.BooleanField(default=False)
    last_updated = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "qb_id"], name="qbo_feedrecord_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.qb_id} v{self.sync_token}"
