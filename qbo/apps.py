from __future__ import annotations

from django.apps import AppConfig


class QboConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "qbo"
    verbose_name = "QuickBooks Online"

    def ready(self) -> None:
        from objects.backends import register
        from qbo.backend import QboBackend

        register(QboBackend())
        # Connects qbo.signals.record_changed to the triggers in every process.
        import qbo.events  # noqa: F401
