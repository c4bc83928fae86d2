"""The object selection shared by the operator commands (retry_failed, requeue, cancel)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet

from objects.models import QueuedObject


def add_selection_arguments(parser: CommandParser) -> None:
    parser.add_argument("ids", nargs="*", type=int, help="Queued object ids (as in the admin)")
    parser.add_argument("--connection", help="Only objects of this connection (X-Hub-Store)")
    parser.add_argument("--type", dest="object_type", help="Only this object type, e.g. orders")
    parser.add_argument("--identity", help="Only the object with this FlowLink id")
    parser.add_argument("--status-code", type=int, help="Only objects whose last code is this")
    parser.add_argument("--dry-run", action="store_true", help="List, change nothing")


def select(options: dict[str, Any], phases: tuple[str, ...]) -> QuerySet[QueuedObject]:
    filters = {
        key: value
        for key, value in {
            "pk__in": options["ids"] or None,
            "connection__connection_id": options["connection"],
            "object_type": options["object_type"],
            "identity": options["identity"],
            "last_status_code": options["status_code"],
        }.items()
        if value is not None
    }
    if not filters:
        raise CommandError("name objects by id or narrow with --connection/--type/--identity")
    return (
        QueuedObject.objects.filter(phase__in=phases, **filters)
        .select_related("connection")
        .order_by("pk")
    )
