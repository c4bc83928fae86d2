from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from objects.models import Notification, PollConfig, PulledRecord, QueuedObject, QueuedObjectEvent


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = QueuedObjectEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "from_phase", "to_phase", "reason")


@admin.register(QueuedObject)
class QueuedObjectAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "identity",
        "object_type",
        "connection",
        "phase",
        "mode",
        "retry_count",
        "qb_id",
        "last_status_code",
        "updated_at",
    )
    list_filter = ("phase", "object_type", "mode", "connection", "last_status_code")
    search_fields = ("identity", "qb_id", "request_id", "external_guid")
    list_select_related = ("connection",)
    raw_id_fields = ("connection", "dependencies")
    readonly_fields = [f.name for f in QueuedObject._meta.fields if f.name != "id"]
    inlines = [EventInline]
    actions = ["requeue_selected"]

    @admin.action(description="Requeue selected (failed or processed) objects")
    def requeue_selected(self, request: HttpRequest, queryset: QuerySet[QueuedObject]) -> None:
        moved = sum(obj.requeue(f"requeued by {request.user}") for obj in queryset)
        self.message_user(request, f"{moved} object(s) requeued.", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "connection", "kind", "message", "request_id", "delivered_at")
    list_filter = ("kind", "connection")
    search_fields = ("message", "request_id", "delivered_request_id")
    list_select_related = ("connection",)
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "id"]


# -- pulls (get_* webhooks; objects.pulls) ---------------------------------------------------


@admin.register(PollConfig)
class PollConfigAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "route",
        "connection",
        "is_enabled",
        "cursor",
        "last_requested_at",
        "last_completed_at",
        "records_pulled",
        "last_error",
    )
    list_filter = ("is_enabled", "route", "connection")
    list_select_related = ("connection",)
    raw_id_fields = ("connection",)
    readonly_fields = [
        f.name for f in PollConfig._meta.fields if f.name not in ("id", "is_enabled")
    ]
    actions = ["switch_on", "switch_off", "rewind_selected"]

    @admin.action(description="Switch polling on")
    def switch_on(self, request: HttpRequest, queryset: QuerySet[PollConfig]) -> None:
        changed = sum(config.set_enabled(True) for config in queryset)
        self.message_user(request, f"{changed} poll(s) switched on.", messages.SUCCESS)

    @admin.action(description="Switch polling off")
    def switch_off(self, request: HttpRequest, queryset: QuerySet[PollConfig]) -> None:
        changed = sum(config.set_enabled(False) for config in queryset)
        self.message_user(request, f"{changed} poll(s) switched off.", messages.SUCCESS)

    @admin.action(description="Read everything again in the next run")
    def rewind_selected(self, request: HttpRequest, queryset: QuerySet[PollConfig]) -> None:
        for config in queryset:
            config.rewind()
        self.message_user(request, f"{queryset.count()} poll(s) rewound.", messages.SUCCESS)


@admin.register(PulledRecord)
class PulledRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "route",
        "qb_id",
        "connection",
        "version",
        "time_modified",
        "is_deleted",
        "delivered_request_id",
        "delivered_at",
    )
    list_filter = ("route", "is_deleted", "connection")
    search_fields = ("qb_id", "delivered_request_id")
    list_select_related = ("connection",)
    readonly_fields = [f.name for f in PulledRecord._meta.fields if f.name != "id"]
