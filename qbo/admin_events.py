"""Admin of the QuickBooks Online triggers, Intuit notifications and company profiles.

Subscriptions are edited here (the secret is write-only); events, deliveries,
notifications and profiles belong to the machine and are read-only. qbo/admin.py
imports this module.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from qbo import events
from qbo.event_models import (
    MIN_SECRET_LENGTH,
    ChangeEvent,
    CompanyProfile,
    EventDelivery,
    EventSubscription,
    IntuitNotification,
)


class EventSubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    """The secret is typed in and stored encrypted, never shown again."""

    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    new_secret = forms.CharField(
        label="Set secret",
        required=False,
        min_length=MIN_SECRET_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Signs deliveries as alert webhooks are signed (docs/alerts.md). Leave "
        "empty to keep the current one.",
    )

    class Meta:
        model = EventSubscription
        exclude = ("secret",)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("new_secret") and not (self.instance.pk and self.instance.masked_secret):
            self.add_error("new_secret", "A subscription needs a secret to sign deliveries with.")
        return data

    def save(self, commit: bool = True) -> EventSubscription:
        subscription: EventSubscription = super().save(commit=False)
        if self.cleaned_data.get("new_secret"):
            subscription.secret = self.cleaned_data["new_secret"]
        if commit:
            subscription.save()
        return subscription


@admin.register(EventSubscription)
class EventSubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = EventSubscriptionForm
    list_display = ("connection", "name", "url", "event_types", "is_active", "secret_state")
    list_filter = ("is_active", "connection")
    list_select_related = ("connection",)
    search_fields = ("name", "url", "connection__connection_id")
    raw_id_fields = ("connection",)
    readonly_fields = ("secret_state", "created_at")
    fields = (
        "connection",
        "name",
        "url",
        "event_types",
        "is_active",
        "secret_state",
        "new_secret",
        "created_at",
    )

    @admin.display(description="Secret")
    def secret_state(self, obj: EventSubscription) -> str:
        return obj.masked_secret or "not set"

    @method_decorator(sensitive_post_parameters("new_secret"))
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Error reports (DEBUG pages, ADMINS mails) must not carry the typed secret.
        return super().changeform_view(request, *args, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventDeliveryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EventDelivery
    extra = 0
    can_delete = False
    fields = ("subscription", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "connection", "event_type", "qb_id", "version", "event_id")
    list_filter = ("change", "entity", "connection")
    list_select_related = ("connection",)
    search_fields = ("qb_id", "event_id", "connection__connection_id")
    inlines = [EventDeliveryInline]


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "subscription__connection")
    list_select_related = ("event", "subscription")
    search_fields = ("event__event_id", "subscription__url")
    actions = ["retry_now"]

    @admin.action(description="Retry selected deliveries now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        ids = events.retry_now(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, f"{len(ids)} delivery(ies) queued for sending.", messages.SUCCESS
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Actions need change permission; the fields stay read-only (get_readonly_fields).
        return super(ReadOnlyAdmin, self).has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in EventDelivery._meta.fields]


@admin.register(IntuitNotification)
class IntuitNotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "realm_id",
        "connection",
        "entity",
        "entity_id",
        "operation",
        "format",
    )
    list_filter = ("format", "operation", "connection")
    list_select_related = ("connection",)
    search_fields = ("realm_id", "entity_id", "key")


@admin.register(CompanyProfile)
class CompanyProfileAdmin(ReadOnlyAdmin):
    list_display = ("connection", "company_name", "legal_name", "country", "read_at")
    list_select_related = ("connection",)
    search_fields = ("company_name", "legal_name", "connection__connection_id")
