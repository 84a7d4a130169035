"""One run of the daemon, in uvicorn's shape: ``serve`` is ``startup``, ``main_loop``, ``shutdown``.

``startup`` takes the pid file's place, binds the port, loads what is served and starts the
optimizer and the watcher; ``main_loop`` serves HTTP until a signal (and, once it serves, prints
the app's URL and the dashboard's, and opens the app with ``--open``); ``shutdown`` undoes
whatever ``startup`` got to, in reverse, so a failed start leaves no pid file and no worker behind.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import webbrowser
from typing import TYPE_CHECKING

from .app import create_app
from .pidfile import PidFile
from .security import exposure_warning
from .server import Server, bind_socket, capture_signals, restore_signals
from .state import DaemonState
from .watch import WatchPlan, watch_changes

if TYPE_CHECKING:
    import socket

    from ..config import Config
    from .pidfile import DaemonInfo

__all__ = ["Daemon"]

log = logging.getLogger("prebundle.daemon")


class Daemon:
    """The pid file, the socket, the ``DaemonState``, the HTTP server and the watcher of one
    ``config``, started and stopped together."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.pidfile = PidFile(config.cache_dir, config.root)
        self.info: DaemonInfo | None = None
        """What the pid file says: the URL, once ``startup`` bound the port."""
        self.stop = asyncio.Event()
        """Set on a signal: nothing new starts, the watcher ends."""
        self.state: DaemonState | None = None
        self.server: Server | None = None
        self.socket: socket.socket | None = None
        self.tasks: list[asyncio.Task] = []
        self._previous_signals: dict = {}
        self.failure: BaseException | None = None
        """What stopped the daemon other than a signal, for the plugins' ``build_end``."""

    async def serve(self) -> None:
        """Run until SIGINT/SIGTERM. Raises ``DaemonRunning`` when another live daemon holds the
        cache dir (before anything started), ``PrebundleError`` when the port cannot be bound."""
        config = self.config
        self.info = self.pidfile.acquire(config.server.host, config.server.port, mode=config.mode)
        try:
            await self.startup()
            await self.main_loop()
        except BaseException as error:
            self.failure = error
            raise
        finally:
            await self.shutdown()

    async def startup(self) -> None:
        """Bind, write the port to the pid file, load the served state, start the runs and the watcher."""
        config = self.config
        loop = asyncio.get_running_loop()
        self.socket = bind_socket(config.server.host, config.server.port)
        self.pidfile.update(port=self.socket.getsockname()[1])
        self.info = self.pidfile.info
        self.state = DaemonState(config)
        self.state.control_token = self.pidfile.token
        self.server = Server(create_app(self.state), on_exit=lambda: loop.call_soon_threadsafe(self._exit_soon))
        self._previous_signals = capture_signals(self.server)
        self.tasks = [asyncio.create_task(self.state.run_forever()), asyncio.create_task(self._watch()),
                      asyncio.create_task(self._announce())]
        log.info("prebundle daemon at %s/ (root %s, pid %d)", self.info.url, config.root, self.info.pid)
        warning = exposure_warning(config.server.host, config.root)
        if warning:
            log.warning(warning)
        threading.Thread(target=self.state.app_code.cache.prune, name="prebundle-prune", daemon=True).start()

    async def main_loop(self) -> None:
        """Serve HTTP until a signal (unless one came during ``startup``)."""
        assert self.server is not None and self.socket is not None
        if not self.stop.is_set():
            await self.server.serve(sockets=[self.socket])

    async def shutdown(self) -> None:
        """End the event streams and the watcher, stop esbuild and the worker, release the pid file."""
        restore_signals(self._previous_signals)
        self._previous_signals = {}
        self.stop.set()
        if self.state is not None:
            self.state.stopping()
        for task in self.tasks:
            task.cancel()
        if self.state is not None:
            await asyncio.to_thread(self.state.close, self.failure)
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.pidfile.release()
        log.info("prebundle daemon stopped")

    def _exit_soon(self) -> None:
        """On the event loop, after a signal: stop, and end the open event streams so uvicorn's
        graceful shutdown does not wait for them."""
        self.stop.set()
        if self.state is not None:
            self.state.broadcaster.close()

    async def _announce(self) -> None:
        """Once the server accepts requests: print where the app and the dashboard are, and
        open the app with ``--open``."""
        assert self.server is not None and self.info is not None
        while not self.server.started:
            if self.stop.is_set():
                return
            await asyncio.sleep(0.02)
        url = self.info.url
        log.info("  app:        %s/", url)
        log.info("  dashboard:  %s/@prebundle/", url)
        if self.config.open_browser:
            threading.Thread(target=webbrowser.open, args=(url + "/",), daemon=True).start()

    async def _watch(self) -> None:
        state = self.state
        assert state is not None
        async for changes in watch_changes(lambda: WatchPlan.for_config(state.config, state.linked), self.stop,
                                           state.plan_changed):
            log.debug("changed: %s", changes.describe(self.config.root))
            state.notify(changes)
