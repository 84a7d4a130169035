"""Transform results by key: the last ones in memory, all of them on disk.

The key (``transform.transform_key``) covers the code and every option, so an entry never goes
stale: an edit makes a new key, and a daemon restarted on the same tree finds every module
transformed already. Entries are small JSON files under ``<cache_dir>/transforms/``, written by
rename (a reader never sees half of one); files not used for ``MAX_AGE_DAYS`` are removed when
the daemon starts.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from .transform import Transformed

__all__ = ["TRANSFORMS_DIR", "TransformCache"]

log = logging.getLogger("prebundle.daemon")

TRANSFORMS_DIR = "transforms"
"""The folder in the cache dir."""
MEMORY_ENTRIES = 4000
"""Results kept in memory (a reload of a 1,000-module page reads none from disk)."""
MAX_AGE_DAYS = 30
"""An entry not read for this long is removed at start-up."""


class TransformCache:
    """In memory (least recently used dropped first) over a folder of entries."""

    def __init__(self, cache_dir: Path) -> None:
        self.folder = cache_dir / TRANSFORMS_DIR
        """Where entries are written (``<key[:2]>/<key>.json``)."""
        self._memory: OrderedDict[str, Transformed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Transformed | None:
        """The entry, from memory or disk (which also brings it into memory); None when absent
        or unreadable."""
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                return found
        path = self._path(key)
        try:
            found = Transformed.from_json(json.loads(path.read_text(encoding="utf-8")))
            os.utime(path)  # used: kept by the start-up clean-up
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._remember(key, found)
        return found

    def put(self, key: str, value: Transformed) -> None:
        """Keep ``value`` in memory and write it to disk (a write that fails is only logged:
        the next daemon transforms again)."""
        self._remember(key, value)
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(value.to_json(), handle, separators=(",", ":"))
            os.replace(temporary, path)
        except OSError as error:
            log.debug("cannot write the transform cache entry %s: %s", path, error)

    def prune(self) -> int:
        """Remove entries not used for ``MAX_AGE_DAYS``; how many. Run it off the event loop."""
        limit = time.time() - MAX_AGE_DAYS * 86400
        removed = 0
        try:
            shards = list(os.scandir(self.folder))
        except OSError:
            return 0
        for shard in shards:
            if not shard.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(shard.path):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < limit:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass
        return removed

    def _remember(self, key: str, value: Transformed) -> None:
        with self._lock:
            self._memory[key] = value
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_ENTRIES:
                self._memory.popitem(last=False)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"
