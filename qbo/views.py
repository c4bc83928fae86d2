"""Where Intuit sends the operator back after "Connect to QuickBooks" (qbo-api.md §3.2)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qbo import connect


@never_cache
@require_GET
@staff_member_required
def callback(request: HttpRequest) -> HttpResponse:
    """Finish the authorization, then show the outcome on the connection's admin page."""
    params = request.GET
    try:
        qbo = connect.finish(
            request,
            state=params.get("state", ""),
            code=params.get("code", ""),
            realm_id=params.get("realmId", ""),
            error=params.get("error", ""),
        )
    except connect.ConnectError as exc:
        messages.error(request, str(exc))
        if exc.connection is None:
            return HttpResponseRedirect(reverse("admin:connections_connection_changelist"))
        return HttpResponseRedirect(
            reverse("admin:connections_connection_change", args=[exc.connection.pk])
        )
    messages.success(
        request,
        f"{qbo.connection} is connected to QuickBooks Online company {qbo.realm_id} "
        f"({qbo.get_environment_display().lower()}).",
    )
    return HttpResponseRedirect(
        reverse("admin:connections_connection_change", args=[qbo.connection_id])
    )
