"""Bare specifier -> package folder + entry file, with Node's resolution rules for browsers."""

from __future__ import annotations

import copy
import json
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PrebundleError
from ..filetypes import SCRIPT_EXTENSIONS
from ..specifiers import is_bare, is_node_builtin, split_package
from .browser import BrowserMap, is_path_key, normalize_browser_map
from .exports import ExportsError, resolve_exports

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "BuiltinModule",
    "PackageNotFound",
    "Resolution",
    "ResolveError",
    "Resolver",
    "kind_of",
]

_MISSING, _FILE, _DIR = 0, 1, 2
_LINK, _OTHER_CASE = -1, -2
"""In a folder listing (``Resolver._list``): a symlink, and the case-folded form of a name."""
_NODE_MODULES = f"{os.sep}node_modules{os.sep}"
_DOTS = frozenset((".", ".."))

_KINDS: dict[str, str] = {
    **dict.fromkeys((*SCRIPT_EXTENSIONS, ""), "js"),
    **dict.fromkeys((".css", ".scss", ".sass", ".less", ".styl", ".stylus", ".pcss"), "css"),
    ".json": "json",
    ".wasm": "wasm",
    ".vue": "vue",
    ".svelte": "svelte",
}

_TS_REWRITES: dict[str, tuple[str, ...]] = {
    ".js": (".ts", ".tsx"),
    ".jsx": (".tsx",),
    ".mjs": (".mts",),
    ".cjs": (".cts",),
}
"""``./foo.js`` may be written for ``./foo.ts``: TypeScript's output-extension convention."""


def _stat_kind(path: str) -> int:
    """Missing, file or folder, by ``os.stat`` (symlinks followed)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return _MISSING
    return _DIR if stat.S_ISDIR(mode) else _FILE


def _listable(name: str) -> bool:
    """Whether a folder listing can answer for ``name`` (an entry's name, ASCII: others may
    match under Unicode normalization, which only ``stat`` applies)."""
    return bool(name) and name not in _DOTS and name.isascii()


def kind_of(path: str | os.PathLike[str]) -> str:
    """``js`` (also TS, and files without extension), ``css``, ``json``, ``wasm``, ``vue``,
    ``svelte``, or ``asset`` for anything else, by the file's extension."""
    return _KINDS.get(os.path.splitext(os.fspath(path))[1].lower(), "asset")


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a bare import leads."""

    specifier: str
    """As written: ``react-dom/client``."""
    package_name: str
    """``react-dom``; for a ``browser`` map that redirects the entry to another module, that
    module's package."""
    package_dir: Path
    """The package folder (its realpath unless ``preserve_symlinks``)."""
    version: str | None
    """``version`` from the package's package.json."""
    entry: Path | None
    """The entry file (realpath unless ``preserve_symlinks``); ``None`` only when ``ignored``."""
    linked: bool
    """The package folder is outside every ``node_modules`` folder (a linked workspace
    package): the scanner crawls it as source instead of bundling it."""
    kind: str
    """What the entry is, by extension: ``js``, ``css``, ``json``, ``wasm``, ``asset``..."""
    ignored: bool = False
    """The package's ``browser`` map sets this entry to ``false``: it is an empty module in
    browsers. ``entry`` is then ``None`` and ``kind`` is ``js``."""


class ResolveError(PrebundleError):
    """A bare import does not resolve. ``reason`` (also ``str(error)``) is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PackageNotFound(ResolveError):
    """No ``node_modules`` folder above the importer has the package."""


class BuiltinModule(ResolveError):
    """A Node.js builtin (``fs``, ``node:path``) with no browser package of that name
    installed: the scanner skips these imports."""


@dataclass(frozen=True, slots=True)
class _Failure:
    error_type: type[ResolveError]
    reason: str


class Resolver:
    """Resolves bare imports and relative source imports under one project root.

    What lives under ``node_modules`` is cached: file-system checks there, package.json
    reads, node_modules look-ups and :meth:`resolve` results per (specifier, importer
    folder). Source files are checked afresh on every :meth:`resolve_file`, so files the
    user adds or removes are seen at once; call :meth:`clear` when ``node_modules`` or a
    package.json changes. The caches are plain dicts, each read and written in single
    operations, so threads may share a resolver: two threads may compute the same answer
    at once, and both get equal ones.
    """

    @classmethod
    def for_config(cls, config: Config) -> Resolver:
        """The resolver of a project: its root, mode, ``conditions`` and ``main_fields``."""
        return cls(config.root, mode=config.mode, conditions=config.conditions, main_fields=config.main_fields)

    def __init__(
        self,
        root: Path,
        *,
        mode: str = "development",
        conditions: Sequence[str] = (),
        main_fields: Sequence[str] = ("browser", "module", "main"),
        extensions: Sequence[str] = (".mjs", ".js", ".mts", ".ts", ".jsx", ".tsx", ".json"),
        preserve_symlinks: bool = False,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.mode = mode
        env = "production" if mode == "production" else "development"
        self.conditions: frozenset[str] = frozenset(
            ("browser", "import", "module", "default", env, *conditions)
        )
        """Active ``exports`` conditions; matched in each condition object's own key order."""
        self.main_fields = tuple(main_fields)
        self.extensions = tuple(extensions)
        self.preserve_symlinks = preserve_symlinks
        self._listings: dict[str, dict[str, int] | None] | None = None
        """Folder -> its entries' kinds, in a view made by :meth:`with_listings`; None otherwise."""
        self._before_listing: Callable[[str], object] | None = None
        self.clear()

    def clear(self) -> None:
        """Forget everything cached (call it when ``node_modules`` or sources change)."""
        self._kinds: dict[str, int] = {}
        self._reals: dict[str, str] = {}
        self._manifests: dict[str, dict[str, Any] | _Failure] = {}
        self._browser: dict[str, tuple[BrowserMap, dict[str, Any]]] = {}
        self._lookups: dict[tuple[str, str], str | None] = {}
        self._results: dict[tuple[str, str], Resolution | _Failure] = {}
        self._importers: dict[str, str] = {}
        self._require_twin: Resolver | None = None
        self._style_twin: Resolver | None = None

    def with_listings(self, before_listing: Callable[[str], object] | None = None) -> Resolver:
        """This resolver for one crawl of the source tree: files outside ``node_modules`` are
        probed in a listing of their folder, read once (``os.scandir``), instead of with a
        ``stat`` per candidate (a relative import tries the exact name, each extension, then a
        folder's ``index``). The view sees a folder as it was when first listed, so drop it
        when the crawl ends; ``before_listing(folder)`` is called just before a folder is
        listed (a crawl stamps the folder there: a later change then shows in the stamp).
        A name the listing does not hold exactly but holds in another case (or a non-ASCII
        name) is looked up with ``stat``, as case-insensitive file systems answer it. Shares
        every other cache of this resolver."""
        view = copy.copy(self)
        view._listings = {}
        view._before_listing = before_listing
        view._require_twin = None
        view._style_twin = None
        return view

    def for_require(self) -> Resolver:
        """This resolver as a ``require()`` call resolves: the ``exports`` condition
        ``require`` instead of ``import`` (``{"import": "./x.mjs", "default": "./x.js"}`` gives
        ``x.js``). It shares this resolver's file-system caches and is dropped by :meth:`clear`."""
        twin = self._require_twin
        if twin is None:
            twin = copy.copy(self)
            twin.conditions = (self.conditions - {"import"}) | {"require"}
            twin._results = {}
            twin._require_twin = twin
            self._require_twin = twin
        return twin

    def for_style(self) -> Resolver:
        """This resolver as a stylesheet's ``@import "bootstrap"`` resolves, as Vite's CSS
        resolver does: the ``exports`` condition ``style`` (no ``import`` or ``module``), the
        main field ``style`` and ``index.css``, so a package whose main entry is JavaScript
        gives its stylesheet. Shares this resolver's file-system caches; dropped by :meth:`clear`."""
        twin = self._style_twin
        if twin is None:
            twin = copy.copy(self)
            twin.conditions = (self.conditions - {"import", "module"}) | {"style"}
            twin.main_fields = ("style",)
            twin.extensions = (".css",)
            twin._results = {}
            twin._require_twin = None
            twin._style_twin = twin
            self._style_twin = twin
        return twin

    # -- public API -------------------------------------------------------------------------

    def resolve(self, specifier: str, importer: Path) -> Resolution:
        """Resolve a bare import made by the file ``importer`` (a folder works too).

        Raises :class:`BuiltinModule` for Node builtins without a browser package,
        :class:`PackageNotFound` when nothing is installed, :class:`ResolveError` otherwise.
        """
        key = (specifier, self._importer_dir(importer))
        hit = self._results.get(key)
        if hit is None:
            try:
                hit = self._resolve_bare(specifier, key[1], depth=0)
            except ResolveError as exc:
                hit = _Failure(type(exc), exc.reason)
            self._results[key] = hit
        if isinstance(hit, _Failure):
            raise hit.error_type(hit.reason)
        return hit

    def find_package_dir(self, name: str, from_dir: Path) -> Path | None:
        """``<dir>/node_modules/<name>`` for the nearest ``dir`` at or above ``from_dir``.

        The walk starts from ``from_dir``'s realpath (unless ``preserve_symlinks``), as Node's
        does. The path returned is the one found, symlinks not followed, so a caller can tell
        a hoisted copy from a nested one.
        """
        found = self.find_package_path(name, os.fspath(from_dir))
        return None if found is None else Path(found)

    def modules_scope(self, from_dir: str) -> str:
        """The nearest folder at or above ``from_dir`` (its real path, unless
        ``preserve_symlinks``) that holds a ``node_modules`` folder, else the file system's
        root: the ``node_modules`` lookups of bare specifiers (``find_package_dir``,
        :meth:`resolve`) give every folder in between the answers they give it. (A package's
        ``imports``, ``browser`` map or a tsconfig may still tell folders apart.)"""
        directory = self._walk_start(os.path.join(self.root, from_dir))
        while True:
            if os.path.basename(directory) != "node_modules" and \
                    self._kind(os.path.join(directory, "node_modules")) == _DIR:
                return directory
            parent = os.path.dirname(directory)
            if parent == directory:
                return directory
            directory = parent

    def find_package_path(self, name: str, from_dir: str) -> str | None:
        """:meth:`find_package_dir` with paths as strings, for callers that ask it per
        dependency of every package."""
        start = os.path.join(self.root, from_dir)  # relative to the root; absolute stays
        return self._find_package(name, self._walk_start(start))

    def resolve_file(self, specifier: str, importer: Path) -> Path | None:
        """Resolve a relative (``./x``, ``../x``) or absolute (``/src/x``) source import.

        A ``?query`` or ``#hash`` is ignored. Tries the exact file, then ``.ts``/``.tsx`` for
        ``.js`` (``.mts`` for ``.mjs``, ``.cts`` for ``.cjs``, ``.tsx`` for ``.jsx``), then each
        extension appended, then a folder's package.json entry and ``index`` + extension.
        ``/x`` is looked up under the root first, then as a file-system path. Returns the
        file's realpath (unless ``preserve_symlinks``), or ``None``; ``None`` also for
        specifiers that are neither relative nor absolute.
        """
        found = self.resolve_source(specifier, importer)
        return None if found is None else Path(found)

    def resolve_source(self, specifier: str, importer: Path | str) -> str | None:
        """:meth:`resolve_file` with the answer as a string, for the crawl (thousands of imports)."""
        return self._resolve_relative(specifier, self._importer_dir(importer))

    def resolve_path(self, path: str) -> Path | None:
        """Resolve an absolute path as :meth:`resolve_file` resolves a relative import (a
        tsconfig ``paths`` target): the exact file, its TypeScript source, each extension
        appended, a folder's entry or ``index``. The realpath (unless ``preserve_symlinks``), or
        ``None``."""
        candidate = os.path.normpath(path)
        found = self._load_file(candidate, ts=True) or self._load_dir(candidate, depth=0)
        if found is None:
            return None
        return Path(found if self.preserve_symlinks else self._real(found))

    def package_json(self, package_dir: Path | str) -> dict[str, Any]:
        """The parsed ``package.json`` of a folder (``{}`` when it has none); cached, so do
        not modify it. Raises :class:`ResolveError` when the file is not valid JSON."""
        return self._manifest(os.fspath(package_dir))

    def browser_map(self, package_dir: Path) -> BrowserMap:
        """The package's ``browser`` object, normalized (see :mod:`.browser`); empty when the
        field is absent or a string."""
        return self._browser_maps(os.fspath(package_dir))[0]

    # -- bare imports -----------------------------------------------------------------------

    def _resolve_bare(self, specifier: str, from_dir: str, *, depth: int) -> Resolution:
        if not is_bare(specifier):
            if specifier.startswith("node:"):
                raise BuiltinModule(f'"{specifier}" is a Node.js builtin module')
            raise ResolveError(f'"{specifier}" is not a bare import')
        name, subpath = split_package(specifier)
        found = self._find_package(name, self._walk_start(from_dir))
        if found is None:
            if is_node_builtin(specifier):
                raise BuiltinModule(
                    f'"{specifier}" is a Node.js builtin module and no browser package '
                    f'"{name}" is installed'
                )
            raise PackageNotFound(f'package "{name}" is not installed (no node_modules/{name})')
        package_dir = found if self.preserve_symlinks else self._real(found)
        manifest = self._manifest(package_dir)
        entry = self._package_entry(name, package_dir, manifest, subpath)
        target = self._browser_target(package_dir, entry, subpath)
        if target is False:
            return self._resolution(specifier, name, package_dir, manifest, None)
        if isinstance(target, tuple):  # the browser map sends the entry to another module
            module = target[1]
            if depth > 8 or module == specifier:
                raise ResolveError(f'package "{name}" maps "{subpath}" to itself in "browser"')
            return replace(self._resolve_bare(module, package_dir, depth=depth + 1),
                           specifier=specifier)
        if target is not None:
            entry = target
        if self._kind(entry) != _FILE:
            raise ResolveError(f'package "{name}" has no file "{self._rel(package_dir, entry)}"')
        return self._resolution(specifier, name, package_dir, manifest, entry)

    def _package_entry(self, name: str, package_dir: str, manifest: dict[str, Any],
                       subpath: str) -> str:
        """The entry before the ``browser`` map: from ``exports``, main fields, or probing.

        May return a path that does not exist when a browser map still has to redirect it.
        """
        exports = manifest.get("exports")
        if exports is not None:
            def exists(target: str) -> bool:
                return self._kind(os.path.join(package_dir, target)) == _FILE

            try:
                target = resolve_exports(exports, subpath, self.conditions, exists=exists)
            except ExportsError as exc:
                raise ResolveError(f'package "{name}" {exc}') from None
            return os.path.normpath(os.path.join(package_dir, target))
        if subpath == ".":
            entry = self._main_entry(package_dir, manifest)
            if entry is None:
                fields = ", ".join(self.main_fields)
                raise ResolveError(
                    f'package "{name}" has no entry file (tried {fields} and index)'
                )
            return entry
        wanted = os.path.normpath(os.path.join(package_dir, subpath))
        return self._load_path(wanted, depth=0) or wanted

    def _main_entry(self, directory: str, manifest: dict[str, Any]) -> str | None:
        """Main fields in order (``browser`` only as a string), then ``index`` + extension."""
        for field in self.main_fields:
            value = manifest.get(field)
            if isinstance(value, str) and value:
                found = self._load_path(os.path.normpath(os.path.join(directory, value)), depth=1)
                if found is not None:
                    return found
        return self._load_index(directory)

    def _resolution(self, specifier: str, name: str, package_dir: str,
                    manifest: dict[str, Any], entry: str | None) -> Resolution:
        version = manifest.get("version")
        if entry is not None and not self.preserve_symlinks:
            entry = self._real(entry)
        return Resolution(
            specifier=specifier,
            package_name=name,
            package_dir=Path(package_dir),
            version=version if isinstance(version, str) else None,
            entry=None if entry is None else Path(entry),
            linked="node_modules" not in Path(package_dir).parts,
            kind="js" if entry is None else kind_of(entry),
            ignored=entry is None,
        )

    def _find_package(self, name: str, start: str) -> str | None:
        """Walk up from ``start`` looking in each ``node_modules``; caches every level."""
        visited: list[str] = []
        directory = start
        found: str | None = None
        while True:
            key = (name, directory)
            if key in self._lookups:
                found = self._lookups[key]
                break
            visited.append(directory)
            if os.path.basename(directory) != "node_modules":
                candidate = os.path.join(directory, "node_modules", name)
                if self._kind(candidate) == _DIR:
                    found = candidate
                    break
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        for directory in visited:
            self._lookups[(name, directory)] = found
        return found

    # -- the browser field ------------------------------------------------------------------

    def _browser_maps(self, package_dir: str) -> tuple[BrowserMap, dict[str, Any]]:
        """The normalized map and its file index: absolute path -> False, absolute file, or
        ``("module", name)``. Keys are indexed as written and as the files they probe to."""
        cached = self._browser.get(package_dir)
        if cached is not None:
            return cached
        field = self._manifest(package_dir).get("browser")
        public = normalize_browser_map(field)
        files: dict[str, Any] = {}
        for key, value in public.items():
            if value is False:
                target: Any = False
            elif is_path_key(value):
                wanted = os.path.normpath(os.path.join(package_dir, value))
                target = self._load_path(wanted, depth=1) or wanted
            else:
                target = ("module", value)
            path = os.path.normpath(os.path.join(package_dir, key))
            files.setdefault(path, target)
            probed = self._load_file(path)
            if probed is not None:
                files.setdefault(probed, target)
                files.setdefault(self._real(probed), target)
        self._browser[package_dir] = cached = (public, files)
        return cached

    def _browser_target(self, package_dir: str, entry: str, subpath: str) -> Any:
        """What the ``browser`` map makes of the entry: ``None`` (unchanged), ``False``, a
        file, or ``("module", name)``."""
        if "browser" not in self.main_fields:
            return None
        files = self._browser_maps(package_dir)[1]
        if not files:
            return None
        for candidate in (entry, self._real(entry) if self._kind(entry) else None):
            if candidate is not None and candidate in files:
                return files[candidate]
        if subpath != ".":  # a deep import may name a mapped file that does not exist
            wanted = os.path.normpath(os.path.join(package_dir, subpath))
            for ext in ("", *self.extensions):
                if wanted + ext in files:
                    return files[wanted + ext]
        return None

    # -- relative files ---------------------------------------------------------------------

    def _resolve_relative(self, specifier: str, from_dir: str) -> str | None:
        path = specifier.split("?", 1)[0].split("#", 1)[0]
        if path.startswith(("./", "../")) or path in (".", ".."):
            candidates = [os.path.join(from_dir, path)]
        elif path.startswith("/") and not path.startswith("//"):
            candidates = [os.path.join(self.root, path.lstrip("/")), path]
        else:
            return None
        for candidate in candidates:
            candidate = os.path.normpath(candidate)
            found = self._load_file(candidate, ts=True) or self._load_dir(candidate, depth=0)
            if found is not None:
                return found if self.preserve_symlinks else self._real(found)
        return None

    # -- file probing -----------------------------------------------------------------------

    def _load_path(self, path: str, *, depth: int) -> str | None:
        return self._load_file(path) or self._load_dir(path, depth=depth)

    def _load_file(self, path: str, *, ts: bool = False) -> str | None:
        """The exact file, then (``ts``) its TypeScript source, then each extension appended."""
        if self._kind(path) == _FILE:
            return path
        if ts:
            stem, ext = os.path.splitext(path)
            for alternative in _TS_REWRITES.get(ext, ()):
                if self._kind(stem + alternative) == _FILE:
                    return stem + alternative
        for ext in self.extensions:
            if self._kind(path + ext) == _FILE:
                return path + ext
        return None

    def _load_dir(self, path: str, *, depth: int) -> str | None:
        """A folder: its own package.json's main fields (``preact/hooks``), then ``index``."""
        if self._kind(path) != _DIR:
            return None
        if depth < 2 and self._kind(os.path.join(path, "package.json")) == _FILE:
            return self._main_entry(path, self._manifest(path))
        return self._load_index(path)

    def _load_index(self, directory: str) -> str | None:
        return self._load_file(os.path.join(directory, "index"))

    # -- cached file-system access ----------------------------------------------------------

    def _manifest(self, directory: str) -> dict[str, Any]:
        cached = self._manifests.get(directory)
        if cached is None:
            path = os.path.join(directory, "package.json")
            try:
                with open(path, encoding="utf-8-sig") as handle:
                    data = json.load(handle)
                cached = data if isinstance(data, dict) else {}
            except (FileNotFoundError, NotADirectoryError):
                cached = {}
            except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                cached = _Failure(ResolveError, f"{path}: cannot read package.json: {reason}")
            self._manifests[directory] = cached
        if isinstance(cached, _Failure):
            raise cached.error_type(cached.reason)
        return cached

    def _kind(self, path: str) -> int:
        """Missing, file or folder; remembered only under ``node_modules`` (see the class),
        and read from folder listings in a :meth:`with_listings` view."""
        kind = self._kinds.get(path)
        if kind is None:
            if _NODE_MODULES in path:
                kind = self._kinds[path] = _stat_kind(path)
            elif self._listings is not None:
                kind = self._listed_kind(path)
            else:
                kind = _stat_kind(path)
        return kind

    def _listed_kind(self, path: str) -> int:
        """``_kind`` from ``path``'s folder listing, or ``stat`` where the listing cannot tell."""
        cut = path.rfind(os.sep)
        name = path[cut + 1 :]
        if cut <= 0 or not path.startswith(os.sep) or not _listable(name):
            return _stat_kind(path)  # not a plain absolute path (or the root's own entries)
        kind = self._listed(path[:cut], name)
        return _stat_kind(path) if kind < 0 else kind  # a symlink, or a name in another case

    def _listed(self, folder: str, name: str) -> int:
        """``name``'s kind in ``folder``'s listing; ``_LINK`` for a symlink and ``_OTHER_CASE``
        when only ``stat`` can tell (another case, or a folder that cannot be listed)."""
        listings = self._listings
        entries = listings.get(folder, False)
        if entries is False:
            entries = listings[folder] = self._list(folder)
        if entries is None:
            return _OTHER_CASE  # a folder that cannot be listed (no read permission, say)
        kind = entries.get(name)
        if kind is None:
            # Missing, unless a case-insensitive file system finds it under another case.
            return _OTHER_CASE if name.casefold() in entries else _MISSING
        return kind

    def _list(self, folder: str) -> dict[str, int] | None:
        """The kinds of a folder's entries (symlinks as ``_LINK``: followed with ``stat`` when
        asked), with each name's case-folded form mapped too (see ``_listed_kind``); ``{}``
        for a missing folder, None when it cannot be listed."""
        if self._before_listing is not None:
            self._before_listing(folder)
        entries: dict[str, int] = {}
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    name = entry.name
                    if entry.is_symlink():
                        entries[name] = _LINK
                    else:
                        entries[name] = _DIR if entry.is_dir(follow_symlinks=False) else _FILE
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except (OSError, ValueError):
            return None
        for name in list(entries):
            folded = name.casefold()
            if folded != name:
                entries.setdefault(folded, _OTHER_CASE)
        return entries

    def realpath(self, path: str) -> str:
        """``os.path.realpath``, cached per path and built on the cached real path of the parent
        folder: one ``lstat`` per new path instead of one per component (the bundle stage asks
        for every folder that imports something)."""
        real = self._reals.get(path)
        if real is None:
            parent, name = os.path.split(path)
            if not os.path.isabs(path) or not name or parent == path or _DOTS.intersection(path.split(os.sep)):
                real = os.path.realpath(path)  # not a plain absolute path: no shortcut
            else:
                real_parent = self.realpath(parent)
                joined = os.path.join(real_parent, name)
                real = os.path.realpath(joined) if self._is_link(joined, real_parent, name) else joined
            self._reals[path] = real
        return real

    _real = realpath

    def is_folder(self, path: str) -> bool:
        """Whether ``path`` is a folder (symlinks followed); from the listings in a
        :meth:`with_listings` view."""
        return self._kind(path) == _DIR

    def _is_link(self, path: str, folder: str, name: str) -> bool:
        """``os.path.islink(path)`` (``path`` is ``name`` in ``folder``), from the folder's
        listing in a :meth:`with_listings` view."""
        if self._listings is not None and _NODE_MODULES not in path and _listable(name):
            kind = self._listed(folder, name)
            if kind != _OTHER_CASE:
                return kind == _LINK
        return os.path.islink(path)

    def _importer_dir(self, importer: Path | str) -> str:
        """The folder of an importing file (or the folder itself), absolute."""
        given = os.fspath(importer)
        directory = self._importers.get(given)
        if directory is None:
            path = os.path.join(self.root, given)
            directory = path if self._kind(path) == _DIR else os.path.dirname(path)
            self._importers[given] = directory
        return directory

    def _walk_start(self, directory: str) -> str:
        return directory if self.preserve_symlinks else self._real(directory)

    @staticmethod
    def _rel(package_dir: str, path: str) -> str:
        rel = os.path.relpath(path, package_dir).replace(os.sep, "/")
        return rel if rel.startswith("../") else "./" + rel

