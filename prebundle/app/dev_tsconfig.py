"""The ``compilerOptions`` of the nearest ``tsconfig.json`` that change what esbuild emits.

esbuild's transform API reads no file, so the daemon finds the tsconfig itself, as esbuild's
build mode would: the nearest ``tsconfig.json`` (else ``jsconfig.json``) from the module's folder
up to the root, ``extends`` followed (relative paths, and package names resolved in
``node_modules``), comments and trailing commas allowed. Only the options esbuild honours in a
``tsconfig_raw`` are kept, so a change to ``strict`` or ``paths`` does not make new transforms.
Answers are remembered per folder and re-checked by the stamps of every file they read.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

__all__ = ["ESBUILD_OPTIONS", "TsconfigError", "TsconfigFinder", "parse_jsonc"]

ESBUILD_OPTIONS = ("alwaysStrict", "experimentalDecorators", "importsNotUsedAsValues", "jsx", "jsxFactory",
                   "jsxFragmentFactory", "jsxImportSource", "preserveValueImports", "strict", "target",
                   "useDefineForClassFields", "verbatimModuleSyntax")
"""``compilerOptions`` esbuild reads from ``tsconfig_raw``."""
NAMES = ("tsconfig.json", "jsconfig.json")
MAX_EXTENDS = 16

_COMMENTS_AND_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_STRINGS_AND_TRAILING_COMMAS = re.compile(r'"(?:\\.|[^"\\])*"|,(?=\s*[}\]])')


class TsconfigError(ValueError):
    """A tsconfig that cannot be read; the message names the file."""


def parse_jsonc(text: str) -> Any:
    """JSON with comments and trailing commas, as TypeScript reads tsconfig files."""
    without = _COMMENTS_AND_STRINGS.sub(_strings_only, text)
    return json.loads(_STRINGS_AND_TRAILING_COMMAS.sub(_strings_only, without))


def _strings_only(match: re.Match[str]) -> str:
    """A string literal as it is; anything else the pattern matched (a comment, a trailing
    comma) as a space."""
    return match.group(0) if match.group(0).startswith('"') else " "


_Stamp = tuple[int, int]


def _stamp(path: str) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class TsconfigFinder:
    """The esbuild-relevant ``compilerOptions`` for the modules under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._nearest: dict[str, str | None] = {}
        """Folder -> the tsconfig that applies there (None: none); cleared by ``forget``."""
        self._options: dict[str, tuple[tuple[tuple[str, _Stamp | None], ...], dict[str, Any]]] = {}
        """tsconfig -> (the files read with their stamps, the options)."""
        self._lock = threading.Lock()

    def forget(self) -> None:
        """A tsconfig or jsconfig file appeared, vanished or moved: look again."""
        with self._lock:
            self._nearest.clear()

    def options_for(self, module: str) -> dict[str, Any]:
        """The options for the module file ``module`` ({} without a tsconfig). Raises
        ``TsconfigError`` for a tsconfig that is not valid."""
        found = self._find(os.path.dirname(module))
        if found is None:
            return {}
        cached = self._options.get(found)
        if cached is not None and all(_stamp(path) == stamp for path, stamp in cached[0]):
            return cached[1]
        read: list[tuple[str, _Stamp | None]] = []
        merged = self._read_chain(found, read, depth=0)
        options = {key: merged[key] for key in ESBUILD_OPTIONS if key in merged}
        self._options[found] = (tuple(read), options)
        return options

    def _find(self, folder: str) -> str | None:
        with self._lock:
            if folder in self._nearest:
                return self._nearest[folder]
        found = None
        current = folder
        while True:
            for name in NAMES:
                candidate = os.path.join(current, name)
                if os.path.isfile(candidate):
                    found = candidate
                    break
            if found is not None or current == self.root or not current.startswith(self.root + os.sep):
                break
            current = os.path.dirname(current)
        with self._lock:
            self._nearest[folder] = found
        return found

    def _read_chain(self, path: str, read: list[tuple[str, _Stamp | None]], *, depth: int) -> dict[str, Any]:
        """The ``compilerOptions`` of ``path`` over those of what it ``extends``."""
        read.append((path, _stamp(path)))
        try:
            data = parse_jsonc(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as error:
            raise TsconfigError(f"{path}: cannot read it: {error}; fix or remove it") from None
        if not isinstance(data, dict):
            raise TsconfigError(f"{path}: expected a JSON object; fix or remove it")
        merged: dict[str, Any] = {}
        bases = data.get("extends")
        for base in [bases] if isinstance(bases, str) else bases if isinstance(bases, list) else []:
            if depth >= MAX_EXTENDS:
                raise TsconfigError(f"{path}: extends goes deeper than {MAX_EXTENDS} files (a cycle?)")
            target = _extended(base, os.path.dirname(path))
            if target is None:
                raise TsconfigError(f"{path}: extends {base!r}, which is not found; fix the path or install it")
            merged.update(self._read_chain(target, read, depth=depth + 1))
        options = data.get("compilerOptions")
        if isinstance(options, dict):
            merged.update(options)
        return merged


def _extended(base: str, folder: str) -> str | None:
    """The file an ``extends`` entry names: a path, or a package's file in ``node_modules``."""
    if not isinstance(base, str) or not base:
        return None
    if base.startswith((".", "/")):
        candidates = [os.path.join(folder, base)]
    else:
        candidates = []
        current = folder
        while True:
            candidates.append(os.path.join(current, "node_modules", base))
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
    for candidate in candidates:
        for path in (candidate, candidate + ".json", os.path.join(candidate, "tsconfig.json")):
            if os.path.isfile(path):
                return os.path.realpath(path)
    return None
