from __future__ import annotations

from django.apps import AppConfig


class PrebundleConfig(AppConfig):
    name = "prebundle.integrations.django"
    label = "prebundle"
    verbose_name = "prebundle"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .conf import connect_signals

        connect_signals()
