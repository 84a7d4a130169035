"""How far the esbuild service of a one-shot command may grow before Go collects garbage.

esbuild's own command line switches Go's collector off for a single-entry build: such a build
allocates a lot and exits soon after. The service ``prebundle [--force]`` starts lives as
briefly, and with Go's default (collect whenever the heap doubles) about a fifth of its CPU
time goes to collections that free memory nobody would use again: 1.9 s of esbuild CPU for
the bench app's cold run, 1.4 s without them.

Off altogether, the heap grows with everything a run ever allocates (940 MB for the bench
app, 3 GB for ``@mui/icons-material`` beside ``monaco-editor``). So the collector is off up to
a soft limit, ``GOMEMLIMIT``, and Go collects only when the heap nears it. Below about half
the limit of live data that is fewer collections than the default makes; above, the
collector would run again and again (``@mui/icons-material``: 4.1 s → 7.0 s). The live heap
follows the output of the builds in flight (at most ``HEAP_PER_OUTPUT_BYTE`` times it:
measured 11 × on the bench app, 20 × on ``@mui/icons-material``), which an earlier build of the
same packages tells. A run whose sizes are unknown (a first run), or large, has no safe limit:
it collects when the heap has grown by twice what was live after the last collection
(``GOGC=200``) instead of once, half the collections of Go's default, with no limit to run
into (the first run of a 200-package app: 5.96 → 5.51 s, peak 558 → 717 MB, where esbuild's
own command line peaks at 1.7–1.9 GB). (The setting is chosen before the first build. A later
pass of the run, for packages no earlier build predicted, runs under it too: rare, since the
packages earlier builds imported are planned up front.) A command's run builds on two service
processes, one build on each (``services``): each gets half the limit, for the largest build
it may hold.

A daemon's service is long-lived and keeps the default; so does any value of ``GOGC`` or
``GOMEMLIMIT`` the user set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["BATCH_HEAP_LIMIT", "HEAP_PER_OUTPUT_BYTE", "UNBOUNDED_GOGC", "held_at_once", "service_env"]

BATCH_HEAP_LIMIT = 384 << 20
"""The soft limit of a one-shot run's service heaps, all together (split evenly between its
service processes): the bench app's cold run peaks at about 0.5 GB for the whole process tree
with it (0.35 GB with Go's default, 0.6 GB for esbuild's own CLI bundling the same packages in
one build)."""
HEAP_PER_OUTPUT_BYTE = 20
"""Live heap per byte of expected output of the builds in flight, at most (see above)."""
UNBOUNDED_GOGC = "200"
"""``GOGC`` for a one-shot run whose heap cannot be bounded ahead (see above)."""


def held_at_once(group_sizes: list[int] | None, builds_at_once: int, processes: int) -> int | None:
    """The expected output of the largest builds one service process holds at once: of the
    ``builds_at_once`` largest groups, each process's share (one group each when every build
    in flight has a process of its own); None when some size is unknown."""
    if group_sizes is None:
        return None
    largest = sorted(group_sizes, reverse=True)[:builds_at_once]
    return sum(largest[:max(1, builds_at_once // processes)])


def service_env(in_flight_bytes: int | None, environ: Mapping[str, str] = os.environ, *,
                processes: int = 1) -> dict[str, str] | None:
    """The Go settings for each service process of a one-shot run, or None for Go's default
    (the user's own settings).

    ``in_flight_bytes``: the expected output of the largest builds one process holds at once,
    as earlier builds of the same packages tell; None when some package has no earlier build
    (then, as for builds too large for the limit, ``UNBOUNDED_GOGC``). ``processes``: how many
    service processes share ``BATCH_HEAP_LIMIT`` (a command's run gives each of its two builds
    in flight a process of its own: 192 MiB each).
    """
    if "GOGC" in environ or "GOMEMLIMIT" in environ:
        return None
    limit = BATCH_HEAP_LIMIT // processes
    if in_flight_bytes is None or 2 * HEAP_PER_OUTPUT_BYTE * in_flight_bytes > limit:
        return {"GOGC": UNBOUNDED_GOGC}
    return {"GOGC": "off", "GOMEMLIMIT": f"{limit >> 20}MiB"}
