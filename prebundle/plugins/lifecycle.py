"""The universal hooks at their moments: ``options`` and ``build_start`` when a run (or the
daemon) starts, ``build_end`` and ``close_bundle`` when it ends, with its error if it failed.

A ``prebundle`` run (``optimize()``) wraps itself in :func:`build_hooks`; the daemon calls
:func:`start_build` once before its first run and :func:`end_build` once when it stops (and
both around a reload of its config, whose plugins are new objects), as Vite's dev server does.
Once the start hooks began, the end hooks always run: a ``close_bundle`` can rely on it to
release what ``build_start`` acquired.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .plugin import PluginError

if TYPE_CHECKING:
    from ..config import Config
    from .container import PluginContainer

__all__ = ["LIFECYCLE_HOOKS", "PluginLifetime", "build_hooks", "end_build", "input_options", "start_build"]

log = logging.getLogger("prebundle.plugins")

LIFECYCLE_HOOKS = ("options", "build_start", "build_end", "close_bundle")


def input_options(config: Config) -> dict[str, Any]:
    """What ``options`` hooks receive: the run's input, as plain values. Only ``build_start``
    sees what they return; the config is changed with the ``config`` hook."""
    return {"input": list(config.entries), "root": str(config.root), "mode": config.mode,
            "command": config.command}


def start_build(container: PluginContainer, config: Config) -> None:
    """``options`` then ``build_start``. When one fails, ``build_end`` and ``close_bundle`` run
    with its error before it is raised."""
    try:
        container.build_start(container.options(input_options(config)))
    except BaseException as error:
        end_build(container, error)
        raise


def end_build(container: PluginContainer, error: BaseException | None) -> None:
    """``build_end`` then ``close_bundle``, each given ``error`` (None after a good run). A
    hook that fails here is raised when the run itself went well; after a failed run, the
    run's error is the one the caller raises, and the hook's is logged."""
    failure: PluginError | None = None
    for step in (container.build_end, container.close_bundle):
        try:
            step(error)
        except PluginError as hook_error:
            if error is None and failure is None:
                failure = hook_error
            else:
                log.error("error: %s", hook_error)
    if failure is not None:
        raise failure


@contextmanager
def build_hooks(config: Config) -> Iterator[None]:
    """One run between the start hooks and the end hooks of ``config``'s plugins."""
    container = config.plugins_for(*LIFECYCLE_HOOKS)
    if container is None:
        yield
        return
    start_build(container, config)
    try:
        yield
    except BaseException as error:
        end_build(container, error)
        raise
    end_build(container, None)


class PluginLifetime:
    """The daemon's span of the lifecycle hooks: started once for a config, ended when the
    daemon stops or a reloaded config (with new plugin objects) replaces it."""

    def __init__(self) -> None:
        self._config: Config | None = None
        """The config whose start hooks ran; None before, and after the end hooks."""
        self._container: PluginContainer | None = None

    def started_for(self, config: Config) -> None:
        """Make sure the start hooks of ``config``'s plugins ran (ending another config's first).
        A start that fails is tried again on the next call."""
        if config is self._config:
            return
        self.end(None)
        container = config.plugins_for(*LIFECYCLE_HOOKS)
        if container is not None:
            start_build(container, config)
        self._config, self._container = config, container

    def end(self, error: BaseException | None) -> None:
        """Run the end hooks owed, once."""
        container, self._config, self._container = self._container, None, None
        if container is not None:
            end_build(container, error)
