"""CommonJS ``require()`` resolution as far as interop analysis needs it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

__all__ = ["resolve_cjs", "is_relative"]

_EXTENSIONS = (".js", ".json", ".cjs")


def is_relative(specifier: str) -> bool:
    return specifier in (".", "..") or specifier.startswith(("./", "../", "/"))


def resolve_cjs(
    specifier: str, from_file: Path, resolve_require: Callable[[str, Path], Path | None] | None = None
) -> Path | None:
    """Resolve ``require(specifier)`` made in ``from_file``.

    Relative and absolute specifiers follow Node's ``LOAD_AS_FILE``/``LOAD_AS_DIRECTORY``
    (``.js``, ``.json``; ``package.json`` ``main``; ``index``). Bare ones are the caller's:
    ``resolve_require`` or, without it, unresolvable."""
    if is_relative(specifier):
        base = from_file.parent / specifier
        return _as_file(base) or _as_directory(base)
    if resolve_require is None:
        return None
    target = resolve_require(specifier, from_file)
    return Path(target) if target is not None else None


def _as_file(base: Path) -> Path | None:
    if base.is_file():
        return base
    for ext in _EXTENSIONS:
        candidate = base.with_name(base.name + ext)
        if candidate.is_file():
            return candidate
    return None


def _as_directory(base: Path) -> Path | None:
    if not base.is_dir():
        return None
    manifest = base / "package.json"
    if manifest.is_file():
        try:
            main = json.loads(manifest.read_text(encoding="utf-8")).get("main")
        except (OSError, ValueError, AttributeError):
            main = None
        if isinstance(main, str) and main:
            target = base / main
            found = _as_file(target) or _index(target)
            if found is not None:
                return found
    return _index(base)


def _index(base: Path) -> Path | None:
    for ext in _EXTENSIONS:
        candidate = base / ("index" + ext)
        if candidate.is_file():
            return candidate
    return None
