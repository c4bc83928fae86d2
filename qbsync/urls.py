from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from qbo.intuit_webhooks import intuit_webhook


def liveness(request: HttpRequest) -> HttpResponse:
    return HttpResponse("qbsync ok\n", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("", liveness, name="liveness"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("qbo/webhooks", intuit_webhook, name="qbo-intuit-webhook"),
    path("", include("qbwc.urls")),
    path("", include("objects.urls")),
    path("", include("objects.api.urls")),
    path("", include("qbo.urls")),
]
