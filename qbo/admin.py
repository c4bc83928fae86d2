"""The admin of QuickBooks Online companies, and the Connect / Disconnect pages.

The Connection page (connections.admin) links here by URL name: connections sits below
qbo and does not import it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from connections.encryption import DecryptionError
from connections.models import Connection

# Event subscriptions, events and their deliveries register from their own module.
from qbo import admin_events, connect  # noqa: F401
from qbo.endpoints import redirect_uri
from qbo.feed import nudge as nudge_feed
from qbo.feed_models import Feed
from qbo.models import QboConnection
from qbo.tasks import schedule

# Intuit's MAXRESULTS ceiling (a query asking for more is Fault 4001).
MAX_RESULTS_LIMIT = 1000


def secret_state(obj: QboConnection, field: str) -> str:
    """ "set" or "not set": a secret's presence is all the admin ever shows of it."""
    try:
        return "set" if getattr(obj, field) else "not set"
    except DecryptionError:
        return "set, but no key in FIELD_ENCRYPTION_KEYS decrypts it (docs/security.md)"


class QboConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    """The client secret is write-only; tokens come only from Connect or an import."""

    new_client_secret = forms.CharField(
        label="Set OAuth client secret",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current one (empty client: QBO_CLIENT_SECRET).",
    )
    clear_client_secret = forms.BooleanField(label="Remove the client secret", required=False)

    class Meta:
        model = QboConnection
        fields = ("environment", "client_id", "max_results")

    def clean_max_results(self) -> int:
        value: int = self.cleaned_data["max_results"]
        if not 1 <= value <= MAX_RESULTS_LIMIT:
            raise forms.ValidationError(f"Between 1 and {MAX_RESULTS_LIMIT}.")
        return value

    def clean_environment(self) -> str:
        value: str = self.cleaned_data["environment"]
        instance: QboConnection = self.instance
        if instance.pk and value != instance.environment and instance.is_connected:
            # A realm belongs to one environment (qbo-api.md §3.4).
            raise forms.ValidationError("Disconnect before changing the environment.")
        return value

    def save(self, commit: bool = True) -> QboConnection:
        qbo: QboConnection = super().save(commit=False)
        if self.cleaned_data.get("clear_client_secret"):
            qbo.client_secret = ""
        if self.cleaned_data.get("new_client_secret"):
            qbo.client_secret = self.cleaned_data["new_client_secret"]
        if commit:
            qbo.save()
        return qbo


@admin.register(QboConnection)
class QboConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = QboConnectionForm
    list_display = (
        "connection",
        "realm_id",
        "environment",
        "status",
        "access_expires_at",
        "refresh_expires_at",
        "refresh_hard_expires_at",
        "connected_at",
    )
    list_filter = ("environment", "status")
    list_select_related = ("connection",)
    search_fields = ("connection__connection_id", "realm_id")
    readonly_fields = (
        "connection",
        "realm_id",
        "status",
        "client_secret_state",
        "access_token_state",
        "access_expires_at",
        "refresh_token_state",
        "refresh_expires_at",
        "refresh_hard_expires_at",
        "connected_at",
        "last_error",
        "last_error_at",
        "last_intuit_tid",
        "throttled_until",
        "last_pass_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("connection", "realm_id", "environment", "status", "connected_at")}),
        (
            "OAuth client",
            {
                "fields": (
                    "client_id",
                    "client_secret_state",
                    "new_client_secret",
                    "clear_client_secret",
                )
            },
        ),
        (
            "Tokens",
            {
                "fields": (
                    "access_token_state",
                    "access_expires_at",
                    "refresh_token_state",
                    "refresh_expires_at",
                    "refresh_hard_expires_at",
                )
            },
        ),
        ("Calls", {"fields": ("max_results", "throttled_until", "last_pass_at", "updated_at")}),
        ("Last failure", {"fields": ("last_error", "last_error_at", "last_intuit_tid")}),
    )

    @method_decorator(sensitive_post_parameters("new_client_secret"))
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Made by "Connect to QuickBooks" or `create_connection --backend qbo`.
        return False

    @admin.display(description="OAuth client secret")
    def client_secret_state(self, obj: QboConnection) -> str:
        state = secret_state(obj, "client_secret")
        return "not set (QBO_CLIENT_SECRET applies)" if state == "not set" else state

    @admin.display(description="Access token")
    def access_token_state(self, obj: QboConnection) -> str:
        return secret_state(obj, "access_token")

    @admin.display(description="Refresh token")
    def refresh_token_state(self, obj: QboConnection) -> str:
        return secret_state(obj, "refresh_token")

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "connect/<int:connection_pk>/",
                self.admin_site.admin_view(self.connect_view),
                name="qbo_connect",
            ),
            path(
                "disconnect/<int:connection_pk>/",
                self.admin_site.admin_view(self.disconnect_view),
                name="qbo_disconnect",
            ),
        ]
        return extra + super().get_urls()

    def connect_view(self, request: HttpRequest, connection_pk: int) -> HttpResponse:
        """Confirm, then send the operator to Intuit (POST: creating a state is a change)."""
        connection = get_object_or_404(Connection, pk=connection_pk, backend=Connection.Backend.QBO)
        if not may_change(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method == "POST":
            try:
                return HttpResponseRedirect(connect.begin(connection, request))
            except connect.ConnectError as exc:
                messages.error(request, str(exc))
                return back_to(connection)
        qbo, _ = QboConnection.objects.get_or_create(connection=connection)
        return self.confirm(request, connection, qbo, "Connect to QuickBooks")

    def disconnect_view(self, request: HttpRequest, connection_pk: int) -> HttpResponse:
        connection = get_object_or_404(Connection, pk=connection_pk, backend=Connection.Backend.QBO)
        if not may_change(request):
            return HttpResponseRedirect(reverse("admin:index"))
        qbo = get_object_or_404(QboConnection, connection=connection)
        if request.method == "POST":
            messages.success(request, connect.disconnect(qbo))
            return back_to(connection)
        return self.confirm(request, connection, qbo, "Disconnect")

    def confirm(
        self, request: HttpRequest, connection: Connection, qbo: QboConnection, action: str
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "connection": connection,
            "qbo": qbo,
            "client_id": qbo.effective_client_id,
            "redirect_uri": redirect_uri(),
            "action": action,
            "title": f"{action}: {connection}",
        }
        return TemplateResponse(request, "admin/qbo/confirm.html", context)


def may_change(request: HttpRequest) -> bool:
    """Connecting and disconnecting change the connection: its change permission decides."""
    return request.user.has_perm("connections.change_connection")


def back_to(connection: Connection) -> HttpResponse:
    return HttpResponseRedirect(
        reverse("admin:connections_connection_change", args=[connection.pk])
    )


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The change feed of each connection with get_* polls: its interval is the trigger
    polling interval of seed 003 (10 minutes by default, down to one)."""

    list_display = ["connection", "interval_seconds", "last_run_at", "next_run_at", "last_error"]
    fields = ["connection", "interval_seconds", "last_run_at", "next_run_at", "last_error"]
    readonly_fields = ["connection", "last_run_at", "next_run_at", "last_error"]
    actions = ["read_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by the first get_* call of a QBO connection

    @admin.action(description="Read QuickBooks Online for changes at the next pass")
    def read_now(self, request: HttpRequest, queryset: Any) -> None:
        for feed_row in queryset.select_related("connection"):
            nudge_feed(feed_row.connection)
            schedule(feed_row.connection)
        self.message_user(request, f"{queryset.count()} change feed(s) will read at once.")
