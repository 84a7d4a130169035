"""Virtual modules: ``import x from 'virtual:name'`` served from Python.

Resolved ids carry a ``\\0`` prefix (the Rollup convention) so nothing treats them as files; in
URLs the ``\\0`` is written ``/@id/__x00__``.
"""

from __future__ import annotations

from collections.abc import Callable

from .plugin import Plugin

__all__ = ["VIRTUAL_PREFIX", "id_to_url", "url_to_id", "virtual_module"]

VIRTUAL_PREFIX = "virtual:"
NULL_IN_URL = "__x00__"


def virtual_module(name: str, code: str | Callable[[], str]) -> Plugin:
    """A plugin serving ``virtual:<name>``: ``virtual_module("build-info", "export default 1")``.

    ``code`` may be a function, called on each load (so it can read fresh data).
    """
    source = name if name.startswith(VIRTUAL_PREFIX) else VIRTUAL_PREFIX + name
    resolved = "\0" + source

    def resolve_id(spec: str, importer: str | None, options: dict) -> str | None:
        return resolved if spec == source else None

    def load(id_: str) -> str | None:
        if id_ != resolved:
            return None
        return code() if callable(code) else code

    return Plugin(name=f"virtual-module:{source[len(VIRTUAL_PREFIX):]}", resolve_id=resolve_id, load=load)


def id_to_url(id_: str) -> str:
    """``\\0virtual:x`` -> ``/@id/__x00__virtual:x``; other ids unchanged."""
    return "/@id/" + id_.replace("\0", NULL_IN_URL) if id_.startswith("\0") else id_


def url_to_id(url: str) -> str:
    """The inverse of ``id_to_url``."""
    if url.startswith("/@id/"):
        return url[len("/@id/"):].replace(NULL_IN_URL, "\0")
    return url
