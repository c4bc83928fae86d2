"""The admin of field mappings: a JSON editor of the rules that saves a new version per
change, the versions kept, and a preview of the exact request a mapping builds."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from objects.mapping import MappingError
from objects.models import (
    CustomRoute,
    FieldMapping,
    FieldMappingVersion,
    QueuedObject,
    check_rules,
)
from objects.types import TYPES
from objects.types.values import PayloadError

RULES_HELP = (
    "A JSON list of rules, each {'target': a QuickBooks field, 'transform': constant | "
    "template | lookup | date | number, …}. Saving a change adds a version; queued objects "
    "keep the version they were queued with. See docs/mapping.md."
)
# The queued objects the preview offers to pick from.
PREVIEW_CHOICES = 50


def rules_text(rules: Any) -> str:
    return json.dumps(rules, indent=2, ensure_ascii=False)


def parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text or "null")
    except ValueError as exc:
        raise forms.ValidationError(f"{what} is not valid JSON: {exc}") from exc


class FieldMappingForm(forms.ModelForm):  # type: ignore[type-arg]
    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "class": "vLargeTextField"}),
        initial="[]",
        help_text=RULES_HELP,
    )
    comment = forms.CharField(
        required=False, max_length=200, help_text="Why this version (kept with it)."
    )

    class Meta:
        model = FieldMapping
        fields = ["connection", "object_type", "name", "is_default"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "object_type" in self.fields:  # only when adding: read-only afterwards
            self.fields["object_type"].widget = forms.Select(
                choices=[("", "---------"), *((name, name) for name in sorted(TYPES))]
            )
        active = self.instance.active_version if self.instance.pk else None
        if active is not None:
            self.fields["rules"].initial = rules_text(active.rules)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        connection = data.get("connection") or (
            self.instance.connection if self.instance.connection_id else None
        )
        object_type = data.get("object_type") or self.instance.object_type
        if "rules" not in data or connection is None:
            return data
        try:
            data["rules"] = parse_json(data["rules"], "The rules")
            check_rules(connection, object_type, data["rules"])
        except forms.ValidationError as exc:
            self.add_error("rules", exc)
        except MappingError as exc:
            self.add_error("rules", str(exc))
        return data


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = FieldMappingVersion
    fields = ["number", "created_at", "created_by", "comment", "rules"]
    readonly_fields = ["number", "created_at", "created_by", "comment", "rules"]
    ordering = ["-number"]
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(FieldMapping)
class FieldMappingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FieldMappingForm
    list_display = ["name", "connection", "object_type", "is_default", "active_number"]
    list_filter = ["object_type", "connection__backend", "is_default"]
    search_fields = ["name", "connection__connection_id"]
    list_select_related = ["connection"]
    inlines = [VersionInline]
    fields = ["connection", "object_type", "name", "is_default", "rules", "comment"]
    change_form_template = "admin/objects/fieldmapping/change_form.html"

    @admin.display(description="active version")
    def active_number(self, obj: FieldMapping) -> str:
        active = obj.active_version
        return f"v{active.number}" if active is not None else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Versions were checked against this connection's backend and this type.
        return ["connection", "object_type"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: FieldMapping, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        rules = form.cleaned_data["rules"]
        active = obj.active_version
        if active is None or active.rules != rules:
            version = obj.add_version(rules, request.user, form.cleaned_data.get("comment", ""))
            self.message_user(request, f"Saved as version {version.number}.", messages.SUCCESS)

    def get_urls(self) -> list:  # type: ignore[type-arg]
        extra = [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="objects_fieldmapping_preview",
            )
        ]
        return extra + super().get_urls()

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The exact qbXML or JSON the mapping (or rules edited here, unsaved) builds."""
        mapping = get_object_or_404(FieldMapping.objects.select_related("connection"), pk=pk)
        candidates = QueuedObject.objects.filter(
            connection=mapping.connection, object_type=mapping.object_type
        ).order_by("-updated_at")[:PREVIEW_CHOICES]
        form = PreviewForm(request.POST or None, mapping=mapping, candidates=candidates)
        preview = error = ""
        if request.method == "POST" and form.is_valid():
            try:
                preview = mapping.preview(
                    form.cleaned_data["rules"],
                    obj=form.cleaned_data["queued_object"],
                    payload=form.cleaned_data["payload"],
                    params=form.cleaned_data["parameters"],
                )
            except MappingError as exc:
                error = str(exc)
            except PayloadError as exc:
                error = f"{exc.field}: {exc.reason}"
            except Exception as exc:  # noqa: BLE001 - QuickBooks Online's refusal, shown as is
                error = f"{type(exc).__name__}: {exc}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview of {mapping}",
            "opts": self.model._meta,
            "mapping": mapping,
            "form": form,
            "preview": preview,
            "error": error,
            "language": "JSON" if mapping.connection.backend == "qbo" else "qbXML",
        }
        return TemplateResponse(request, "admin/objects/fieldmapping/preview.html", context)


class PreviewForm(forms.Form):
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 14, "cols": 100}))
    queued_object = forms.ModelChoiceField(
        queryset=QueuedObject.objects.none(),
        required=False,
        help_text="A queued object of this connection and type: its next write is shown.",
    )
    payload = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
        help_text="Or paste a FlowLink object (JSON): its Add is shown.",
    )
    parameters = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 100}),
        help_text="The flow parameters for a pasted object (JSON, optional).",
    )

    def __init__(
        self,
        *args: Any,
        mapping: FieldMapping,
        candidates: QuerySet[QueuedObject],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["queued_object"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = QueuedObject.objects.filter(pk__in=[obj.pk for obj in candidates])
        active = mapping.active_version
        self.fields["rules"].initial = rules_text(active.rules if active is not None else [])

    def clean_rules(self) -> Any:
        return parse_json(self.cleaned_data["rules"], "The rules")

    def clean_payload(self) -> Any:
        value = parse_json(self.cleaned_data["payload"], "The payload")
        if value is not None and not isinstance(value, dict):
            raise forms.ValidationError("The payload must be a JSON object.")
        return value

    def clean_parameters(self) -> Any:
        value = parse_json(self.cleaned_data["parameters"], "The parameters")
        if value is not None and not isinstance(value, dict):
            raise forms.ValidationError("The parameters must be a JSON object.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("queued_object") is None and not data.get("payload"):
            raise forms.ValidationError("Pick a queued object or paste a payload.")
        return data


class CustomRouteForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CustomRoute
        fields = ["connection", "route", "object_type", "mapping"]
        widgets = {
            "object_type": forms.Select(
                choices=[("", "---------"), *((name, name) for name in sorted(TYPES))]
            )
        }


@admin.register(CustomRoute)
class CustomRouteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CustomRouteForm
    list_display = ["route", "connection", "object_type", "mapping"]
    list_filter = ["object_type"]
    search_fields = ["route", "connection__connection_id"]
    list_select_related = ["connection", "mapping"]
