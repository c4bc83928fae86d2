"""The admin index's dashboard: per-connection health and phase counts."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count

from connections.admin import health_badge
from connections.models import Connection, Incident
from objects.models import Phase, QueuedObject

register = template.Library()

# Column headings short enough for one line each.
SHORT_LABELS: dict[str, str] = {
    Phase.PENDING: "pending",
    Phase.TWO_PHASE_PENDING: "waiting",
    Phase.READY: "ready",
    Phase.IN_PROGRESS: "in flight",
    Phase.PROCESSED: "processed",
    Phase.FAILED: "failed",
}


def dashboard_rows() -> list[dict[str, Any]]:
    counts: dict[int, dict[str, int]] = {}
    for row in QueuedObject.objects.values("connection_id", "phase").annotate(n=Count("pk")):
        counts.setdefault(row["connection_id"], {})[row["phase"]] = row["n"]
    open_incidents = {i.connection_id: i for i in Incident.objects.open()}
    rows = []
    for connection in Connection.objects.all():
        mine = counts.get(connection.pk, {})
        rows.append(
            {
                "connection": connection,
                "badge": health_badge(connection),
                "incident": open_incidents.get(connection.pk),
                "phases": [(phase, mine.get(phase, 0)) for phase in Phase.values],
            }
        )
    return rows


@register.inclusion_tag("admin/qbsync_dashboard.html")
def qbsync_dashboard() -> dict[str, Any]:
    return {"rows": dashboard_rows(), "phases": [SHORT_LABELS[p] for p in Phase.values]}
