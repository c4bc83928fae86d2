from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from objects import admin_mappings  # noqa: F401 - registers the field mapping admin
from objects.backends import backend_for
from objects.models import (
    Notification,
    Phase,
    PollConfig,
    PulledRecord,
    QueuedObject,
    QueuedObjectEvent,
)

# The index page doubles as the operator dashboard (templates/admin/qbsync_index.html).
admin.site.index_template = "admin/qbsync_index.html"
admin.site.site_header = "qbsync operations"
admin.site.site_title = "qbsync"

PHASE_COLOURS: dict[str, str] = {
    Phase.PENDING: "#1565c0",
    Phase.TWO_PHASE_PENDING: "#6a1b9a",
    Phase.READY: "#00838f",
    Phase.IN_PROGRESS: "#ef6c00",
    Phase.PROCESSED: "#2e7d32",
    Phase.FAILED: "#c62828",
}
PRE = "white-space:pre-wrap;max-height:28em;overflow:auto;background:#f6f6f6;padding:8px"


def phase_badge(phase: str) -> SafeString:
    return format_html(
        '<span class="qbsync-phase qbsync-{}" style="background:{};color:#fff;padding:2px 8px;'
        'border-radius:10px">{}</span>',
        phase,
        PHASE_COLOURS.get(phase, "#555"),
        phase,
    )


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = QueuedObjectEvent
    extra = 0
    can_delete = False
    verbose_name_plural = "Phase history"
    readonly_fields = ("at", "from_phase", "to_phase", "reason")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Each operator verb: admin action, detail-page button and management command all
# call the same model method.
VERBS: dict[str, tuple[str, str]] = {
    "retry": ("Retry", "retried"),
    "cancel": ("Cancel", "cancelled"),
    "requeue": ("Requeue", "requeued"),
}


def run_verb(obj: QueuedObject, verb: str, by: str) -> bool:
    if verb == "retry":
        return obj.retry(f"retried by {by}")
    if verb == "cancel":
        return obj.cancel(by)
    return obj.requeue(f"requeued by {by}")


@admin.register(QueuedObject)
class QueuedObjectAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    change_form_template = "admin/objects/queuedobject/change_form.html"
    list_display = (
        "identity",
        "object_type",
        "connection",
        "phase_badge",
        "retry_count",
        "last_status_code",
        "why",
        "qb_id",
        "updated_at",
    )
    list_filter = ("phase", "connection", "object_type", "mode", "last_status_code")
    search_fields = ("identity", "qb_id", "ref_number", "request_id", "external_guid")
    list_select_related = ("connection",)
    raw_id_fields = ("connection", "dependencies")
    date_hierarchy = "updated_at"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "connection",
                    "object_type",
                    "identity",
                    "phase_badge",
                    "mode",
                    "retry_count",
                    "next_attempt_at",
                    "last_status_code",
                    "last_status_message",
                )
            },
        ),
        (
            "QuickBooks",
            {"fields": ("qb_id", "edit_sequence", "ref_number", "external_guid", "qb_state")},
        ),
        ("FlowLink payload", {"fields": ("payload_pretty", "params_pretty", "request_id")}),
        ("qbXML exchanged with QuickBooks", {"fields": ("qbxml_exchange",)}),
        (
            "Bookkeeping",
            {
                "classes": ("collapse",),
                "fields": (
                    "flow",
                    "config_version",
                    "mapping_version",
                    "claimed_by",
                    "claimed_at",
                    "claimed_from",
                    "pending_payload",
                    "dependencies",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )
    inlines = [EventInline]
    actions = ["retry_selected", "cancel_selected", "requeue_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The machine owns every field; operators act through the verbs.
        own = [f.name for f in QueuedObject._meta.fields if f.name != "id"]
        return (
            own
            + ["dependencies", "phase_badge", "payload_pretty", "params_pretty"]
            + ["qbxml_exchange"]
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Phase", ordering="phase")
    def phase_badge(self, obj: QueuedObject) -> SafeString:
        return phase_badge(obj.phase)

    @admin.display(description="Last QuickBooks message")
    def why(self, obj: QueuedObject) -> str:
        text = obj.last_status_message
        return text if len(text) <= 90 else text[:89] + "…"

    @admin.display(description="Payload")
    def payload_pretty(self, obj: QueuedObject) -> SafeString:
        return format_html('<pre style="{}">{}</pre>', PRE, json.dumps(obj.payload, indent=2))

    @admin.display(description="Flow parameters")
    def params_pretty(self, obj: QueuedObject) -> SafeString:
        return format_html('<pre style="{}">{}</pre>', PRE, json.dumps(obj.params, indent=2))

    @admin.display(description="Requests and answers")
    def qbxml_exchange(self, obj: QueuedObject) -> SafeString:
        # What was sent is the backend's (qbXML for QuickBooks Desktop): it formats it.
        parts = [
            (
                f"{row.sent_at:%Y-%m-%d %H:%M:%S}",
                row.kind,
                row.status or "—",
                row.message,
                PRE,
                row.sent or "(not recorded)",
                PRE,
                row.received or "(no answer)",
            )
            for row in backend_for(obj.connection).exchanges(obj, 20)
        ]
        if not parts:
            return format_html("{}", "Nothing sent to QuickBooks yet.")
        return format_html_join(
            "",
            '<div class="qbsync-exchange"><p><strong>{}</strong> {} — '
            'status {} {}</p><p>Sent:</p><pre style="{}">{}</pre><p>Received:</p>'
            '<pre style="{}">{}</pre></div>',
            parts,
        )

    def _apply(self, request: HttpRequest, queryset: QuerySet[QueuedObject], verb: str) -> None:
        moved = sum(run_verb(obj, verb, str(request.user)) for obj in queryset)
        skipped = queryset.count() - moved
        text = f"{moved} object(s) {VERBS[verb][1]}."
        if skipped:
            text += f" {skipped} skipped: their phase does not allow it."
        self.message_user(request, text, messages.SUCCESS if moved else messages.WARNING)

    @admin.action(description="Retry selected failed objects")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[QueuedObject]) -> None:
        self._apply(request, queryset, "retry")

    @admin.action(description="Cancel selected queued objects (FlowLink hears they failed)")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[QueuedObject]) -> None:
        self._apply(request, queryset, "cancel")

    @admin.action(description="Requeue selected failed or processed objects")
    def requeue_selected(self, request: HttpRequest, queryset: QuerySet[QueuedObject]) -> None:
        self._apply(request, queryset, "requeue")

    def get_urls(self) -> list:  # type: ignore[type-arg]
        extra = [
            path(
                "<int:pk>/do/<str:verb>/",
                self.admin_site.admin_view(self.verb_view),
                name="objects_queuedobject_verb",
            )
        ]
        return extra + super().get_urls()

    def verb_view(self, request: HttpRequest, pk: int, verb: str) -> HttpResponse:
        """The detail page's Retry / Cancel / Requeue buttons (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = get_object_or_404(QueuedObject, pk=pk)
        if verb not in VERBS or not self.has_change_permission(request, obj):
            return HttpResponseRedirect(reverse("admin:index"))
        self._apply(request, QueuedObject.objects.filter(pk=pk), verb)
        return HttpResponseRedirect(reverse("admin:objects_queuedobject_change", args=[pk]))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        allowed = {
            "retry": obj is not None and obj.phase == Phase.FAILED,
            "cancel": obj is not None and obj.is_active,
            "requeue": obj is not None and obj.phase in (Phase.FAILED, Phase.PROCESSED),
        }
        verbs = [(verb, VERBS[verb][0]) for verb, ok in allowed.items() if ok]
        # Nothing here is edited by hand: the verbs are the only way to change an object.
        context = {
            **(extra_context or {}),
            "qbsync_verbs": verbs,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, context)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "created_at",
        "connection",
        "kind",
        "message",
        "status_code",
        "request_id",
        "delivered_at",
    )
    list_filter = ("kind", "connection", ("delivered_at", admin.EmptyFieldListFilter))
    search_fields = ("message", "request_id", "delivered_request_id")
    list_select_related = ("connection",)
    raw_id_fields = ("queued_object",)
    readonly_fields = [f.name for f in Notification._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# -- pulls (get_* webhooks; objects.pulls, qbwc.polls) ---------------------------------------


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


from objects import admin_operations  # noqa: E402, F401  (operations API calls)
