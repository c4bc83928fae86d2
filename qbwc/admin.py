from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from qbwc.models import Message, Request, Session
from qbwc.qbxml.pretty import pretty

PRE = "white-space:pre-wrap;max-height:24em;overflow:auto;background:#f6f6f6;padding:8px"


def _took(message: Message) -> str:
    if message.answered_at is None:
        return "—"
    return f"{(message.answered_at - message.sent_at).total_seconds():.2f} s"


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
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
    date_hierarchy = "created_at"
    exclude = ("ticket_hash", "bisect_queue")
    readonly_fields = [
        f.name for f in Session._meta.fields if f.name not in ("id", "ticket_hash", "bisect_queue")
    ] + ["transcript"]

    @admin.display(description="Transcript (one block per round trip)")
    def transcript(self, obj: Session) -> SafeString:
        rounds = obj.messages.prefetch_related("requests").order_by("number")
        parts = []
        for message in rounds:
            requests = ", ".join(
                f"{r.request_tag}#{r.request_id}"
                + (f" → {r.status_code}" if r.status_code is not None else "")
                for r in message.requests.all()
            )
            error = (
                f"QuickBooks error {message.hresult}: {message.hresult_message}"
                if message.hresult
                else ""
            )
            parts.append(
                (
                    message.number,
                    message.get_status_display(),
                    f"{message.sent_at:%H:%M:%S}",
                    _took(message),
                    error,
                    requests or "(host query)",
                    PRE,
                    pretty(message.request_xml),
                    PRE,
                    pretty(message.response_xml) or "(no answer)",
                )
            )
        if not parts:
            return format_html("{}", "No round trips: the Web Connector had nothing to do.")
        return format_html_join(
            "",
            '<details class="qbsync-round" open><summary><strong>Round {}</strong> — {} — sent '
            '{}, answered after {} <span style="color:#c62828">{}</span></summary>'
            '<p>Requests: {}</p><p>Sent:</p><pre style="{}">{}</pre><p>Received:</p>'
            '<pre style="{}">{}</pre></details>',
            parts,
        )


class RequestInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Request
    extra = 0
    can_delete = False
    fields = ("request_id", "request_tag", "kind", "queued_object", "status_code", "status_message")
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("session", "number", "status", "sent_at", "answered_at", "took", "hresult")
    list_filter = ("status",)
    list_select_related = ("session__connection",)
    readonly_fields = [
        f.name for f in Message._meta.fields if f.name not in ("id", "request_xml", "response_xml")
    ] + ["request_pretty", "response_pretty"]
    exclude = ("request_xml", "response_xml")
    inlines = [RequestInline]

    @admin.display(description="Took")
    def took(self, obj: Message) -> str:
        return _took(obj)

    @admin.display(description="Sent")
    def request_pretty(self, obj: Message) -> SafeString:
        return format_html('<pre style="{}">{}</pre>', PRE, pretty(obj.request_xml))

    @admin.display(description="Received")
    def response_pretty(self, obj: Message) -> SafeString:
        return format_html('<pre style="{}">{}</pre>', PRE, pretty(obj.response_xml))
