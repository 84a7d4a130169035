"""``prebundle daemon``: optimize, watch, re-optimize, serve, and tell browsers to reload.

``serve(config)`` runs the daemon in the current thread until SIGINT/SIGTERM. It composes small
parts: ``daemon`` (one run: startup, main loop, shutdown), ``pidfile`` (one daemon per cache dir;
how other tools find it), ``state`` (the orchestrator), ``watch`` (what changed and what it
means), ``events`` (SSE), ``server`` (uvicorn on the bound socket), ``app`` (the HTTP routes) and
``prebundle.static`` (file serving).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pidfile import PIDFILE, DaemonInfo, DaemonRunning, read_daemon

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["PIDFILE", "DaemonInfo", "DaemonRunning", "read_daemon", "serve"]


def serve(config: Config) -> None:
    """Run the daemon for ``config`` (host and port from ``config.server``, ``--open`` from
    ``config.open_browser``) until a signal.

    Raises ``DaemonRunning`` when another live daemon holds the cache dir, ``PrebundleError`` when
    the port cannot be bound.
    """
    import asyncio  # only when serving: a run that reads the pid file never loads it

    from .daemon import Daemon  # uvicorn and Starlette load only when serving

    asyncio.run(Daemon(config).serve())
