"""The on-disk cache of interop answers (``InteropCache``): one record per analysed entry, in one
folder (the machine-wide ``<cache>/interop`` when the machine-wide cache is on: every project on
the machine shares the answers). A record holds the whole answer, the sandbox's included, so a
hit never runs the sandbox; failures are recorded too, so a package that throws is not re-run.

A package's version says little about its bytes: ``patches/``, ``file:`` and git
dependencies, and hand edits in ``node_modules`` all change code under the same version. So a
record is keyed by the entry's content (plus package, entry path, mode and analyzer version),
and it lists every file the analysis read and where every bare ``require`` led. A hit counts
only while those are unchanged: a file whose size, mtime and ctime are as recorded is trusted
without reading it; any other file is hashed and compared (and its new stat is written back,
so the next check is a ``stat`` again); each ``require`` is resolved again and must lead to
the same file. A record carries a checksum of itself: one damaged or edited is never used.
Such a record gives the very answer a fresh analysis of the same bytes would, so
``optimize --force`` (which rebuilds every bundle) uses them too.

The folder also keeps, by content alone, whether an entry has ES module syntax where its text
leaves it open (``module_syntax``): that answer depends on the bytes and the grammar only.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cache_marks import mark_used
from ..commit import atomic_write
from ..hashing import code_fingerprint

if TYPE_CHECKING:
    from .lexer import ResolveRequire

__all__ = ["ANALYZER_VERSION", "InteropCache"]

ANALYZER_VERSION = "3"
"""Part of every record's key: bump it when the lexer's or the sandbox's answers can change.
Here, not beside the analysis: a lookup that hits loads neither of them."""


class InteropCache:
    """Whole ``analyze`` answers, keyed by content."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path_and_key(self, entry: Path, package_dir: Path, package_name: str,
                      mode: str) -> tuple[Path, dict[str, str]] | None:
        identity = _entry_identity(entry, package_dir)
        if identity is None:
            return None
        rel, digest = identity
        key = {"kind": "analysis", "package": package_name, "entry": rel, "content": digest, "mode": mode,
               "analyzer": ANALYZER_VERSION, "code": code_fingerprint()}
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32] + ".json"
        return self.directory / name, key

    def lookup(self, entry: Path, *, package_dir: Path, package_name: str, mode: str,
               resolve_require: ResolveRequire | None) -> dict[str, Any] | None:
        """The stored answer (a dict) when it still holds for what is on disk now."""
        found = self._path_and_key(entry, package_dir, package_name, mode)
        if found is None:
            return None
        path, key = found
        try:
            data = _read_record(path)
            if data is None or data.get("key") != key or not isinstance(data.get("answer"), dict):
                return None
            files = data["files"]
            restatted = _check_files(files)
            if restatted is None:
                return None
            for importer, spec, target in data["requires"]:
                now = resolve_require(spec, Path(importer)) if resolve_require is not None else None
                if (None if now is None else str(now)) != target:
                    return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None
        if restatted:
            _write_atomic(path, {**data, "files": files})
        else:
            mark_used(path)  # least recently used goes first when the cache is pruned
        return data["answer"]

    def module_syntax(self, source: bytes) -> bool | None:
        """The answer recorded for ``has_module_syntax(source)``, by content, or None: the one
        check a package entry's text leaves open is a tree-sitter parse of the whole file (27 ms
        for jQuery's ES module build), done again by every run that bundles it."""
        path, key = self._syntax_path_and_key(source)
        try:
            data = _read_record(path)
        except (OSError, ValueError, RecursionError):
            return None
        answer = data.get("answer") if data is not None and data.get("key") == key else None
        if not isinstance(answer, dict) or not isinstance(answer.get("esm"), bool):
            return None
        mark_used(path)
        return answer["esm"]

    def store_module_syntax(self, source: bytes, esm: bool) -> None:
        path, key = self._syntax_path_and_key(source)
        _write_atomic(path, {"key": key, "answer": {"esm": esm}})

    def _syntax_path_and_key(self, source: bytes) -> tuple[Path, dict[str, str]]:
        key = {"kind": "module-syntax", "content": hashlib.sha256(source).hexdigest(),
               "analyzer": ANALYZER_VERSION, "code": code_fingerprint(), "grammar": _grammar_versions()}
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32] + ".json"
        return self.directory / name, key

    def store(self, entry: Path, answer: dict[str, Any], *, package_dir: Path, package_name: str,
              mode: str, files: Iterable[Path], requires: Iterable[tuple[Path, str, Path | None]]) -> None:
        found = self._path_and_key(entry, package_dir, package_name, mode)
        if found is None:
            return
        path, key = found
        _write_atomic(path, {
            "key": key, "answer": answer, "files": _file_records(dict.fromkeys(files)),
            "requires": [[str(importer), spec, None if target is None else str(target)]
                         for importer, spec, target in requires],
        })


@lru_cache(maxsize=1)
def _grammar_versions() -> str:
    """The parser's and the JavaScript grammar's versions: a new grammar may parse otherwise."""
    from ..scanner.run import installed_version

    return " ".join(f"{dist}={installed_version(dist)}" for dist in ("tree-sitter", "tree-sitter-javascript"))


def _entry_identity(entry: Path, package_dir: Path) -> tuple[str, str] | None:
    """What a record is keyed by besides package and mode: the entry's path inside its package
    (its real path when it lies outside) and its content's SHA-256; None when unreadable."""
    entry = entry.resolve()
    try:
        rel = entry.relative_to(package_dir.resolve()).as_posix()
    except ValueError:
        rel = entry.as_posix()
    try:
        return rel, _sha256(entry)
    except OSError:
        return None


def _check_files(files: list[dict[str, Any]]) -> bool | None:
    """None when a recorded file changed or is gone. Otherwise whether some file had to be
    hashed (its stat changed, its bytes did not); such records are updated in place."""
    restatted = False
    for record in files:
        file = Path(record["path"])
        try:
            stat = file.stat()
        except OSError:
            return None
        if _stat_of(stat) == [record["size"], record["mtime_ns"], record["ctime_ns"]]:
            continue
        try:
            if stat.st_size != record["size"] or _sha256(file) != record["sha256"]:
                return None
        except OSError:
            return None
        record["size"], record["mtime_ns"], record["ctime_ns"] = _stat_of(stat)
        restatted = True
    return restatted


def _file_records(files: Iterable[Path]) -> list[dict[str, Any]]:
    """Path, stat and content hash of each file. The stat is taken before reading, so an edit
    made while hashing shows as a changed stat next time, never as a trusted one."""
    out = []
    for file in files:
        try:
            size, mtime_ns, ctime_ns = _stat_of(file.stat())
            digest = _sha256(file)
        except OSError:
            size, mtime_ns, ctime_ns, digest = -1, -1, -1, ""  # gone: never matches again
        out.append({"path": str(file), "size": size, "mtime_ns": mtime_ns, "ctime_ns": ctime_ns,
                    "sha256": digest})
    return out


def _stat_of(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_record(path: Path) -> dict[str, Any] | None:
    """A record whose checksum holds: a record damaged on disk, or edited, is never used."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        return None
    check = data.pop("check", None)
    return data if check == _checksum(data) else None


def _checksum(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def _write_atomic(path: Path, record: dict[str, Any]) -> None:
    """Write the record whole or not at all; a cache that cannot be written is no error."""
    try:
        atomic_write(path, json.dumps({**record, "check": _checksum(record)}, indent=1).encode())
    except OSError:
        pass
