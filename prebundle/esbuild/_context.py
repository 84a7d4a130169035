"""One-shot builds and incremental build contexts on a ``Connection``.

A context's result arrives in an ``on-end`` request *before* the ``rebuild`` response; when the
response comes without one (the rebuild was merged into another), the rebuild is sent again.
Concurrent ``rebuild()`` calls share one result, as in the JS client.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ._errors import BuildFailure, ServiceStopped
from ._options import build_request
from ._plugins import BuildSession
from ._transport import Connection
from ._types import BuildResult, ServeResult, build_result_from_wire

if TYPE_CHECKING:
    import asyncio

__all__ = ["BuildContext", "run_build", "create_context"]


def _prepare(conn: Connection, options: Mapping, *, context: bool, log_level: str, tty: bool,
             cwd: str | None, loop: asyncio.AbstractEventLoop | None) -> tuple[dict, BuildSession | None]:
    """The request and (if there are plugins, or for a context) the session that serves it."""
    request = build_request(options, log_level=log_level, tty=tty, cwd=cwd)
    plugins = options.get("plugins") or []
    if not isinstance(plugins, (list, tuple)):
        raise TypeError("option 'plugins' must be a list of Plugin")
    key = conn.new_key()
    request.update(key=key, context=context)
    session = None
    if plugins or context:
        session = BuildSession(conn, key, list(plugins), options, loop)
        if plugins:
            request["plugins"] = session.wire_plugins()
    return request, session


def run_build(conn: Connection, options: Mapping, *, log_level: str = "warning",
              tty: bool = False, cwd: str | None = None,
              loop: asyncio.AbstractEventLoop | None = None) -> BuildResult:
    """A one-shot build. ``on_end`` callbacks run here, after the response (no ``on-end``)."""
    request, session = _prepare(conn, options, context=False, log_level=log_level, tty=tty,
                                cwd=cwd, loop=loop)
    key = request["key"]
    if session is not None:
        conn.handlers[key] = session
    try:
        response = conn.call(request)
    finally:
        conn.handlers.pop(key, None)
    result = build_result_from_wire(response, session.load if session else None)
    if session is not None:
        original = result.errors
        _, _, result = session.run_on_end(result)
        session.run_on_dispose()
        if original or result.errors:
            raise BuildFailure(result.errors, result.warnings)
    elif result.errors:
        raise BuildFailure(result.errors, result.warnings)
    return result


def create_context(conn: Connection, options: Mapping, *, log_level: str = "warning",
                   tty: bool = False, cwd: str | None = None,
                   loop: asyncio.AbstractEventLoop | None = None) -> BuildContext:
    request, session = _prepare(conn, options, context=True, log_level=log_level, tty=tty,
                                cwd=cwd, loop=loop)
    assert session is not None
    key = request["key"]
    conn.handlers[key] = session
    try:
        response = conn.call(request)
    except BaseException:
        conn.handlers.pop(key, None)
        raise
    result = build_result_from_wire(response, session.load)
    if result.errors:
        conn.handlers.pop(key, None)
        raise BuildFailure(result.errors, result.warnings)
    ctx = BuildContext(conn, session)
    conn.contexts[key] = ctx
    return ctx


class BuildContext:
    """An incremental build: ``rebuild()`` reuses esbuild's caches; ``dispose()`` frees them."""

    def __init__(self, conn: Connection, session: BuildSession) -> None:
        self._conn = conn
        self._session = session
        self.key = session.key
        self._lock = threading.Lock()
        self._inflight: Future | None = None
        self._latest: BuildResult | None = None
        self._disposed = False
        session.end_hook = self._on_end

    def _on_end(self, result: BuildResult) -> None:
        self._latest = result

    def _check(self) -> None:
        if self._disposed:
            raise RuntimeError("this build context was disposed")

    def rebuild(self) -> BuildResult:
        """Build again; raises ``BuildFailure`` on errors. Overlapping calls share one build."""
        self._check()
        with self._lock:
            future, start = self._inflight, False
            if future is None:
                future = self._inflight = Future()
                start = True
        if start:
            try:
                future.set_result(self._rebuild_once())
            except BaseException as exc:  # noqa: BLE001 - delivered to every waiter
                future.set_exception(exc)
            finally:
                with self._lock:
                    self._inflight = None
        return future.result()

    def _rebuild_once(self) -> BuildResult:
        while True:
            self._latest = None
            self._conn.call({"command": "rebuild", "key": self.key})
            result = self._latest
            if result is not None:
                break
        if result.errors:
            raise BuildFailure(result.errors, result.warnings)
        return result

    async def rebuild_async(self) -> BuildResult:
        """``rebuild()`` without blocking the event loop."""
        import asyncio  # only async callers come here; a sync build never loads asyncio

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.rebuild)

    def watch(self, delay: int = 0) -> None:
        """Let esbuild rebuild on file changes (results reach ``on_end`` callbacks)."""
        self._check()
        request: dict[str, Any] = {"command": "watch", "key": self.key}
        if delay:
            request["delay"] = int(delay)
        self._conn.call(request)

    def serve(self, *, host: str | None = None, port: int | None = None,
              servedir: str | None = None, keyfile: str | None = None,
              certfile: str | None = None, fallback: str | None = None,
              cors_origin: list[str] | None = None,
              on_request: Callable[[dict], Any] | None = None) -> ServeResult:
        """Start esbuild's dev server for this context."""
        self._check()
        request: dict[str, Any] = {"command": "serve", "key": self.key,
                                   "onRequest": on_request is not None}
        for name, value in (("host", host), ("port", port), ("servedir", servedir),
                            ("keyfile", keyfile), ("certfile", certfile),
                            ("fallback", fallback)):
            if value is not None:
                request[name] = value
        if cors_origin is not None:
            request["corsOrigin"] = list(cors_origin)
        self._session.request_hook = on_request
        response = self._conn.call(request)
        return ServeResult(port=response.get("port") or 0, hosts=tuple(response.get("hosts") or ()))

    def cancel(self) -> None:
        """Stop the current build; returns once it has ended (it fails with "canceled")."""
        if not self._disposed:
            self._conn.call({"command": "cancel", "key": self.key})

    def dispose(self, timeout: float | None = 30.0) -> None:
        """Free the context in the service and run ``on_dispose`` callbacks. Idempotent."""
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
        try:
            self._conn.call({"command": "dispose", "key": self.key}, timeout=timeout)
        except (ServiceStopped, TimeoutError):
            pass
        finally:
            self._conn.handlers.pop(self.key, None)
            self._conn.contexts.pop(self.key, None)
            self._session.run_on_dispose()

    def __enter__(self) -> BuildContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.dispose()
