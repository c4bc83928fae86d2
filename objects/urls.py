from __future__ import annotations

from django.urls import path, re_path

from objects import intake, pulls, webhooks

urlpatterns = [
    *[
        path(route, webhooks.AddObjectsView.as_view(route=route), name=route)
        for route in intake.WRITE_ROUTES
    ],
    path("get_notifications", webhooks.NotificationsView.as_view(), name="get_notifications"),
    path("get_health_check", webhooks.HealthCheckView.as_view(), name="get_health_check"),
    # -- get_* routes: pulls from QuickBooks (objects.pulls) --
    *[
        path(route, webhooks.GetRecordsView.as_view(route=route), name=route)
        for route in pulls.GET_ROUTES
    ],
    # Last: operators' own add_* routes (objects.models.CustomRoute), never a built-in one.
    re_path(r"^(?P<route>add_[a-z]+(?:_[a-z]+)*)$", webhooks.CustomRouteView.as_view()),
]
