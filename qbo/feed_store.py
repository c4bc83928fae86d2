"""Storing what the change feed read (qbo.feed): each record version once per get_* route
(PulledRecord), and once to the triggers (FeedRecord, `qbo.signals.record_changed`).

Every method runs inside the caller's transaction, the one that moves the watermark.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.models import Connection
from objects.models import PollConfig, PulledRecord
from objects.types.values import is_on
from qbo.feed_models import FeedRecord
from qbo.feed_reader import NAME_LISTS, updated
from qbo.pulls import QBO_ROUTES, QboRoute, tombstone
from qbo.readers.common import Record, string
from qbo.signals import record_changed


class FeedStore:
    """One run's buffer writes for a connection; `stored` and `changes` count them."""

    def __init__(self, connection: Connection, now: datetime) -> None:
        self.connection = connection
        self.now = now
        self.stamp = timezone.localtime(now, ZoneInfo(settings.PULL_TIMEZONE)).isoformat(
            timespec="seconds"
        )
        self.stored = 0  # route records buffered (new versions, tombstones)
        self.changes = 0  # record versions told to the triggers

    def store(
        self,
        entity: str,
        configs: list[PollConfig],
        records: list[Record],
        initial: dict[str, datetime | None],
        *,
        tell: bool = True,
    ) -> None:
        """Store a batch of one entity's records for every route it feeds, and tell the
        triggers of each new version."""
        if not records:
            return
        self._tell(entity, records, tell)
        for config in configs:
            route = QBO_ROUTES[config.route]
            self.store_route(
                config,
                route,
                records,
                initial=config.route in initial,
                since=initial.get(config.route),
            )

    def _tell(self, entity: str, records: list[Record], tell: bool) -> None:
        ids = {string(r, "Id") or "" for r in records}
        seen = {
            f.qb_id: f
            for f in FeedRecord.objects.filter(
                connection=self.connection, entity=entity, qb_id__in=ids
            )
        }
        # A first read meets thousands of records it never saw: one INSERT for them all.
        new: list[FeedRecord] = []
        for record in records:
            qb_id = string(record, "Id") or ""
            deleted = record.get("status") == "Deleted"
            token = "" if deleted else string(record, "SyncToken") or ""
            active = record.get("Active") is not False
            prev = seen.get(qb_id)
            if prev is not None and (prev.sync_token, prev.is_deleted) == (token, deleted):
                continue
            if deleted:
                change = "deleted"
            elif entity in NAME_LISTS and not active and (prev is None or prev.is_active):
                change = "deleted"  # a name list's deletion is its deactivation (qbo-api §15.5)
            elif prev is None or record.get("MetaData", {}).get("CreateTime") == record.get(
                "MetaData", {}
            ).get("LastUpdatedTime"):
                change = "created"
            else:
                change = "updated"
            fields = {
                "sync_token": token,
                "is_active": active,
                "is_deleted": deleted,
                "last_updated": updated(record) or self.now,
            }
            if prev is None:
                seen[qb_id] = FeedRecord(
                    connection=self.connection, entity=entity, qb_id=qb_id, **fields
                )
                new.append(seen[qb_id])
            else:
                FeedRecord.objects.filter(pk=prev.pk).update(**fields)
                prev.sync_token, prev.is_deleted, prev.is_active = token, deleted, active
            if tell:
                self.changes += 1
                transaction.on_commit(
                    _signal(self.connection, entity, qb_id, change, _plain(record), token)
                )
        FeedRecord.objects.bulk_create(new)

    def _insert(self, creates: dict[str, PulledRecord]) -> None:
        """New buffered versions in one INSERT; one by one only when another run stored an
        undelivered version of one of them meanwhile (the unique constraint), which is
        then replaced in place."""
        if not creates:
            return
        try:
            with transaction.atomic():
                PulledRecord.objects.bulk_create(list(creates.values()))
            return
        except IntegrityError:
            pass
        for row in creates.values():
            fields = {
                "version": row.version,
                "time_modified": row.time_modified,
                "record": row.record,
                "is_deleted": row.is_deleted,
                "pulled_at": row.pulled_at,
            }
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                PulledRecord.objects.filter(
                    connection=self.connection,
                    route=row.route,
                    qb_id=row.qb_id,
                    delivered_at__isnull=True,
                ).update(**fields)

    def store_route(
        self,
        config: PollConfig,
        route: QboRoute,
        records: list[Record],
        *,
        initial: bool,
        since: datetime | None,
    ) -> None:
        """Buffer a route's records the way qbwc.polls.store buffers Desktop's: an
        unchanged version is skipped, an undelivered one replaced in place."""
        include_inactive = is_on(config.params.get("query_inactive"))
        latest: dict[str, PulledRecord] = {}
        for pulled in PulledRecord.objects.filter(
            connection=self.connection,
            route=config.route,
            qb_id__in={string(r, "Id") or "" for r in records},
        ).order_by("-id"):
            latest.setdefault(pulled.qb_id, pulled)
        stored = 0
        creates: dict[str, PulledRecord] = {}
        for record in records:
            qb_id = string(record, "Id") or ""
            modified = updated(record) or self.now
            prev = latest.get(qb_id)
            deleted = record.get("status") == "Deleted"
            if deleted:
                if prev is None and initial:
                    continue  # a first read has no use for deletions FlowLink never saw
                if prev is None and route.item_type is not None:
                    continue  # an unseen item's deletion may be of another type
                row = tombstone(route, record, prev.record if prev is not None else None)
                version = f"deleted:{string(record, 'MetaData.LastUpdatedTime')}"
            else:
                if not route.wants(record):
                    continue
                row = route.read(record, self.stamp)
                version = route.version(record)
            if prev is not None and prev.version == version:
                continue
            if prev is None and row.get("is_active") is False and not include_inactive:
                continue
            if since is not None and modified < since:
                continue
            fields = {
                "version": version[:100],
                "time_modified": modified,
                "record": row,
                "is_deleted": deleted,
                "pulled_at": self.now,
            }
            replaced = 0
            if prev is not None and prev.delivered_at is None:
                # Conditional: if a hand-out took it meanwhile, this version is a new row.
                replaced = PulledRecord.objects.filter(
                    pk=prev.pk, delivered_at__isnull=True
                ).update(**fields)
                prev.version = version[:100]
            if not replaced:
                creates[qb_id] = PulledRecord(
                    connection=self.connection, route=config.route, qb_id=qb_id, **fields
                )
                latest[qb_id] = creates[qb_id]
            stored += 1
        self._insert(creates)
        if stored:
            PollConfig.objects.filter(pk=config.pk).update(
                records_pulled=config.records_pulled + stored
            )
            config.records_pulled += stored
        self.stored += stored


def _signal(
    connection: Connection, entity: str, qb_id: str, change: str, record: Record, version: str
) -> Any:
    def send() -> None:
        record_changed.send(
            sender=FeedRecord,
            connection=connection,
            entity=entity,
            qb_id=qb_id,
            change=change,
            record=record,
            version=version,
        )

    return send


def _plain(value: Any) -> Any:
    """The record with QBO's money as strings (Decimal is not JSON), as Django writes it."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
