"""Python plugins: registration, and serving the service's callback requests for one build.

A ``BuildSession`` is the handler for one build key. Every answer it gives is normalised
(contents as bytes, messages with all their fields, optional fields left out) because one
malformed answer can crash the shared service process; an exception in a user callback
becomes a located build error naming the plugin, never a crash.
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import os
import threading
import traceback
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ._errors import BuildFailure
from ._options import go_regexp
from ._types import (
    BuildResult, Message, build_result_from_wire, message_from_wire, messages_to_wire,
)

if TYPE_CHECKING:  # pragma: no cover
    import asyncio

    from ._transport import Connection

__all__ = [
    "Plugin", "PluginBuild", "BuildSession", "OnResolveArgs", "OnResolveResult", "OnLoadArgs",
    "OnLoadResult", "OnStartResult", "OnEndResult", "ResolveResult",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Plugin:
    """A named plugin; ``setup(build)`` registers its callbacks on a ``PluginBuild``."""

    name: str
    setup: Callable[[PluginBuild], Any]


@dataclass(frozen=True)
class OnResolveArgs:
    path: str
    importer: str
    namespace: str
    resolve_dir: str
    kind: str
    plugin_data: Any = None
    with_: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OnResolveResult:
    path: str | None = None
    namespace: str | None = None
    external: bool | None = None
    side_effects: bool | None = None
    suffix: str | None = None
    plugin_data: Any = None
    errors: Any = None
    warnings: Any = None
    watch_files: Any = None
    watch_dirs: Any = None
    plugin_name: str | None = None


@dataclass(frozen=True)
class OnLoadArgs:
    path: str
    namespace: str
    suffix: str
    plugin_data: Any = None
    with_: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OnLoadResult:
    contents: str | bytes | None = None
    loader: str | None = None
    resolve_dir: str | None = None
    plugin_data: Any = None
    errors: Any = None
    warnings: Any = None
    watch_files: Any = None
    watch_dirs: Any = None
    plugin_name: str | None = None


@dataclass(frozen=True)
class OnStartResult:
    errors: Any = None
    warnings: Any = None


OnEndResult = OnStartResult


@dataclass(frozen=True)
class ResolveResult:
    """What ``build.resolve()`` returns."""

    path: str
    namespace: str
    external: bool
    side_effects: bool
    suffix: str
    plugin_data: Any
    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]


_WIRE_NAMES = {"side_effects": "sideEffects", "resolve_dir": "resolveDir",
               "watch_files": "watchFiles", "watch_dirs": "watchDirs", "plugin_name": "pluginName"}
_STR_FIELDS = {"path", "namespace", "suffix", "loader", "resolve_dir", "plugin_name"}
_BOOL_FIELDS = {"external", "side_effects"}


class PluginBuild:
    """What ``Plugin.setup`` receives: callback registration and ``resolve()``."""

    def __init__(self, session: BuildSession, name: str, initial_options: Mapping) -> None:
        self._session = session
        self.name = name
        self.initial_options = MappingProxyType(dict(initial_options))

    def _register(self, kind: str, args: tuple, filter: Any, namespace: str | None):
        options: Mapping = {}
        if args and isinstance(args[0], Mapping):
            options, args = args[0], args[1:]
        filter = options.get("filter", filter)
        namespace = options.get("namespace", namespace)
        if filter is None:
            raise TypeError(f"on_{kind}() in plugin {self.name!r} needs a filter")
        source = go_regexp(filter, f"on_{kind} filter in plugin {self.name!r}")
        if namespace is not None and not isinstance(namespace, str):
            raise TypeError(f"on_{kind}() namespace must be a str")

        def add(callback: Callable) -> Callable:
            self._session.add_filtered(kind, self.name, source, namespace or "", callback)
            return callback

        return add(args[0]) if args else add

    def on_resolve(self, *args: Any, filter: Any = None, namespace: str | None = None):
        """``@build.on_resolve(filter=r"^virtual:")`` or ``build.on_resolve(fn, filter=...)``."""
        return self._register("resolve", args, filter, namespace)

    def on_load(self, *args: Any, filter: Any = None, namespace: str | None = None):
        """``@build.on_load(filter=r".*", namespace="virtual")`` or the callable form."""
        return self._register("load", args, filter, namespace)

    def on_start(self, callback: Callable) -> Callable:
        self._session.on_start.append((self.name, callback))
        return callback

    def on_end(self, callback: Callable) -> Callable:
        self._session.on_end.append((self.name, callback))
        return callback

    def on_dispose(self, callback: Callable) -> Callable:
        self._session.on_dispose.append((self.name, callback))
        return callback

    def resolve(self, path: str, *, kind: str = "import-statement", importer: str | None = None,
                resolve_dir: str | None = None, namespace: str | None = None,
                plugin_data: Any = None, with_: Mapping[str, str] | None = None) -> ResolveResult:
        """Ask esbuild to resolve ``path`` as it would an import (runs other plugins too)."""
        return self._session.resolve(self.name, path, kind=kind, importer=importer,
                                     resolve_dir=resolve_dir, namespace=namespace,
                                     plugin_data=plugin_data, with_=with_)


class BuildSession:
    """The request handler of one build key, and the plugin-data stash of that build."""

    def __init__(self, conn: Connection, key: int, plugins: list, initial_options: Mapping,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.conn = conn
        self.key = key
        self.loop = loop
        self.on_start: list[tuple[str, Callable]] = []
        self.on_end: list[tuple[str, Callable]] = []
        self.on_dispose: list[tuple[str, Callable]] = []
        self._filtered: dict[int, tuple[str, Callable]] = {}
        self._wire: dict[str, dict] = {}
        self._ids = itertools.count()
        self._stash: dict[int, Any] = {}
        self._stash_ids = itertools.count()
        self._stash_lock = threading.Lock()
        self.setup_done = False
        self.end_hook: Callable[[BuildResult], None] | None = None
        self.request_hook: Callable[[dict], Any] | None = None
        for plugin in plugins:
            self._setup(plugin, initial_options)
        self.setup_done = True

    # --- setup ------------------------------------------------------------------------------

    def _setup(self, plugin: Any, initial_options: Mapping) -> None:
        if not isinstance(plugin, Plugin):
            raise TypeError(f"plugins must be Plugin objects, got {type(plugin).__name__}")
        if not isinstance(plugin.name, str) or not plugin.name:
            raise ValueError("a plugin needs a non-empty name")
        self._wire[plugin.name] = {"name": plugin.name, "onStart": False, "onEnd": False,
                                   "onResolve": [], "onLoad": []}
        try:
            self.call_user(plugin.setup, PluginBuild(self, plugin.name, initial_options))
        except (TypeError, ValueError):
            raise  # misuse of the API (a bad filter, say): a plain Python error
        except Exception as exc:  # noqa: BLE001 - a failing setup is a build error, as in JS
            message = message_from_wire(_exception_message(exc, plugin.name, lambda _: -1))
            raise BuildFailure([message]) from exc

    def add_filtered(self, kind: str, name: str, source: str, namespace: str, fn: Callable) -> None:
        if not callable(fn):
            raise TypeError(f"on_{kind}() in plugin {name!r} needs a callable")
        callback_id = next(self._ids)
        self._filtered[callback_id] = (name, fn)
        entry = {"id": callback_id, "filter": source, "namespace": namespace}
        self._wire[name]["onResolve" if kind == "resolve" else "onLoad"].append(entry)

    def wire_plugins(self) -> list[dict]:
        """The ``plugins`` field of the build request."""
        for name, _ in self.on_start:
            self._wire[name]["onStart"] = True
        for name, _ in self.on_end:
            self._wire[name]["onEnd"] = True
        return list(self._wire.values())

    # --- helpers ----------------------------------------------------------------------------

    def store(self, value: Any) -> int:
        with self._stash_lock:
            stash_id = next(self._stash_ids) & 0x7FFFFFFF
            self._stash[stash_id] = value
            return stash_id

    def load(self, stash_id: Any) -> Any:
        if not isinstance(stash_id, int) or isinstance(stash_id, bool) or stash_id < 0:
            return None
        return self._stash.get(stash_id)

    def call_user(self, fn: Callable, *args: Any) -> Any:
        """Call user code; await coroutines on the build's loop, or in a fresh one."""
        result = fn(*args)
        if inspect.isawaitable(result):
            import asyncio  # only for async callbacks: a build without them never loads asyncio

            loop = self.loop
            if loop is not None and loop.is_running() and not _in_loop_thread(loop):
                return asyncio.run_coroutine_threadsafe(_awaited(result), loop).result()
            return asyncio.run(_awaited(result))
        return result

    def error_from(self, exc: BaseException, plugin_name: str) -> dict:
        return _exception_message(exc, plugin_name, self.store)

    # --- requests from the service ----------------------------------------------------------

    def handle(self, command: str, request: dict) -> dict:
        if command == "on-resolve":
            return self._run_filtered(request, _resolve_args(request, self), _resolve_response)
        if command == "on-load":
            return self._run_filtered(request, _load_args(request, self), _load_response)
        if command == "on-start":
            with self._stash_lock:
                self._stash.clear()
            errors, warnings = self._run_hooks(self.on_start, ())
            return {"errors": errors, "warnings": warnings}
        if command == "on-end":
            result = build_result_from_wire(request, self.load)
            errors, warnings, result = self.run_on_end(result)
            if self.end_hook is not None:
                self.end_hook(result)
            return {"errors": errors, "warnings": warnings}
        if command == "serve-request" and self.request_hook is not None:
            self.call_user(self.request_hook, dict(request.get("args") or {}))
        return {}

    def _run_filtered(self, request: dict, args: Any, to_wire: Callable) -> dict:
        for callback_id in request.get("ids") or ():
            name, fn = self._filtered.get(callback_id, ("", None))
            if fn is None:
                continue
            try:
                result = self.call_user(fn, args)
                if result is None:
                    continue
                return to_wire(callback_id, name, result, self)
            except Exception as exc:  # noqa: BLE001 - becomes a build error, as in JS
                return {"id": callback_id, "errors": [self.error_from(exc, name)]}
        return {}

    def _run_hooks(self, hooks: list, args: tuple) -> tuple[list, list]:
        errors: list[dict] = []
        warnings: list[dict] = []
        for name, fn in hooks:
            try:
                value = self.call_user(fn, *args)
                if value is None:
                    continue
                value = _as_fields(value, OnStartResult, name)
                errors += messages_to_wire(value.errors, name, self.store)
                warnings += messages_to_wire(value.warnings, name, self.store)
            except Exception as exc:  # noqa: BLE001
                errors.append(self.error_from(exc, name))
        return errors, warnings

    def run_on_end(self, result: BuildResult) -> tuple[list, list, BuildResult]:
        """Run on_end callbacks; returns the extra wire messages and the merged result."""
        if not self.on_end:
            return [], [], result
        errors, warnings = self._run_hooks(self.on_end, (result,))
        extra = lambda msgs: tuple(message_from_wire(m, self.load) for m in msgs)  # noqa: E731
        merged = BuildResult(result.errors + extra(errors), result.warnings + extra(warnings),
                             result.output_files, result.metafile, result.mangle_cache)
        return errors, warnings, merged

    def run_on_dispose(self) -> None:
        for _, fn in self.on_dispose:
            try:
                self.call_user(fn)
            except Exception:  # noqa: BLE001 - JS ignores these too
                traceback.print_exc()

    def resolve(self, plugin_name: str, path: str, *, kind: str, importer: str | None,
                resolve_dir: str | None, namespace: str | None, plugin_data: Any,
                with_: Mapping | None) -> ResolveResult:
        if not self.setup_done:
            raise RuntimeError('Cannot call "resolve" before plugin setup has completed')
        request: dict[str, Any] = {"command": "resolve", "key": self.key, "path": _s(path, "path"),
                                   "pluginName": plugin_name, "kind": _s(kind, "kind")}
        for wire, value in (("importer", importer), ("resolveDir", resolve_dir),
                            ("namespace", namespace)):
            if value is not None:
                request[wire] = _s(os.fspath(value), wire)
        if plugin_data is not None:
            request["pluginData"] = self.store(plugin_data)
        if with_ is not None:
            request["with"] = {_s(k, "with key"): _s(v, "with value") for k, v in with_.items()}
        raw = self.conn.call(request)
        return ResolveResult(
            path=raw.get("path") or "", namespace=raw.get("namespace") or "",
            external=bool(raw.get("external")), side_effects=bool(raw.get("sideEffects")),
            suffix=raw.get("suffix") or "", plugin_data=self.load(raw.get("pluginData")),
            errors=tuple(message_from_wire(m, self.load) for m in raw.get("errors") or ()),
            warnings=tuple(message_from_wire(m, self.load) for m in raw.get("warnings") or ()),
        )


# --- normalisation ------------------------------------------------------------------------


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    import asyncio  # a loop was given: asyncio is loaded already

    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _s(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return value


def _resolve_args(request: dict, session: BuildSession) -> OnResolveArgs:
    return OnResolveArgs(
        path=request.get("path") or "", importer=request.get("importer") or "",
        namespace=request.get("namespace") or "", resolve_dir=request.get("resolveDir") or "",
        kind=request.get("kind") or "", plugin_data=session.load(request.get("pluginData")),
        with_=dict(request.get("with") or {}),
    )


def _load_args(request: dict, session: BuildSession) -> OnLoadArgs:
    return OnLoadArgs(
        path=request.get("path") or "", namespace=request.get("namespace") or "",
        suffix=request.get("suffix") or "", plugin_data=session.load(request.get("pluginData")),
        with_=dict(request.get("with") or {}),
    )


def _as_fields(value: Any, cls: type, plugin_name: str) -> Any:
    """A result dataclass from the dataclass itself or a dict (snake_case or camelCase keys)."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"plugin {plugin_name!r} returned {type(value).__name__}, "
                        f"expected {cls.__name__}, a dict or None")
    names = {f.name for f in fields(cls)}
    camel = {wire: name for name, wire in _WIRE_NAMES.items()}
    kwargs = {}
    for key, item in value.items():
        name = camel.get(key, key)
        if name not in names:
            raise TypeError(f"plugin {plugin_name!r} returned an unknown field {key!r}")
        kwargs[name] = item
    return cls(**kwargs)


def _common_response(callback_id: int, name: str, value: Any, session: BuildSession) -> dict:
    response: dict[str, Any] = {"id": callback_id}
    for attr in ("path", "namespace", "suffix", "loader", "resolve_dir", "plugin_name",
                 "external", "side_effects"):
        item = getattr(value, attr, None)
        if item is None:
            continue
        if attr in _BOOL_FIELDS and not isinstance(item, bool):
            raise TypeError(f"{attr} must be a bool, got {type(item).__name__}")
        if attr in _STR_FIELDS:
            item = _s(os.fspath(item) if isinstance(item, os.PathLike) else item, attr)
        response[_WIRE_NAMES.get(attr, attr)] = item
    if value.plugin_data is not None:
        response["pluginData"] = session.store(value.plugin_data)
    for attr in ("errors", "warnings"):
        if getattr(value, attr) is not None:
            response[attr] = messages_to_wire(getattr(value, attr), name, session.store)
    for attr in ("watch_files", "watch_dirs"):
        items = getattr(value, attr)
        if items is not None:
            if isinstance(items, (str, bytes)):
                raise TypeError(f"{attr} must be a list of str")
            response[_WIRE_NAMES[attr]] = [_s(os.fspath(i), attr) for i in items]
    return response


def _resolve_response(callback_id: int, name: str, result: Any, session: BuildSession) -> dict:
    return _common_response(callback_id, name, _as_fields(result, OnResolveResult, name), session)


def _load_response(callback_id: int, name: str, result: Any, session: BuildSession) -> dict:
    value = _as_fields(result, OnLoadResult, name)
    response = _common_response(callback_id, name, value, session)
    contents = value.contents
    if contents is not None:
        if isinstance(contents, str):
            contents = contents.encode("utf-8", "surrogateescape")
        elif isinstance(contents, (bytearray, memoryview)):
            contents = bytes(contents)
        elif not isinstance(contents, bytes):
            raise TypeError(f"contents must be str or bytes, got {type(contents).__name__}")
        response["contents"] = contents  # always bytes: a str here crashes the service
    return response


def _exception_message(exc: BaseException, plugin_name: str, store: Callable) -> dict:
    """A wire message for an exception, located at the innermost frame outside this package."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR + os.sep)]
    location = None
    if frames:
        frame = frames[-1]
        line_text = linecache.getline(frame.filename, frame.lineno or 0).rstrip("\r\n")
        column = frame.colno or 0
        length = 0
        if frame.end_colno is not None and frame.end_lineno == frame.lineno:
            length = max(frame.end_colno - column, 0)
        location = {"file": frame.filename, "namespace": "file", "line": frame.lineno or 0,
                    "column": column, "length": length, "lineText": line_text, "suggestion": ""}
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return {"id": "", "pluginName": plugin_name, "text": text, "location": location,
            "notes": [], "detail": store(exc)}
