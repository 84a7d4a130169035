"""``Service``: the public handle on one esbuild binary, started lazily, restarted if it dies.

Thread-safe: calls may come from any thread. Every ``Service`` is closed at interpreter exit
(live contexts disposed first, or the Go runtime aborts with a deadlock), and a forked child
forgets the parent's process instead of sharing its pipes.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ._binary import binary_version, remember_version
from ._context import BuildContext, create_context, run_build
from ._errors import TransformFailure
from ._locate import find_esbuild
from ._options import transform_request
from ._transport import Connection
from ._types import (
    BuildResult, Message, TransformResult, message_from_wire, message_to_wire,
)

if TYPE_CHECKING:
    import asyncio

__all__ = ["Service", "SUPPORTED_VERSIONS"]

SUPPORTED_VERSIONS = ("0.28.",)
"""esbuild versions this client was tested with; others get a warning (the protocol is internal)."""

_instances: weakref.WeakSet[Service] = weakref.WeakSet()


class Service:
    """A client of one esbuild binary; the service process starts on first use.

    ``binary=None`` finds one from ``cwd`` (see ``find_esbuild``). ``version``: the binary's
    version when the caller knows it, which saves asking the binary. ``stderr``: ``None`` passes
    the service's log through to ``sys.stderr``, ``False`` only keeps its tail for error
    messages, or a file object to receive it. ``log_level`` replaces the default levels (``warning`` for
    builds, ``silent`` for transforms) when a call gives none. ``env``: variables added to the
    service process's environment (Go's ``GOGC``, say); read when the process starts.
    """

    def __init__(self, binary: str | os.PathLike | None = None, *, cwd: str | os.PathLike | None = None,
                 version: str | None = None, max_callback_workers: int = 64, stderr: Any = None,
                 log_level: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self._binary = os.fspath(binary) if binary is not None else None
        if self._binary is not None and version is not None:
            remember_version(self._binary, version)
        self._version_checked = version is not None
        """The locator knew the version and warned about it already, if it had to."""
        self.cwd = os.path.abspath(cwd) if cwd is not None else None
        self.max_callback_workers = max_callback_workers
        self.stderr = stderr
        self.log_level = log_level
        self.env = dict(env) if env else None
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._api_pool: ThreadPoolExecutor | None = None
        _instances.add(self)

    # --- process ----------------------------------------------------------------------------

    @property
    def binary(self) -> str:
        if self._binary is None:
            found = find_esbuild(self.cwd)
            remember_version(found.path, found.version)
            self._binary = str(found.path)
            self._version_checked = True
        return self._binary

    @property
    def version(self) -> str:
        """The binary's version; asked again if the file changes (an upgrade under a daemon)."""
        return binary_version(self.binary)

    def _connection(self) -> Connection:
        with self._lock:
            conn = self._conn
            if conn is not None and conn.alive:
                return conn
            version = self.version
            if not self._version_checked and not version.startswith(SUPPORTED_VERSIONS):
                warnings.warn(f"esbuild {version} is untested with prebundle.esbuild "
                              f"(tested: {', '.join(SUPPORTED_VERSIONS)}x)", stacklevel=3)
            self._conn = Connection(self.binary, version, cwd=self.cwd, stderr=self.stderr,
                                    max_callback_workers=self.max_callback_workers, env=self.env)
        if conn is not None:
            conn.close(timeout=0.5)  # the dead one: reap it and its threads
        return self._conn

    @property
    def pid(self) -> int | None:
        """The service process id, or None before the first call."""
        conn = self._conn
        return conn.pid if conn is not None and conn.alive else None

    def start(self) -> int:
        """Start the service process now, if it is not running; its pid. Raises what starting
        it raises (``OSError``, ``ServiceStopped``)."""
        return self._connection().pid

    def close(self, timeout: float = 2.0) -> None:
        """Dispose live contexts, close stdin, wait ``timeout`` seconds, then kill."""
        with self._lock:
            conn, self._conn = self._conn, None
            pool, self._api_pool = self._api_pool, None
        if conn is not None:
            conn.close(timeout)
        if pool is not None:
            pool.shutdown(wait=False)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        if self._conn is not None:
            self._conn.forget()
        self._conn = None
        self._api_pool = None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- calls ------------------------------------------------------------------------------

    def _defaults(self, kind: str) -> dict:
        tty = self.stderr is None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        level = self.log_level or ("warning" if kind == "build" else "silent")
        return {"log_level": level, "tty": bool(tty)}

    def build(self, **options: Any) -> BuildResult:
        """Build (esbuild's options, snake_case). Raises ``BuildFailure`` on errors."""
        return self._build(options, None)

    def _build(self, options: Mapping, loop: asyncio.AbstractEventLoop | None) -> BuildResult:
        return run_build(self._connection(), options, cwd=self.cwd, loop=loop,
                         **self._defaults("build"))

    def context(self, **options: Any) -> BuildContext:
        """An incremental build context; nothing is built until ``rebuild()``."""
        return self._context(options, None)

    def _context(self, options: Mapping, loop: asyncio.AbstractEventLoop | None) -> BuildContext:
        return create_context(self._connection(), options, cwd=self.cwd, loop=loop,
                              **self._defaults("build"))

    def transform(self, code: str | bytes, **options: Any) -> TransformResult:
        """Transform one file's source. Raises ``TransformFailure`` on errors."""
        return _transform_result(self._connection().call(self._transform_request(code, options)))

    def _transform_request(self, code: str | bytes, options: Mapping) -> dict:
        defaults = self._defaults("transform")
        return transform_request(code, options, log_level=defaults["log_level"], tty=defaults["tty"])

    def format_messages(self, messages: Iterable[Message | Mapping], *, kind: str = "error",
                        color: bool = False, terminal_width: int | None = None) -> list[str]:
        """Messages as esbuild prints them (with the source line and a caret)."""
        if kind not in ("error", "warning"):
            raise ValueError("kind must be 'error' or 'warning'")
        request: dict[str, Any] = {
            "command": "format-msgs", "messages": [message_to_wire(m) for m in messages],
            "isWarning": kind == "warning", "color": bool(color),
        }
        if terminal_width is not None:
            request["terminalWidth"] = int(terminal_width)
        return list(self._connection().call(request)["messages"])

    def analyze_metafile(self, metafile: str | Mapping, *, verbose: bool = False,
                         color: bool = False) -> str:
        """esbuild's size report for a metafile (a dict or its JSON text)."""
        text = metafile if isinstance(metafile, str) else json.dumps(metafile)
        request = {"command": "analyze-metafile", "metafile": text,
                   "verbose": bool(verbose), "color": bool(color)}
        return self._connection().call(request)["result"]

    # --- async ------------------------------------------------------------------------------

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._api_pool is None:
                self._api_pool = ThreadPoolExecutor(16, thread_name_prefix="esbuild-api")
            return self._api_pool

    async def build_async(self, **options: Any) -> BuildResult:
        """``build()`` for asyncio; ``async def`` plugin callbacks run on this loop."""
        import asyncio  # the caller runs an event loop: asyncio is loaded; sync callers never load it

        loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(self._pool().submit(self._build, options, loop))

    async def context_async(self, **options: Any) -> BuildContext:
        import asyncio  # the caller runs an event loop: asyncio is loaded; sync callers never load it

        loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(self._pool().submit(self._context, options, loop))

    async def transform_async(self, code: str | bytes, **options: Any) -> TransformResult:
        import asyncio  # the caller runs an event loop: asyncio is loaded; sync callers never load it

        request = self._transform_request(code, options)
        return _transform_result(await asyncio.wrap_future(self._connection().send(request)))


def _transform_result(raw: Mapping) -> TransformResult:
    errors = tuple(message_from_wire(m) for m in raw.get("errors") or ())
    warnings = tuple(message_from_wire(m) for m in raw.get("warnings") or ())
    if errors:
        raise TransformFailure(errors, warnings)
    return TransformResult(code=raw.get("code") or "", map=raw.get("map") or "",
                           warnings=warnings, legal_comments=raw.get("legalComments"),
                           mangle_cache=raw.get("mangleCache"))


def close_all() -> None:
    """Close every ``Service`` (registered with ``atexit``)."""
    for service in list(_instances):
        try:
            service.close()
        except Exception:  # noqa: BLE001 - keep closing the others
            pass


def _forget_all() -> None:
    for service in list(_instances):
        service._forget()


atexit.register(close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all)
