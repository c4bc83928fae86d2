"""Admin of operations API calls (docs/api.md): read-only, for operators to see what a
caller asked, where it stands and what its callback did."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from objects.models import Operation, OperationCallback, OperationEvent


class OperationEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OperationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "from_state", "to_state", "reason")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OperationCallbackInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OperationCallback
    extra = 0
    can_delete = False
    readonly_fields = ("status", "attempts", "next_attempt_at", "sent_at", "last_error")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("public_id", "connection", "kind", "entity", "state", "created_at",
                    "finished_at", "fetched_at")  # fmt: skip
    list_filter = ("kind", "state", "entity")
    list_select_related = ("connection",)
    search_fields = ("public_id", "idempotency_key", "connection__connection_id")
    raw_id_fields = ("connection", "queued_object")
    readonly_fields = [f.name for f in Operation._meta.fields if f.name != "id"]
    inlines = [OperationEventInline, OperationCallbackInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # callers make operations; the admin only shows them
