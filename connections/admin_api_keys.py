"""Admin of operations API keys: issue (shown once), revoke, rotate (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from connections.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "connection", "scope", "label", "created_at", "last_used_at",
                    "revoked_at")  # fmt: skip
    list_filter = ("scope",)
    list_select_related = ("connection",)
    search_fields = ("public_id", "label", "connection__connection_id")
    raw_id_fields = ("connection",)
    readonly_fields = ("public_id", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_selected", "rotate_selected"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        if obj is None:
            return ("connection", "scope", "label")
        return ("connection", "public_id", "scope", "label", *self.readonly_fields[1:])

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        # A key's connection and scope are what it was issued for: a new scope is a new key.
        return self.readonly_fields if obj is None else (*self.readonly_fields, "connection",
                                                         "scope")  # fmt: skip

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = ApiKey.issue(obj.connection, obj.scope, obj.label)
        obj.pk, obj.public_id = key.pk, key.public_id
        messages.warning(request, f"The new key, shown only now: {raw}")

    @admin.action(description="Revoke selected keys")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = sum(key.revoke() for key in queryset)
        messages.success(request, f"{revoked} key(s) revoked.")

    @admin.action(description="Rotate selected keys (a new key each, the old one revoked)")
    def rotate_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in ApiKey.objects.usable().filter(pk__in=queryset.values("pk")):
            _new, raw = ApiKey.issue(key.connection, key.scope, key.label)
            key.revoke()
            messages.warning(request, f"{key} replaced; the new key, shown only now: {raw}")
