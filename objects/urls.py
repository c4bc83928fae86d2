from __future__ import annotations

from django.urls import path

from objects import intake, pulls, webhooks

urlpatterns = [
    *[
        path(route, webhooks.add_view(route, payload_type).as_view(), name=route)
        for route, payload_type in intake.WRITE_ROUTES.items()
    ],
    path("get_notifications", webhooks.NotificationsView.as_view(), name="get_notifications"),
    path("get_health_check", webhooks.HealthCheckView.as_view(), name="get_health_check"),
    # -- get_* routes: pulls from QuickBooks (objects.pulls) --
    *[path(route, webhooks.get_view(route).as_view(), name=route) for route in pulls.GET_ROUTES],
]
