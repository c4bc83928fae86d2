from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Field, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.debug import sensitive_post_parameters

from connections.models import (
    AlertDelivery,
    AlertDeliveryQuerySet,
    Connection,
    FlowConfig,
    Incident,
)
from connections.qwc import render_qwc

BADGE_COLOURS = {
    "healthy": "#2e7d32",
    "unhealthy": "#c62828",
    "paused": "#6d6d6d",
    "waiting": "#8d6e00",
}


def phase_columns() -> list[str]:
    """The phases counted per connection: the choices of QueuedObject.phase, in their order.

    Read through the reverse relation: connections must not import objects, which
    depends on it.
    """
    queued = Connection._meta.get_field("queued_objects").related_model
    assert not isinstance(queued, str)  # "self" only for a relation to its own model
    phase = queued._meta.get_field("phase")
    assert isinstance(phase, Field)  # a CharField with choices, not a relation
    return [str(value) for value, _label in phase.flatchoices]


def health_badge(connection: Connection) -> SafeString:
    state = connection.health_state()
    minutes = connection.minutes_since_contact()
    title = "never called" if minutes is None else f"last contact {minutes:.0f} min ago"
    return format_html(
        '<span class="qbsync-badge qbsync-{}" title="{}" style="background:{};color:#fff;'
        'padding:2px 8px;border-radius:10px;font-weight:bold">{}</span>',
        state,
        title,
        BADGE_COLOURS[state],
        state,
    )


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    """Secrets are write-only: typed in, stored (hashed where possible), never shown."""

    alert_url = forms.URLField(
        label="Alert webhook URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Receives signed JSON when the Web Connector stops or resumes calling.",
    )
    new_qbwc_password = forms.CharField(
        label="Set Web Connector password",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current password. Type the same into the Web "
        "Connector when you add the .qwc.",
    )
    new_alert_secret = forms.CharField(
        label="Set alert webhook secret",
        required=False,
        min_length=16,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Signs alert webhooks (HMAC-SHA256, see docs/alerts.md). Leave empty to "
        "keep the current one.",
    )
    clear_alert_secret = forms.BooleanField(label="Remove the alert secret", required=False)

    class Meta:
        model = Connection
        exclude = ("qbwc_password", "webhook_token_hash", "alert_secret")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "qbwc_username" in self.fields:
            # A QuickBooks Online connection gets one derived from its id.
            self.fields["qbwc_username"].required = False
        if "backend" in self.fields:
            # Left out, a new connection is a Web Connector one, as before backends existed.
            self.fields["backend"].required = False

    def is_qbo(self, data: dict[str, Any]) -> bool:
        backend = data.get("backend") or self.instance.backend
        return bool(backend == Connection.Backend.QBO)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "backend" in self.fields and not data.get("backend"):
            data["backend"] = self.instance.backend or Connection.Backend.DESKTOP
        if not self.is_qbo(data):
            if "qbwc_username" in self.fields and not data.get("qbwc_username"):
                self.add_error("qbwc_username", "A Web Connector connection needs a user name.")
            if self.instance.pk is None and not data.get("new_qbwc_password"):
                self.add_error(
                    "new_qbwc_password", "A new connection needs a Web Connector password."
                )
        has_secret = bool(data.get("new_alert_secret")) or (
            self.instance.has_alert_secret and not data.get("clear_alert_secret")
        )
        if data.get("alert_url") and not has_secret:
            self.add_error("new_alert_secret", "An alert webhook URL needs a secret to sign with.")
        return data

    def save(self, commit: bool = True) -> Connection:
        connection: Connection = super().save(commit=False)
        if connection.backend == Connection.Backend.QBO:
            connection.close_web_connector_login()
        elif self.cleaned_data.get("new_qbwc_password"):
            connection.set_qbwc_password(self.cleaned_data["new_qbwc_password"])
        if self.cleaned_data.get("clear_alert_secret"):
            connection.alert_secret = ""
        if self.cleaned_data.get("new_alert_secret"):
            connection.alert_secret = self.cleaned_data["new_alert_secret"]
        if commit:
            connection.save()
        return connection


class FlowConfigInline(admin.TabularInline):  # type: ignore[type-arg]
    model = FlowConfig
    extra = 0
    readonly_fields = ("flow", "parameters", "version", "updated_at")
    can_delete = False


# What the Web Connector and QuickBooks told us about a company: shown, never edited.
REPORTED_BY_QUICKBOOKS = (
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

# What qbsync keeps about a QuickBooks Online connection's company (its qbo.QboConnection,
# read through the reverse relation: connections does not import qbo).
QUICKBOOKS_ONLINE = (
    "qbo_company",
    "qbo_environment",
    "qbo_status",
    "qbo_access_expires",
    "qbo_refresh_expires",
    "qbo_last_intuit_tid",
    "qbo_last_error",
    "qbo_actions",
    "last_contact_at",
)


def qbo_of(connection: Connection) -> Any:
    """The connection's qbo.QboConnection, or None before it has one."""
    return getattr(connection, "qbo", None)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ConnectionForm
    list_display = (
        "connection_id",
        "backend",
        "health",
        "last_contact_at",
        "company_name",
        "phase_counts",
        "open_incident",
        "qwc_link",
    )
    list_filter = ("backend", "is_active")
    search_fields = ("connection_id", "qbwc_username", "company_name")
    readonly_fields = (
        "health",
        "alert_secret_state",
        "webhook_token_state",
        *REPORTED_BY_QUICKBOOKS,
        *QUICKBOOKS_ONLINE,
    )
    fieldsets = (
        (None, {"fields": ("connection_id", "backend", "origin", "is_active", "health")}),
        (
            "Web Connector",
            {
                "description": "QuickBooks Desktop only: leave the user name and password "
                "empty for a QuickBooks Online connection.",
                "fields": (
                    "qbwc_username",
                    "new_qbwc_password",
                    "company_file",
                    "owner_id",
                    "file_id",
                    "run_every_minutes",
                ),
            },
        ),
        ("FlowLink", {"fields": ("webhook_token_state",)}),
        (
            "Health and alerts",
            {
                "fields": (
                    "health_threshold_minutes",
                    "alert_emails",
                    "alert_url",
                    "alert_secret_state",
                    "new_alert_secret",
                    "clear_alert_secret",
                )
            },
        ),
        (
            "Reported by QuickBooks",
            {"fields": REPORTED_BY_QUICKBOOKS},
        ),
    )
    inlines = [FlowConfigInline]
    actions = ["pause_selected", "resume_selected"]

    def get_fieldsets(self, request: HttpRequest, obj: Connection | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.backend != Connection.Backend.QBO:
            return fieldsets
        # No Web Connector calls a QuickBooks Online connection: its login, .qwc and
        # host reports mean nothing there.
        kept = [fs for fs in fieldsets if fs[0] not in ("Web Connector", "Reported by QuickBooks")]
        return [kept[0], ("QuickBooks Online", {"fields": QUICKBOOKS_ONLINE}), *kept[1:]]

    def get_readonly_fields(self, request: HttpRequest, obj: Connection | None = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        # Queued objects and their history belong to one backend: the import command
        # changes it, refusing while objects are queued.
        return readonly if obj is None else (*readonly, "backend")

    @method_decorator(sensitive_post_parameters("new_qbwc_password", "new_alert_secret"))
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Error reports (DEBUG pages, ADMINS mails) must not carry the typed secrets.
        return super().changeform_view(request, *args, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Connection]:
        counts = {
            f"n_{phase}": Count("queued_objects", filter=Q(queued_objects__phase=phase))
            for phase in phase_columns()
        }
        open_incidents = Prefetch(
            "incidents", queryset=Incident.objects.open(), to_attr="open_incidents"
        )
        queryset: QuerySet[Connection] = super().get_queryset(request).annotate(**counts)
        return queryset.prefetch_related(open_incidents)

    @admin.display(description="Health")
    def health(self, obj: Connection) -> SafeString:
        return health_badge(obj)

    @admin.display(description="Objects")
    def phase_counts(self, obj: Connection) -> SafeString:
        parts = []
        for phase in phase_columns():
            count = getattr(obj, f"n_{phase}", 0)
            if count:
                url = (
                    reverse("admin:objects_queuedobject_changelist")
                    + f"?connection__id__exact={obj.pk}&phase__exact={phase}"
                )
                parts.append(format_html('<a href="{}">{}&nbsp;{}</a>', url, count, phase))
        if not parts:
            return format_html("{}", "—")
        return format_html_join(", ", "{}", ((part,) for part in parts))

    @admin.display(description="Incident")
    def open_incident(self, obj: Connection) -> SafeString:
        incident = next(iter(getattr(obj, "open_incidents", [])), None)
        if incident is None:
            return format_html("{}", "—")
        url = reverse("admin:connections_incident_change", args=[incident.pk])
        opened = f"{incident.opened_at:%Y-%m-%d %H:%M}"
        return format_html('<a href="{}">open since {}</a>', url, opened)

    @admin.display(description="Alert webhook secret")
    def alert_secret_state(self, obj: Connection) -> str:
        return obj.masked_alert_secret or "not set"

    @admin.display(description="FlowLink webhook token")
    def webhook_token_state(self, obj: Connection) -> SafeString:
        if obj.pk is None:
            return format_html("{}", "Rotate it after saving to get the token.")
        url = reverse("admin:connections_connection_rotate_token", args=[obj.pk])
        state = "set" if obj.webhook_token_hash else "not set"
        return format_html('{} — <a class="button" href="{}">Rotate token…</a>', state, url)

    @admin.display(description="QuickBooks company")
    def qbo_company(self, obj: Connection) -> SafeString:
        qbo = qbo_of(obj)
        if qbo is None:
            return format_html("{}", "not connected")
        url = reverse("admin:qbo_qboconnection_change", args=[qbo.pk])
        realm = f"realm {qbo.realm_id}" if qbo.realm_id else "not connected"
        return format_html('{} — <a href="{}">OAuth client, tokens, page size…</a>', realm, url)

    @admin.display(description="Environment")
    def qbo_environment(self, obj: Connection) -> str:
        qbo = qbo_of(obj)
        return "—" if qbo is None else str(qbo.get_environment_display())

    @admin.display(description="Status")
    def qbo_status(self, obj: Connection) -> str:
        qbo = qbo_of(obj)
        if qbo is None:
            return "—"
        connected = "connected" if qbo.is_connected else "not connected"
        return f"{qbo.get_status_display()}, {connected}"

    @admin.display(description="Access token expires")
    def qbo_access_expires(self, obj: Connection) -> Any:
        qbo = qbo_of(obj)
        return None if qbo is None else qbo.access_expires_at

    @admin.display(description="Refresh token expires")
    def qbo_refresh_expires(self, obj: Connection) -> str:
        qbo = qbo_of(obj)
        if qbo is None or qbo.refresh_expires_at is None:
            return "—"
        rolling = f"{qbo.refresh_expires_at:%Y-%m-%d %H:%M} unless used"
        if qbo.refresh_hard_expires_at is None:
            return rolling
        return f"{rolling}; at the latest {qbo.refresh_hard_expires_at:%Y-%m-%d}"

    @admin.display(description="Last intuit_tid")
    def qbo_last_intuit_tid(self, obj: Connection) -> str:
        qbo = qbo_of(obj)
        return "—" if qbo is None or not qbo.last_intuit_tid else str(qbo.last_intuit_tid)

    @admin.display(description="Last error")
    def qbo_last_error(self, obj: Connection) -> str:
        qbo = qbo_of(obj)
        if qbo is None or not qbo.last_error:
            return "—"
        at = f" ({qbo.last_error_at:%Y-%m-%d %H:%M})" if qbo.last_error_at else ""
        return f"{qbo.last_error}{at}"

    @admin.display(description="Authorization")
    def qbo_actions(self, obj: Connection) -> SafeString:
        connect = reverse("admin:qbo_connect", args=[obj.pk])
        qbo = qbo_of(obj)
        if qbo is None or not qbo.is_connected:
            return format_html('<a class="button" href="{}">Connect to QuickBooks…</a>', connect)
        disconnect = reverse("admin:qbo_disconnect", args=[obj.pk])
        return format_html(
            '<a class="button" href="{}">Reconnect…</a> '
            '<a class="button" href="{}">Disconnect…</a>',
            connect,
            disconnect,
        )

    @admin.display(description=".qwc")
    def qwc_link(self, obj: Connection) -> SafeString:
        if obj.backend == Connection.Backend.QBO:
            return format_html("{}", "—")
        url = reverse("admin:connections_connection_qwc", args=[obj.pk])
        return format_html('<a href="{}">download</a>', url)

    @admin.action(description="Pause selected connections (nothing is sent to QuickBooks)")
    def pause_selected(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        paused = sum(connection.pause() for connection in queryset)
        self.message_user(request, f"{paused} connection(s) paused.", messages.SUCCESS)

    @admin.action(description="Resume selected connections")
    def resume_selected(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        resumed = sum(connection.resume() for connection in queryset)
        self.message_user(request, f"{resumed} connection(s) resumed.", messages.SUCCESS)

    def get_urls(self) -> list:  # type: ignore[type-arg]
        extra = [
            path(
                "<int:pk>/qwc/",
                self.admin_site.admin_view(self.download_qwc),
                name="connections_connection_qwc",
            ),
            path(
                "<int:pk>/rotate-token/",
                self.admin_site.admin_view(self.rotate_token),
                name="connections_connection_rotate_token",
            ),
        ]
        return extra + super().get_urls()

    def download_qwc(self, request: HttpRequest, pk: int) -> HttpResponse:
        # A QuickBooks Online connection has no Web Connector to give a .qwc to.
        connection = get_object_or_404(Connection, pk=pk, backend=Connection.Backend.DESKTOP)
        response = HttpResponse(render_qwc(connection), content_type="application/x-qwc")
        response["Content-Disposition"] = f'attachment; filename="{connection.qwc_filename}"'
        return response

    def rotate_token(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Confirm, rotate, and show the new token exactly once (only its hash is kept)."""
        connection = get_object_or_404(Connection, pk=pk)
        if not self.has_change_permission(request, connection):
            return HttpResponseRedirect(reverse("admin:index"))
        key = f"qbsync-new-token-{connection.pk}"
        if request.method == "POST":
            # Post/redirect/get: the token rides in the session for exactly one display,
            # so reloading the page neither rotates again nor shows it again.
            request.session[key] = connection.rotate_webhook_token()
            return HttpResponseRedirect(request.path + "?rotated=1")
        token = request.session.pop(key, None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": connection,
            "title": f"Rotate the FlowLink webhook token of {connection}",
            "token": token,
        }
        response = TemplateResponse(request, "admin/connections/rotate_token.html", context)
        response["Cache-Control"] = "no-store"
        return response


class AlertDeliveryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AlertDelivery
    extra = 0
    can_delete = False
    fields = ("event", "channel", "target", "status", "attempts", "next_attempt_at", "sent_at")
    readonly_fields = fields + ("last_error",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("connection", "opened_at", "resolved_at", "lasted", "summary")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "connection")
    list_select_related = ("connection",)
    readonly_fields = [f.name for f in Incident._meta.fields if f.name != "id"]
    inlines = [AlertDeliveryInline]

    @admin.display(description="Duration")
    def lasted(self, obj: Incident) -> str:
        minutes = obj.duration.total_seconds() / 60
        return f"{minutes:.0f} min" + ("" if obj.resolved_at else " (ongoing)")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "created_at",
        "incident",
        "event",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "channel", "event")
    list_select_related = ("incident__connection",)
    readonly_fields = [f.name for f in AlertDelivery._meta.fields if f.name != "id"]
    actions = ["send_now"]

    @admin.action(description="Send selected pending alerts now")
    def send_now(self, request: HttpRequest, queryset: AlertDeliveryQuerySet) -> None:
        from connections.tasks import deliver_alert

        ids = queryset.make_due(timezone.now())
        for delivery_id in ids:
            deliver_alert.delay_on_commit(delivery_id)
        self.message_user(request, f"{len(ids)} alert(s) queued for sending.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


from connections import admin_api_keys  # noqa: E402, F401  (operations API keys)
