"""For Django's Jinja2 backend: ``"OPTIONS": {"environment": "prebundle.integrations.django.jinja2.environment"}``
(or call ``install(env)`` from your own environment function)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from ..jinja import PrebundleExtension
from .conf import get_assets

__all__ = ["environment", "install"]


class _LazyAssets:
    """Settings are read at first use, so the environment can be built before they are final."""

    def __getattr__(self, name: str) -> Any:
        return getattr(get_assets(), name)


def install(env: Environment) -> Environment:
    env.add_extension(PrebundleExtension)
    env.prebundle_assets = _LazyAssets()
    return env


def environment(**options: Any) -> Environment:
    return install(Environment(**options))
