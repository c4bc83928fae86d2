from __future__ import annotations

from django.apps import AppConfig


class QbwcConfig(AppConfig):
    name = "qbwc"
    verbose_name = "Web Connector"

    def ready(self) -> None:
        from objects.backends import register
        from qbwc.backend import DesktopBackend

        register(DesktopBackend())
