"""``{% load prebundle %}``: the prebundle helpers as Django template tags (escaped, safe output).

Every tag takes ``nonce=``; without it the nonce is the context's ``csp_nonce`` (Django's CSP
context processor) or ``request.csp_nonce`` (django-csp). ``{% prebundle_entry "src/main.tsx" %}``
runs one of the app's own modules (on the daemon in development, from the build in production)
and renders the import map with it unless ``importmap=False``; ``prebundle_entry`` and
``prebundle_preload`` take ``preload="dynamic"`` to preload what ``import()`` may load too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.safestring import mark_safe

from ..conf import get_assets

if TYPE_CHECKING:
    from django.template import Context

register = template.Library()


def _nonce(context: Context, nonce: str | None):
    if nonce is not None:
        return str(nonce)
    value = context.get("csp_nonce")
    if value:
        return str(value)
    request = context.get("request")
    value = getattr(request, "csp_nonce", None) if request is not None else None
    return str(value) if value else None


@register.simple_tag(takes_context=True)
def prebundle_importmap(context: Context, nonce: str | None = None, app: str | None = None):
    return mark_safe(get_assets(app).importmap_tag(nonce=_nonce(context, nonce)))


@register.simple_tag(takes_context=True)
def prebundle_preload(context: Context, *names: str, nonce: str | None = None, preload: str = "static",
                      app: str | None = None):
    return mark_safe(get_assets(app).preload_tags(*names, nonce=_nonce(context, nonce), preload=preload))


@register.simple_tag(takes_context=True)
def prebundle_entry(context: Context, *names: str, nonce: str | None = None, preload: str = "static",
                    importmap: bool = True, app: str | None = None):
    return mark_safe(get_assets(app).entry_tags(*names, nonce=_nonce(context, nonce), preload=preload,
                                             importmap=importmap))


@register.simple_tag(takes_context=True)
def prebundle_client(context: Context, nonce: str | None = None, app: str | None = None):
    return mark_safe(get_assets(app).client_tag(nonce=_nonce(context, nonce)))


@register.simple_tag(takes_context=True)
def prebundle_polyfill(context: Context, nonce: str | None = None, app: str | None = None):
    return mark_safe(get_assets(app).polyfill_tag(nonce=_nonce(context, nonce)))


@register.simple_tag
def prebundle_url(name: str, app: str | None = None):
    return get_assets(app).url(name)
