"""Requeue failed or processed objects: `manage.py requeue 12 13` or with filters."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from objects.management.selection import add_selection_arguments, select
from objects.models import Phase


class Command(BaseCommand):
    help = "Send failed or processed objects again; a processed one becomes a modification."

    def add_arguments(self, parser: CommandParser) -> None:
        add_selection_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        for obj in select(options, (Phase.FAILED, Phase.PROCESSED)):
            if options["dry_run"] or obj.requeue("requeued with manage.py requeue"):
                done += 1
                self.stdout.write(f"{obj.pk} {obj.connection}/{obj}")
        verb = "would be requeued" if options["dry_run"] else "requeued"
        self.stdout.write(f"{done} object(s) {verb}.")
