"""Cancel queued objects before they reach QuickBooks: `manage.py cancel 12 13`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from objects.management.selection import add_selection_arguments, select
from objects.models import ACTIVE_PHASES


class Command(BaseCommand):
    help = "Cancel queued objects; each fails with a notification FlowLink collects."

    def add_arguments(self, parser: CommandParser) -> None:
        add_selection_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        for obj in select(options, ACTIVE_PHASES):
            if options["dry_run"] or obj.cancel("an operator (manage.py cancel)"):
                done += 1
                self.stdout.write(f"{obj.pk} {obj.connection}/{obj}")
        verb = "would be cancelled" if options["dry_run"] else "cancelled"
        self.stdout.write(f"{done} object(s) {verb}.")
