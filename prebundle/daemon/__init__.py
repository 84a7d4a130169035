"""``prebundle daemon``: optimize, watch, re-optimize, serve, and tell browsers to reload.

``serve(config)`` runs the daemon in the current thread until SIGINT/SIGTERM (or ``stop`` is set).
It composes small parts: ``pidfile`` (one daemon per cache dir; how other tools find it),
``state`` (the orchestrator), ``watch`` (what changed and what it means), ``events`` (SSE),
``app`` (the HTTP routes) and ``prebundle.static`` (file serving).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from typing import Any

from ..config import Config
from ..errors import PrebundleError
from .pidfile import PIDFILE, DaemonInfo, DaemonRunning, read_daemon

__all__ = ["PIDFILE", "DaemonInfo", "DaemonRunning", "read_daemon", "serve"]

log = logging.getLogger("prebundle.daemon")


def serve(config: Config, *, config_file: str | None = None, overrides: dict[str, Any] | None = None,
          open_browser: bool = False) -> None:
    """Run the daemon for ``config`` (host and port from ``config.server``) until a signal.

    Raises ``DaemonRunning`` when another live daemon holds the cache dir, ``PrebundleError`` when
    the port cannot be bound.
    """
    asyncio.run(_main(config, config_file=config_file, overrides=overrides or {}, open_browser=open_browser))


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they
    # are TCP. With it on, a response's headers and body leave as two writes and each kept-alive
    # response waits ~40 ms for the browser's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise PrebundleError(f"cannot listen on {host}:{port}: {error.strerror or error}; "
                             "pass another --port") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _main(config: Config, *, config_file: str | None, overrides: dict[str, Any], open_browser: bool) -> None:
    import uvicorn

    from .app import create_app
    from .pidfile import PidFile
    from .security import exposure_warning
    from .state import DaemonState
    from .watch import WatchPlan, watch_changes

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    pidfile = PidFile(config.cache_dir, config.root)
    info = pidfile.acquire(config.server.host, config.server.port, mode=config.mode)
    state: DaemonState | None = None
    tasks: list[asyncio.Task] = []
    try:
        sock = _bind(config.server.host, config.server.port)
        pidfile.update(port=sock.getsockname()[1])
        info = pidfile.info
        state = DaemonState(config, config_file=config_file, overrides=overrides)
        state.control_token = pidfile.token
        app = create_app(state)

        def exit_soon() -> None:
            stop.set()
            state.broadcaster.close()

        server = _Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                        timeout_graceful_shutdown=1, timeout_keep_alive=2),
                         on_exit=lambda: loop.call_soon_threadsafe(exit_soon))
        previous = _install_signals(server)

        async def watch() -> None:
            async for changes in watch_changes(lambda: WatchPlan.for_config(state.config, state.linked), stop):
                log.debug("changed: %s", changes.describe(config.root))
                state.notify(changes)

        tasks = [asyncio.create_task(state.run_forever()), asyncio.create_task(watch())]
        log.info("prebundle daemon at %s/ (root %s, pid %d)", info.url, config.root, info.pid)
        warning = exposure_warning(config.server.host, config.root)
        if warning:
            log.warning(warning)
        if open_browser:
            import webbrowser

            threading.Thread(target=webbrowser.open, args=(info.url + "/",), daemon=True).start()
        try:
            if not stop.is_set():
                await server.serve(sockets=[sock])
        finally:
            _restore_signals(previous)
    finally:
        stop.set()
        if state is not None:
            state.stopping()
        for task in tasks:
            task.cancel()
        if state is not None:
            await asyncio.to_thread(state.close)
        await asyncio.gather(*tasks, return_exceptions=True)
        pidfile.release()
        log.info("prebundle daemon stopped")


class _Server:
    """uvicorn's ``Server`` with the daemon's exit: no signal re-raised after a clean stop."""

    def __new__(cls, config, *, on_exit):
        import uvicorn

        class Server(uvicorn.Server):
            def handle_exit(self, sig, frame) -> None:  # noqa: ARG002 - signal handler signature
                if self.should_exit and sig == signal.SIGINT:
                    self.force_exit = True
                self.should_exit = True
                on_exit()

        return Server(config)


def _install_signals(server) -> dict:
    """Handlers for the time before and after uvicorn's own (which call the same method)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, server.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


