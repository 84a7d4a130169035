"""The process pool a crawl parses stale files in, when it has enough of them to pay for one.

Kept apart from the file index (:mod:`.index`) so the policy (when to start, how to batch)
reads in one place. ``concurrent.futures`` and ``multiprocessing`` load only when the pool
starts: a crawl served from the index never needs them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator

from .files import parse_batch
from .records import Parsed

__all__ = ["BATCH_BYTES", "COLD_POOL_THRESHOLD", "MAX_BATCH_FILES", "POOL_THRESHOLD", "ParsePool", "batches",
           "worth_a_pool"]

POOL_THRESHOLD = 256
"""Stale files to parse before a process pool pays for its start-up."""
COLD_POOL_THRESHOLD = 48
"""The same when nothing is indexed yet (a cold scan): the whole tree is still to be parsed,
so the pool starts early rather than after the first ``POOL_THRESHOLD`` files parsed here."""
BATCH_BYTES = 384 * 1024
"""Bytes of source handed to a pool worker at a time: large enough that the per-task cost
(pickling, a queue round trip) is small, small enough that both cores finish together."""
MAX_BATCH_FILES = 256


def worth_a_pool(stale: int, parsed: int, *, cold: bool) -> bool:
    """Whether ``stale`` files still to parse, after ``parsed`` parsed here, call for the pool."""
    return stale + parsed >= (COLD_POOL_THRESHOLD if cold else POOL_THRESHOLD)


def _warm_worker() -> None:
    """Pool initializer: load the extractor and the grammars once per worker, before the first
    batch (with fork they are loaded already)."""
    from . import extract  # noqa: F401  (the worker process's entry point)
    from .grammars import language

    for dialect in ("js", "ts", "tsx"):
        language(dialect)


class ParsePool:
    """Workers on every core that read and extract batches of files; started on first use."""

    def __init__(self) -> None:
        self._executor = None
        self._pending: set = set()
        """Futures of batches submitted and not yet collected."""

    @property
    def started(self) -> bool:
        return self._executor is not None

    @property
    def busy(self) -> bool:
        """Whether batches are still out."""
        return bool(self._pending)

    def submit(self, paths: list[str], sizes: dict[str, int]) -> None:
        """Hand ``paths`` to the workers, in batches of about ``BATCH_BYTES`` by ``sizes``."""
        executor = self._executor or self._start()
        for batch in batches(paths, sizes):
            self._pending.add(executor.submit(parse_batch, batch))

    def results(self) -> Iterator[Parsed]:
        """Wait for at least one batch; the files of every batch done by then."""
        if not self._pending:
            return
        from concurrent.futures import FIRST_COMPLETED, wait  # loaded by _start already

        done, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield from future.result()

    def close(self) -> None:
        """Stop the workers (batches not started are dropped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _start(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _warm_worker()  # loaded before forking, so workers start warm

        # fork is cheap and the workers only parse; macOS and Windows spawn instead.
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        self._executor = ProcessPoolExecutor(
            max_workers=max(1, os.cpu_count() or 1), mp_context=context, initializer=_warm_worker
        )
        return self._executor


def batches(paths: list[str], sizes: dict[str, int]) -> Iterable[list[str]]:
    """Stale files in batches of about ``BATCH_BYTES`` of source."""
    batch: list[str] = []
    size = 0
    for path in paths:
        size += sizes.get(path, 0)
        batch.append(path)
        if size >= BATCH_BYTES or len(batch) >= MAX_BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
