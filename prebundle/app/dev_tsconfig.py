"""The nearest ``tsconfig.json`` of a module: the ``compilerOptions`` that change what esbuild
emits, and its ``paths``/``baseUrl`` aliases. One reader for the daemon's transforms, its import
rewriting and the scan.

esbuild's transform API reads no file, so the daemon finds the tsconfig itself, as esbuild's
build mode would: the nearest ``tsconfig.json`` (else ``jsconfig.json``) from the module's folder
up to the root, ``extends`` followed (relative paths, and package names resolved in
``node_modules``), comments and trailing commas allowed. Only the options esbuild honours in a
``tsconfig_raw`` are kept for transforms, so a change to ``strict`` or ``paths`` does not make
new transforms; ``paths`` and ``baseUrl`` become :class:`~prebundle.resolve.PathAliases`, each
relative to the file that set it, as TypeScript reads them. Answers are remembered per folder
and re-checked by the stamps of every file they read.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..resolve.tsconfig_paths import PathAliases, path_aliases

if TYPE_CHECKING:
    from ..resolve import Resolver

__all__ = ["ESBUILD_OPTIONS", "NAMES", "Tsconfig", "TsconfigError", "TsconfigFinder", "alias_file", "is_app_path",
           "parse_jsonc"]

ESBUILD_OPTIONS = ("alwaysStrict", "experimentalDecorators", "importsNotUsedAsValues", "jsx", "jsxFactory",
                   "jsxFragmentFactory", "jsxImportSource", "preserveValueImports", "strict", "target",
                   "useDefineForClassFields", "verbatimModuleSyntax")
"""``compilerOptions`` esbuild reads from ``tsconfig_raw``."""
NAMES = ("tsconfig.json", "jsconfig.json")
"""Looked for in each folder, in this order."""
_LOCATED = ("baseUrl", "paths")
"""Options relative to the file that sets them (``extends`` followed)."""
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


_Stamp = tuple[int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode): an editor's save by rename moves the inode too."""


def _stamp(path: str) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass(frozen=True, slots=True)
class Tsconfig:
    """The tsconfig that applies to a module, read with what it extends."""

    path: str
    """The nearest ``tsconfig.json`` (else ``jsconfig.json``)."""
    files: tuple[str, ...]
    """Every file read for it: ``path`` and the files it extends."""
    options: dict[str, Any]
    """Its ``compilerOptions`` that esbuild reads (``ESBUILD_OPTIONS``)."""
    aliases: PathAliases | None
    """Its ``paths`` and ``baseUrl``; None without either."""


class TsconfigFinder:
    """The tsconfig of the modules under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._nearest: dict[str, str | None] = {}
        """Folder -> the tsconfig that applies there (None: none); cleared by ``forget``."""
        self._read: dict[str, tuple[tuple[tuple[str, _Stamp | None], ...], Tsconfig]] = {}
        """tsconfig -> (the files read with their stamps, what they say)."""
        self._lock = threading.Lock()

    def forget(self) -> None:
        """A tsconfig or jsconfig file appeared, vanished or moved: look again."""
        with self._lock:
            self._nearest.clear()

    def options_for(self, module: str) -> dict[str, Any]:
        """The esbuild options for the module file ``module`` ({} without a tsconfig). Raises
        ``TsconfigError`` for a tsconfig that is not valid."""
        found = self.tsconfig_for(module)
        return {} if found is None else found.options

    def aliases_for(self, module: str) -> PathAliases | None:
        """The ``paths``/``baseUrl`` aliases for the module file ``module``. Raises
        ``TsconfigError`` for a tsconfig that is not valid."""
        found = self.tsconfig_for(module)
        return None if found is None else found.aliases

    def tsconfig_for(self, module: str) -> Tsconfig | None:
        """The tsconfig of the module file ``module``; None without one. Raises
        ``TsconfigError`` for a tsconfig that is not valid."""
        found = self.nearest(os.path.dirname(module))
        return None if found is None else self.read(found)

    def read(self, found: str) -> Tsconfig:
        """The tsconfig file ``found``, with what it extends. Raises ``TsconfigError`` when it
        is not valid."""
        cached = self._read.get(found)
        if cached is not None and all(_stamp(path) == stamp for path, stamp in cached[0]):
            return cached[1]
        read: list[tuple[str, _Stamp | None]] = []
        origins: dict[str, str] = {}
        merged = self._read_chain(found, read, origins, depth=0)
        tsconfig = Tsconfig(
            path=found,
            files=tuple(path for path, _stamp_now in read),
            options={key: merged[key] for key in ESBUILD_OPTIONS if key in merged},
            aliases=path_aliases(found, merged, base_url_from=origins.get("baseUrl"), paths_from=origins.get("paths")),
        )
        self._read[found] = (tuple(read), tsconfig)
        return tsconfig

    def nearest(self, folder: str) -> str | None:
        """The tsconfig that applies in ``folder``: the first ``tsconfig.json`` (else
        ``jsconfig.json``) from there up to the root."""
        with self._lock:
            if folder in self._nearest:
                return self._nearest[folder]
        found = None
        for name in NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                found = candidate
                break
        if found is None and folder.startswith(self.root + os.sep):
            found = self.nearest(os.path.dirname(folder))  # remembered for the sibling folders too
        with self._lock:
            self._nearest[folder] = found
        return found

    def _read_chain(self, path: str, read: list[tuple[str, _Stamp | None]], origins: dict[str, str], *,
                    depth: int) -> dict[str, Any]:
        """The ``compilerOptions`` of ``path`` over those of what it ``extends``; ``origins``
        gets the folder of the file that set each of ``_LOCATED``."""
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
            merged.update(self._read_chain(target, read, origins, depth=depth + 1))
        options = data.get("compilerOptions")
        if isinstance(options, dict):
            merged.update(options)
            for key in _LOCATED:
                if key in options:
                    origins[key] = os.path.dirname(path)
        return merged


def is_app_path(root: str, path: str) -> bool:
    """Whether ``path`` is one of the app's own files or folders (``root`` or under it, both
    real paths, outside ``node_modules``): only those are read with the app's tsconfig aliases."""
    inside = path == root or path.startswith(root + os.sep)
    return inside and "node_modules" not in path[len(root):].split(os.sep)


def alias_file(root: Path, specifier: str, importer: str, resolver: Resolver) -> str | None:
    """The app file the tsconfig of ``importer`` maps ``specifier`` to (``paths``, then
    ``baseUrl``); None when it maps it to none, or the tsconfig cannot be read. For a few
    questions at a time (a build's stylesheet and asset imports): nothing is remembered."""
    finder = TsconfigFinder(root)
    if not is_app_path(finder.root, importer):
        return None
    try:
        aliases = finder.aliases_for(importer)
    except TsconfigError:
        return None  # esbuild reports it
    match = None if aliases is None else aliases.match(specifier)
    for candidate in () if match is None else match.candidates:
        found = resolver.resolve_path(candidate)
        if found is not None and "node_modules" not in found.parts:
            return str(found)
    return None


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
