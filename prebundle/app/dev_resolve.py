"""What an app module's import specifier becomes in the code the browser gets.

* Bare imports of modules (``react``) stay bare: the page's import map resolves them. So do URLs
  (``https:``, ``data:``), the daemon's own routes (``/@prebundle/client.js``) and
  root-absolute paths that name no file of the app.
* A bare import of a package's stylesheet, JSON or other file (``swiper/css``,
  ``leaflet/dist/leaflet.css``), which no import map can hold, becomes that file's URL through
  the project's ``node_modules`` with ``?import`` (``/node_modules/swiper/swiper.css?import``),
  answered with a module as the app's own stylesheets are.
* A plugin's ``resolve_id`` answers first: a virtual id becomes ``/@id/__x00__<id>``, a file of
  the app its URL.
* A non-relative import that the app module's tsconfig ``paths`` or ``baseUrl`` maps to a file
  of the app is written as that file's URL (``@/components/Button`` becomes
  ``/src/components/Button.tsx``), as the scan reads it (:mod:`prebundle.resolve.tsconfig_paths`).
  A ``paths`` key that matches with no file behind it is an error, unless the name is an
  installed package (TypeScript then takes the package).
* Relative and root-absolute imports are resolved as the scanner resolves them (the exact file,
  ``.ts`` for ``.js``, the extensions, a folder's ``index``): ``./App`` becomes ``/src/App.tsx``.
  A file that is not JavaScript gets ``?import`` (``/src/style.css?import``), which the daemon
  answers with a module (``dev_wrappers``); so does one inside ``node_modules``
  (``../node_modules/bootstrap/dist/css/bootstrap.css``), where a package's modules keep the URL
  written. A relative import of nothing is an error, as in Vite.

Resolving probes the disk (a page of 1,000 modules imported by one entry is 6,000 ``stat``
calls), so ``ResolutionMemo`` keeps each answer while the folders it rests on keep their
modification time: adding, removing or renaming a file there changes it. A folder changed less
than ``RACY_NS`` before the answer could change again unseen within the same tick of the file
system's clock, so such an answer is not kept.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..filetypes import SCRIPT_EXTENSIONS
from ..plugins.virtual import id_to_url
from ..resolve import ResolveError, may_be_alias
from ..specifiers import is_bare, split_package
from .dev_tsconfig import TsconfigError, is_app_path

if TYPE_CHECKING:
    from ..plugins import PluginContainer
    from ..resolve import PathAliases, Resolver
    from .dev_tsconfig import TsconfigFinder

__all__ = ["MODULE_SUFFIXES", "URL_SAFE", "WORKER_QUERY", "ImportUrls", "ResolutionMemo", "Unresolved", "file_url"]

MODULE_SUFFIXES = frozenset({".js", ".mjs", ".jsx", ".ts", ".tsx", ".mts"})
"""Files imported as they are named (the browser loads them as modules); the rest get ``?import``."""
_NOT_MODULES = frozenset({"css", "json", "wasm", "asset"})
"""Kinds of package files (``Resolution.kind``) that a bare import gets as a URL with ``?import``;
``js``, ``vue`` and ``svelte`` entries are modules the optimizer bundles for the import map."""
URL_SAFE = "/:@!$&'()*+,;=-._~"
"""Characters a browser leaves as they are in a URL path."""
WORKER_QUERY = "worker_file"
"""Marks the URL of a module a worker's module imports (as Vite's ``?worker_file``): served as
a worker's, whatever the request's ``Sec-Fetch-Dest``."""
RACY_NS = 1_000_000_000
"""A folder's modification time this close to now does not prove an answer."""
MEMO_ENTRIES = 20_000


class Unresolved(LookupError):
    """A relative import names no file (nor does a tsconfig ``paths`` match)."""


def file_url(root: str, path: str) -> str | None:
    """The URL path of a file under ``root`` (both real paths); None outside it."""
    if not path.startswith(root + os.sep):
        return None
    return "/" + quote(path[len(root) + 1:].replace(os.sep, "/"), safe=URL_SAFE)


class ResolutionMemo:
    """Relative resolutions by (specifier, importer's folder), each with the modification
    times of the folders that decided it. The tsconfig alias candidates (absolute paths, folder
    ``""``) are kept here too, misses included: with ``baseUrl`` every package name is one."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], tuple[str, tuple[tuple[str, int], ...]]] = {}
        self._lock = threading.Lock()

    def get(self, specifier: str, folder: str) -> str | None:
        """The remembered target while its proof holds ("" for a remembered miss); None when
        there is none."""
        found = self._answers.get((specifier, folder))
        if found is None:
            return None
        target, proof = found
        for path, stamp in proof:
            if _mtime(path) != stamp:
                return None
        return target

    def put(self, specifier: str, folder: str, target: str) -> None:
        """Remember that ``specifier`` from ``folder`` is ``target`` (a real path; "" for no
        file), when the folders probed for it prove it: the one its path names, and the
        target's (for a miss, the folder the path itself names, if it is one)."""
        named = os.path.normpath(os.path.join(folder, specifier.partition("?")[0]))
        folders = {os.path.dirname(named)}
        if target:
            folders.add(os.path.dirname(target))
        elif os.path.isdir(named):
            folders.add(named)
        limit = time.time_ns() - RACY_NS
        proof = tuple((path, _mtime(path)) for path in sorted(folders))
        if any(stamp is None or stamp > limit for _path, stamp in proof):
            return
        with self._lock:
            if len(self._answers) >= MEMO_ENTRIES:
                self._answers.clear()
            self._answers[(specifier, folder)] = (target, proof)


def _installed(name: str, folder: str) -> bool:
    """Whether a ``node_modules`` at or above ``folder`` has the package ``name``, looked at
    now (an install while the daemon runs is seen at once)."""
    while True:
        if os.path.isdir(os.path.join(folder, "node_modules", name)):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class ImportUrls:
    """Rewrites the specifiers of the modules of one root (``root``: its real path)."""

    def __init__(self, root: str, resolver: Resolver, plugins: PluginContainer | None,
                 memo: ResolutionMemo | None = None, tsconfig: TsconfigFinder | None = None,
                 bare: Callable[[str, str], str | None] | None = None) -> None:
        self.root = root
        self.bare = bare
        """The URL of a bare import of a module made from a module's URL path, for code no import
        map reaches (a worker's); None: bare imports stay bare."""
        self.resolver = resolver
        self.plugins = plugins if plugins is not None and plugins.has("resolve_id") else None
        self.memo = memo or ResolutionMemo()
        self.tsconfig = tsconfig
        """The app's tsconfig files, for ``paths`` and ``baseUrl`` (None: not applied)."""
        self._aliases: dict[str, PathAliases | None] = {}
        """Importer -> its aliases, read once per module's imports."""
        self._root_importer = os.path.join(root, "index.html")

    def url(self, specifier: str, importer: str) -> str | None:
        """The specifier to write instead of ``specifier`` in ``importer`` (a file, or a
        ``\\0`` id); None to leave it. Raises ``Unresolved`` for a relative import of nothing."""
        if self.plugins is not None:
            resolved = self.plugins.resolve_id(specifier, importer, {})
            if resolved is not None:
                if resolved.startswith("\0"):
                    return id_to_url(resolved)
                return self._file(os.path.realpath(resolved), specifier)
        source = self._root_importer if importer.startswith("\0") else importer
        if self.tsconfig is not None and may_be_alias(specifier):
            aliased = self._alias(specifier, source)
            if aliased is not None:
                return self._file(aliased, specifier)
        if is_bare(specifier):
            url = self._package_file(specifier, source)
            if url is not None or self.bare is None:
                return url
            return self.bare(specifier, file_url(self.root, source) or "")  # the import map's scopes apply
        if not specifier.startswith((".", "/")) or specifier.startswith(("//", "/@")):
            return None
        relative = specifier.startswith(".")
        folder, key = (os.path.dirname(source), specifier) if relative else (self.root, "." + specifier)
        target = self.memo.get(key, folder)
        if target is None:
            found = self.resolver.resolve_file(specifier, Path(source))
            if found is None:
                if relative:
                    raise Unresolved(specifier)
                return None
            target = str(found)
            self.memo.put(key, folder, target)
        return self._file(target, specifier)

    def _package_file(self, specifier: str, importer: str) -> str | None:
        """The ``?import`` URL of the package file ``specifier`` names when that file is not a
        module (a stylesheet, JSON, an image); None to leave it bare: a module (the import map's),
        a Node builtin, nothing installed, a stylesheet only a plugin could compile (``.scss``),
        or a file outside the root (a linked package's: the daemon serves those folders only
        when a scan found the package imported as a module)."""
        if os.path.splitext(specifier)[1].lower() in MODULE_SUFFIXES:
            return None  # a module by its name: no resolving
        url = self._package_url(self.resolver, specifier, importer, _NOT_MODULES)
        return None if url is None else url + "?import"

    def stylesheet_import(self, specifier: str, stylesheet: str) -> str | None:
        """The URL for a stylesheet's ``@import "bootstrap"`` or ``@import
        "bootstrap/dist/css/bootstrap.css"`` when no file beside ``stylesheet`` has that name:
        the package's stylesheet (its ``style`` condition or field, as Vite's CSS resolver takes
        it), through the project's ``node_modules``; None to leave the URL to the browser."""
        if not is_bare(specifier) or os.path.exists(os.path.join(os.path.dirname(stylesheet), specifier)):
            return None
        return self._package_url(self.resolver.for_style(), specifier, stylesheet, frozenset({"css"}))

    def _package_url(self, resolver: Resolver, specifier: str, importer: str, kinds: frozenset[str]) -> str | None:
        """The URL of the file of one of ``kinds`` that ``specifier`` names in its package, through
        the project's ``node_modules``; None when it is no such file, or no file of the root."""
        try:
            found = resolver.resolve(specifier, Path(importer))
        except ResolveError:
            return None
        if found.entry is None or found.kind not in kinds:
            return None
        if found.kind == "css" and found.entry.suffix.lower() != ".css":
            return None
        inside = os.path.relpath(found.entry, found.package_dir)
        if inside.startswith(os.pardir + os.sep) or not os.path.realpath(found.entry).startswith(self.root + os.sep):
            return None
        folder = resolver.find_package_dir(split_package(specifier)[0], Path(importer).parent)
        if folder is None or os.path.realpath(folder) != os.path.realpath(found.package_dir):
            return None  # a ``browser`` map sent it into another package
        return file_url(self.root, os.path.join(folder, inside))

    def _alias(self, specifier: str, importer: str) -> str | None:
        """The app file the tsconfig of ``importer`` maps ``specifier`` to; None when it maps
        it to none (a package, then). Raises ``Unresolved`` for a ``paths`` match with no file
        behind it that is no installed package either."""
        if importer not in self._aliases:
            aliases = None
            if is_app_path(self.root, importer):  # a package's file: its own tsconfig is not the app's
                try:
                    aliases = self.tsconfig.aliases_for(importer)
                except TsconfigError:
                    pass  # the module's compile reports it
            self._aliases[importer] = aliases
        aliases = self._aliases[importer]
        match = None if aliases is None else aliases.match(specifier)
        if match is None:
            return None
        for candidate in match.candidates:
            target = self.memo.get(candidate, "")
            if target is None:
                found = self.resolver.resolve_path(candidate)
                target = "" if found is None else str(found)
                self.memo.put(candidate, "", target)
            if target and "node_modules" not in target.split(os.sep):
                return target
        if match.miss_is_error and not _installed(split_package(specifier)[0], os.path.dirname(importer)):
            raise Unresolved(specifier)
        return None  # a package's name: bare, as TypeScript takes the package (the scan reports it if missing)

    def _file(self, path: str, specifier: str) -> str | None:
        url = file_url(self.root, path)
        if url is None:
            return None
        suffix = os.path.splitext(path)[1].lower()
        if "/node_modules/" in url and suffix in SCRIPT_EXTENSIONS:
            return None  # a package's module: served as it is, by the URL written
        query = specifier.partition("?")[2].partition("#")[0]
        if suffix not in MODULE_SUFFIXES and "import" not in query.split("&"):
            query = query + "&import" if query else "import"
        elif suffix in MODULE_SUFFIXES and self.bare is not None and WORKER_QUERY not in query.split("&"):
            # a worker's ``import()`` is fetched as a script: the mark keeps it the worker's
            query = query + "&" + WORKER_QUERY if query else WORKER_QUERY
        return url + ("?" + query if query else "")
