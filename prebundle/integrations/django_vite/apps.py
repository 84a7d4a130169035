from __future__ import annotations

from django.apps import AppConfig


class DjangoViteDropInConfig(AppConfig):
    """The drop-in stands alone: it registers prebundle's checks and settings hooks itself."""

    name = "prebundle.integrations.django_vite"
    label = "prebundle_django_vite"
    verbose_name = "prebundle (django-vite tags)"

    def ready(self) -> None:
        from ..django import checks  # noqa: F401  (registers the system checks)
        from ..django.conf import connect_signals

        connect_signals()
