"""Print each connection's health; exit 1 when any is unhealthy (for monitoring scripts)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from connections.models import Connection


class Command(BaseCommand):
    help = "Show the Web Connector health of every connection; exit 1 if any is unhealthy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_ids", nargs="*", help="Only these connections")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        connections = Connection.objects.all()
        if options["connection_ids"]:
            connections = connections.filter(connection_id__in=options["connection_ids"])
        unhealthy = 0
        for connection in connections:
            state = connection.health_state(now)
            minutes = connection.minutes_since_contact(now)
            last = "never" if minutes is None else f"{minutes:.0f} min ago"
            line = (
                f"{connection.connection_id}\t{state}\tlast contact {last}"
                f" (threshold {connection.health_threshold_minutes} min)"
            )
            incident = connection.incidents.open().first()
            if incident is not None:
                line += f", incident open since {incident.opened_at:%Y-%m-%d %H:%M}"
            self.stdout.write(line)
            unhealthy += state == "unhealthy"
        if unhealthy:
            raise SystemExit(1)
