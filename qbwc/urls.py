from __future__ import annotations

from django.urls import path

from qbwc import views

urlpatterns = [
    path("qbwc/", views.endpoint, name="qbwc"),
    path("qbwc/<str:connection_id>/", views.endpoint, name="qbwc-connection"),
]
