"""``PackageBundler``: esbuild builds of groups of packages, on the run's esbuild services
(``services``: a command's run gives each build in flight a process of its own).

A build takes every id of its packages as an entry (a generated proxy entry for CommonJS/UMD
ones, so the output has real named exports) and writes browser ESM with code splitting. Imports
of other packages stay external (see ``imports``), so each package's output is its own and the
build is split back per package afterwards (``output``). Building several packages in one build
costs esbuild less than one build each (one scan, one link), and a few such builds side by side
keep both cores busy without holding every package's syntax trees in memory at once.

The interop analysis of a CommonJS entry (which names to export) runs when esbuild loads its
proxy, so it overlaps esbuild's work on the other entries. The proxy's ``default`` follows the
project's rule (``hashing.interop_rule``); ids in ``needs_interop`` get a proxy whatever their syntax.

Node's globals that browser code still reads are provided: ``global`` is ``globalThis``, and a
free ``process`` is a small shim (``shims/process.js``, esbuild's ``inject``, which every module
of a build imports; ``prebundle-shim:process.js`` by name, so no bundle holds a path of the
machine that built it).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import esbuild
from ..esbuild import Message, OnLoadResult, OnResolveResult
from ..hashing import interop_key, interop_rule  # interop_key: kept importable from here
from ..interop.format import needs_interop
from ..interop.proxy import proxy_entry_source
from ..plan import PlannedId, PlannedPackage
from ..plugins.plugin import PluginError
from ..resolve import ResolveError
from .asset_urls import NOTHING_EMITTED, AssetUrls, EmittedFiles, serve_rewrites
from .hooks import LOADERS, FileHooks, bridge_plugins, build_with_file_hooks
from .imports import ImportPolicy, Owners
from .modules import (
    BUILTIN_NS, DUAL_NS, MISSING_NS, PROCESS_SHIM, PROXY_NS, REQUIRE_NS, SHIM_NS, VIRTUAL_NS, builtin_stub, dual_file,
    facade_source,
    is_shim, missing_stub, shim_source, split_stub_path,
)
from .output import GroupOutput, split_output
from .result import BundleError, PackageBuild
from .services import ServiceLease
from .up_front import Installed, Member, UpFront, installed, modules_listing

if TYPE_CHECKING:
    from ..config import Config
    from ..esbuild import OnLoadArgs, OnResolveArgs, PluginBuild, Service
    from ..interop import DefaultRule, InteropCache
    from ..resolve import Resolver

__all__ = ["PackageBundler", "goes_through_proxy", "interop_key"]

log = logging.getLogger("prebundle.bundle")

ASSET_LOADERS = {ext: "file" for ext in (
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp",
    ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".wav", ".ogg", ".wasm",
)}
DECIDE_UP_FRONT = True
"""Give each build its externals up front (``up_front``); False: every bare import asks Python."""
OWN_RESOLUTION_OPTIONS = ("alias", "external", "packages")
"""``esbuild_options`` that change which bare imports stay external: with any of them set, every
bare import asks Python, as the check of the up-front guess cannot tell their effect from it."""


def goes_through_proxy(planned: PlannedId, config: Config, cache: InteropCache | None = None) -> bool:
    """Whether ``planned`` is bundled through a CommonJS proxy: its entry is CommonJS/UMD, or
    the config's ``needs_interop`` names it. ``cache``: the interop answers (``needs_interop``)."""
    return planned.id in config.needs_interop or needs_interop(planned.src, cache=cache)


@dataclass
class _Group:
    """The packages of one build and what the build's callbacks need to know about them."""

    packages: list[tuple[PlannedPackage, str]]
    owners: Owners
    entry_points: dict[str, str]
    """Entry point name (the flattened id) -> input (a file, or ``prebundle-proxy:<name>``)."""
    entry_inputs: dict[str, str]
    """Id -> its entry point as the metafile names it."""
    interop_of: dict[str, bool]
    proxied: dict[str, PlannedId]
    """Proxy path (the flattened id) -> the CommonJS id it stands for."""
    by_name: dict[str, PlannedPackage]
    up_front: UpFront | None = None
    """The build's externals and the filter of the imports it asks about (None: asks about all)."""
    warnings: dict[Path, list[str]] = field(default_factory=dict)
    emitted: EmittedFiles = NOTHING_EMITTED
    """What the ``new URL(..., import.meta.url)`` of the packages' code point at (``asset_urls``)."""

    @property
    def label(self) -> str:
        return ", ".join(package.label for package, _ in self.packages)

    def warnings_of(self, package: PlannedPackage) -> list[str]:
        return self.warnings.setdefault(package.dir, [])


class PackageBundler:
    """Builds groups of packages for one optimize run; safe to call from several threads."""

    def __init__(self, config: Config, resolver: Resolver, service: Service, *, staging: Path,
                 interop_cache: InteropCache | None = None, rule: DefaultRule | None = None,
                 companion: Callable[[], Service] | None = None, most_services: int = 1) -> None:
        self.config = config
        self.rule: DefaultRule = interop_rule(config) if rule is None else rule
        """``default`` of ``__esModule`` CommonJS modules in the proxies (None: the config's)."""
        self.resolver = resolver
        self.service = service
        self.services = ServiceLease(service, companion, most=most_services)
        """The services the builds go to: ``service`` and, with ``companion`` (a new service
        like it), up to ``most_services`` in all, one build on each at a time (``services``)."""
        self.staging = staging
        self.interop_cache = interop_cache
        """Where interop answers are kept (keyed by the content they were computed from)."""
        self.policy = ImportPolicy(config, resolver)
        self.asset_urls = AssetUrls(self.services, config.root, self._worker_options)  # leased as a group's build
        self._installed: Installed | None = None
        self._installed_lock = threading.Lock()
        self._listings: dict[str, tuple[set[str], set[str]]] = {}
        """``node_modules`` folder -> its listing (``up_front.modules_listing``), for this run."""

    # -- a group of packages ----------------------------------------------------------------

    def build_group(self, packages: Sequence[tuple[PlannedPackage, str]]) -> list[PackageBuild]:
        """Build ``(package, key)`` pairs in one esbuild build; one ``PackageBuild`` each.
        Raises ``BundleError`` naming each package esbuild complained about."""
        group = self._group(list(packages))
        outdir = self.staging / f".build-{os.getpid()}-{id(group)}"
        plugins = self.config.plugins_for("load", "transform")
        try:
            if plugins is None:
                result = self._build_once(group, outdir, None)
            else:
                result = build_with_file_hooks(lambda hooks: self._build_once(group, outdir, hooks), plugins,
                                               self.config.root, is_failure=lambda e: isinstance(e, BundleError))
        except PluginError as error:
            raise BundleError([(group.label, str(error))]) from None
        output = GroupOutput.from_result(result, outdir=outdir, root=self.config.root,
                                         packages=[package for package, _ in group.packages], emitted=group.emitted)
        for message in result.warnings:
            owner = self._owner_of_message(group, message)
            if owner is not None:
                group.warnings_of(owner).extend(_format([message]))
        builds = split_output(output, group.packages, entry_inputs=group.entry_inputs,
                              interop_of=group.interop_of, warnings=group.warnings)
        return [replace(build, undeclared=self.policy.undeclared(build.package)) for build in builds]

    def _group(self, packages: list[tuple[PlannedPackage, str]]) -> _Group:
        entry_points: dict[str, str] = {}
        entry_inputs: dict[str, str] = {}
        interop_of: dict[str, bool] = {}
        proxied: dict[str, PlannedId] = {}
        for package, _key in packages:
            for planned in package.ids:
                interop = goes_through_proxy(planned, self.config, self.interop_cache)
                interop_of[planned.id] = interop
                if interop:
                    entry_points[planned.flat] = entry_inputs[planned.id] = f"{PROXY_NS}:{planned.flat}"
                    proxied[planned.flat] = planned
                else:
                    entry_points[planned.flat] = str(planned.src)
                    entry_inputs[planned.id] = Path(os.path.relpath(planned.src, self.config.root)).as_posix()
        members = [package for package, _ in packages]
        return _Group(packages, Owners(members, self.policy.adopted), entry_points, entry_inputs, interop_of, proxied,
                      {package.name: package for package in members}, self._up_front(members, interop_of))

    def _up_front(self, members: list[PlannedPackage], interop_of: dict[str, bool]) -> UpFront | None:
        """The group's externals and asked imports (``up_front``), when the config lets them be
        guessed: no plugins (they may resolve any import) and no option of the user's that
        makes imports external or renames them."""
        if not DECIDE_UP_FRONT or self.config.plugins or \
                any(name in self.config.esbuild_options for name in OWN_RESOLUTION_OPTIONS):
            return None
        with self._installed_lock:
            if self._installed is None:
                self._installed = installed(os.path.realpath(self.config.root), self._listing)
        if self._installed.pnpm:
            return None  # every package is a symlink into .pnpm: all would be asked anyway
        try:
            described = [Member(package.name, os.path.realpath(package.dir), self.resolver.browser_map(package.dir),
                                any(interop_of[planned.id] for planned in package.ids)) for package in members]
            return UpFront.for_group(described, self._installed, manifest_of=self.resolver.package_json,
                                     listing=self._listing)
        except ResolveError:
            return None  # a broken package.json: esbuild reports it, in a build that asks as usual

    def _listing(self, modules: str) -> tuple[set[str], set[str]]:
        found = self._listings.get(modules)
        if found is None:
            found = self._listings[modules] = modules_listing(modules)
        return found

    def _build_once(self, group: _Group, outdir: Path, file_hooks: FileHooks | None):
        """The group's build; ``file_hooks`` (if any) sees the files it names. When the code
        built holds ``new URL('./file', import.meta.url)``, the files are emitted and the build
        runs again with those URLs rewritten (``asset_urls``)."""
        for package, _ in group.packages:
            group.warnings[package.dir] = []  # a second pass of the hooks starts afresh
        group.emitted = NOTHING_EMITTED
        result = self._esbuild(group, outdir, file_hooks)

        def code_of(path: str) -> bytes:
            hooked = file_hooks.code_of(path) if file_hooks is not None else None
            return hooked.encode() if hooked is not None else Path(path).read_bytes()

        package_dirs = tuple(os.path.realpath(package.dir) for package, _key in group.packages)
        emitted = self.asset_urls.emit(result, code_of=code_of, outdir=outdir, package_dirs=package_dirs)
        for source, message in emitted.warnings:
            owner = group.owners.of(os.path.dirname(source))
            if owner is not None:
                group.warnings_of(owner).append(message)
        if emitted.rewrites:
            group.emitted = emitted
            result = self._esbuild(group, outdir, file_hooks)
        return result

    def _esbuild(self, group: _Group, outdir: Path, file_hooks: FileHooks | None):
        """One esbuild build of the group, with ``group.emitted``'s rewritten code: with the
        externals given up front, unless the metafile shows the guess was wrong somewhere (or
        that build failed); then again, asking Python about every bare import."""
        up_front = group.up_front
        if up_front is not None:
            warnings_before = {folder: len(lines) for folder, lines in group.warnings.items()}
            try:
                result = self._esbuild_once(group, outdir, file_hooks, up_front)
            except BundleError as error:
                wrong: str | None = f"the build failed: {error}"
            else:
                try:
                    wrong = up_front.disagreement(result.metafile or {}, root=str(self.config.root),
                                                  decide=partial(self._decision_in, group))
                except Exception as error:  # noqa: BLE001 - the policy failed on a file: the usual build says how
                    wrong = f"checking the build failed: {error!r}"
            if wrong is None:
                return result
            log.debug("%s: built again, asking about every bare import (%s)", group.label, wrong)
            for folder, lines in group.warnings.items():
                del lines[warnings_before.get(folder, 0):]  # said again by the next build
        return self._esbuild_once(group, outdir, file_hooks, None)

    def _decision_in(self, group: _Group, specifier: str, kind: str, folder: str):
        """The policy's decision for an import made in ``folder`` by a package of ``group``;
        None for a folder no package of it holds."""
        owner = group.owners.of(folder)
        return None if owner is None else self.policy.decision(specifier, kind, owner, folder)

    def _esbuild_once(self, group: _Group, outdir: Path, file_hooks: FileHooks | None, up_front: UpFront | None):
        """One build: with ``up_front``'s externals and filter, or (None) asking about every
        bare import."""
        options = self._options(group.entry_points, outdir)
        if up_front is not None:
            options["external"] = list(up_front.external)
        options["plugins"] = [esbuild.Plugin("prebundle", lambda build: self._setup(build, group, file_hooks,
                                                                                    up_front))]
        try:
            with self.services.service() as service:  # a service of its own, in a command's run
                return service.build(**options)
        except esbuild.BuildFailure as failure:
            failures = []
            for message in failure.errors:
                owner = self._owner_of_message(group, message)
                failures.extend((owner.label if owner else group.label, line) for line in _format([message]))
            raise BundleError(failures) from None

    def _options(self, entry_points: dict[str, str], outdir: Path) -> dict[str, Any]:
        config = self.config
        production = config.mode == "production"
        define = {"process.env.NODE_ENV": json.dumps(config.mode), "global": "globalThis",
                  **config.define}
        options: dict[str, Any] = dict(
            entry_points=entry_points,
            bundle=True,
            format="esm",
            splitting=True,
            platform="browser",
            target=list(config.target),
            define=define,
            inject=[PROCESS_SHIM],
            main_fields=list(config.main_fields),
            # The conditions prebundle's resolver picks entries by (esbuild adds browser, import
            # or require, and default): a package's import of its own name (solid-js/web's
            # "solid-js") then gives the entry's file, not a second copy of the package.
            conditions=list(dict.fromkeys(("production" if production else "development", "module",
                                           *config.conditions))),
            metafile=True,
            write=False,
            outdir=str(outdir),
            abs_working_dir=str(config.root),
            entry_names="[name]-[hash]" if production else "[name]",
            chunk_names="chunk-[hash]",
            asset_names="assets/[name]-[hash]",
            loader=dict(ASSET_LOADERS),
            minify=production,
            charset="utf8",
            # Development: a linked <file>.map per output (sources renamed by ``sourcemaps``).
            # Production: no maps, and licence comments kept in a <file>.LEGAL.txt the
            # minified file links to; in development they stay in the maps' sourcesContent.
            sourcemap=not production,
            legal_comments="linked" if production else "none",
            log_level="silent",
            supported={"arbitrary-module-namespace-names": True, "dynamic-import": True,
                       "import-meta": True},
        )
        for name, value in config.esbuild_options.items():
            if name in ("define", "loader", "supported"):
                value = {**options[name], **value}  # added to prebundle's own (NODE_ENV, assets), not instead
            elif name == "inject":
                value = [*options[name], *value]  # the process shim stays
            options[name] = value
        return options

    def _worker_options(self, outdir: Path) -> dict[str, Any]:
        """A worker module's build (``asset_urls``): one self-contained file, bare imports
        bundled in (import maps do not apply inside workers), content-hashed names."""
        options = self._options({}, outdir)
        # A linked package's worker lies outside any node_modules: its bare imports resolve
        # from the project's, as the package's own (see ``imports``).
        options.update(splitting=False, entry_names="[name]-[hash]", asset_names="[name]-[hash]",
                       node_paths=[str(self.config.root / "node_modules")],
                       plugins=[esbuild.Plugin("prebundle-shims", serve_shims)])
        return options

    # -- the esbuild plugin ------------------------------------------------------------------

    def _setup(self, build: PluginBuild, group: _Group, file_hooks: FileHooks | None,
               up_front: UpFront | None) -> None:
        if group.emitted.rewrites:  # first: the plugins' callback for the same files is not asked
            serve_rewrites(build, group.emitted.rewrites, self.config.esbuild_options.get("loader") or {})
        serve_shims(build)

        @build.on_resolve(filter=f"^{PROXY_NS}:")
        def proxy_path(args: OnResolveArgs):
            return OnResolveResult(path=args.path[len(PROXY_NS) + 1:], namespace=PROXY_NS)

        @build.on_load(filter=".*", namespace=PROXY_NS)
        def proxy_source(args: OnLoadArgs):
            planned = group.proxied[args.path]
            return OnLoadResult(contents=self._proxy(planned), loader="js",
                                resolve_dir=os.path.realpath(planned.package_dir))

        # Before the bare-import callbacks: a dual package's wrapper may require its ES entry
        # by the package's own name, which would otherwise be bundled (``wrappers``).
        @build.on_resolve(filter=".*", namespace=DUAL_NS)
        def dual_import(args: OnResolveArgs):
            return self.policy.on_resolve_dual(args)

        @build.on_load(filter=".*", namespace=DUAL_NS)
        def dual_module(args: OnLoadArgs):
            path = dual_file(args.path, str(self.config.root))
            code = file_hooks.code_of(path) if file_hooks is not None else None
            return OnLoadResult(contents=Path(path).read_bytes() if code is None else code,
                                loader=LOADERS.get(Path(path).suffix, "js"), resolve_dir=os.path.dirname(path))

        if self.config.plugins:
            bridge_plugins(build, self.config.plugin_container, self.config.root, file_hooks)

        @build.on_resolve(filter=r"^[^./]" if up_front is None else up_front.filter)
        def bare(args: OnResolveArgs):
            if args.namespace == REQUIRE_NS:
                return OnResolveResult(path=args.path, external=True)  # the facade's own import
            if args.namespace == VIRTUAL_NS:
                return self.policy.on_resolve_shared(args)  # any package of the build may import it
            owner = group.owners.of(args.resolve_dir) if args.resolve_dir else None
            if owner is None:
                return None  # not a package file: esbuild resolves it
            return self.policy.on_resolve(args, build, owner, group.warnings_of(owner))

        @build.on_load(filter=".*", namespace=REQUIRE_NS)
        def require_facade(args: OnLoadArgs):
            return OnLoadResult(contents=facade_source(args.path), loader="js")

        @build.on_load(filter=".*", namespace=BUILTIN_NS)
        def builtin_module(args: OnLoadArgs):
            package, specifier = split_stub_path(args.path)
            return OnLoadResult(contents=builtin_stub(specifier, package), loader="js")

        @build.on_load(filter=".*", namespace=MISSING_NS)
        def missing_module(args: OnLoadArgs):
            package, specifier = split_stub_path(args.path)
            return OnLoadResult(contents=missing_stub(specifier, package), loader="js")

    def _proxy(self, planned: PlannedId) -> str:
        """The proxy entry of a CommonJS id, from the interop analysis of its entry file; an
        entry with ESM syntax (forced by ``needs_interop``) also re-exports its own names."""
        from ..interop.analysis import analyze  # the lexer and the sandbox: only for a package built

        forced = not needs_interop(planned.src, cache=self.interop_cache)
        interop = analyze(planned.src, mode=self.config.mode, package_dir=planned.package_dir,
                          package_name=planned.package_name, resolve_require=self.policy.resolve_require,
                          cache=self.interop_cache, force=forced)
        # Relative to the package (the proxy's resolve_dir): the proxy's source is in the
        # source maps, which must not name this machine's folders.
        entry = "./" + Path(os.path.relpath(planned.src, os.path.realpath(planned.package_dir))).as_posix()
        return proxy_entry_source(entry, interop.names, default=self.rule, module_exports=True, reexport=forced)

    def _owner_of_message(self, group: _Group, message: Message) -> PlannedPackage | None:
        """The package an esbuild message is about, from the file it names."""
        location = message.location
        if location is None or not location.file:
            return None
        namespace, colon, rest = location.file.partition(":")
        if colon and namespace == PROXY_NS:
            planned = group.proxied.get(rest)
            return group.owners.of(str(planned.package_dir)) if planned else None
        if colon and namespace in (BUILTIN_NS, MISSING_NS):
            return group.by_name.get(split_stub_path(rest)[0])
        if colon and namespace == DUAL_NS:
            return group.owners.of(os.path.dirname(dual_file(rest, str(self.config.root))))
        return group.owners.of(os.path.dirname(os.path.realpath(os.path.join(self.config.root, location.file))))


def serve_shims(build: PluginBuild) -> None:
    """Answer ``prebundle-shim:<name>`` (``inject``) with prebundle's shim of that name."""

    @build.on_resolve(filter=f"^{SHIM_NS}:")
    def shim_path(args: OnResolveArgs):
        name = args.path[len(SHIM_NS) + 1:]
        if not is_shim(name):
            return OnResolveResult(errors=[Message(text=f"prebundle has no shim {name!r}")])
        # "/process.js": the metafile lists the import every module gets by this path, which
        # must not read as a bare import (``up_front`` checks those)
        return OnResolveResult(path="/" + name, namespace=SHIM_NS)

    @build.on_load(filter=".*", namespace=SHIM_NS)
    def shim(args: OnLoadArgs):
        return OnLoadResult(contents=shim_source(args.path[1:]), loader="js")


def _format(messages: Iterable[Message]) -> list[str]:
    """esbuild messages as one line each: ``file:line:col: text``."""
    return [message.one_line() for message in messages]
