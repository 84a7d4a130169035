"""Where each bare import made inside a package goes: the decisions of the bundle stage.

* another hoisted package: left as a bare ``import`` (the import map resolves it), and noted as
  an external so the plan can grow until it is closed; a ``require()`` of one goes through a
  tiny ESM facade, so no ``require`` reaches the browser, unless ``require`` and ``import``
  resolve that package to different files (a dual package): then the ``require``'s CommonJS
  file is bundled inside, as Node loads it (see :meth:`ImportPolicy.require_decision`), except
  the package's ES entry when that file requires it (jQuery 4's wrapper: ``wrappers``), which
  stays the import map's module;
* the package's own name, a nested non-hoisted copy (``node_modules/a/node_modules/b``), or a
  name its ``browser`` map replaces: bundled inside, but for an id of the package that is
  planned itself (``solid-js/web``'s ``"solid-js"``): the import map's, as another package's;
* a Node builtin (``fs``, ``node:fs``) with no browser package: a stub that throws a clear error
  when used, plus a build-time warning naming the importer;
* anything else that does not resolve (an optional dependency that is not installed, an import
  inside ``try``, a dynamic import): a module that throws ``Could not resolve "x" imported by
  "pkg"`` when it runs, plus a warning, as Vite does. Relative imports that do not resolve stay
  esbuild errors.

Several packages are built together in one esbuild build, so every decision starts from the
package that makes the import: the planned package whose folder holds the importing file
(``Owners``). Answers are cached for the whole run by package, specifier and the importing
folder's ``node_modules`` scope (``Resolver.modules_scope``: the folders of a package that see
the same ``node_modules`` folders share them); esbuild asks about the same imports thousands
of times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..esbuild import OnResolveResult
from ..plan import PlannedPackage
from ..resolve import ResolveError
from ..specifiers import is_bare, is_node_builtin, split_package
from .install_layout import Placement, install_layout
from .modules import (
    BUILTIN_NS,
    DUAL_NS,
    MISSING_NS,
    PROBE,
    REQUIRE_NS,
    dual_path,
    stub_path,
)
from .wrappers import find_wrapper

if TYPE_CHECKING:
    from ..config import Config
    from ..esbuild import OnResolveArgs, PluginBuild
    from ..resolve import Resolver

__all__ = ["Decision", "ImportPolicy", "Owners"]

JS_KINDS = frozenset({"import-statement", "require-call", "dynamic-import", "require-resolve"})
MAX_PROBES = 8
"""``build.resolve()`` calls waiting at once (see ``ImportPolicy._esbuild_fails_to_resolve``)."""


class Decision(Enum):
    """What becomes of one bare import."""

    BUNDLE = "bundle"
    """esbuild resolves and bundles it (the package's own files, a nested copy)."""
    EXTERNAL = "external"
    """Another package: a bare import the import map resolves."""
    FACADE = "facade"
    """``require()`` of another package: the ESM facade."""
    DUAL = "dual"
    """``require()`` of a dual package: its CommonJS file, bundled inside."""
    WRAPPER = "wrapper"
    """``require()`` of a dual package whose CommonJS file requires the package's ES entry: that
    file bundled inside (in ``DUAL_NS``), with the import map's module for the entry."""
    BUILTIN = "builtin"
    """A Node builtin: the throwing stub."""
    UNRESOLVED = "unresolved"
    """Resolves to nothing: ask esbuild, then the missing-module stub."""


class Owners:
    """Which planned package a file belongs to: the one whose folder holds it (the innermost,
    when a nested copy is planned on its own), else the one that bundles the package holding it
    (``adopted``: pnpm keeps a package's own dependencies in ``node_modules/.pnpm/<dep>@<v>``,
    outside its folder). Paths are compared as real paths, as esbuild reports them."""

    def __init__(self, packages: Iterable[PlannedPackage],
                 adopted: Callable[[str], PlannedPackage | None] | None = None) -> None:
        members = list(packages)
        prefixes = [(os.path.realpath(package.dir) + os.sep, package) for package in members]
        self._prefixes = sorted(prefixes, key=lambda item: len(item[0]), reverse=True)
        self._members = {id(package) for package in members}
        self._adopted = adopted
        self._cache: dict[str, PlannedPackage] = {}

    def of(self, path: str) -> PlannedPackage | None:
        """The package holding the file or folder ``path`` (real or through symlinks)."""
        found = self._cache.get(path)
        if found is None:
            found = self._match(path) or self._match(os.path.realpath(path))
            if found is None and self._adopted is not None:
                found = self._adopted(os.path.realpath(path))
                if found is not None and id(found) not in self._members:
                    found = None  # a package of another build's
            if found is None:
                return None  # not remembered: an adoption may come later in the build
            self._cache[path] = found
        return found

    def _match(self, path: str) -> PlannedPackage | None:
        folder = path if path.endswith(os.sep) else path + os.sep
        return next((package for prefix, package in self._prefixes if folder.startswith(prefix)), None)


@dataclass
class ImportPolicy:
    """The decisions of one optimize run; shared by its builds, safe across threads."""

    config: Config
    resolver: Resolver
    _decisions: dict[tuple[str, str, str, str], tuple[Decision, Any]] = field(default_factory=dict)
    """(owner package, ``node_modules`` scope of the importer, specifier, kind) -> decision."""
    _scopes: dict[str, str] = field(default_factory=dict)
    """Importing folder -> its ``node_modules`` scope."""
    _hoisted: dict[str, Path | None] = field(default_factory=dict)
    _root_ok: dict[str, bool] = field(default_factory=dict)
    _adoptions: dict[str, PlannedPackage] = field(default_factory=dict)
    """Real folder of a package bundled inside another (with ``os.sep``) -> that other package."""
    _imported: dict[str, set[str]] = field(default_factory=dict)
    """Package folder -> the names of the other packages its code imports (``undeclared``)."""
    _requires: dict[str, tuple[Decision, Any]] = field(default_factory=dict)
    """Specifier -> what a ``require()`` of that hoisted package becomes (``require_decision``)."""
    _links: dict[str, dict[str, tuple[str, str | None]]] = field(default_factory=dict)
    """``DUAL_NS`` path of a file -> {specifier it requires -> (the ``DUAL_NS`` path of the file
    loaded, or the id of the ES entry when it is that file)} (``on_resolve_dual``)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _probes: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(MAX_PROBES))

    # -- one import --------------------------------------------------------------------------

    def on_resolve(self, args: OnResolveArgs, build: PluginBuild, owner: PlannedPackage, warnings: list[str]):
        """The ``OnResolveResult`` for a bare import ``args`` made inside ``owner`` (None: esbuild
        resolves it itself); build-time warnings go to ``warnings``."""
        if args.kind not in JS_KINDS or args.plugin_data == PROBE:
            return None
        specifier = args.path
        decision, target = self.decision(specifier, args.kind, owner, args.resolve_dir or str(owner.dir))
        if decision is Decision.BUNDLE:
            return None
        if decision is Decision.EXTERNAL:
            return OnResolveResult(path=target, external=True)
        if decision in (Decision.FACADE, Decision.DUAL, Decision.WRAPPER):
            return _required(decision, target)
        where = _relative(args.importer, owner.dir)
        if decision is Decision.BUILTIN:
            warnings.append(f"{owner.label}: {where} imports the Node.js builtin {specifier!r}; "
                            "it throws if used in the browser")
            return OnResolveResult(path=stub_path(owner.name, specifier), namespace=BUILTIN_NS)
        if not self._esbuild_fails_to_resolve(args, build):
            return None  # esbuild knows better (an `alias` option, say)
        warnings.append(f'{owner.label}: {where} imports "{specifier}", which cannot be resolved '
                        "(is it installed?); it throws if it runs in the browser")
        return OnResolveResult(path=stub_path(owner.name, specifier), namespace=MISSING_NS)

    def decision(self, specifier: str, kind: str, owner: PlannedPackage, resolve_dir: str) -> tuple[Decision, Any]:
        """What becomes of ``specifier`` imported (``kind``) from the folder ``resolve_dir`` of
        ``owner``, and its target (the external path, the CommonJS file); cached."""
        key = (str(owner.dir), self._scope(resolve_dir), specifier, kind)
        if is_bare(specifier) and not specifier.startswith("node:"):
            self._imported.setdefault(key[0], set()).add(split_package(specifier)[0])
        cached = self._decisions.get(key)
        if cached is None:
            cached = self._decisions[key] = self._decide(specifier, kind, owner, Path(resolve_dir))
        return cached

    def on_resolve_shared(self, args: OnResolveArgs):
        """The ``OnResolveResult`` for a bare import made by a module no package holds (a
        plugin's virtual module, which any package of the build may import): another package
        stays a bare import, as from the app's own code; esbuild resolves the rest."""
        specifier = args.path
        if args.kind not in JS_KINDS or args.plugin_data == PROBE or not is_bare(specifier):
            return None
        if specifier.startswith("node:") or self.hoisted_dir(split_package(specifier)[0]) is None:
            return None
        if not self.resolves_from_root(specifier):
            return None
        if args.kind == "require-call":
            return _required(*self.require_decision(specifier))
        return OnResolveResult(path=specifier, external=True)

    def on_resolve_dual(self, args: OnResolveArgs) -> OnResolveResult | None:
        """The ``OnResolveResult`` for an import made by a file in ``DUAL_NS``: its require of
        the package's ES entry is the import map's module (``wrappers``), a require of another
        file on the way to it stays in ``DUAL_NS``; None for the rest (resolved as usual)."""
        link = self._links.get(args.importer, {}).get(args.path)
        if link is None:
            return None
        target, entry_id = link
        if entry_id is None:
            return OnResolveResult(path=target, namespace=DUAL_NS)  # another file on the way
        if args.kind == "require-call":
            return OnResolveResult(path=entry_id, namespace=REQUIRE_NS)
        return OnResolveResult(path=entry_id, external=True)

    def _decide(self, specifier: str, kind: str, owner: PlannedPackage, importer_dir: Path, *,
                mapped: bool = False) -> tuple[Decision, Any]:
        """``mapped``: ``specifier`` is already what the owner's ``browser`` map replaced an
        import with (a map is applied once, as esbuild does)."""
        if specifier.startswith("node:"):
            return Decision.BUILTIN, None
        if not is_bare(specifier):
            return Decision.BUNDLE, None
        name = split_package(specifier)[0]
        if specifier == name + "/":
            # `require("process/")` names the npm package, not the builtin; as an import map key
            # a trailing slash would be a prefix mapping, so the id is the bare name.
            specifier = name
        if name == owner.name:
            if kind != "require-call" and any(planned.id == specifier for planned in owner.ids):
                # an id of its own (`@reduxjs/toolkit/query`'s "@reduxjs/toolkit"): the import map's
                # module, so the package exists once; bundled, an entry imported from its own
                # package would trip esbuild on its `export * from "redux"` (an external)
                return Decision.EXTERNAL, specifier
            return Decision.BUNDLE, None  # the package's own files
        browser = {} if mapped else self.resolver.browser_map(owner.dir)
        if specifier in browser:
            # The package's "browser" map replaces it (`"eventsource": "./browser/es.js"`),
            # whether or not a package of that name is installed; esbuild applies that map.
            # A replacement in another package (`"x/cjs/a.js": "x/esm/a.js"`) is that package's
            # file: imported as it would be under its own name, so x exists once in the page.
            replacement = browser[specifier]
            if isinstance(replacement, str) and is_bare(replacement):
                return self._decide(replacement, kind, owner, importer_dir, mapped=True)
            return Decision.BUNDLE, None
        found = self.resolver.find_package_dir(name, importer_dir)
        if found is None:
            if is_node_builtin(specifier):
                return Decision.BUILTIN, None
            return self._inside(specifier, kind, importer_dir, owner)
        hoisted = self.hoisted_dir(name)
        if hoisted is None or Path(self.resolver.realpath(str(found))) != hoisted or not self.resolves_from_root(specifier):
            return self._inside(specifier, kind, importer_dir, owner)  # a nested copy the page cannot import by name
        if kind == "require-call":
            return self.require_decision(specifier)
        return Decision.EXTERNAL, specifier

    def _inside(self, specifier: str, kind: str, importer_dir: Path, owner: PlannedPackage) -> tuple[Decision, Any]:
        """A bare import bundled inside the package, unless neither our resolver nor esbuild's
        can resolve it (not installed): then it becomes a module that throws when it runs, so
        code that guards it (``try { require(x) } catch {}``, an optional peer dependency, an
        ``import()`` that may fail) works as in Node, and the rest of the package loads."""
        if kind == "require-resolve":
            return Decision.BUNDLE, None  # esbuild leaves `require.resolve` calls alone
        resolver = self.resolver.for_require() if kind == "require-call" else self.resolver
        try:
            resolution = resolver.resolve(specifier, importer_dir)
        except ResolveError:
            return Decision.UNRESOLVED, None
        if resolution.package_dir is not None:  # its imports are decided as the owner's own
            folder = os.path.realpath(resolution.package_dir) + os.sep
            with self._lock:
                self._adoptions.setdefault(folder, owner)
        return Decision.BUNDLE, None  # esbuild resolves it too, and bundles it

    def adopted(self, path: str) -> PlannedPackage | None:
        """The package that bundles the package holding ``path`` (a real path) inside it."""
        folder = path if path.endswith(os.sep) else path + os.sep
        best = ""
        for prefix in list(self._adoptions):
            if folder.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self._adoptions[best] if best else None

    def _esbuild_fails_to_resolve(self, args: OnResolveArgs, build: PluginBuild) -> bool:
        """Ask esbuild (``build.resolve``) whether it can resolve this import either.

        The answer runs every resolve callback, ours included, on the service's callback pool,
        while this callback holds a pool thread: at most ``MAX_PROBES`` wait at once, so the
        pool always has threads left. Beyond that, our resolver's answer stands."""
        if not self._probes.acquire(blocking=False):
            return True
        try:
            probe = build.resolve(args.path, kind=args.kind, importer=args.importer or None,
                                  namespace=args.namespace or None, resolve_dir=args.resolve_dir or None,
                                  plugin_data=PROBE)
        finally:
            self._probes.release()
        return bool(probe.errors)

    def _scope(self, resolve_dir: str) -> str:
        """The folder whose ``node_modules`` lookups ``resolve_dir`` shares (``modules_scope``):
        one decision per package, scope and specifier, not per folder of the package's files."""
        scope = self._scopes.get(resolve_dir)
        if scope is None:
            scope = self._scopes[resolve_dir] = self.resolver.modules_scope(resolve_dir)
        return scope

    def undeclared(self, package: PlannedPackage) -> tuple[Placement, ...]:
        """How the packages ``package``'s code imported in this run without declaring them in
        its ``package.json`` are installed: its bundle depends on that as on its declared ones."""
        manifest = self.resolver.package_json(package.dir)
        declared = {name for field in ("dependencies", "peerDependencies", "optionalDependencies")
                    for name in (manifest.get(field) or {})}
        names = self._imported.get(str(package.dir), set()) - declared - {package.name}
        return install_layout(self.resolver, str(self.config.root), str(package.dir), names)

    # -- facts about packages, cached -------------------------------------------------------

    def hoisted_dir(self, name: str) -> Path | None:
        """The folder the project root resolves ``name`` to (realpath), cached."""
        with self._lock:
            if name in self._hoisted:
                return self._hoisted[name]
        found = self.resolver.find_package_dir(name, self.config.root)
        value = Path(os.path.realpath(found)) if found is not None else None
        with self._lock:
            self._hoisted[name] = value
        return value

    def resolves_from_root(self, specifier: str) -> bool:
        """True when ``specifier`` can be an id of its own: a JS entry resolved from the root."""
        with self._lock:
            if specifier in self._root_ok:
                return self._root_ok[specifier]
        try:
            resolution = self.resolver.resolve(specifier, self.config.root / "index.html")
            ok = resolution.entry is not None and resolution.kind == "js" and not resolution.linked
        except ResolveError:
            ok = False
        with self._lock:
            self._root_ok[specifier] = ok
        return ok

    def resolve_require(self, specifier: str, from_file: Path) -> Path | None:
        """Bare ``require()`` resolution (the ``require`` condition) for the interop analysis."""
        try:
            return self.resolver.for_require().resolve(specifier, from_file).entry
        except ResolveError:
            return None

    def require_decision(self, specifier: str) -> tuple[Decision, Any]:
        """What ``require(specifier)`` of a hoisted package becomes, and its target: the facade
        (``FACADE``), or for a dual package its CommonJS file (``DUAL``), which may reach the
        package's ES entry (``WRAPPER``: see ``wrappers``); cached."""
        with self._lock:
            found = self._requires.get(specifier)
        if found is not None:
            return found
        files = self._dual_files(specifier)
        found = (Decision.FACADE, specifier) if files is None else self._dual_decision(specifier, *files)
        with self._lock:
            self._requires[specifier] = found
        return found

    def _dual_decision(self, specifier: str, imported: Path, required: Path) -> tuple[Decision, Any]:
        """``DUAL``, or ``WRAPPER`` when ``required`` reaches ``imported``: then the files on
        the way are noted for ``on_resolve_dual``, by their ``DUAL_NS`` paths."""
        package_dir = self.hoisted_dir(split_package(specifier)[0]) or required.parent
        wrapper = find_wrapper(specifier, required, imported, package_dir=package_dir, mode=self.config.mode,
                               resolve_require=self.resolve_require)
        if wrapper is None:
            return Decision.DUAL, str(required)
        root = str(self.config.root)
        with self._lock:
            for file, targets in wrapper.links.items():
                links = self._links.setdefault(dual_path(file, root), {})
                for written, target in targets.items():
                    links[written] = (dual_path(target, root), specifier if target == wrapper.entry else None)
        return Decision.WRAPPER, dual_path(wrapper.file, root)

    def _dual_files(self, specifier: str) -> tuple[Path, Path] | None:
        """The files ``import`` and ``require`` of ``specifier`` load, when they differ.

        A dual package (``{"import": "./x.mjs", "default": "./x.js"}``) gives Node's
        ``require`` its CommonJS file and ``import`` its ES module. The import map can hold
        only the ES module's bundle, and a ``require`` of that gets a namespace object where
        the code expects ``module.exports`` (``dual is not a function``). So such a
        ``require`` bundles the CommonJS file inside the requiring package: the same two
        copies Node itself loads (its "dual package hazard"), each with the right shape. A
        CommonJS file that requires the ES module itself (jQuery 4) gets the import map's
        module for it, not a copy (``require_decision``, ``wrappers``)."""
        importer = self.config.root / "index.html"
        try:
            imported = self.resolver.resolve(specifier, importer).entry
            required = self.resolver.for_require().resolve(specifier, importer).entry
        except ResolveError:
            return None
        if imported is None or required is None or os.path.realpath(imported) == os.path.realpath(required):
            return None
        return imported, required


def _required(decision: Decision, target: str) -> OnResolveResult:
    """The ``OnResolveResult`` of a ``require()`` of another package (``require_decision``)."""
    if decision is Decision.FACADE:
        return OnResolveResult(path=target, namespace=REQUIRE_NS)
    if decision is Decision.WRAPPER:
        return OnResolveResult(path=target, namespace=DUAL_NS)
    return OnResolveResult(path=target)


def _relative(importer: str, package_dir: Path) -> str:
    try:
        return Path(os.path.realpath(importer)).relative_to(os.path.realpath(package_dir)).as_posix()
    except (ValueError, OSError):
        return importer
