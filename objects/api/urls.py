from __future__ import annotations

from django.urls import path

from objects.api import views
from objects.api.queries import ENTITIES

PREFIX = "api/v1/connections/<str:connection_id>/"

urlpatterns = [
    path(
        PREFIX + "operations/<uuid:public_id>", views.OperationView.as_view(), name="api-operation"
    ),  # fmt: skip
    *[
        path(PREFIX + name, views.EntityListView.as_view(entity=name), name=f"api-{name}")
        for name in ENTITIES
    ],
    *[
        path(
            PREFIX + name + "/<str:qb_id>",
            views.EntityDetailView.as_view(entity=name),
            name=f"api-{name}-detail",
        )  # fmt: skip
        for name in ENTITIES
    ],
]
