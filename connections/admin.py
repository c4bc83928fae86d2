from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from connections.models import Connection, FlowConfig
from connections.qwc import render_qwc


class FlowConfigInline(admin.TabularInline):  # type: ignore[type-arg]
    model = FlowConfig
    extra = 0
    readonly_fields = ("flow", "parameters", "version", "updated_at")
    can_delete = False


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "connection_id",
        "qbwc_username",
        "is_active",
        "health",
        "last_contact_at",
        "company_name",
        "last_error_hresult",
        "qwc_link",
    )
    list_filter = ("is_active",)
    search_fields = ("connection_id", "qbwc_username", "company_name")
    readonly_fields = (
        "qbwc_password",
        "webhook_token_hash",
        "last_contact_at",
        "company_name",
        "product_name",
        "qbxml_versions",
        "country",
        "reported_company_file",
        "last_error_hresult",
        "last_error_message",
        "last_error_at",
        "created_at",
    )
    inlines = [FlowConfigInline]

    @admin.display(description="Health")
    def health(self, obj: Connection) -> str:
        minutes = obj.minutes_since_contact()
        if minutes is None:
            return "never connected"
        return "healthy" if obj.is_healthy() else f"no contact for {minutes:.0f} min"

    @admin.display(description=".qwc")
    def qwc_link(self, obj: Connection) -> str:
        url = reverse("admin:connections_connection_qwc", args=[obj.pk])
        return format_html('<a href="{}">download</a>', url)

    def get_urls(self) -> list:  # type: ignore[type-arg]
        extra = [
            path(
                "<int:pk>/qwc/",
                self.admin_site.admin_view(self.download_qwc),
                name="connections_connection_qwc",
            )
        ]
        return extra + super().get_urls()

    def download_qwc(self, request: HttpRequest, pk: int) -> HttpResponse:
        connection = Connection.objects.get(pk=pk)
        response = HttpResponse(render_qwc(connection), content_type="application/x-qwc")
        response["Content-Disposition"] = f'attachment; filename="{connection.qwc_filename}"'
        return response
