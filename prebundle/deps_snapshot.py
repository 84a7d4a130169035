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
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .remote.artifact import OpenedArtifact, Part

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


def write_snapshot(artifact: OpenedArtifact, staging: Path) -> None:
    """Write a downloaded deps dir into ``staging`` (names were checked safe by the artifact),
    ``WRITERS`` parts at a time, each decompressed by the thread that writes its files. Raises
    ``ArtifactError`` for a part that is damaged, ``OSError`` for a file that cannot be written."""
    from .staging_files import place

    folders: set[str] = set()
    for folder in sorted({(staging / name).parent for name in artifact.names}):
        folder.mkdir(parents=True, exist_ok=True)
        folders.add(str(folder))

    def write(part: Part) -> None:
        for name, content in part.files().items():
            place(content, staging, name, folders)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(WRITERS) as pool:
        for _done in pool.map(write, artifact.parts):
            pass
