"""The plugin context: what a running hook may ask of prebundle (Rollup's ``this``).

Python hooks have no ``this``, and a context parameter would change every hook's signature,
so a hook asks for its context: ``current_context()`` returns the context of the hook running
now. It is kept in a ``ContextVar``, set around each call by the container: each call sees its
own, also when async hooks of one batch run together on the hook loop, or hooks run on several
threads at once (the daemon's worker and its request threads, esbuild's callbacks). An
attribute set on the plugin object could not tell those calls apart.

What it offers (see docs/plugins.md, "The plugin context"): ``resolve`` through the other
plugins and then prebundle's resolver, ``warn``, ``error``, ``add_watch_file``, ``emit_file``
with ``get_file_name``, and ``get_module_info`` from the last scan.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ..resolve import ResolveError, Resolver
from ..specifiers import is_bare
from .paths import normalize_path
from .plugin import PluginError

if TYPE_CHECKING:
    from .container import PluginContainer
    from .module_info import ModuleInfo

__all__ = ["HookCall", "PluginContext", "awaited_in_context", "call_in_context", "current_call", "current_context"]

log = logging.getLogger("prebundle.plugins")


class HookCall:
    """One call of one plugin's hook: what its context is about."""

    __slots__ = ("container", "plugin", "hook", "id", "skip")

    def __init__(self, container: PluginContainer, plugin: str, hook: str, id_: str = "",
                 skip: frozenset[str] = frozenset()) -> None:
        self.container = container
        self.plugin = plugin
        """The plugin's name."""
        self.hook = hook
        self.id = id_
        """The file, id or specifier the call is about; ``""`` for none."""
        self.skip = skip
        """Plugins whose ``resolve_id`` a ``resolve()`` from this call passes by (those that
        asked for the resolution this call is part of)."""


_CURRENT: ContextVar[HookCall | None] = ContextVar("prebundle_hook_call", default=None)


def current_context() -> PluginContext:
    """The context of the plugin hook running now; ``RuntimeError`` outside a hook."""
    call = _CURRENT.get()
    if call is None:
        raise RuntimeError("prebundle.plugins.current_context() is only available while a plugin hook runs")
    return PluginContext(call)


def current_call() -> HookCall | None:
    """The hook call running now, or None (for prebundle's own code; plugins use
    ``current_context()``)."""
    return _CURRENT.get()


def call_in_context(call: HookCall, fn: Callable[..., Any], args: tuple) -> Any:
    """``fn(*args)`` with ``call`` as the current context. An awaitable it returns has not run
    yet: await it through :func:`awaited_in_context`."""
    token = _CURRENT.set(call)
    try:
        return fn(*args)
    finally:
        _CURRENT.reset(token)


async def awaited_in_context(call: HookCall, awaitable: Awaitable[Any]) -> Any:
    """``await awaitable`` with ``call`` as the current context."""
    _CURRENT.set(call)  # this coroutine runs in a context of its own (a task's, or the hook loop's copy)
    return await awaitable


class PluginContext:
    """What a hook can ask of prebundle while it runs; from ``current_context()``."""

    __slots__ = ("_call",)

    def __init__(self, call: HookCall) -> None:
        self._call = call

    @property
    def plugin_name(self) -> str:
        return self._call.plugin

    @property
    def hook(self) -> str:
        """The hook running (``transform``, ``build_start``, ...)."""
        return self._call.hook

    def resolve(self, source: str, importer: str | os.PathLike[str] | None = None, *,
                skip_self: bool = True) -> str | None:
        """What ``source`` imported from ``importer`` resolves to: the other plugins'
        ``resolve_id`` first (this one's too with ``skip_self=False``), then prebundle's
        resolver (a relative or absolute import to its file, a bare one to its package's
        entry). An id (normalized path, or a ``\\0`` virtual id), or None when nothing resolves it."""
        call = self._call
        skip = call.skip | {call.plugin} if skip_self else call.skip
        found = call.container.resolve_id(source, importer and normalize_path(importer), {}, skip=skip)
        if found is not None:
            return found
        return _default_resolve(call.container, source, importer)

    def warn(self, message: str) -> None:
        """Log a warning naming the plugin (and the file the hook works on)."""
        log.warning("warning: %s", self._prefixed(message))

    def error(self, message: str) -> NoReturn:
        """Stop with a one-line error naming the plugin (and the file the hook works on)."""
        raise PluginError(self._prefixed(message))

    def add_watch_file(self, path: str | os.PathLike[str]) -> None:
        """Ask the daemon to watch ``path`` (a file): when it changes, the daemon rescans and
        re-optimizes, so the hooks run again. Outside the daemon it is only recorded."""
        root = self._call.container.root
        target = Path(path)
        if not target.is_absolute() and root is not None:
            target = root / target
        self._call.container.add_watch_file(normalize_path(os.path.abspath(target)))

    def get_watch_files(self) -> tuple[str, ...]:
        """Every file the plugins asked to watch so far."""
        return tuple(sorted(self._call.container.watch_files))

    def emit_file(self, file: Mapping[str, Any]) -> str:
        """Write an asset (``{"type": "asset", "name" or "file_name", "source"}``) into
        ``<cache_dir>/assets/`` now; returns its reference id (see ``get_file_name``)."""
        assets = self._call.container.assets
        if assets is None:
            self.error("emit_file needs a config with a cache_dir")
        try:
            return assets.emit(file)
        except ValueError as error:
            self.error(str(error))

    def get_file_name(self, reference_id: str) -> str:
        """The file name (inside ``<cache_dir>/assets/``) of an asset ``emit_file`` wrote."""
        assets = self._call.container.assets
        try:
            if assets is None:
                raise ValueError("no file was emitted")
            return assets.file_name(reference_id)
        except ValueError as error:
            self.error(str(error))

    def get_module_info(self, module_id: str) -> ModuleInfo | None:
        """What the last scan knows about a file of the app or a bare import; None for a
        module it did not see, or before the first scan of this process."""
        graph = self._call.container.module_graph
        return None if graph is None else graph.get(module_id)

    def _prefixed(self, message: str) -> str:
        call = self._call
        where = call.container.shown(call.id) if call.id else ""
        place = f" (hook {call.hook} on {where})" if where else f" (hook {call.hook})"
        return f"[plugin {call.plugin}] {' '.join(str(message).split())}{place}"


def _default_resolve(container: PluginContainer, source: str,
                     importer: str | os.PathLike[str] | None) -> str | None:
    """prebundle's own resolution, after no plugin answered."""
    config = container.config
    if config is None or source.startswith("\0"):
        return None
    resolver = Resolver.for_config(config)  # a fresh one: it sees the files as they are now
    base = Path(importer) if importer else config.root
    if is_bare(source):
        try:
            entry = resolver.resolve(source, base).entry
        except ResolveError:
            return None
        return None if entry is None else normalize_path(entry)
    found = resolver.resolve_file(source, base)
    return None if found is None else normalize_path(found)
