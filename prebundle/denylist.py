"""Files never served, whatever the URL asks: prebundle's ``server.fs.deny``.

A ``DenyList`` holds globs matched case-insensitively against the path of a file relative to
the served folder, once that path is decoded and normalised (``prebundle.static.safe_path`` asks
it for the path as requested and again for the real path after symlinks):

* a glob without ``/`` (``.env``, ``*.pem``, ``*.{crt,key}``) is tried on every segment, so it also
  denies everything inside a folder of that name;
* a glob with ``/`` (``**/.git/**``, ``private/``, ``/secrets/*.json``) is matched against the
  path and each of its parent folders: ``**`` spans any number of segments, a leading ``/``
  anchors it at the served folder (else it may start at any depth).

Each segment is also tried without trailing dots and spaces and without a ``:stream`` suffix,
the names Windows opens as the same file (``server.pem.``, ``.env::$DATA``). Matching is
``casefold``-ed because macOS and Windows open ``SERVER.PEM`` as ``server.pem``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

__all__ = ["DEFAULT_DENY", "DenyList", "expand_braces"]

DEFAULT_DENY: tuple[str, ...] = (
    ".env", ".env.*", "*.{crt,pem,key,p12,pfx,cer,der}", ".npmrc", ".yarnrc.yml", "**/.git/**",
)
"""Vite 7's ``server.fs.deny`` (``.env``, ``.env.*``, ``*.{crt,pem}``, ``**/.git/**``) plus the
keys, key stores and registry credentials Vite 8 adds."""

_BRACES = re.compile(r"\{([^{}]*)\}")


def expand_braces(pattern: str) -> list[str]:
    """``*.{crt,pem}`` as ``["*.crt", "*.pem"]`` (innermost group first, so groups may nest)."""
    match = _BRACES.search(pattern)
    if match is None or "," not in match.group(1):
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end():]
    return [expanded for choice in match.group(1).split(",") for expanded in expand_braces(head + choice + tail)]


def _variants(segment: str) -> tuple[str, ...]:
    """The names a file system may open for ``segment``, case-folded."""
    folded = segment.casefold()
    stripped = folded.rstrip(". ")
    stream = stripped.split(":", 1)[0].rstrip(". ")
    return tuple(dict.fromkeys(name for name in (folded, stripped, stream) if name))


@dataclass(frozen=True)
class _Glob:
    parts: tuple[str, ...]
    """Case-folded segment globs; ``**`` spans any number of segments."""
    anchored: bool
    """Starts at the served folder (the glob began with ``/``)."""

    @classmethod
    def parse(cls, pattern: str) -> _Glob:
        text = pattern.strip().casefold()
        anchored = text.startswith("/")
        parts = tuple(part for part in text.split("/") if part not in ("", "."))
        return cls(parts, anchored and len(parts) > 0)

    def matches(self, names: Sequence[tuple[str, ...]]) -> bool:
        """Whether the path (each segment as its variants) or one of its parent folders matches."""
        if not self.parts:
            return False
        if len(self.parts) == 1 and not self.anchored:
            glob = self.parts[0]
            return glob == "**" or any(fnmatchcase(name, glob) for variants in names for name in variants)
        for end in range(1, len(names) + 1):
            starts = (0,) if self.anchored else range(end)
            if any(_match(self.parts, names[start:end]) for start in starts):
                return True
        return False


def _match(parts: Sequence[str], names: Sequence[tuple[str, ...]]) -> bool:
    if not parts:
        return not names
    if parts[0] == "**":
        return any(_match(parts[1:], names[skip:]) for skip in range(len(names) + 1))
    return bool(names) and any(fnmatchcase(name, parts[0]) for name in names[0]) and _match(parts[1:], names[1:])


MAX_REMEMBERED = 8192
"""Answers ``DenyList.denies`` keeps before it starts over."""


@dataclass(frozen=True)
class DenyList:
    """Globs (and exact relative paths) of files never served; see the module docstring."""

    patterns: tuple[str, ...] = DEFAULT_DENY
    """Globs, as written in ``server.fs_deny`` (``{a,b}`` groups allowed)."""
    paths: tuple[str, ...] = ()
    """Exact paths relative to the served folder (the config file, the daemon's token)."""
    _globs: tuple[_Glob, ...] = field(init=False, repr=False, compare=False)
    _exact: frozenset[tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _answers: dict[str | tuple[str, ...], bool] = field(init=False, repr=False, compare=False)
    """``denies`` answers by path: a page of a thousand modules asks for the same folders'
    files over and over, and the globs are the same for the list's life."""

    def __post_init__(self) -> None:
        globs = tuple(_Glob.parse(expanded) for pattern in self.patterns for expanded in expand_braces(pattern))
        exact = frozenset(tuple(seg.casefold() for seg in path.replace("\\", "/").split("/") if seg not in ("", "."))
                          for path in self.paths)
        object.__setattr__(self, "_globs", globs)
        object.__setattr__(self, "_exact", frozenset(item for item in exact if item))
        object.__setattr__(self, "_answers", {})

    def extended(self, patterns: Iterable[str] = (), paths: Iterable[str] = ()) -> DenyList:
        """This list with more globs and exact paths."""
        return DenyList((*self.patterns, *patterns), (*self.paths, *paths))

    def denies(self, path: str | Sequence[str]) -> bool:
        """Whether the file at ``path`` (``a/b/c`` or its segments, decoded) must not be served."""
        key = path if isinstance(path, str) else tuple(path)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) >= MAX_REMEMBERED:
                self._answers.clear()
            answer = self._answers[key] = self._denies(key)
        return answer

    def _denies(self, path: str | Sequence[str]) -> bool:
        segments = [seg for seg in (path.replace("\\", "/").split("/") if isinstance(path, str) else path)
                    if seg not in ("", ".")]
        if not segments:
            return False
        names = [_variants(seg) for seg in segments]
        if self._exact:
            for end in range(1, len(names) + 1):
                if any(_exact_prefix(candidate, names[:end]) for candidate in self._exact):
                    return True
        return any(glob.matches(names) for glob in self._globs)


def _exact_prefix(candidate: tuple[str, ...], names: Sequence[tuple[str, ...]]) -> bool:
    return len(candidate) == len(names) and all(want in have for want, have in zip(candidate, names))
