"""The esbuild service processes a run's builds go to: one build at a time on each.

Two builds in one esbuild process share its Go runtime (2 cores' worth of scheduler, one heap
and its collector), and together keep the cores less busy than the same two builds in two
processes: the bench app's 13 groups, two at a time, took 733–757 ms through one service and
664–679 ms through two, without Python's callbacks (1.71 against 1.87 cores busy). So a
command's run leases each build a service of its own: the one it was given and, when that is
busy, a companion started like it (same binary and environment), up to ``most`` in all. A
daemon keeps its one long-lived service (no companion): its runs build a package or two.
A companion that cannot start leaves the builds to wait for the first service, one at a time:
its Go memory limit may be set for one build (``go_memory``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..esbuild import EsbuildError

if TYPE_CHECKING:  # pragma: no cover
    from ..esbuild import BuildResult, Service

__all__ = ["ServiceLease", "close_in_background"]

log = logging.getLogger("prebundle.bundle")


class ServiceLease:
    """Hands each build a service no other build of the run is using, while one is free or
    may be started (``companion``: a new service like ``primary``; None: ``primary`` only,
    shared by the builds at once)."""

    def __init__(self, primary: Service, companion: Callable[[], Service] | None = None, *, most: int = 2) -> None:
        self.primary = primary
        self._companion = companion
        self._most = most if companion is not None else 1
        self._idle: queue.SimpleQueue[Service] = queue.SimpleQueue()
        self._idle.put(primary)
        self._waiting = False
        """Whether builds take turns on the services started (a companion failed to start)."""
        self._lock = threading.Lock()
        self.companions: list[Service] = []
        """The services started for this run besides ``primary`` (:meth:`close_companions`)."""

    @property
    def shared(self) -> bool:
        """Whether the builds share ``primary`` (no companion may start)."""
        return self._most == 1

    def share_one(self) -> None:
        """From now on, the builds share ``primary``; companions started already still serve."""
        self._most = 1 + len(self.companions)

    @contextmanager
    def service(self) -> Iterator[Service]:
        """A service for one build, given back when the build returns. Not re-entrant: a
        thread gives its service back before it asks for another (a group's worker builds,
        ``asset_urls``, run after the group's own build has returned), else, with builds
        taking turns, it would wait for itself."""
        if self._most == 1 and not self._waiting:
            yield self.primary  # one service: builds share it, as esbuild allows
            return
        leased = self._take()
        try:
            yield leased
        finally:
            self._idle.put(leased)

    def build(self, **options: Any) -> BuildResult:
        """``Service.build`` on a leased service (a worker module's build, say)."""
        with self.service() as service:
            return service.build(**options)

    def _take(self) -> Service:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if 1 + len(self.companions) < self._most:
                assert self._companion is not None
                try:
                    started = self._companion()
                    started.start()  # a start that fails leaves no process (``Service.start``)
                except (OSError, EsbuildError) as error:
                    log.debug("a second esbuild service did not start (%s): the builds take turns", error)
                    self._most = 1 + len(self.companions)
                    self._waiting = True
                else:
                    self.companions.append(started)
                    return started
        return self._idle.get()

    def close_companions(self) -> None:
        """End the companions, each on a thread of its own (:func:`close_in_background`). The
        builds after it, if any, share ``primary``."""
        with self._lock:
            companions, self.companions = self.companions, []
            self._most = 1
            self._waiting = False
        for companion in companions:
            close_in_background(companion)


def close_in_background(service: Service) -> None:
    """End ``service`` on a thread of its own (a cold run's service takes 15 ms or more to give
    back its heap); the interpreter waits for that thread at exit, so no process is left behind."""
    threading.Thread(target=service.close, name="prebundle-esbuild-close").start()
