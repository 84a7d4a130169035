"""The plugin container: plugins in order, and one method per hook that runs them the way
Vite does (first answer wins for ``resolve_id``/``load``; ``transform`` and
``transform_index_html`` chain; ``options`` chains; ``build_start``, ``build_end`` and
``close_bundle`` run in turn). Errors name the plugin, the hook and the file.

Every call runs with its ``HookCall`` as the current plugin context (``context.py``); what the
contexts record lives here, one set per container: the files to watch, the emitted assets and
the module graph of the last scan."""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .assets import EmittedAssets
from .context import HookCall, awaited_in_context, call_in_context
from .hook_loop import settle
from .paths import normalize_path
from .hook_filter import ORDERS, filtered
from .html import apply_tags, misplaced_in_head
from .module_info import ModuleGraph
from .plugin import HOOKS, PluginError, flatten, plugin_name

if TYPE_CHECKING:
    from ..scanner.result import ScanResult

__all__ = ["PluginContainer", "PluginError", "call_hook"]

log = logging.getLogger("prebundle.plugins")

OPTIONAL_ARGUMENT = frozenset({"build_start", "build_end", "close_bundle"})
"""Hooks given their one argument only when they take one: ``def build_start(): ...`` works."""


class _Hook(NamedTuple):
    """One plugin's function for one hook, where it runs among the others."""

    plugin: str
    fn: Callable[..., Any]
    order: str | None
    """``"pre"``, None or ``"post"`` (Vite's object form)."""


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
        self.config = config
        """The config the plugins run for (None in tests of the container alone)."""
        root = getattr(config, "root", None)
        self.root: Path | None = Path(root) if root is not None else None
        self._root_prefix = normalize_path(root).rstrip("/") + "/" if root is not None else None
        """Ids under the project root are shown relative to it in errors."""
        order = {"pre": 0, None: 1, "post": 2}
        self.plugins = sorted(active, key=lambda p: order.get(_enforce(p), 1))
        self._hooks = {hook: self._collect(hook) for hook in HOOKS}
        self._watch_files: set[str] = set()
        self._watch_lock = threading.Lock()
        """Hooks add watched files on worker threads while the daemon's loop reads them."""
        cache_dir = getattr(config, "cache_dir", None)
        self.assets = EmittedAssets(Path(cache_dir)) if cache_dir is not None else None
        """Files hooks emitted (``emit_file``)."""
        self.module_graph: ModuleGraph | None = None
        """What the last scan saw (``get_module_info``); set by :meth:`record_scan`."""

    def add_watch_file(self, path: str) -> None:
        """Note a file hooks asked to watch (``add_watch_file``): a normalized absolute path."""
        with self._watch_lock:
            self._watch_files.add(path)

    @property
    def watch_files(self) -> frozenset[str]:
        """The files hooks asked to watch so far (a copy: safe to read from any thread)."""
        with self._watch_lock:
            return frozenset(self._watch_files)

    def _collect(self, hook: str) -> list[_Hook]:
        """Every plugin's ``hook``, in the order they run: a function, or Vite's object form
        whose ``order`` moves it and ``filter`` narrows it."""
        found: list[_Hook] = []
        for plugin in self.plugins:
            name = plugin_name(plugin)
            value = plugin.get(hook) if isinstance(plugin, dict) else getattr(plugin, hook, None)
            if value is None:
                continue
            if hook == "options" and not callable(value) and not (isinstance(value, Mapping) and "handler" in value):
                continue  # a plugin object's own ``options`` (its settings), not the hook
            if callable(value):
                found.append(_Hook(name, _adapted(hook, value), None))
                continue
            if not isinstance(value, Mapping) or not callable(value.get("handler")):
                raise PluginError(f"[plugin {name}] hook {hook} must be a function or a dict with 'handler', "
                                  f"not {type(value).__name__}")
            order = value.get("order")
            if order not in ORDERS:
                raise PluginError(f"[plugin {name}] hook {hook}: order must be 'pre', 'post' or None, not {order!r}")
            try:
                found.append(_Hook(name, _adapted(hook, filtered(hook, value["handler"], value.get("filter"))), order))
            except ValueError as error:
                raise PluginError(f"[plugin {name}] hook {hook}: {error}") from None
        found.sort(key=lambda item: ORDERS.index(item.order))  # stable: plugin order within each
        return found

    def has(self, hook: str, orders: Collection[str | None] = ORDERS) -> bool:
        """Whether a plugin has ``hook`` (of one of ``orders``)."""
        return any(found.order in orders for found in self._hooks.get(hook, ()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(plugin_name(p) for p in self.plugins)

    # -- hooks ------------------------------------------------------------------------------

    def resolve_id(self, source: str, importer: str | None, options: Mapping[str, Any] | None = None, *,
                   skip: Collection[str] = frozenset()) -> str | None:
        """The first plugin's answer, as an id (``\\0``-prefixed ids are virtual). ``skip``:
        plugins passed by (those whose ``resolve()`` asked, see ``context.py``)."""
        options = dict(options or {})
        importer = normalize_path(importer) if importer else None
        skip = frozenset(skip)
        for name, fn, _order in self._hooks["resolve_id"]:
            if name in skip:
                continue
            result = self._call(name, "resolve_id", source, fn, source, importer, options, skip=skip)
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
        for name, fn, _order in self._hooks["load"]:
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
        for name, fn, _order in self._hooks["transform"]:
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
        contexts: dict[str, HookCall] = {}
        try:
            for where, args in calls.items():
                contexts[where] = HookCall(self, name, hook, where)
                try:
                    value = call_in_context(contexts[where], fn, args)
                except PluginError:
                    raise
                except Exception as error:
                    raise _failure(name, hook, self.shown(where), error) from error
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
            settled = settle([awaited_in_context(contexts[where], value) for where, value in waiting.items()])
            for where, value in zip(waiting, settled):
                if isinstance(value, PluginError):
                    raise value
                if isinstance(value, Exception):
                    raise _failure(name, hook, self.shown(where), value) from value
                if isinstance(value, BaseException):
                    raise value
                results[where] = value
        return results

    def transform_index_html(self, html: str, ctx: Any, *, nonce: str | None = None,
                             orders: Collection[str | None] = ORDERS) -> str:
        """The page through every ``transform_index_html`` in order; ``nonce`` goes on the
        script, style and link tags they add. ``orders``: only the hooks of these orders (the
        daemon runs ``"pre"`` ones before it adds the import map and its client, the others
        after)."""
        for name, fn, order in self._hooks["transform_index_html"]:
            if order not in orders:
                continue
            result = self._call(name, "transform_index_html", getattr(ctx, "path", "index.html"), fn, html, ctx)
            if result is None:
                continue
            if isinstance(result, str):
                html = result
                continue
            if isinstance(result, list):
                tags = result
            elif isinstance(result, dict):
                html, tags = result.get("html") or html, result.get("tags") or []
            else:
                raise PluginError(f"[plugin {name}] transform_index_html returned {type(result).__name__}")
            try:
                html = apply_tags(html, tags, nonce=nonce)
            except (ValueError, KeyError, TypeError) as error:
                raise PluginError(f"[plugin {name}] transform_index_html returned a bad tag: {error}") from None
            misplaced = misplaced_in_head(tags)
            if misplaced:
                log.warning("warning: [plugin %s] transform_index_html put %s into <head>, where browsers move "
                            "it to <body>; check inject_to", name, ", ".join(misplaced))
        return html

    # -- the build's lifecycle (see lifecycle.py) --------------------------------------------

    def options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The run's input options through every ``options`` hook: a hook may return new ones."""
        for name, fn, _order in self._hooks["options"]:
            result = self._call(name, "options", "", fn, options)
            if result is None:
                continue
            if not isinstance(result, Mapping):
                raise PluginError(f"[plugin {name}] options returned {type(result).__name__}, expected a dict or None")
            options = dict(result)
        return options

    def build_start(self, options: Mapping[str, Any]) -> None:
        self.run_each("build_start", options)

    def build_end(self, error: BaseException | None) -> None:
        self.run_each("build_end", error)

    def close_bundle(self, error: BaseException | None) -> None:
        self.run_each("close_bundle", error)

    def record_scan(self, result: ScanResult) -> None:
        """Remember the scan ``get_module_info`` answers from."""
        self.module_graph = ModuleGraph.from_scan(result)

    def run_each(self, hook: str, *args: Any) -> list[Any]:
        """Call ``hook`` of every plugin in order; their results, None included."""
        return [self._call(name, hook, "", fn, *args) for name, fn, _order in self._hooks[hook]]

    def run_each_named(self, hook: str, *args: Any) -> list[tuple[str, Any]]:
        """Like :meth:`run_each`, each result with the name of the plugin that gave it."""
        return [(name, self._call(name, hook, "", fn, *args)) for name, fn, _order in self._hooks[hook]]

    def call_as(self, name: str, hook: str, fn: Callable[..., Any], *args: Any, where: str = "") -> Any:
        """``fn(*args)`` as plugin ``name``'s ``hook`` (context, errors): for a function a hook
        handed over, such as ``configure_server``'s post function or a ``server.ws`` handler."""
        return self._call(name, hook, where, fn, *args)

    def _call(self, name: str, hook: str, where: str, fn: Callable[..., Any], *args: Any,
              skip: frozenset[str] = frozenset()) -> Any:
        try:
            call = HookCall(self, name, hook, where, skip)
            result = call_in_context(call, fn, args)
            if result is not None and inspect.isawaitable(result):
                (result,) = settle([awaited_in_context(call, result)])
                if isinstance(result, BaseException):
                    raise result
            return result
        except PluginError:
            raise
        except Exception as error:
            raise _failure(name, hook, self.shown(where), error) from error

    def shown(self, id_: str) -> str:
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
            raise PluginError(f"[plugin {name}] {hook} for {id_!r} returned {type(result).__name__}, "
                              "expected str or dict with 'code'")
        return result


def _failure(name: str, hook: str, where: str, error: Exception) -> PluginError:
    place = f" on {where}" if where else ""
    return PluginError(f"[plugin {name}] hook {hook} failed{place}: {type(error).__name__}: {error}")


def accepts_positional(fn: Callable[..., Any], count: int) -> bool:
    """Whether ``fn`` can be called with ``count`` positional arguments (True when its
    signature cannot be read, a builtin's say: it gets them)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return True
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters) >= count


def _adapted(hook: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, called without its argument when it is a hook of ``OPTIONAL_ARGUMENT`` that
    takes none."""
    if hook not in OPTIONAL_ARGUMENT or accepts_positional(fn, 1):
        return fn
    return lambda _argument: fn()


def _enforce(plugin: Any) -> str | None:
    return plugin.get("enforce") if isinstance(plugin, dict) else getattr(plugin, "enforce", None)
