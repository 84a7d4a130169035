"""Glob matching for entries and ``import.meta.glob`` patterns (``**``, ``*``, ``?``, ``{a,b}``, ``!neg``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

__all__ = ["compile_glob", "expand_braces", "glob_files", "walk_files"]

SKIP_DIRS = frozenset({"node_modules", ".git", ".hg", ".svn", "__pycache__", ".venv"})
"""Folders never entered when looking for entries or glob matches."""


def expand_braces(pattern: str) -> list[str]:
    """``src/{a,b}/*.js`` -> ``[src/a/*.js, src/b/*.js]`` (nested braces too)."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    out: list[str] = []
    for option in match.group(1).split(","):
        out.extend(expand_braces(head + option + tail))
    return out


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex for a slash-separated glob; ``**`` spans folders, ``*`` does not."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(r".*")
            i += 2
            continue
        if char == "*":
            out.append(r"[^/]*")
        elif char == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _static_prefix(pattern: str) -> str:
    """The folder part of a pattern before its first wildcard (``src/pages`` of ``src/pages/*.js``)."""
    parts = pattern.split("/")
    prefix: list[str] = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?[{"):
            break
        prefix.append(part)
    return "/".join(prefix)


def walk_files(base: Path, *, skip: Iterable[Path] = (), walked: list[str] | None = None) -> Iterator[str]:
    """Every file under ``base`` as a POSIX path relative to it; skips dot-folders and ``SKIP_DIRS``.

    Symlinked folders are not followed, so a symlink loop cannot trap the walk. ``walked``
    receives every folder listed (the scan snapshot stamps them: a new file there is seen).
    """
    skipped = {os.path.normcase(str(path)) for path in skip}
    base_str = str(base)
    for folder, dirs, files in os.walk(base_str, onerror=lambda _e: None):
        if walked is not None:
            walked.append(folder)
        dirs[:] = [
            name
            for name in dirs
            if name not in SKIP_DIRS
            and not name.startswith(".")
            and os.path.normcase(os.path.join(folder, name)) not in skipped
        ]
        rel = os.path.relpath(folder, base_str)
        rel = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        for name in files:
            yield rel + name


def glob_files(patterns: Iterable[str], base: Path, *, skip: Iterable[Path] = (),
               walked: list[str] | None = None) -> list[Path]:
    """Files under ``base`` matching any positive pattern and no ``!`` pattern, sorted.
    ``walked`` receives every folder listed, and each start folder that is missing."""
    positive: list[str] = []
    negative: list[str] = []
    for raw in patterns:
        target = negative if raw.startswith("!") else positive
        body = raw[1:] if raw.startswith("!") else raw
        body = body[2:] if body.startswith("./") else body
        target.extend(expand_braces(body))
    if not positive:
        return []
    skip = tuple(skip)
    found: set[str] = set()
    by_prefix: dict[str, list[str]] = {}
    for pattern in positive:
        by_prefix.setdefault(_static_prefix(pattern), []).append(pattern)
    for prefix, group in by_prefix.items():
        start = base / prefix if prefix else base
        if not start.is_dir():
            if walked is not None:
                walked.append(str(start))
            continue
        lead = prefix + "/" if prefix else ""
        regexes = [compile_glob(p) for p in group]
        for rel in walk_files(start, skip=skip, walked=walked):
            path = lead + rel
            if any(rx.match(path) for rx in regexes):
                found.add(path)
    if negative:
        not_rx = [compile_glob(p) for p in negative]
        found = {path for path in found if not any(rx.match(path) for rx in not_rx)}
    return [base / path for path in sorted(found)]
