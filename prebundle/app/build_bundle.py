"""The app's code through esbuild for production: ES modules with code splitting, hashed names
in one assets folder, bare imports left to the import map.

Every output file (chunks, CSS, images, fonts) lies in the same folder, so the code refers to
its images relative to its own URL (``new URL("./logo-XXXX.png", import.meta.url).href``) and
the CSS to its fonts relative to the stylesheet: the build works wherever the folder is served.

Bare imports stay bare (esbuild's ``packages: "external"``, applied after tsconfig ``paths``,
so aliases such as ``@/components/x`` are the app's own files). Bare imports of stylesheets,
JSON, images and fonts are bundled, whether their name says so (``some-lib/dist/style.css``) or
the file their package's ``exports`` give them does (``swiper/css``): the import map holds
modules only. A URL in a stylesheet (``url(images/a.png)``, ``@import "theme.css"``) is first
a file beside the stylesheet, as browsers and esbuild take it, and only then a package's; a
package named by ``@import`` gives its stylesheet (``@import "bootstrap"``: its ``style`` field),
as in Vite.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import esbuild
from ..esbuild import Message, OnLoadResult, OnResolveResult
from ..filetypes import SCRIPT_EXTENSIONS
from ..resolve import ResolveError, Resolver
from ..specifiers import is_bare
from .build_errors import AppBuildError, message_lines
from .build_urls import NO_REWRITES, UrlRewrites, url_rewrites
from .dev_tsconfig import alias_file

if TYPE_CHECKING:
    from ..config import Config
    from ..esbuild import OnLoadArgs, OnResolveArgs, PluginBuild, Service
    from .entries import BuildEntry

__all__ = ["ASSET_EXTENSIONS", "POLYFILL_SPECIFIER", "AppBundle", "bundle_app", "import_meta_env"]

ASSET_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".bmp",
                    ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".wav", ".ogg", ".wasm")
"""Files copied with hashed names (esbuild's ``file`` loader); an import of one gives its URL."""
POLYFILL_SPECIFIER = "/@prebundle/modulepreload-polyfill.js"
"""What an entry imports for the modulepreload polyfill (the daemon answers it with an empty module)."""
POLYFILL_FILE = Path(__file__).with_name("modulepreload_polyfill.js")
OWN_NAMESPACE = "prebundle"
"""prebundle's own modules (the polyfill): source maps name them ``prebundle:<file>``."""
ASSET_URL_NAMESPACE = "prebundle-asset-url"
"""An image imported from JS: a module whose default export is the image's full URL."""
SOURCEMAP_OPTIONS: Mapping[str, Any] = {"none": False, "linked": "linked", "inline": "inline", "hidden": "external"}
"""``build.sourcemap`` as esbuild's option (``hidden``: the ``.map`` without the comment)."""
_ASSET_FILTER = r"(?i)\.(?:" + "|".join(ext[1:] for ext in ASSET_EXTENSIONS) + r")$"
_BARE_FILTER = r"^[^./\\#][^:?#]*$"
"""Specifiers that may be bare (``is_bare`` decides); with a query or hash they stay as they are."""
_BUNDLED_SUFFIXES = frozenset((".css", ".json", *ASSET_EXTENSIONS))
"""Files a bare import resolves to that are bundled rather than left to the import map."""
_POLYFILL_FILTER = "^" + POLYFILL_SPECIFIER.replace(".", r"\.") + "$"
_JS_IMPORT_KINDS = frozenset({"import-statement", "dynamic-import", "require-call"})
_CSS_IMPORT_KINDS = frozenset({"import-rule", "composes-from", "url-token"})


@dataclass(frozen=True)
class AppBundle:
    """What esbuild made of the app: every file in memory, and the metafile that describes them."""

    files: Mapping[str, bytes]
    """Output files by path relative to the out dir (``assets/main-XXXX.js``)."""
    outputs: Mapping[str, Mapping[str, Any]]
    """The metafile's ``outputs`` (keys relative to the root)."""
    externals: Mapping[str, tuple[str, ...]]
    """Bare imports left to the import map -> the app's files that make them (relative to root)."""
    sources: frozenset[str]
    """The files bundled, relative to the root (the metafile's inputs)."""
    warnings: tuple[str, ...]


def import_meta_env(config: Config) -> dict[str, str]:
    """The ``define`` entries of a production build, as Vite sets them, then the config's own."""
    env = {"BASE_URL": "/", "MODE": "production", "DEV": False, "PROD": True, "SSR": False}
    define = {"process.env.NODE_ENV": json.dumps("production"), "import.meta.env": json.dumps(env),
              "import.meta.hot": "undefined"}  # no hot updates in production: `if (import.meta.hot)` drops out
    define.update({f"import.meta.env.{name}": json.dumps(value) for name, value in env.items()})
    define.update(config.define)
    return define


def bundle_app(config: Config, entries: tuple[BuildEntry, ...], out_dir: Path, *,
               service: Service | None = None) -> AppBundle:
    """Bundle ``entries`` for ``out_dir``. Raises ``AppBuildError`` with esbuild's errors, one
    ``file:line:col: text`` line each."""
    return _AppBundler(config, entries, out_dir, service or esbuild.get_service(config.root)).run()


class _AppBundler:
    """One ``bundle_app``: the build, and a second one when ``new URL(...)`` calls need rewriting."""

    def __init__(self, config: Config, entries: tuple[BuildEntry, ...], out_dir: Path, service: Service) -> None:
        self.config = config
        self.entries = entries
        self.out_dir = out_dir
        self.assets_dir = out_dir / config.build.assets_dir
        self.service = service
        self.resolver = Resolver.for_config(config)
        self.options = self._options()

    def run(self) -> AppBundle:
        result = self._build(NO_REWRITES)
        rewrites = url_rewrites(result, root=self.config.root, loaders=self.options["loader"])
        if rewrites.code:
            result = self._build(rewrites)
        warnings = (*message_lines(result.warnings), *rewrites.warnings)
        files = {Path(os.path.relpath(o.path, self.out_dir)).as_posix(): o.contents for o in result.output_files}
        metafile = result.metafile or {}
        inputs = metafile.get("inputs", {})
        return AppBundle(files, metafile.get("outputs", {}), _externals(inputs), frozenset(inputs), warnings)

    def _build(self, rewrites: UrlRewrites):
        plugin = esbuild.Plugin("prebundle-app", lambda build: self._setup(build, rewrites))
        try:
            return self.service.build(**self.options, plugins=[plugin])
        except esbuild.BuildFailure as failure:
            raise AppBuildError("\n".join(message_lines(failure.errors))) from None

    def _options(self) -> dict[str, Any]:
        config = self.config
        loader = {ext: "file" for ext in ASSET_EXTENSIONS}
        if config.jsx_in_js:
            loader[".js"] = "jsx"
        options: dict[str, Any] = dict(
            entry_points=[entry.key for entry in self.entries],
            bundle=True,
            format="esm",
            splitting=True,
            platform="browser",
            packages="external",
            target=list(config.build.target),
            define=import_meta_env(config),
            loader=loader,
            jsx=config.jsx,
            minify=config.build.minify,
            sourcemap=SOURCEMAP_OPTIONS[config.build.sourcemap],
            metafile=True,
            write=False,
            outdir=str(self.assets_dir),
            abs_working_dir=str(config.root),
            entry_names="[name]-[hash]",
            chunk_names="[name]-[hash]",
            asset_names="[name]-[hash]",
            charset="utf8",
            log_level="silent",
        )
        if config.jsx == "automatic":
            options["jsx_import_source"] = config.jsx_import_source
        return options

    # -- the esbuild plugin ------------------------------------------------------------------

    def _setup(self, build: PluginBuild, rewrites: UrlRewrites) -> None:
        if rewrites.code:
            # The optimizer's URL rewriting (its bundle package, tree-sitter): only for code that
            # has `new URL("./file", import.meta.url)` calls, rare in an app.
            from ..bundle.asset_urls import serve_rewrites

            serve_rewrites(build, rewrites.code, self.options["loader"])

        @build.on_resolve(filter=_POLYFILL_FILTER)
        def polyfill(args: OnResolveArgs):
            return OnResolveResult(path=POLYFILL_FILE.name, namespace=OWN_NAMESPACE)

        @build.on_load(filter=".*", namespace=OWN_NAMESPACE)
        def own_module(args: OnLoadArgs):
            return OnLoadResult(contents=POLYFILL_FILE.read_bytes(), loader="js")

        @build.on_resolve(filter=_ASSET_FILTER)
        def asset(args: OnResolveArgs):
            if args.namespace != "file":
                return None  # the asset-url module's own import: esbuild copies the file
            path = self._file_of(args)
            if isinstance(path, OnResolveResult):
                return path
            if args.kind in _JS_IMPORT_KINDS:
                return None if path is None else self._asset_url(path)
            if args.path.startswith("/") and path is None:  # from a stylesheet: a URL of the site, as in Vite
                return OnResolveResult(path=args.path, external=True)
            return OnResolveResult(path=path) if path is not None and is_bare(args.path) else None

        @build.on_load(filter=".*", namespace=ASSET_URL_NAMESPACE)
        def asset_url(args: OnLoadArgs):
            path = os.path.normpath(os.path.join(self.config.root, args.path))
            source = (f"import url from {json.dumps('./' + os.path.basename(path))};\n"
                      "export default new URL(url, import.meta.url).href;\n")
            return OnLoadResult(contents=source, loader="js", resolve_dir=os.path.dirname(path))

        @build.on_resolve(filter=_BARE_FILTER)
        def bare(args: OnResolveArgs):
            if not is_bare(args.path):
                return None
            path = self._bare_file(args)
            if path is None or isinstance(path, OnResolveResult):
                return path
            if args.kind in _JS_IMPORT_KINDS and path.lower().endswith(ASSET_EXTENSIONS):
                return self._asset_url(path)
            return OnResolveResult(path=path)

    def _asset_url(self, path: str) -> OnResolveResult:
        """An image imported from JS, as a module of its URL; named from the root: source maps
        name no folder of this machine."""
        return OnResolveResult(path=Path(os.path.relpath(path, self.config.root)).as_posix(),
                               namespace=ASSET_URL_NAMESPACE)

    def _bare_file(self, args: OnResolveArgs) -> str | OnResolveResult | None:
        """The file a bare import names when it is no module: a stylesheet or JSON by its name
        (``some-lib/dist/style.css``), else by the file its package resolves it to (``swiper/css``
        through ``exports``). None leaves it bare, for the import map: a module, or no package
        (the deps then say so)."""
        suffix = os.path.splitext(args.path)[1].lower()
        if suffix in (".css", ".json"):
            return self._file_of(args)
        if suffix in SCRIPT_EXTENSIONS:
            return None  # a module by its name: not resolved here as well as for the deps
        try:
            entry = self._resolver(args).resolve(args.path, Path(args.resolve_dir or self.config.root)).entry
        except ResolveError:
            return None
        if entry is None or entry.suffix.lower() not in _BUNDLED_SUFFIXES:
            return None
        return self._file_of(args)  # tsconfig paths, and a stylesheet's neighbours, come first

    def _resolver(self, args: OnResolveArgs) -> Resolver:
        """A stylesheet's ``@import "bootstrap"`` wants the package's stylesheet (its ``style``
        condition or field), where a module's import wants its module."""
        return self.resolver.for_style() if args.kind == "import-rule" else self.resolver

    def _file_of(self, args: OnResolveArgs) -> str | OnResolveResult | None:
        """The file an import of a stylesheet, JSON, image or font names: a package's through
        prebundle's resolver, a root-absolute one under the root, else beside the importer.
        A stylesheet's bare URL (``url(images/a.png)``) is first the file beside it, as esbuild
        takes it. None when there is no such file (esbuild then says so, with the import's position)."""
        specifier = args.path.split("?", 1)[0].split("#", 1)[0]
        if is_bare(specifier):
            from_css = args.kind in _CSS_IMPORT_KINDS
            if from_css:
                beside = os.path.normpath(os.path.join(args.resolve_dir or str(self.config.root), specifier))
                if os.path.isfile(beside):
                    return beside
            aliased = alias_file(self.config.root, specifier, args.importer, self.resolver)  # tsconfig paths first
            if aliased is not None:
                return aliased
            try:
                return str(self._resolver(args).resolve(specifier, Path(args.resolve_dir or self.config.root)).entry)
            except ResolveError as error:
                reason = error.reason
                if from_css:
                    reason = f"no such file beside {os.path.basename(args.importer)}, and {reason}"
                return OnResolveResult(errors=[Message(text=f"Could not resolve {args.path!r}: {reason}")])
        if specifier.startswith("/"):
            under_root = self.config.root / specifier.lstrip("/")
            path = str(under_root) if under_root.is_file() else specifier
        else:
            path = os.path.normpath(os.path.join(args.resolve_dir or str(self.config.root), specifier))
        return path if os.path.isfile(path) else None


def _externals(inputs: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The bare imports esbuild left external, each with the app's files that make it."""
    found: dict[str, set[str]] = {}
    for source, meta in inputs.items():
        for item in meta.get("imports", ()):
            path = item.get("path", "")
            if item.get("external") and is_bare(path) and not path.startswith("<"):  # not esbuild's <define:...>
                found.setdefault(path, set()).add(source)
    return {specifier: tuple(sorted(sources)) for specifier, sources in sorted(found.items())}
