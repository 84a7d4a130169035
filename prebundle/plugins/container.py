"""The plugin container: plugins in order, and one method per hook that runs them the way
Vite does (first answer wins for ``resolve_id``/``load``; ``transform`` and
``transform_index_html`` chain). Errors name the plugin, the hook and the file."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import PrebundleError
from .hook_loop import settle
from .paths import normalize_path
from .hook_filter import ORDERS, filtered
from .html import apply_tags
from .plugin import HOOKS, flatten, plugin_name

__all__ = ["PluginContainer", "PluginError", "call_hook"]


class PluginError(PrebundleError):
    """A hook raised or returned something unusable; names plugin, hook and file."""


def call_hook(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a sync or async hook from synchronous code (async ones on the hook loop)."""
    result = fn(*args)
    if result is not None and inspect.isawaitable(result):
        (result,) = settle([result])
        if isinstance(result, BaseException):
            raise result
    return result


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
        root = getattr(config, "root", None)
        self._root_prefix = str(root).rstrip("/\\") + "/" if root is not None else None
        """Ids under the project root are shown relative to it in errors."""
        order = {"pre": 0, None: 1, "post": 2}
        self.plugins = sorted(active, key=lambda p: order.get(_enforce(p), 1))
        self._hooks = {hook: self._collect(hook) for hook in HOOKS}

    def _collect(self, hook: str) -> list[tuple[str, Any]]:
        """Every plugin's ``hook`` as (plugin name, function), in the order they run: a
        function, or Vite's object form whose ``order`` moves it and ``filter`` narrows it."""
        found: list[tuple[str | None, str, Any]] = []
        for plugin in self.plugins:
            name = plugin_name(plugin)
            value = plugin.get(hook) if isinstance(plugin, dict) else getattr(plugin, hook, None)
            if value is None:
                continue
            if callable(value):
                found.append((None, name, value))
                continue
            if not isinstance(value, Mapping) or not callable(value.get("handler")):
                raise PluginError(f"[plugin {name}] hook {hook} must be a function or a dict with 'handler', "
                                  f"not {type(value).__name__}")
            order = value.get("order")
            if order not in ORDERS:
                raise PluginError(f"[plugin {name}] hook {hook}: order must be 'pre', 'post' or None, not {order!r}")
            try:
                found.append((order, name, filtered(hook, value["handler"], value.get("filter"))))
            except ValueError as error:
                raise PluginError(f"[plugin {name}] hook {hook}: {error}") from None
        found.sort(key=lambda item: ORDERS.index(item[0]))  # stable: plugin order within each
        return [(name, fn) for _order, name, fn in found]

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
        """The first plugin's code for ``id_``, or None when none loads it."""
        return self._load_all([id_])[id_]

    def transform(self, code: str, id_: str) -> str:
        """``code`` through every ``transform`` in order."""
        return self._transform_all({id_: code})[id_]

    def load_and_transform(self, ids: Iterable[str], read: Callable[[str], str | None]) -> dict[str, str | None]:
        """What the plugins make of each id, in one batch: its new code, or None where no
        ``load`` answered and every ``transform`` left ``read(id)`` as it was (or there was
        nothing to read: ``read`` returned None).

        Each hook sees each id once; the ``async`` calls of one hook are awaited together, so
        a batch crosses to the hook loop once per hook rather than once per file."""
        ids = list(ids)
        loaded = self._load_all(ids)
        original: dict[str, str] = {}
        for id_ in ids:
            if loaded[id_] is None:
                text = read(id_)
                if text is not None:
                    original[id_] = text
        code = {id_: text for id_, text in loaded.items() if text is not None} | original
        transformed = self._transform_all(code)
        return {id_: (transformed[id_] if id_ in transformed
                      and (id_ not in original or transformed[id_] != original[id_]) else None)
                for id_ in ids}

    def _load_all(self, ids: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = dict.fromkeys(ids)
        pending = list(ids)
        for name, fn in self._hooks["load"]:
            if not pending:
                break
            results = self._stage(name, "load", fn, {id_: (id_,) for id_ in pending})
            for id_, result in results.items():
                if result is not None:
                    found[id_] = self._code(name, "load", id_, result)
            pending = [id_ for id_ in pending if found[id_] is None]
        return found

    def _transform_all(self, code: dict[str, str]) -> dict[str, str]:
        code = dict(code)
        for name, fn in self._hooks["transform"]:
            results = self._stage(name, "transform", fn, {id_: (text, id_) for id_, text in code.items()})
            for id_, result in results.items():
                if result is not None:
                    code[id_] = self._code(name, "transform", id_, result)
        return code

    def _stage(self, name: str, hook: str, fn: Callable[..., Any], calls: Mapping[str, tuple]) -> dict[str, Any]:
        """One plugin's ``hook`` for many files (``{file: args}``): sync results at once,
        awaitables together on the hook loop. The first failure is raised, naming the file."""
        results: dict[str, Any] = {}
        waiting: dict[str, Any] = {}
        try:
            for where, args in calls.items():
                try:
                    value = fn(*args)
                except PluginError:
                    raise
                except Exception as error:
                    raise _failure(name, hook, self._shown(where), error) from error
                if value is not None and inspect.isawaitable(value):
                    waiting[where] = value
                else:
                    results[where] = value
        except BaseException:
            for awaitable in waiting.values():
                if inspect.iscoroutine(awaitable):
                    awaitable.close()  # never awaited: close it rather than warn
            raise
        if waiting:
            for where, value in zip(waiting, settle(list(waiting.values()))):
                if isinstance(value, PluginError):
                    raise value
                if isinstance(value, Exception):
                    raise _failure(name, hook, self._shown(where), value) from value
                if isinstance(value, BaseException):
                    raise value
                results[where] = value
        return results

    def transform_index_html(self, html: str, ctx: Any, *, nonce: str | None = None) -> str:
        """The page through every ``transform_index_html`` in order; ``nonce`` goes on the
        script, style and link tags they add."""
        for name, fn in self._hooks["transform_index_html"]:
            result = self._call(name, "transform_index_html", getattr(ctx, "path", "index.html"), fn, html, ctx)
            if result is None:
                continue
            if isinstance(result, str):
                html = result
            elif isinstance(result, list):
                html = apply_tags(html, result, nonce=nonce)
            elif isinstance(result, dict):
                html = apply_tags(result.get("html", html), result.get("tags", []), nonce=nonce)
            else:
                raise PluginError(f"[plugin {name}] transform_index_html returned {type(result).__name__}")
        return html

    def run_each(self, hook: str, *args: Any) -> list[Any]:
        """Call ``hook`` of every plugin in order; their results, None included."""
        return [self._call(name, hook, "", fn, *args) for name, fn in self._hooks[hook]]

    def _call(self, name: str, hook: str, where: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return call_hook(fn, *args)
        except PluginError:
            raise
        except Exception as error:
            raise _failure(name, hook, self._shown(where), error) from error

    def _shown(self, id_: str) -> str:
        """``id_`` as errors show it: relative to the root when under it; a virtual id bare."""
        if id_.startswith("\0"):
            return id_[1:]
        if self._root_prefix and normalize_path(id_).startswith(self._root_prefix):
            return normalize_path(id_)[len(self._root_prefix):]
        return id_

    @staticmethod
    def _code(name: str, hook: str, id_: str, result: Any) -> str:
        if isinstance(result, dict):
            result = result.get("code")
        if not isinstance(result, str):
            raise PluginError(f"[plugin {name}] {hook} for {id_!r} returned {type(result).__name__}, expected str or dict with 'code'")
        return result


def _failure(name: str, hook: str, where: str, error: Exception) -> PluginError:
    place = f" on {where}" if where else ""
    return PluginError(f"[plugin {name}] hook {hook} failed{place}: {type(error).__name__}: {error}")


def _enforce(plugin: Any) -> str | None:
    return plugin.get("enforce") if isinstance(plugin, dict) else getattr(plugin, "enforce", None)
