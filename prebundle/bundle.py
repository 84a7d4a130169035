"""The bundle stage: one esbuild build per package, all on one long-lived esbuild service.

Each build takes the package's ids as entries (a generated proxy entry for CommonJS/UMD ones,
so the output has real named exports) and writes browser ESM, with chunks shared by that
package's own entries. A plugin decides, for every bare import made inside the package:

* another hoisted package: left as a bare ``import`` (the import map resolves it), and noted as
  an external so the plan can grow until it is closed; a ``require()`` of one goes through a
  tiny ESM facade, so no ``require`` reaches the browser, unless ``require`` and ``import``
  resolve that package to different files (a dual package): then the ``require``'s CommonJS
  file is bundled inside, as Node loads it (see :meth:`PackageBundler.commonjs_file`);
* a nested, non-hoisted copy (``node_modules/a/node_modules/b``): bundled inside;
* a Node builtin (``fs``, ``node:fs``) with no browser package: a stub that throws a clear error
  when used, plus a build-time warning naming the importer;
* anything else that does not resolve (an optional dependency that is not installed, an import
  inside ``try``, a dynamic import): a module that throws ``Could not resolve "x" imported by
  "pkg"`` when it runs, plus a warning, as Vite does. Relative imports that do not resolve stay
  esbuild errors.

Node's globals that browser code still reads are provided: ``global`` is ``globalThis``, and a
free ``process`` gets a small shim (``shims/process.js``, injected only where it is used).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config
from .hashing import FileInfo
from .plan import PlannedPackage
from .specifiers import is_bare, is_node_builtin, split_package

if TYPE_CHECKING:
    from .interop import DefaultRule

__all__ = ["BuiltEntry", "Chunk", "PackageBuild", "PackageBundler", "BundleError"]

JS_KINDS = frozenset({"import-statement", "require-call", "dynamic-import", "require-resolve"})
PROXY_NS = "prebundle-proxy"
REQUIRE_NS = "prebundle-require"
BUILTIN_NS = "prebundle-builtin"
MISSING_NS = "prebundle-missing"
VIRTUAL_NS = "prebundle-virtual"
PROBE = "prebundle-probe"
"""``plugin_data`` of our own ``build.resolve()`` calls: our resolve callback leaves them to esbuild."""
DEFAULT_RULE: DefaultRule = "bundler"
"""The default export of ``__esModule`` CommonJS modules, until the config key ``interop``
(CONTRACT.md, Output) chooses it: ``exports.default``, as esbuild, webpack and Vite 7 give."""
LOADERS = {".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx", ".ts": "ts", ".mts": "ts", ".cts": "ts",
           ".tsx": "tsx", ".css": "css", ".json": "json"}
MAX_HOOK_PASSES = 4
"""Builds of one package before its plugin hooks get a callback for every file instead."""
MAX_CHANGED_FILES = 200
"""Files the hooks changed, above which a callback for every file is cheaper than a filter."""
MAX_PROBES = 8
"""``build.resolve()`` calls waiting at once (see ``PackageBundler._esbuild_fails_to_resolve``)."""
PROCESS_SHIM = Path(__file__).with_name("shims") / "process.js"
ASSET_LOADERS = {ext: "file" for ext in (
    ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp",
    ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".wav", ".ogg", ".wasm",
)}


class BundleError(Exception):
    """esbuild failed to build a package; ``str()`` holds esbuild's ``file:line:col`` messages."""

    def __init__(self, package: str, messages: list[str]) -> None:
        self.package = package
        self.messages = messages
        super().__init__("\n".join(messages))


@dataclass(frozen=True, slots=True)
class BuiltEntry:
    id: str
    file: str
    """Output file, relative to the deps dir."""
    src: Path
    needs_interop: bool
    imports: tuple[str, ...]
    """Chunk files it statically imports."""
    css: tuple[str, ...]
    assets: tuple[str, ...]
    externals: tuple[str, ...]
    """Other packages' ids it imports (bare)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    file: str
    imports: tuple[str, ...]
    css: tuple[str, ...]
    externals: tuple[str, ...]


@dataclass(frozen=True)
class PackageBuild:
    package: PlannedPackage
    key: str
    entries: Mapping[str, BuiltEntry]
    chunks: Mapping[str, Chunk]
    files: Mapping[str, bytes | Path] = field(repr=False)
    """Every output file by name (entries, chunks, CSS, assets): fresh bytes, or the path of a
    reused file."""
    warnings: tuple[str, ...] = ()
    reused: bool = False
    checked: Mapping[str, FileInfo] = field(default_factory=dict, repr=False)
    """Size and hash of reused files, verified when they were reused (not read again)."""

    @cached_property
    def file_infos(self) -> dict[str, FileInfo]:
        """Size and ``fileHash`` of every output file."""
        infos = {}
        for name, content in self.files.items():
            info = self.checked.get(name)
            if info is None:
                info = FileInfo.of(content.read_bytes() if isinstance(content, Path) else content)
            infos[name] = info
        return infos

    @property
    def externals(self) -> frozenset[str]:
        found: set[str] = set()
        for entry in self.entries.values():
            found.update(entry.externals)
        for chunk in self.chunks.values():
            found.update(chunk.externals)
        return frozenset(found)


class PackageBundler:
    """Builds packages for one optimize run; safe to call from several threads at once."""

    def __init__(self, config: Config, resolver, service, *, staging: Path, force: bool = False) -> None:
        self.config = config
        self.resolver = resolver
        self.service = service
        self.staging = staging
        self.force = force
        """``optimize --force``: cached interop answers are not trusted either."""
        self._hoisted: dict[str, Path | None] = {}
        self._root_ok: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._probes = threading.BoundedSemaphore(MAX_PROBES)

    # -- decisions about bare imports -------------------------------------------------------

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
        from .resolve import ResolveError

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
        from .resolve import ResolveError

        try:
            return self.resolver.for_require().resolve(specifier, from_file).entry
        except ResolveError:
            return None

    def commonjs_file(self, specifier: str) -> Path | None:
        """The file ``require(specifier)`` loads, when it is not the one ``import`` loads.

        A dual package (``{"import": "./x.mjs", "default": "./x.js"}``) gives Node's
        ``require`` its CommonJS file and ``import`` its ES module. The import map can hold
        only the ES module's bundle, and a ``require`` of that gets a namespace object where
        the code expects ``module.exports`` (``dual is not a function``). So such a
        ``require`` bundles the CommonJS file inside the requiring package: the same two
        copies Node itself loads (its "dual package hazard"), each with the right shape."""
        from .resolve import ResolveError

        importer = self.config.root / "index.html"
        try:
            imported = self.resolver.resolve(specifier, importer).entry
            required = self.resolver.for_require().resolve(specifier, importer).entry
        except ResolveError:
            return None
        if imported is None or required is None or os.path.realpath(imported) == os.path.realpath(required):
            return None
        return required

    # -- one package -------------------------------------------------------------------------

    def build(self, package: PlannedPackage, key: str) -> PackageBuild:
        from .interop import analyze, proxy_entry_source

        proxies: dict[str, str] = {}
        entry_points: dict[str, str] = {}
        interop_of: dict[str, bool] = {}
        for planned in package.ids:
            interop = analyze(
                planned.src, mode=self.config.mode, package_dir=package.dir,
                package_name=package.name, resolve_require=self.resolve_require,
                cache_dir=self.config.cache_dir / "interop", force=self.force,
            )
            interop_of[planned.id] = interop.needs_interop
            if interop.needs_interop:
                virtual = f"{PROXY_NS}:{planned.flat}"
                proxies[planned.flat] = proxy_entry_source(
                    str(planned.src), interop.names, default=DEFAULT_RULE, module_exports=True
                )
                entry_points[planned.flat] = virtual
            else:
                entry_points[planned.flat] = str(planned.src)

        plugins = self.config.plugin_container if self.config.plugins else None
        if plugins is None or not (plugins.has("load") or plugins.has("transform")):
            state, result = self._build_once(package, entry_points, proxies, file_hooks=None)
        else:
            state, result = self._build_with_file_hooks(package, entry_points, proxies, plugins)
        warnings = tuple(state.warnings) + tuple(_format(result.warnings))
        return _collect(package, key, result, self.staging / f".build-{flat_label(package)}",
                        self.config.root, entry_points, interop_of, warnings)

    def _build_once(self, package: PlannedPackage, entry_points: dict[str, str],
                    proxies: dict[str, str], *, file_hooks: _FileHooks | None):
        """One esbuild build of the package; ``file_hooks`` (if any) sees every file it loads."""
        from . import esbuild

        state = _BuildState(package=package, proxies=proxies, file_hooks=file_hooks)
        options = self._options(entry_points, self.staging / f".build-{flat_label(package)}")
        options["plugins"] = [esbuild.Plugin("prebundle", lambda build: self._setup(build, state))]
        try:
            return state, self.service.build(**options)
        except esbuild.BuildFailure as failure:
            raise BundleError(package.label, _format(failure.errors)) from None

    def _build_with_file_hooks(self, package: PlannedPackage, entry_points: dict[str, str],
                               proxies: dict[str, str], plugins):
        """A build whose files all go through the plugins' ``load`` and ``transform``.

        A callback for every file would cost a round trip to Python per file (lodash-es has
        640), and plugins leave most files alone. So the package is built, and then every file
        that build read and the hooks have not seen yet goes to them in one batch. When they
        leave all of those as they are, that build is the answer; otherwise it is built again
        with callbacks for just the files the hooks changed (their code kept from the batch:
        no hook sees a file twice), which may read new files, and so on. Many changed files,
        or a build that fails (a file type only a plugin can load), fall back to one build
        with a callback for every file."""
        from .plugins import PluginError

        done: dict[str, str | None] = {}
        try:
            for _ in range(MAX_HOOK_PASSES):
                changed = sorted(path for path, code in done.items() if code is not None)
                if len(changed) > MAX_CHANGED_FILES:
                    break
                try:
                    state, result = self._build_once(
                        package, entry_points, proxies,
                        file_hooks=_FileHooks(plugins, done, only=changed) if changed else None)
                except BundleError:
                    break
                unseen = [path for path in _files_read(result.metafile, self.config.root) if path not in done]
                fresh = plugins.load_and_transform(unseen, _read_text)
                done.update(fresh)
                if all(code is None for code in fresh.values()):
                    return state, result
        except PluginError as error:
            raise BundleError(package.label, [str(error)]) from None
        return self._build_once(package, entry_points, proxies, file_hooks=_FileHooks(plugins, done))

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
            inject=[str(PROCESS_SHIM)],
            main_fields=list(config.main_fields),
            conditions=list(config.conditions),
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
            legal_comments="none",
            log_level="silent",
            supported={"arbitrary-module-namespace-names": True, "dynamic-import": True,
                       "import-meta": True},
        )
        for name, value in config.esbuild_options.items():
            options[name] = value
        return options

    def _setup(self, build, state: _BuildState) -> None:
        from .esbuild import OnLoadResult, OnResolveResult

        package_dir = str(state.package.dir)

        @build.on_resolve(filter=f"^{PROXY_NS}:")
        def proxy_path(args):
            return OnResolveResult(path=args.path[len(PROXY_NS) + 1 :], namespace=PROXY_NS)

        @build.on_load(filter=".*", namespace=PROXY_NS)
        def proxy_source(args):
            return OnLoadResult(contents=state.proxies[args.path], loader="js", resolve_dir=package_dir)

        if self.config.plugins:
            self._bridge_plugins(build, state.file_hooks)

        @build.on_resolve(filter=r"^[^./]")
        def bare(args):
            return self._on_bare(args, build, state)

        @build.on_load(filter=".*", namespace=REQUIRE_NS)
        def require_facade(args):
            return OnLoadResult(contents=_facade_source(args.path), loader="js", resolve_dir=package_dir)

        @build.on_load(filter=".*", namespace=BUILTIN_NS)
        def builtin_stub(args):
            return OnLoadResult(contents=_builtin_stub(args.path, state.package.name), loader="js")

        @build.on_load(filter=".*", namespace=MISSING_NS)
        def missing_stub(args):
            return OnLoadResult(contents=_missing_stub(args.path, state.package.name), loader="js")

    def _bridge_plugins(self, build, file_hooks: _FileHooks | None) -> None:
        """Python plugins' ``resolve_id`` and ``load``/``transform`` of virtual modules as
        esbuild callbacks; with ``file_hooks``, also ``load``/``transform`` of every file."""
        from .esbuild import OnLoadResult, OnResolveResult

        plugins = self.config.plugin_container
        root = str(self.config.root)
        if plugins.has("resolve_id"):
            # Bare and virtual specifiers only: a package's relative imports between its own
            # files are its business, and asking Python about each would cost a round trip.
            @build.on_resolve(filter=r"^[^./]")
            def plugin_resolve(args):
                if args.kind == "entry-point" or args.path.startswith(PROXY_NS + ":"):
                    return None
                importer = "\0" + args.importer if args.namespace == VIRTUAL_NS else (args.importer or None)
                resolved = plugins.resolve_id(args.path, importer, {"kind": args.kind})
                if resolved is None:
                    return None
                if resolved.startswith("\0"):
                    return OnResolveResult(path=resolved[1:], namespace=VIRTUAL_NS)
                return OnResolveResult(path=resolved)

        if plugins.has("load") or plugins.has("transform"):
            @build.on_load(filter=".*", namespace=VIRTUAL_NS)
            def plugin_virtual(args):
                id_ = "\0" + args.path
                code = plugins.load(id_)
                if code is None:
                    return None
                return OnLoadResult(contents=plugins.transform(code, id_), loader="js", resolve_dir=root)

        if file_hooks is not None:
            @build.on_load(filter=file_hooks.filter, namespace="file")
            def plugin_file(args):
                code = file_hooks.code_of(args.path)
                if code is None:
                    return None  # untouched: esbuild reads the file itself
                return OnLoadResult(contents=code, loader=LOADERS.get(Path(args.path).suffix, "js"))

    def _on_bare(self, args, build, state: _BuildState):
        from .esbuild import OnResolveResult

        specifier = args.path
        if args.kind not in JS_KINDS or args.plugin_data == PROBE:
            return None
        if specifier.startswith("node:"):
            return self._builtin(args, state)
        if not is_bare(specifier):
            return None
        name = split_package(specifier)[0]
        if specifier == name + "/":
            # `require("process/")` names the npm package, not the builtin; as an import map key
            # a trailing slash would be a prefix mapping, so the id is the bare name.
            specifier = name
        if name == state.package.name:
            return None  # the package's own files: bundled
        if args.path in self.resolver.browser_map(state.package.dir):
            # The package's "browser" map replaces it (`"eventsource": "./browser/es.js"`),
            # whether or not a package of that name is installed; esbuild applies that map.
            return None
        importer_dir = Path(args.resolve_dir) if args.resolve_dir else state.package.dir
        found = self.resolver.find_package_dir(name, importer_dir)
        if found is None:
            if is_node_builtin(specifier):
                return self._builtin(args, state)
            return self._inside(args, build, state, importer_dir)
        hoisted = self.hoisted_dir(name)
        if hoisted is None or Path(os.path.realpath(found)) != hoisted:
            return self._inside(args, build, state, importer_dir)  # a nested copy the page cannot import by name
        if not self.resolves_from_root(specifier):
            return self._inside(args, build, state, importer_dir)
        if args.kind == "require-call":
            commonjs = self.commonjs_file(specifier)
            if commonjs is not None:
                return OnResolveResult(path=str(commonjs))  # a dual package: see commonjs_file
            return OnResolveResult(path=specifier, namespace=REQUIRE_NS)
        return OnResolveResult(path=specifier, external=True)

    def _builtin(self, args, state: _BuildState):
        """A Node builtin with no browser package: the throwing stub, and a warning."""
        from .esbuild import OnResolveResult

        where = _relative_importer(args.importer, state.package.dir)
        state.warnings.append(
            f"{state.package.label}: {where} imports the Node.js builtin {args.path!r}; "
            "it throws if used in the browser"
        )
        return OnResolveResult(path=args.path, namespace=BUILTIN_NS)

    def _inside(self, args, build, state: _BuildState, importer_dir: Path):
        """A bare import bundled inside the package. When neither our resolver nor esbuild's
        can resolve it (not installed), it becomes a module that throws when it runs, so code
        that guards it (``try { require(x) } catch {}``, an optional peer dependency, an
        ``import()`` that may fail) works as in Node, and the rest of the package loads."""
        from .esbuild import OnResolveResult
        from .resolve import ResolveError

        if args.kind == "require-resolve":
            return None  # esbuild leaves `require.resolve` calls alone
        resolver = self.resolver.for_require() if args.kind == "require-call" else self.resolver
        try:
            resolver.resolve(args.path, importer_dir)
            return None  # esbuild resolves it too, and bundles it
        except ResolveError:
            pass
        if not self._esbuild_fails_to_resolve(args, build):
            return None  # esbuild knows better (an `alias` option, say)
        where = _relative_importer(args.importer, state.package.dir)
        state.warnings.append(
            f'{state.package.label}: {where} imports "{args.path}", which cannot be resolved '
            "(is it installed?); it throws if it runs in the browser"
        )
        return OnResolveResult(path=args.path, namespace=MISSING_NS)

    def _esbuild_fails_to_resolve(self, args, build) -> bool:
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


class _FileHooks:
    """The plugins' code for the files of one build, computed once per file; ``only`` limits
    the callback to those files (whose code is known), else every file gets one."""

    def __init__(self, plugins, done: dict[str, str | None], only: list[str] | None = None) -> None:
        self.plugins = plugins
        self.done = done
        self.filter = "^(?:" + "|".join(map(re.escape, only)) + ")$" if only else ".*"

    def code_of(self, path: str) -> str | None:
        """The file's new code, or None when the plugins leave it as it is."""
        if path not in self.done:
            self.done.update(self.plugins.load_and_transform([path], _read_text))
        return self.done[path]


@dataclass
class _BuildState:
    package: PlannedPackage
    proxies: dict[str, str]
    file_hooks: _FileHooks | None = None
    warnings: list[str] = field(default_factory=list)


def _read_text(path: str) -> str | None:
    """A file's text for the plugins' ``transform``; None when it is not UTF-8 text (esbuild
    then loads it, as an asset for instance, or reports it)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _files_read(metafile: Mapping[str, Any] | None, root: Path) -> list[str]:
    """The absolute paths of the files a build loaded (its metafile inputs outside our own
    namespaces, which are written relative to the working directory, the root)."""
    own = (PROXY_NS, REQUIRE_NS, BUILTIN_NS, VIRTUAL_NS)
    files = []
    for key in (metafile or {}).get("inputs", {}):
        namespace, colon, _rest = key.partition(":")
        if colon and namespace in own:
            continue
        files.append(os.path.normpath(os.path.join(root, key)))
    return files


def flat_label(package: PlannedPackage) -> str:
    from .flatten import flatten_id

    return flatten_id(package.name)


def _facade_source(specifier: str) -> str:
    """CommonJS module standing for ``require(specifier)`` of another package's bundle: the very
    ``module.exports`` of a CommonJS package, else the ES namespace marked ``__esModule``."""
    quoted = json.dumps(specifier)
    return (
        f"import * as m from {quoted};\n"
        'module.exports = "module.exports" in m ? m["module.exports"]'
        ' : Object.defineProperty({ ...m }, "__esModule", { value: true });\n'
    )


def _builtin_stub(specifier: str, package: str) -> str:
    """CommonJS module standing for a Node builtin: loading it works, using it throws."""
    message = (
        f'Module "{specifier}" is a Node.js builtin and is not available in the browser '
        f"(imported by the package {package}). Install a browser version of it, or avoid the code "
        "path that uses it."
    )
    return f"const message = {json.dumps(message)};\nmodule.exports = {_THROWING_OBJECT};\n"


def _missing_stub(specifier: str, package: str) -> str:
    """CommonJS module standing for an import that does not resolve: it throws when it runs,
    as Node's ``require`` and ``import()`` do. Should a bundler keep a module that threw
    (older esbuild versions' ``__commonJS`` does), a second ``require`` gets its exports, which
    throw the same error when used."""
    message = f'Could not resolve "{specifier}" imported by "{package}". Is it installed?'
    return (f"const message = {json.dumps(message)};\nmodule.exports = {_THROWING_OBJECT};\n"
            "throw new Error(message);\n")


_THROWING_OBJECT = (
    "Object.create(new Proxy({}, { get(_, key) {\n"
    '  if (typeof key === "symbol" || key === "__esModule" || key === "then") return undefined;\n'
    "  throw new Error(message);\n"
    "} }))"
)
"""An object every property read of which throws ``message``. The throwing proxy is its
prototype, not the object itself: esbuild's ``__toESM`` copy of ``module.exports`` (what
``import { readFileSync } from "fs"`` reads) inherits from that prototype, so named imports
throw the clear error too instead of being ``undefined``. ``__esModule`` and ``then`` read as
undefined so interop checks and ``await import()`` don't throw."""


def _relative_importer(importer: str, package_dir: Path) -> str:
    try:
        return Path(importer).relative_to(package_dir).as_posix()
    except ValueError:
        return importer


def _format(messages) -> list[str]:
    """esbuild messages as one line each: ``file:line:col: text``."""
    lines = []
    for message in messages:
        location = message.location
        prefix = f"[plugin {message.plugin_name}] " if message.plugin_name else ""
        if location is not None and location.file:
            lines.append(f"{location.file}:{location.line}:{location.column}: {prefix}{message.text}")
        else:
            lines.append(f"{prefix}{message.text}")
    return lines


def _collect(package: PlannedPackage, key: str, result, outdir: Path, root: Path,
             entry_points: dict[str, str], interop_of: dict[str, bool],
             warnings: tuple[str, ...]) -> PackageBuild:
    """Turn esbuild's output files and metafile into entries, chunks and files by name.

    Metafile paths are relative to the working directory (the root); virtual inputs keep
    their ``namespace:path`` form."""

    def out_name(path: str) -> str:
        return Path(os.path.normpath(root / path)).relative_to(outdir).as_posix()

    files = {Path(o.path).relative_to(outdir).as_posix(): o.contents for o in result.output_files}
    outputs = {out_name(path): meta for path, meta in (result.metafile or {}).get("outputs", {}).items()}
    by_input = {meta["entryPoint"]: name for name, meta in outputs.items()
                if meta.get("entryPoint") and name.endswith(".js")}

    def described(name: str):
        meta = outputs.get(name, {})
        chunks, externals = set(), set()
        for item in meta.get("imports", ()):
            if item.get("external"):
                if is_bare(item["path"]):
                    externals.add(item["path"])
            elif item.get("kind") == "import-statement":
                chunks.add(out_name(item["path"]))
        assets = {out_name(item["path"]) for item in meta.get("imports", ())
                  if not item.get("external") and item.get("kind") in ("url-token", "file-loader")}
        css = (out_name(meta["cssBundle"]),) if meta.get("cssBundle") else ()
        return tuple(sorted(chunks)), css, tuple(sorted(assets)), tuple(sorted(externals))

    entries: dict[str, BuiltEntry] = {}
    for planned in package.ids:
        entry_input = entry_points[planned.flat]
        if not entry_input.startswith(PROXY_NS + ":"):
            entry_input = Path(os.path.relpath(entry_input, root)).as_posix()
        name = by_input.get(entry_input)
        if name is None:
            raise BundleError(package.label, [f"esbuild produced no output for {planned.id!r}"])
        imports, css, assets, externals = described(name)
        entries[planned.id] = BuiltEntry(planned.id, name, planned.src, interop_of[planned.id],
                                         imports, css, assets, externals)
    entry_files = {entry.file for entry in entries.values()}
    chunks = {}
    for name in outputs:
        if name.endswith(".js") and name not in entry_files:
            imports, css, _assets, externals = described(name)
            chunks[name] = Chunk(name, imports, css, externals)
    return PackageBuild(package, key, entries, chunks, files, warnings)
