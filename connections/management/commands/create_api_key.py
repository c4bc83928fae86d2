"""Issue or revoke an operations API key: `manage.py create_api_key acme --scope write`.

The key is printed once and stored only as a hash (connections.api_keys); rotating is
issuing a new key, moving the client to it, then `--revoke <public id>` of the old one.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import ApiKey, Connection


class Command(BaseCommand):
    help = "Issue an API key of a connection (printed once), or revoke one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection_id", help="The connection (its FlowLink store id)")
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.READ)
        parser.add_argument("--label", default="", help="Who or what uses the key")
        parser.add_argument(
            "--revoke",
            metavar="PUBLIC_ID",
            help="Revoke the key with this public id (the part after qbs_) instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(connection_id=options["connection_id"]).first()
        if connection is None:
            raise CommandError(f"no connection {options['connection_id']!r}")
        if options["revoke"]:
            key = ApiKey.objects.filter(connection=connection, public_id=options["revoke"]).first()
            if key is None:
                raise CommandError(
                    f"connection {connection.connection_id} has no key {options['revoke']!r}"
                )
            if not key.revoke():
                raise CommandError(f"key {key.public_id} was already revoked")
            self.stdout.write(f"Revoked key {key.public_id}.")
            return
        key, raw = ApiKey.issue(connection, options["scope"], options["label"])
        self.stdout.write(
            f"API key {key.public_id} ({key.get_scope_display()}) of {connection.connection_id}; "
            "shown only now, store it:"
        )
        self.stdout.write(raw)
