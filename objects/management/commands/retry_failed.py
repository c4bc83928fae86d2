"""Retry failed objects: `manage.py retry_failed --connection acme [--type orders] [ids…]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from objects.management.selection import add_selection_arguments, select
from objects.models import Phase


class Command(BaseCommand):
    help = "Send failed objects again from the start (the admin's Retry)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_selection_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        for obj in select(options, (Phase.FAILED,)):
            if options["dry_run"] or obj.retry("retried with manage.py retry_failed"):
                done += 1
                self.stdout.write(f"{obj.pk} {obj.connection}/{obj}: {obj.last_status_message}")
        verb = "would be retried" if options["dry_run"] else "retried"
        self.stdout.write(f"{done} object(s) {verb}.")
