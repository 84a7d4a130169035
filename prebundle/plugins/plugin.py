"""What a plugin is: a name, an optional ``enforce`` and ``apply``, and Vite-shaped hooks.

A plugin may be a ``Plugin`` instance, any object with a ``name`` attribute, or a dict with a
``"name"`` key; hooks are looked up by attribute or key, sync or ``async``, each a function or
Vite's object form ``{"handler": fn, "order": ..., "filter": ...}`` (see ``hook_filter``). Plugins are usually
made by a factory that takes options::

    def banner(text):
        return Plugin("banner", transform=lambda code, id: f"/* {text} */\\n{code}")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import PrebundleError

__all__ = ["HOOKS", "Plugin", "PluginError", "plugin_name"]


class PluginError(PrebundleError):
    """A hook raised, returned something unusable, or called ``error()``; one line naming the
    plugin (and the hook and file, where there are some)."""


HOOKS = (
    "config",
    "config_resolved",
    "configure_server",
    "transform_index_html",
    "handle_hot_update",
    "resolve_id",
    "load",
    "transform",
    "options",
    "build_start",
    "build_end",
    "close_bundle",
)
"""Every hook prebundle calls, snake_case of Vite's."""


@dataclass
class Plugin:
    """A plugin declared in Python. Every hook is optional."""

    name: str
    """Shown in warnings and errors; required."""
    enforce: str | None = None
    """``"pre"`` runs before the others, ``"post"`` after."""
    apply: str | Callable[..., bool] | None = None
    """``"serve"`` (the daemon), ``"build"`` (``prebundle``, ``prebundle scan``), or
    ``(config, env) -> bool``."""
    cache_key: str | Callable[[], str] | None = None
    """Changes whenever the plugin's output may change (its version and options): part of the
    config hash. Builds are shared through the machine-wide cache only when every plugin with
    ``resolve_id``/``load``/``transform`` has one (see ``cache_key.py``)."""
    config: Callable[..., Any] | None = None
    """``(config: dict, env) -> dict | None``: a partial config merged deep, or mutate the dict."""
    config_resolved: Callable[..., Any] | None = None
    """``(config: Config) -> None``: read the final config."""
    configure_server: Callable[..., Any] | None = None
    """``(server) -> callable | None``: add Starlette routes or middleware to the daemon."""
    transform_index_html: Callable[..., Any] | None = None
    """``(html, ctx) -> str | list[tag] | {"html", "tags"} | None``."""
    handle_hot_update: Callable[..., Any] | None = None
    """``(ctx) -> list | None``: filter what a change triggers; ``[]`` takes over."""
    resolve_id: Callable[..., Any] | None = None
    """``(source, importer, options) -> str | dict | None``."""
    load: Callable[..., Any] | None = None
    """``(id) -> str | dict | None``."""
    transform: Callable[..., Any] | None = None
    """``(code, id) -> str | dict | None``; a dict has ``code`` and ``map``."""
    options: Callable[..., Any] | None = None
    """``(options: dict) -> dict | None``: the run's input options, before ``build_start``."""
    build_start: Callable[..., Any] | None = None
    """``(options) -> None``: a ``prebundle`` run, or the daemon, starts."""
    build_end: Callable[..., Any] | None = None
    """``(error) -> None``: a run, or the daemon, ends; ``error`` is None when all went well."""
    close_bundle: Callable[..., Any] | None = None
    """``(error) -> None``: after ``build_end``; release what ``build_start`` acquired."""


def plugin_name(plugin: Any) -> str:
    if isinstance(plugin, dict):
        return str(plugin.get("name") or "")
    return str(getattr(plugin, "name", "") or "")


def flatten(plugins: Iterable[Any]) -> list[Any]:
    """Nested lists (presets) flattened; falsy entries (``cond and plugin()``) dropped."""
    out: list[Any] = []
    for plugin in plugins:
        if not plugin:
            continue
        if isinstance(plugin, (list, tuple)):
            out.extend(flatten(plugin))
        else:
            out.append(plugin)
    return out
