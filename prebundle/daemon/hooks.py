"""The daemon's side of the plugin API: ``configure_server``, ``transform_index_html`` and
``handle_hot_update``, with the ``server`` object plugins receive (its ``ws`` is the
``ClientChannel`` of ``messages.py``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..plugins.html import IndexHtmlContext
from .messages import ClientChannel

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .state import DaemonState

__all__ = ["HotUpdateContext", "IndexHtmlContext", "PluginServer", "filter_hot_updates"]


@dataclass
class PluginServer:
    """What ``configure_server(server)`` and hook contexts get."""

    app: Any
    """The Starlette app: add routes (``app.router.routes``) or ``app.add_middleware(...)``."""
    config: Any
    state: Any
    ws: ClientChannel = field(init=False)
    """Messages to and from the pages: ``send(event, data)``, ``on(event, handler)``, ``off``."""

    def __post_init__(self) -> None:
        self.ws = ClientChannel(self.state.broadcaster)


@dataclass(frozen=True)
class HotUpdateContext:
    file: str
    timestamp: float
    modules: list[str]
    read: Callable[[], str]
    server: PluginServer


def configure(app: Starlette, state: DaemonState) -> list[Callable[[], Any]]:
    """Make the daemon's ``PluginServer`` and run ``configure_server`` hooks before prebundle's
    routes exist; return the callables they gave back, to run (as their plugin) once those
    routes are installed."""
    server = PluginServer(app=app, config=state.config, state=state)
    state.plugin_server = server
    container = state.config.plugins_for("configure_server")
    if container is None:
        return []
    return [lambda name=name, post=post: container.call_as(name, "configure_server", post)
            for name, post in container.run_each_named("configure_server", server) if callable(post)]


def filter_hot_updates(state: DaemonState, files: set[str]) -> set[str]:
    """Ask ``handle_hot_update``: a plugin returning ``[]`` takes a file over (no rescan)."""
    container = state.config.plugins_for("handle_hot_update")
    if container is None:
        return files
    server = getattr(state, "plugin_server", None) or PluginServer(app=None, config=state.config, state=state)
    kept = set()
    for name in files:
        ctx = HotUpdateContext(file=name, timestamp=time.time(), modules=[name],
                               read=lambda name=name: Path(name).read_text(encoding="utf-8", errors="replace"),
                               server=server)
        results = container.run_each("handle_hot_update", ctx)
        if any(isinstance(result, list) and not result for result in results):
            continue
        kept.add(name)
    return kept
