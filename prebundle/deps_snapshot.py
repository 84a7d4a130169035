"""The whole deps dir as one artifact of the team's remote cache: a machine that runs a project
whose inputs another machine already optimized downloads one blob and writes the folder,
instead of asking for each package, checking each and assembling the folder from them.

The key covers every input of the deps dir: the full digest of the config, tool versions and
install (``CacheHashes.digest``: what Vite's ``hash`` covers, at 64 hex digits), and the ids the
run optimizes (the scan's bare imports and ``include``). A run that built or assembled a deps
dir offers it (write-behind, like a package's build); a run whose project cache is cold asks
for it first (read-through). What is restored is checked as a deps dir of this run before it
is served: its ``_metadata.json`` must carry this run's hash and every id, every file its size
and every document its hash, and its import map this machine's entries of the packages served
as they are.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["FORMAT", "PACKAGE_KEY", "is_snapshot", "snapshot_files", "snapshot_key", "snapshot_record", "write_snapshot"]

FORMAT = 1
"""Version of the snapshot's record; a snapshot of another format is not used."""
PACKAGE_KEY = re.compile(r"[0-9a-f]{32}")
"""A package key as ``hashing.package_key`` writes it: what a restored record must hold, since
it names a folder of the machine-wide cache."""
KIND = "deps-dir"


def snapshot_key(digest: str, ids: Iterable[str], mode: str) -> str:
    """The remote key of the deps dir of these inputs (``deps-`` and 32 hex digits)."""
    text = json.dumps([digest, sorted(set(ids)), mode, FORMAT])
    return "deps-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def snapshot_record(key: str) -> dict[str, object]:
    return {"kind": KIND, "format": FORMAT, "key": key}


def is_snapshot(record: object, key: str) -> bool:
    """Whether ``record`` (an artifact's) is the record of this key's deps dir, in this format."""
    return isinstance(record, dict) and record == snapshot_record(key)


def snapshot_files(deps_dir: Path) -> dict[str, bytes]:
    """Every file of a committed deps dir, read now: the upload runs later, when the next run
    may already have replaced the folder."""
    files: dict[str, bytes] = {}
    for folder, _dirs, names in os.walk(deps_dir):
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(deps_dir).as_posix()] = path.read_bytes()
    return files


WRITERS = 4
"""Files written at once: creating and filling files is the kernel's work, done outside the
interpreter lock, so a few threads keep the cores busy."""


def write_snapshot(files: Mapping[str, bytes | memoryview], staging: Path) -> None:
    """Write a downloaded deps dir into ``staging`` (names were checked safe by the artifact)."""
    for folder in sorted({(staging / name).parent for name in files}):
        folder.mkdir(parents=True, exist_ok=True)

    def write(item: tuple[str, bytes | memoryview]) -> None:
        fd = os.open(staging / item[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask decides, as for any new file
        try:
            view = memoryview(item[1])
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(WRITERS) as pool:
        for _done in pool.map(write, files.items()):
            pass
