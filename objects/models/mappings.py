"""Field mappings of a connection and their immutable versions (docs/mapping.md).

A `FieldMapping` names a set of rules for one FlowLink type on one connection (the
backend is the connection's). Its rules live in `FieldMappingVersion` rows that are
never changed: an edit adds a version, the newest one is active, and every queued object
records the version it was queued with (`QueuedObject.mapping_version`), so a retry
builds exactly the request the first attempt built.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from connections.models import Connection
from objects.backends import backend_for
from objects.fields import JSONField
from objects.mapping import MappingError, Rule, parse_rules
from objects.types import TYPES, type_for

if TYPE_CHECKING:
    from objects.models.queued import QueuedObject

# The name of a custom route: a write route, FlowLink's spelling.
ROUTE_PATTERN = r"^add_[a-z]+(_[a-z]+)*$"


def check_rules(connection: Connection, object_type: str, raw: Any) -> list[Rule]:
    """The parsed rules, or MappingError naming the first rule and field at fault."""
    rules = parse_rules(raw)
    backend = backend_for(connection)
    for index, rule in enumerate(rules, start=1):
        problem = backend.mapping_target_error(object_type, rule.target)
        if problem:
            raise MappingError(index, rule.target, problem)
    return rules


class FieldMappingQuerySet(models.QuerySet["FieldMapping"]):
    def active_versions(self, connection: Connection) -> dict[str, FieldMappingVersion]:
        """The active version of each of the connection's default mappings, by type: one
        query per webhook request (objects.intake)."""
        newest = (
            FieldMappingVersion.objects.filter(mapping=OuterRef("mapping"))
            .order_by("-number")
            .values("number")[:1]
        )
        versions = FieldMappingVersion.objects.filter(
            mapping__in=self.filter(connection=connection, is_default=True),
            number=Subquery(newest),
        ).select_related("mapping")
        return {version.mapping.object_type: version for version in versions}


class FieldMapping(models.Model):
    """Rules setting QuickBooks fields of one FlowLink type, for one connection."""

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="field_mappings")
    # A FlowLink type (objects.types.TYPES); checked in clean(), not as choices, so a new
    # type needs no migration.
    object_type = models.CharField(max_length=40)
    name = models.CharField(max_length=60)
    # The mapping the built-in routes (and objects queued as dependencies) use; a custom
    # route may name any mapping of its type.
    is_default = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = FieldMappingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "name"], name="fieldmapping_unique_name"),
            # FieldMappingQuerySet.active_version_for(): one default per type.
            models.UniqueConstraint(
                fields=["connection", "object_type"],
                condition=Q(is_default=True),
                name="fieldmapping_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.object_type})"

    def clean(self) -> None:
        if self.object_type not in TYPES:
            raise ValidationError({"object_type": f"{self.object_type!r} is not a FlowLink type"})

    @property
    def active_version(self) -> FieldMappingVersion | None:
        return self.versions.order_by("-number").first()

    def preview(
        self,
        raw_rules: Any,
        *,
        obj: QueuedObject | None = None,
        payload: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> str:
        """The exact request `raw_rules` make of a queued object of this connection (its
        next write: the Add, or the Mod once it is in QuickBooks) or of a pasted payload
        (an Add), built by the backend's own sending code.

        MappingError for a refused rule, PayloadError for a payload the write cannot be
        built from."""
        rules = tuple(check_rules(self.connection, self.object_type, raw_rules))
        if obj is not None:
            view = replace(obj.view(), rules=rules)
        else:
            kind = type_for(self.object_type)
            view = replace(kind.view(payload or {}, params or {}), rules=rules)
        return backend_for(self.connection).preview(self.connection, view)

    def add_version(
        self, raw_rules: Any, created_by: Any = None, comment: str = ""
    ) -> FieldMappingVersion:
        """Check `raw_rules` and make them the active version (MappingError if refused)."""
        check_rules(self.connection, self.object_type, raw_rules)
        with transaction.atomic():
            # The unique (mapping, number) constraint judges two editors saving at once.
            last = self.versions.aggregate(last=Max("number"))["last"] or 0
            return FieldMappingVersion.objects.create(
                mapping=self,
                number=last + 1,
                rules=raw_rules,
                created_by=created_by,
                comment=comment,
            )


class FieldMappingVersion(models.Model):
    """One version of a mapping's rules; never changed once saved."""

    mapping = models.ForeignKey(FieldMapping, models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    rules = JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mapping", "number"], name="fieldmappingversion_number")
        ]

    def __str__(self) -> str:
        return f"{self.mapping.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Queued objects name the version they were built with: changing one would change
        # what their retries send.
        if not self._state.adding:
            raise ValueError("a mapping version is never changed: add a new version")
        with transaction.atomic():
            super().save(*args, **kwargs)
            note_mappings_changed(self.mapping.connection_id)

    def clean(self) -> None:
        try:
            check_rules(self.mapping.connection, self.mapping.object_type, self.rules)
        except MappingError as exc:
            raise ValidationError({"rules": str(exc)}) from exc

    def parsed_rules(self) -> list[Rule]:
        return parse_rules(self.rules)


class CustomRoute(models.Model):
    """A write route an operator adds for one connection (`add_estimates`), served like the
    built-in route of its type with its own mapping (objects.webhooks.CustomRouteView).

    Connection-scoped, as mappings are: the same name may mean different things for two
    connections, and a connection without it gets a 404.
    """

    connection = models.ForeignKey(Connection, models.CASCADE, related_name="custom_routes")
    route = models.CharField(
        max_length=60,
        validators=[
            RegexValidator(ROUTE_PATTERN, "A route is add_ followed by lower-case words: add_x_y.")
        ],
    )
    # A FlowLink type (objects.types.TYPES); its payload key is the body's.
    object_type = models.CharField(max_length=40)
    # The mapping the route's objects are built with (none: the type's default mapping).
    mapping = models.ForeignKey(
        FieldMapping, models.RESTRICT, null=True, blank=True, related_name="routes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "route"], name="customroute_unique_route")
        ]

    def __str__(self) -> str:
        return f"/{self.route} ({self.object_type})"

    def clean(self) -> None:
        from objects.intake import BUILT_IN_ROUTES

        errors: dict[str, str] = {}
        if self.route in BUILT_IN_ROUTES:
            errors["route"] = f"/{self.route} is a built-in route"
        if self.object_type not in TYPES:
            errors["object_type"] = f"{self.object_type!r} is not a FlowLink type"
        mapping = self.mapping
        if mapping is not None and (
            mapping.connection_id != self.connection_id or mapping.object_type != self.object_type
        ):
            errors["mapping"] = "must be a mapping of the same connection and type"
        if errors:
            raise ValidationError(errors)

    @property
    def payload_type(self) -> str:
        """The body key (and default payload_type) the route reads: its type's route's."""
        from objects.intake import payload_type_of

        return payload_type_of(self.object_type)


def note_mappings_changed(connection_id: int) -> None:
    """Keep Connection.uses_field_mappings true exactly while a mapping of the connection
    has a version (intake skips reading mappings otherwise)."""
    in_use = FieldMappingVersion.objects.filter(mapping__connection_id=connection_id).exists()
    Connection.objects.filter(pk=connection_id).update(uses_field_mappings=in_use)


@receiver(post_delete, sender=FieldMapping)
def _mapping_deleted(sender: Any, instance: FieldMapping, **kwargs: Any) -> None:
    note_mappings_changed(instance.connection_id)


@receiver(post_delete, sender=FieldMappingVersion)
def _version_deleted(sender: Any, instance: FieldMappingVersion, **kwargs: Any) -> None:
    # Read by id: in a cascade the mapping may be gone already (its own receiver runs).
    mapping = FieldMapping.objects.filter(pk=instance.mapping_id).values("connection_id")
    for row in mapping:
        note_mappings_changed(row["connection_id"])
