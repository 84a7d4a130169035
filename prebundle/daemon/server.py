"""The daemon's HTTP server: uvicorn on a socket bound before the app exists, with the daemon's exit.

The socket is bound first so that a taken port fails before any work, and so that port 0 gives
the real port for the pid file before the first request can arrive.
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import TYPE_CHECKING

import uvicorn

from ..errors import PrebundleError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from starlette.applications import Starlette

__all__ = ["Server", "bind_socket", "capture_signals", "restore_signals"]

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening, non-blocking TCP socket on ``host:port``; ``PrebundleError`` when it is taken."""
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


class Server(uvicorn.Server):
    """uvicorn's ``Server`` with the daemon's exit: ``on_exit`` is told, and no signal is
    re-raised after a clean stop (the daemon exits 0 on SIGINT/SIGTERM)."""

    def __init__(self, app: Starlette, *, on_exit: Callable[[], None]) -> None:
        super().__init__(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                        timeout_graceful_shutdown=1, timeout_keep_alive=2))
        self.on_exit = on_exit
        """Called on the signal (from the signal handler: it must only schedule work)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:  # noqa: ARG002 - signal handler signature
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True
        self.on_exit()


def capture_signals(server: Server) -> dict:
    """Send SIGINT/SIGTERM to ``server.handle_exit`` for the time before and after uvicorn's own
    handlers (which call the same method); returns the handlers to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, server.handle_exit) for sig in HANDLED_SIGNALS}


def restore_signals(previous: dict) -> None:
    """Put back the handlers ``capture_signals`` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)
