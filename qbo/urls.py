from __future__ import annotations

from django.urls import path

from qbo import views

app_name = "qbo"

urlpatterns = [
    path("qbo/callback", views.callback, name="callback"),
]
