"""``{% load prebundle %}``: the prebundle helpers as Django template tags (escaped, safe output).

Every tag takes ``nonce=``; without it the nonce is the context's ``csp_nonce`` (Django's CSP
context processor) or ``request.csp_nonce`` (django-csp).
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
def prebundle_importmap(context: Context, nonce: str | None = None):
    return mark_safe(get_assets().importmap_tag(nonce=_nonce(context, nonce)))


@register.simple_tag(takes_context=True)
def prebundle_preload(context: Context, *names, nonce: str | None = None):
    return mark_safe(get_assets().preload_tags(*names, nonce=_nonce(context, nonce)))


@register.simple_tag(takes_context=True)
def prebundle_entry(context: Context, *names, nonce: str | None = None):
    return mark_safe(get_assets().entry_tags(*names, nonce=_nonce(context, nonce)))


@register.simple_tag(takes_context=True)
def prebundle_client(context: Context, nonce: str | None = None):
    return mark_safe(get_assets().client_tag(nonce=_nonce(context, nonce)))


@register.simple_tag(takes_context=True)
def prebundle_polyfill(context: Context, nonce: str | None = None):
    return mark_safe(get_assets().polyfill_tag(nonce=_nonce(context, nonce)))


@register.simple_tag
def prebundle_url(name: str):
    return get_assets().url(name)
