"""Re-encrypt every secret at rest with the first key: `manage.py rotate_encryption_key`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.encryption import derived_key, generate_key, reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (plain values and values of older keys) with the"
        " first key of FIELD_ENCRYPTION_KEYS. Safe to run again; see docs/security.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing")
        parser.add_argument(
            "--generate-key", action="store_true", help="Print a new Fernet key and exit"
        )
        parser.add_argument(
            "--derived-key",
            action="store_true",
            help="Print the key derived from the current SECRET_KEY (the one used while"
            " FIELD_ENCRYPTION_KEYS is empty) and exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Keys go to stdout only, for the operator to put into the environment.
        if options["generate_key"]:
            self.stdout.write(generate_key())
            return
        if options["derived_key"]:
            self.stdout.write(derived_key(settings.SECRET_KEY))
            return
        dry_run: bool = options["dry_run"]
        failed: list[str] = []
        for outcome in reencrypt_all(dry_run=dry_run):
            verb = "would re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(
                f"{outcome.label}: {verb} {outcome.rewritten},"
                f" {outcome.current} already under the first key"
            )
            if outcome.undecryptable:
                ids = ", ".join(str(pk) for pk in outcome.undecryptable)
                failed.append(f"{outcome.label} (ids {ids})")
        if failed:
            raise CommandError(
                "no key in FIELD_ENCRYPTION_KEYS decrypts "
                + "; ".join(failed)
                + ": list the key they were encrypted with and run again (left unchanged)"
            )
