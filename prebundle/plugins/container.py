"""The plugin container: plugins in order, and one method per hook that runs them the way
Vite does (first answer wins for ``resolve_id``/``load``; ``transform`` and
``transform_index_html`` chain). Errors name the plugin, the hook and the file."""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import PrebundleError
from .paths import normalize_path
from .plugin import HOOKS, flatten, hook_of, plugin_name

__all__ = ["PluginContainer", "PluginError", "call_hook"]


class PluginError(PrebundleError):
    """A hook raised or returned something unusable; names plugin, hook and file."""


def call_hook(fn, *args: Any) -> Any:
    """Call a sync or async hook from synchronous code; coroutines run on one private event
    loop thread (starting a loop per call would cost more than most hooks)."""
    result = fn(*args)
    if inspect.isawaitable(result):
        return asyncio.run_coroutine_threadsafe(_await(result), _hook_loop()).result()
    return result


async def _await(awaitable):
    return await awaitable


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _forget_loop() -> None:
    global _loop
    _loop = None  # a forked child has the loop object but not its thread


os.register_at_fork(after_in_child=_forget_loop)


def _hook_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="prebundle-hooks", daemon=True).start()
        return _loop


class PluginContainer:
    """The active plugins of one command, sorted: ``pre``, normal, ``post``."""

    def __init__(self, plugins: Iterable[Any], *, command: str = "build", config: Any = None, env: Any = None) -> None:
        active = []
        for plugin in flatten(plugins):
            name = plugin_name(plugin)
            if not name:
                raise PluginError(f"a plugin has no name: {plugin!r} (every plugin needs `name`)")
            apply = plugin.get("apply") if isinstance(plugin, dict) else getattr(plugin, "apply", None)
            if isinstance(apply, str) and apply != command:
                continue
            if callable(apply) and not apply(config, env):
                continue
            active.append(plugin)
        order = {"pre": 0, None: 1, "post": 2}
        self.plugins = sorted(active, key=lambda p: order.get(_enforce(p), 1))
        self._hooks = {hook: [(plugin_name(p), hook_of(p, hook)) for p in self.plugins if hook_of(p, hook)]
                       for hook in HOOKS}

    def has(self, hook: str) -> bool:
        return bool(self._hooks.get(hook))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(plugin_name(p) for p in self.plugins)

    # -- hooks ------------------------------------------------------------------------------

    def resolve_id(self, source: str, importer: str | None, options: Mapping[str, Any] | None = None) -> str | None:
        """The first plugin's answer, as an id (``\\0``-prefixed ids are virtual)."""
        options = dict(options or {})
        importer = normalize_path(importer) if importer else None
        for name, fn in self._hooks["resolve_id"]:
            result = self._call(name, "resolve_id", source, fn, source, importer, options)
            if result is None:
                continue
            if isinstance(result, dict):
                result = result.get("id")
            if not isinstance(result, str):
                raise PluginError(f"[plugin {name}] resolve_id for {source!r} returned {type(result).__name__}, "
                                  "expected str, dict with 'id', or None")
            return normalize_path(result) if not result.startswith("\0") else result
        return None

    def load(self, id_: str) -> str | None:
        for name, fn in self._hooks["load"]:
            result = self._call(name, "load", id_, fn, id_)
            if result is None:
                continue
            return self._code(name, "load", id_, result)
        return None

    def transform(self, code: str, id_: str) -> str:
        for name, fn in self._hooks["transform"]:
            result = self._call(name, "transform", id_, fn, code, id_)
            if result is not None:
                code = self._code(name, "transform", id_, result)
        return code

    def transform_index_html(self, html: str, ctx: Any) -> str:
        from .html import apply_tags

        for name, fn in self._hooks["transform_index_html"]:
            result = self._call(name, "transform_index_html", getattr(ctx, "path", "index.html"), fn, html, ctx)
            if result is None:
                continue
            if isinstance(result, str):
                html = result
            elif isinstance(result, list):
                html = apply_tags(html, result)
            elif isinstance(result, dict):
                html = apply_tags(result.get("html", html), result.get("tags", []))
            else:
                raise PluginError(f"[plugin {name}] transform_index_html returned {type(result).__name__}")
        return html

    def run_each(self, hook: str, *args: Any) -> list[Any]:
        """Call ``hook`` of every plugin in order; their results, None included."""
        return [self._call(name, hook, "", fn, *args) for name, fn in self._hooks[hook]]

    def _call(self, name: str, hook: str, where: str, fn, *args: Any) -> Any:
        try:
            return call_hook(fn, *args)
        except PluginError:
            raise
        except Exception as error:
            place = f" on {where}" if where else ""
            raise PluginError(f"[plugin {name}] hook {hook} failed{place}: {type(error).__name__}: {error}") from error

    @staticmethod
    def _code(name: str, hook: str, id_: str, result: Any) -> str:
        if isinstance(result, dict):
            result = result.get("code")
        if not isinstance(result, str):
            raise PluginError(f"[plugin {name}] {hook} for {id_!r} returned {type(result).__name__}, expected str or dict with 'code'")
        return result


def _enforce(plugin: Any) -> str | None:
    return plugin.get("enforce") if isinstance(plugin, dict) else getattr(plugin, "enforce", None)
