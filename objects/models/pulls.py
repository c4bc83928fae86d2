"""What the get_* webhooks poll for and the records pulled (objects.pulls registers and hands
out, qbwc.polls polls QuickBooks Desktop)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from connections.models import Connection


class PollConfigQuerySet(models.QuerySet["PollConfig"]):
    def wanted(self, now: datetime) -> PollConfigQuerySet:
        """Enabled polls FlowLink still asks for (flowlink §8.2: stop after a quiet period)."""
        quiet = timedelta(days=settings.PULL_STOP_AFTER_DAYS)
        return self.filter(is_enabled=True, last_requested_at__gte=now - quiet)

    def due(self, now: datetime) -> PollConfigQuerySet:
        return self.wanted(now).filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))


class PollConfig(models.Model):
    """What to pull for one (connection, get_* route), and how far the pull has come.

    `cursor` is the QuickBooks-side watermark: everything modified before it has been
    stored. It only moves when every stream of an iteration (and the deleted-object
    query) has been stored, so a session that ends mid-iteration loses nothing.
    `state` holds the iteration in progress per stream, e.g.
    {"CustomerQueryRq": {"request_id": …, "iterator_id": …, "done": false}, …}.
    """

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="poll_configs")
    route = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    cursor = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(
        default=True, help_text="Operators may switch a poll off; a get_* call does not undo it."
    )
    # return_all: the next iteration ignores the cursor once (flowlink §8.3).
    full_pending = models.BooleanField(default=False)
    last_requested_at = models.DateTimeField(default=timezone.now)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    # The session (claimer) that runs the current iteration; iterators die with it.
    session_key = models.CharField(max_length=64, blank=True)
    # The session whose iteration completed last: each session polls a type once.
    polled_session_key = models.CharField(max_length=64, blank=True)
    iteration_started_at = models.DateTimeField(null=True, blank=True)
    iteration_max_modified = models.DateTimeField(null=True, blank=True)
    state = models.JSONField(default=dict, blank=True)
    last_completed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    records_pulled = models.PositiveBigIntegerField(default=0)

    objects = PollConfigQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "route"], name="pollconfig_unique_route")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.route}"

    def set_enabled(self, enabled: bool) -> bool:
        """Operators' switch per type (flowlink §8.2); reports whether anything changed."""
        changed = (
            PollConfig.objects.filter(pk=self.pk)
            .exclude(is_enabled=enabled)
            .update(is_enabled=enabled, state={}, session_key="")
        )
        self.is_enabled = enabled
        return changed == 1

    def rewind(self) -> None:
        """Read everything again in the next run (records FlowLink has are not re-sent
        unless they changed: pulled versions are de-duplicated)."""
        PollConfig.objects.filter(pk=self.pk).update(
            cursor=None, state={}, session_key="", next_poll_at=None, full_pending=False
        )
        self.cursor = None


class PulledRecordQuerySet(models.QuerySet["PulledRecord"]):
    def undelivered(self) -> PulledRecordQuerySet:
        return self.filter(delivered_at__isnull=True)

    def page(self, request_id: str | None, size: int, now: datetime) -> PulledRecordQuerySet:
        """The next page, oldest first, bound to request_id; a repeated request_id replays it."""
        if request_id:
            replayed = self.replay(request_id)
            if replayed:  # evaluated here; the caller reads the cached rows
                return replayed
        return self.claim(request_id or "", size, now)

    def replay(self, request_id: str) -> PulledRecordQuerySet:
        """The page handed out before under this request_id (flowlink §8.4)."""
        return self.filter(delivered_request_id=request_id).order_by("time_modified", "id")

    def claim(self, request_id: str, size: int, now: datetime) -> PulledRecordQuerySet:
        """Hand out the oldest `size` undelivered records under (request_id, now)."""
        candidates = [p.pk for p in self.undelivered().order_by("time_modified", "id")[:size]]
        if candidates:
            # Conditional: of two concurrent calls each record goes to exactly one; the
            # (request_id, now) pair tells this call which ones it won.
            self.filter(pk__in=candidates, delivered_at__isnull=True).update(
                delivered_request_id=request_id, delivered_at=now
            )
        return self.filter(
            pk__in=candidates, delivered_request_id=request_id, delivered_at=now
        ).order_by("time_modified", "id")

    def as_flowlink(self, fields: list[str] | None = None) -> list[dict[str, Any]]:
        """The records, one per id (later keys win, flowlink §8.4); with `fields`, each
        keeps only those keys (absent ones as None) and its id."""
        merged: dict[Any, dict[str, Any]] = {}
        for pulled in self:
            merged.setdefault(pulled.record.get("id"), {}).update(pulled.record)
        if fields is None:
            return list(merged.values())
        return [
            {"id": record.get("id"), **{name: record.get(name) for name in fields}}
            for record in merged.values()
        ]

    def expired(self, now: datetime) -> PulledRecordQuerySet:
        """Delivered versions past the retention period (flowlink §8.4), except the newest
        of each record: it is what the next poll compares against to skip unchanged ones."""
        cutoff = now - timedelta(days=settings.PULL_RETENTION_DAYS)
        newer = PulledRecord.objects.filter(
            connection=models.OuterRef("connection"),
            route=models.OuterRef("route"),
            qb_id=models.OuterRef("qb_id"),
            id__gt=models.OuterRef("id"),
        )
        return self.filter(delivered_at__lt=cutoff).filter(models.Exists(newer))


class PulledRecord(models.Model):
    """One version of one QuickBooks record read by a poll, waiting for (or handed to) FlowLink.

    At most one undelivered row per record: a newer version replaces it in place, so
    the newest wins and FlowLink never gets two versions in one backlog. Delivered
    rows stay (retention) so a repeated request_id replays exactly the same page.
    """

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="pulled_records")
    route = models.CharField(max_length=60)
    qb_id = models.CharField("ListID / TxnID", max_length=100)
    version = models.CharField(max_length=100, help_text="EditSequence, or a deletion marker")
    time_modified = models.DateTimeField()
    record = models.JSONField()
    is_deleted = models.BooleanField(default=False)
    pulled_at = models.DateTimeField(default=timezone.now)
    delivered_request_id = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = PulledRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "route", "qb_id"],
                condition=Q(delivered_at__isnull=True),
                name="pulledrecord_one_undelivered",
            )
        ]
        indexes = [
            # PulledRecordQuerySet.claim: the oldest undelivered records of a route.
            models.Index(
                fields=["connection", "route", "time_modified"],
                name="pulledrecord_backlog_idx",
                condition=Q(delivered_at__isnull=True),
            ),
            # PulledRecordQuerySet.replay, and the dedupe look-up of qbwc.polls.store.
            models.Index(
                fields=["connection", "route", "delivered_request_id"],
                name="pulledrecord_replay_idx",
            ),
            models.Index(fields=["connection", "route", "qb_id"], name="pulledrecord_qbid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.qb_id} {self.version}"
