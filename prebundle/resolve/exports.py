"""The ``exports`` field of package.json: subpath maps, ``*`` patterns and conditions.

Node's ``PACKAGE_EXPORTS_RESOLVE``, as a pure function over the parsed field. It returns the
target written in the package (``"./dist/client.js"``); the resolver joins it to the package
folder and checks that the file exists.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["ExportsError", "resolve_exports"]


class ExportsError(Exception):
    """No usable target. The message is a phrase that follows the package name.

    For example ``does not export "./internal"``; the resolver prefixes ``package "x" ``.
    """


_NO_MATCH: Any = object()
"""A condition object where none of the active conditions applied (Node's ``undefined``)."""

_BAD_SEGMENTS = frozenset({"", ".", "..", "node_modules"})


def resolve_exports(
    exports: Any,
    subpath: str,
    conditions: Collection[str],
    *,
    exists: Callable[[str], bool] | None = None,
) -> str:
    """The target of ``subpath`` (``"."`` or ``"./client"``) under ``exports``.

    ``conditions`` are the active condition names; ``default`` always applies. Keys of a
    condition object are tried in the object's own order. In a fallback array the first
    valid target wins, preferring the first one for which ``exists(target)`` is true when
    ``exists`` is given. Raises :class:`ExportsError` when the subpath is not exported,
    is blocked by ``null``, matches no active condition, or maps to an invalid target.
    """
    exports_map = _subpath_map(exports)
    if "*" not in subpath and subpath in exports_map and not subpath.endswith("/"):
        key, match = subpath, None
    else:
        key, match = _best_pattern(exports_map, subpath)
        if key is None:
            raise ExportsError(f'does not export "{subpath}"')
    result = _target(exports_map[key], match, key, conditions, exists)
    if result is None:
        raise ExportsError(f'does not export "{subpath}" (it is blocked by null in "exports")')
    if result is _NO_MATCH:
        active = ", ".join(sorted({*conditions, "default"}))
        raise ExportsError(f'exports "{subpath}" only for other conditions (active: {active})')
    return result


def _subpath_map(exports: Any) -> Mapping[str, Any]:
    """``exports`` as a map from subpath to target: sugar forms become ``{".": exports}``."""
    if not isinstance(exports, dict):
        return {".": exports}
    if not exports:
        return exports
    dotted = [key.startswith(".") for key in exports]
    if not any(dotted):
        return {".": exports}
    if not all(dotted):
        raise ExportsError('has "exports" that mixes "./" subpaths with condition names')
    return exports


def _best_pattern(exports_map: Mapping[str, Any], subpath: str) -> tuple[str | None, str | None]:
    """The most specific ``*`` pattern (or legacy ``"./dir/"`` folder key) matching ``subpath``.

    Node's ``PATTERN_KEY_COMPARE``: the longest text before ``*`` wins, then the longest key.
    The ``*`` must match at least one character.
    """
    best: tuple[int, int] = (-1, -1)
    best_key: str | None = None
    best_match: str | None = None
    for key in exports_map:
        star = key.find("*")
        if star == -1:
            if not key.endswith("/") or not subpath.startswith(key) or len(subpath) == len(key):
                continue
            rank, match = (len(key), len(key)), subpath[len(key) :]
        else:
            if key.find("*", star + 1) != -1:
                continue
            base, trailer = key[:star], key[star + 1 :]
            if len(subpath) < len(key) or not subpath.startswith(base):
                continue
            if not subpath.endswith(trailer):
                continue
            rank = (star + 1, len(key))
            match = subpath[star : len(subpath) - len(trailer)]
        if rank > best:
            best, best_key, best_match = rank, key, match
    return best_key, best_match


def _target(
    target: Any,
    match: str | None,
    key: str,
    conditions: Collection[str],
    exists: Callable[[str], bool] | None,
) -> Any:
    """A target string, ``None`` (blocked) or ``_NO_MATCH``; raises on invalid targets."""
    if isinstance(target, str):
        return _substitute(target, match, key)
    if isinstance(target, dict):
        for condition, value in target.items():
            if condition == "default" or condition in conditions:
                result = _target(value, match, key, conditions, exists)
                if result is not _NO_MATCH:
                    return result
        return _NO_MATCH
    if isinstance(target, list):
        return _first_in_array(target, match, key, conditions, exists)
    if target is None:
        return None
    raise ExportsError(f'has an invalid "exports" target {target!r} for "{key}"')


def _first_in_array(
    targets: list[Any],
    match: str | None,
    key: str,
    conditions: Collection[str],
    exists: Callable[[str], bool] | None,
) -> Any:
    """Fallback arrays: skip invalid, blocked and unmatched entries; prefer ones that exist."""
    first: str | None = None
    error: ExportsError | None = None
    blocked = False
    for item in targets:
        try:
            result = _target(item, match, key, conditions, exists)
        except ExportsError as exc:
            error = exc
            continue
        if result is _NO_MATCH:
            continue
        if result is None:
            blocked = True
            continue
        if exists is None or exists(result):
            return result
        if first is None:
            first = result
    if first is not None:
        return first
    if error is not None and not blocked:
        raise error
    return None if blocked or not targets else _NO_MATCH


def _substitute(target: str, match: str | None, key: str) -> str:
    """Put the pattern match into the target and check that it stays inside the package."""
    if not target.startswith("./"):
        raise ExportsError(f'has an invalid "exports" target "{target}" for "{key}"')
    if match is not None:
        if any(part in _BAD_SEGMENTS - {""} for part in match.split("/")):
            raise ExportsError(f'does not allow "{match}" in "{key}"')
        target = target.replace("*", match) if "*" in key else target + match
    rest = target[2:]
    parts = rest.split("/")
    if rest.endswith("/"):
        parts.pop()
    if any(part.lower() in _BAD_SEGMENTS for part in parts):
        raise ExportsError(f'has an invalid "exports" target "{target}" for "{key}"')
    return target
