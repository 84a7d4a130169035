"""``{% load django_vite %}``: django-vite's tags, with its signatures, rendering prebundle's tags.

* ``{% vite_hmr_client %}``: the import map and, while ``prebundle daemon`` runs, its reload client;
* ``{% vite_asset "src/main.js" %}``: the entry's CSS, preloads and module script (on the daemon in
  development, from ``prebundle build`` in production; a package id runs that package), after the
  import map when no ``vite_hmr_client`` came first;
* ``{% vite_preload_asset "src/main.js" %}``: its stylesheets and ``modulepreload`` links;
* ``{% vite_asset_url "src/main.js" %}``: its URL;
* ``{% vite_react_refresh %}``, ``{% vite_legacy_polyfills %}``, ``{% vite_legacy_asset %}``:
  nothing (the daemon reloads the page; there is no legacy build).

``app="<name>"`` picks a frontend of ``PREBUNDLE["apps"]`` (``"default"``: the default one).
Of the extra attributes django-vite puts on its tags, ``nonce=`` is honoured (else the context's
``csp_nonce`` or ``request.csp_nonce``); the others are accepted and left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from ...graph import UnknownAsset
from ...django.conf import DEFAULT_APP, get_assets

if TYPE_CHECKING:
    from django.template import Context

    from ...core import Assets

register = template.Library()

HEAD_RENDERED = "_prebundle_django_vite_head"
"""Attribute set on the template ``Context`` once the import map is on the page: it must come
once, before any module script. On the context object, so ``{% include %}`` sees it too."""


def _assets(app: str) -> Assets:
    return get_assets(None if app == DEFAULT_APP else app)


def _nonce(context: Context, attrs: dict[str, Any]) -> str | None:
    value = attrs.get("nonce") or context.get("csp_nonce")
    if not value:
        request = context.get("request")
        value = getattr(request, "csp_nonce", None) if request is not None else None
    return str(value) if value else None


def _head(context: Context, assets: Assets, nonce: str | None) -> str:
    """The import map and the reload client, the first time a tag asks on this page."""
    if getattr(context, HEAD_RENDERED, False):
        return ""
    setattr(context, HEAD_RENDERED, True)
    return "\n".join(tag for tag in (assets.importmap_tag(nonce=nonce), assets.client_tag(nonce=nonce)) if tag)


@register.simple_tag(takes_context=True)
def vite_hmr_client(context: Context, app: str = DEFAULT_APP, **kwargs: Any) -> SafeString:
    """The import map and, while the daemon runs, its reload client."""
    return mark_safe(_head(context, _assets(app), _nonce(context, kwargs)))


@register.simple_tag(takes_context=True)
def vite_asset(context: Context, path: str, app: str = DEFAULT_APP, **kwargs: Any) -> SafeString:
    """The entry's stylesheets, preloads and module script (the import map first if not yet there)."""
    assets = _assets(app)
    nonce = _nonce(context, kwargs)
    head = _head(context, assets, nonce)
    tags = assets.entry_tags(path, nonce=nonce, importmap=False)
    return mark_safe("\n".join(part for part in (head, tags) if part))


@register.simple_tag(takes_context=True)
def vite_preload_asset(context: Context, path: str, app: str = DEFAULT_APP) -> SafeString:
    """Stylesheets and ``modulepreload`` links for the entry and what it imports."""
    return mark_safe(_assets(app).preload_tags(path, nonce=_nonce(context, {})))


@register.simple_tag
def vite_asset_url(path: str, app: str = DEFAULT_APP) -> str:
    """The URL of an entry or package (escaped by the template, as django-vite's is); another
    file of the app while the daemon runs, which serves it."""
    assets = _assets(app)
    try:
        return assets.url(path)
    except UnknownAsset:
        origin = assets.daemon_url()
        if origin is None:
            raise
        return f"{origin}/{path.lstrip('/')}"


@register.simple_tag
def vite_legacy_polyfills(app: str = DEFAULT_APP, nomodule: bool = True, **kwargs: Any) -> str:
    """Nothing: prebundle makes no legacy build (browsers with import maps need none)."""
    return ""


@register.simple_tag
def vite_legacy_asset(path: str, app: str = DEFAULT_APP, **kwargs: Any) -> str:
    """Nothing: prebundle makes no legacy build."""
    return ""


@register.simple_tag
def vite_react_refresh(app: str = DEFAULT_APP, **kwargs: Any) -> str:
    """Nothing: the daemon reloads the page after a change instead of React Fast Refresh."""
    return ""
