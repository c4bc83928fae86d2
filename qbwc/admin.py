from __future__ import annotations

from django.contrib import admin

from qbwc.models import Message, Request, Session


class MessageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Message
    extra = 0
    can_delete = False
    fields = ("number", "status", "sent_at", "answered_at", "hresult")
    readonly_fields = fields
    show_change_link = True


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "connection",
        "status",
        "created_at",
        "last_call_at",
        "round_trips",
        "requests_answered",
        "progress",
        "qbxml_version",
        "last_error",
    )
    list_filter = ("status", "connection")
    list_select_related = ("connection",)
    readonly_fields = [f.name for f in Session._meta.fields if f.name != "id"]
    inlines = [MessageInline]


class RequestInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Request
    extra = 0
    can_delete = False
    fields = ("request_id", "request_tag", "kind", "queued_object", "status_code", "status_message")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("session", "number", "status", "sent_at", "answered_at", "hresult")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Message._meta.fields if f.name != "id"]
    inlines = [RequestInline]
