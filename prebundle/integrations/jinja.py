"""Jinja2: the helpers as globals, returning ``Markup`` (safe under autoescape).

    env = Environment(extensions=["prebundle.integrations.jinja.PrebundleExtension"])
    env.prebundle_assets = Assets.for_project("frontend")   # or install(env, assets)

Templates call ``{{ prebundle_importmap() }}``, ``{{ prebundle_preload("react", "react-dom/client") }}``,
``{{ prebundle_entry("src/main.tsx") }}`` (the app's own entry, with the import map unless
``importmap=False``; or a Vite manifest's), ``{{ prebundle_client() }}``,
``{{ prebundle_polyfill() }}`` and ``{{ prebundle_url("react") }}``. ``prebundle_preload`` and
``prebundle_entry`` take ``preload="dynamic"`` to preload what ``import()`` may load too. Every
tag takes ``nonce=``; without it the nonce is the template's ``csp_nonce`` variable, else
``request.csp_nonce`` or ``request.state.csp_nonce``, else Flask's ``g.csp_nonce``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import pass_context
from jinja2.ext import Extension
from markupsafe import Markup

from .core import Assets

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

__all__ = ["PrebundleExtension", "context_nonce", "install"]


def context_nonce(context: Any) -> str | None:
    """The CSP nonce a template context carries, by the usual names of Django, Starlette and Flask."""
    getter = getattr(context, "get", None)
    nonce = getter("csp_nonce") if getter else None
    if nonce:
        return str(nonce)
    request = getter("request") if getter else None
    if request is not None:
        nonce = getattr(request, "csp_nonce", None) or getattr(getattr(request, "state", None), "csp_nonce", None)
        if nonce:
            return str(nonce)
    try:  # Flask (optional), when a request is active
        from flask import g, has_app_context

        if has_app_context():
            nonce = g.get("csp_nonce")
            if nonce:
                return str(nonce)
    except ImportError:
        pass
    return None


def _assets(context: Any) -> Assets:
    assets = getattr(context.environment, "prebundle_assets", None)
    if assets is None:
        raise RuntimeError("no Assets for this Jinja2 environment: set env.prebundle_assets = Assets(...) "
                           "or call prebundle.integrations.jinja.install(env, assets)")
    return assets


def _nonce(context: Any, nonce: str | None) -> str | None:
    return nonce if nonce is not None else context_nonce(context)


@pass_context
def prebundle_importmap(context: Context, *, nonce: str | None = None) -> Markup:
    return Markup(_assets(context).importmap_tag(nonce=_nonce(context, nonce)))


@pass_context
def prebundle_preload(context: Context, *names: str, nonce: str | None = None, preload: str = "static") -> Markup:
    return Markup(_assets(context).preload_tags(*names, nonce=_nonce(context, nonce), preload=preload))


@pass_context
def prebundle_entry(context: Context, *names: str, nonce: str | None = None, preload: str = "static",
                    importmap: bool = True) -> Markup:
    return Markup(_assets(context).entry_tags(*names, nonce=_nonce(context, nonce), preload=preload,
                                              importmap=importmap))


@pass_context
def prebundle_client(context: Context, *, nonce: str | None = None) -> Markup:
    return Markup(_assets(context).client_tag(nonce=_nonce(context, nonce)))


@pass_context
def prebundle_polyfill(context: Context, *, nonce: str | None = None) -> Markup:
    return Markup(_assets(context).polyfill_tag(nonce=_nonce(context, nonce)))


@pass_context
def prebundle_url(context: Context, name: str) -> str:
    return _assets(context).url(name)


GLOBALS = {f.__name__: f for f in (prebundle_importmap, prebundle_preload, prebundle_entry,
                                   prebundle_client, prebundle_polyfill, prebundle_url)}


class PrebundleExtension(Extension):
    """Adds the ``prebundle_*`` globals; the ``Assets`` is ``environment.prebundle_assets``."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(prebundle_assets=None)
        environment.globals.update(GLOBALS)


def install(environment: Environment, assets: Assets) -> None:
    """Add the extension to an existing environment and give it ``assets``."""
    environment.add_extension(PrebundleExtension)
    environment.prebundle_assets = assets
