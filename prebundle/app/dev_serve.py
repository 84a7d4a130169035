"""The app's own modules as the daemon serves them: what is transformed, and the answer.

``AppModules.kind(file, query)`` says how a file of the root is served: compiled (``.ts .tsx
.jsx .mts``, and ``.js``/``.mjs`` with ``jsx_in_js``), a plain ``.js``/``.mjs`` as written but for
the imports a browser could not load as written, or, asked with ``?import`` by a rewritten
import, wrapped as a module (CSS, JSON, a file a plugin compiles, any other file as its URL);
a stylesheet a page links is CSS as written but for its ``@import`` of a package's stylesheet.
``answer()`` makes the module: the plugins' ``load`` and ``transform``, esbuild (cached by
content and options, ``dev_cache``), the imports rewritten (``dev_resolve``), the source map
kept true and inlined; ``AppCodeError`` when it cannot. Everything but the esbuild call runs on
worker threads, never on the event loop.

Module scripts (``Sec-Fetch-Dest: script`` in CORS mode) get one line first that records their
URL in ``globalThis.__prebundle_loaded``: the reload client reloads a page when a module it
loaded changes, whatever the number of modules.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote

from .. import esbuild
from ..filetypes import SCRIPT_EXTENSIONS, read_text
from ..resolve import Resolver
from .dev_cache import TransformCache
from .dev_errors import AppCodeError, AppCodeProblem, code_frame
from .dev_imports import ImportSite, import_sites
from .dev_jsx import JS_SUFFIXES
from .dev_resolve import URL_SAFE, ImportUrls, ResolutionMemo, Unresolved, file_url
from .dev_sourcemap import ColumnShift, inline_comment, shift_map
from .dev_tsconfig import NAMES as TSCONFIG_NAMES
from .dev_tsconfig import TsconfigError, TsconfigFinder
from .dev_wrappers import asset_module, css_module, json_module, package_imports
from .transform import Transformed, loader_for, transform_key, transform_module, transform_options, with_sites

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import PluginContainer

__all__ = ["COMPILED_SUFFIXES", "AppModules", "Kind", "ModuleAnswer", "TransformCounts", "url_of"]

COMPILED_SUFFIXES = frozenset({".ts", ".tsx", ".jsx", ".mts"})
"""Always compiled (``.js`` and ``.mjs`` too with ``jsx_in_js``)."""
REGISTER = "(globalThis.__prebundle_loaded ??= new Set()).add(new URL(import.meta.url).pathname);\n"
"""The first line of a module script: the reload client's record of what the page loaded."""
JS_TYPE = "text/javascript; charset=utf-8"
CSS_TYPE = "text/css; charset=utf-8"
Bare = Callable[[str, str], "str | None"]
"""A bare import's URL, from the importing module's URL path, where no import map applies (a
worker's modules)."""
COMPONENT_SUFFIXES = frozenset({".vue", ".svelte"})
"""Single-file components: modules only a plugin can compile, never a URL to import."""
MAX_PARSE_BYTES = 5 * 1024 * 1024
"""A plain script or linked stylesheet larger than this is served as written, streamed from
disk and unparsed (a vendored bundle)."""
PLAIN_SITES_KEPT = 2_000
"""Plain scripts whose import sites are remembered."""


class Kind(Enum):
    """How a file of the app is served."""

    SCRIPT = "script"
    """Compiled by esbuild (or made by plugins), imports rewritten."""
    PLAIN = "plain"
    """A ``.js``/``.mjs`` file as written, but for the imports a browser could not load as
    written (``./style.css``, ``./App``, ``swiper/css``), which are rewritten as a compiled
    module's are: every other byte stays, so lines and columns are the file's own."""
    CSS = "css"
    STYLESHEET = "stylesheet"
    """A stylesheet a page links (no ``?import``): served as CSS as written, but for an
    ``@import`` of a package's stylesheet (``@import "bootstrap"``), written as its URL."""
    JSON = "json"
    OTHER = "other"
    """Made by plugins when they load or transform it, else its URL."""


@dataclass(frozen=True)
class ModuleAnswer:
    """A module to send."""

    body: bytes
    etag: str
    content_type: str = JS_TYPE


@dataclass
class TransformCounts:
    """``transforms`` in ``/@prebundle/status``."""

    done: int = 0
    """esbuild transforms run."""
    cached: int = 0
    """Modules answered from the cache, in memory or on disk."""
    errors: int = 0
    """Modules that could not be served (syntax errors, missing imports, plugin errors)."""

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Source:
    """A module's code before esbuild, and how to compile it."""

    file: str
    """The real path, or a ``\\0`` id."""
    rel: str
    """As errors and source maps name it (``src/App.tsx``)."""
    url: str
    """The decoded URL path the page asked for."""
    code: str
    options: dict
    key: str


class AppModules:
    """The transform pipeline of one daemon; ``config_of()`` gives its current config."""

    def __init__(self, config_of: Callable[[], Config]) -> None:
        self.config_of = config_of
        config = config_of()
        self.root = os.path.realpath(config.root)
        self.counts = TransformCounts()
        self.cache = TransformCache(config.cache_dir)
        self.tsconfig = TsconfigFinder(Path(self.root))
        self._resolver: tuple[Config, Resolver] | None = None
        self._memo = ResolutionMemo()
        self._service: esbuild.Service | None = None
        self._esbuild_version = ""
        self._inflight: dict[str, asyncio.Future] = {}
        self._sites: dict[bytes, tuple[ImportSite, ...]] = {}
        """A plain script's import sites by a hash of its content."""

    # -- what is served how ----------------------------------------------------------------

    def kind(self, file: Path, query: str) -> Kind | None:
        """How ``file`` (a real path the site policy let through) is served with ``query``;
        None: as it is on disk."""
        path = str(file)
        suffix = file.suffix.lower()
        if not path.startswith(self.root + os.sep) or "node_modules" in path[len(self.root):].split(os.sep):
            if suffix in SCRIPT_EXTENSIONS or "import" not in parse_qs(query, keep_blank_values=True):
                return None  # packages' modules (excluded, linked) are served as they are
            return {".css": Kind.CSS, ".json": Kind.JSON}.get(suffix, Kind.OTHER)  # ``import 'swiper/css'``
        if suffix in COMPILED_SUFFIXES or (suffix in JS_SUFFIXES and self.config_of().jsx_in_js):
            return Kind.SCRIPT
        if suffix in JS_SUFFIXES:
            return Kind.PLAIN if _size(path) <= MAX_PARSE_BYTES else None
        if "import" not in parse_qs(query, keep_blank_values=True):
            return Kind.STYLESHEET if suffix == ".css" and _size(path) <= MAX_PARSE_BYTES else None
        return {".css": Kind.CSS, ".json": Kind.JSON}.get(suffix, Kind.OTHER)

    def forget(self, changed: set[str], *, installed: bool = False) -> None:
        """Files changed on disk: a tsconfig among them is looked for again; after an install
        (``installed``), packages are resolved anew."""
        if any(os.path.basename(path) in TSCONFIG_NAMES for path in changed):
            self.tsconfig.forget()
        if installed:
            self._resolver = None

    # -- answers ---------------------------------------------------------------------------

    async def answer(self, file: Path, kind: Kind, url: str, *, module_script: bool,
                     bare: Bare | None = None) -> ModuleAnswer:
        """The module for ``file`` served as ``kind`` at ``url`` (the decoded URL path); ``bare``
        writes its bare imports as URLs (a worker's module: no import map reaches it).
        Raises ``AppCodeError``."""
        config = self.config_of()
        plugins = config.plugins_for("load", "transform")
        path = str(file)
        if kind is Kind.PLAIN:
            return await asyncio.to_thread(self._plain, path, url, config, bare)
        if kind is Kind.STYLESHEET:
            return await asyncio.to_thread(self._stylesheet, path, config)
        if kind is Kind.SCRIPT:
            found = await asyncio.to_thread(self._cached, path, url, config, plugins, module_script, bare)
            return await self._script(found, config, module_script=module_script, bare=bare)
        code = await asyncio.to_thread(self._plugin_code, path, url, plugins) if plugins is not None else None
        if code is not None and kind is Kind.OTHER:  # a type plugins compile (``.vue``, ``.svelte``, ...)
            source = await asyncio.to_thread(self._compiled, path, url, code, config)
            return await self._script(source, config, module_script=module_script, bare=bare)
        if code is None and kind is Kind.OTHER and file.suffix.lower() in COMPONENT_SUFFIXES:
            raise AppCodeError(AppCodeProblem(  # its URL as a default export would fail far from here
                file=self._rel(path), url=url, line=0, column=0,
                text=f"a {file.suffix} component needs a plugin that compiles it (a `load` or `transform` "
                     "hook returning JavaScript, see docs/plugins.md); no plugin of the config did"))
        body = await asyncio.to_thread(self._wrapper, path, kind, url, code)
        prefix = REGISTER if module_script else ""
        return _answer((prefix + body).encode("utf-8"))

    async def virtual(self, id_: str, url: str, *, module_script: bool) -> ModuleAnswer | None:
        """A plugin's virtual module (``\\0virtual:x``, at ``/@id/__x00__virtual:x``); None
        when no plugin loads it."""
        config = self.config_of()
        plugins = config.plugins_for("load")
        if plugins is None:
            return None
        code = await asyncio.to_thread(self._plugin_code, id_, url, config.plugins_for("load", "transform"))
        if code is None:
            return None
        source = await asyncio.to_thread(self._compiled, id_, url, code, config)
        return await self._script(source, config, module_script=module_script)

    # -- the steps (on worker threads, but for the esbuild call) --------------------------------

    def _cached(self, path: str, url: str, config: Config, plugins: PluginContainer | None,
                module_script: bool, bare: Bare | None) -> _Source | ModuleAnswer:
        """The module from the cache, made in one go (one thread hop per request); else what
        esbuild is to compile."""
        source = self._source(path, url, config, plugins)
        transformed = self.cache.get(source.key)
        if transformed is None:
            return source
        return self._rewrite(source, transformed, config, module_script, bare)

    def _source(self, path: str, url: str, config: Config, plugins: PluginContainer | None) -> _Source:
        code = self._plugin_code(path, url, plugins) if plugins is not None else None
        if code is None:
            code = read_text(path)
            if code is None:
                raise AppCodeError(AppCodeProblem(file=self._rel(path), url=url, line=0, column=0,
                                                  text="cannot read it as UTF-8 text"))
        return self._compiled(path, url, code, config)

    def _plugin_code(self, id_: str, url: str, plugins: PluginContainer | None) -> str | None:
        """What the plugins' ``load`` and ``transform`` make of ``id_``; None when they leave
        it alone."""
        if plugins is None:
            return None
        try:
            return plugins.load_and_transform([id_], read_text)[id_]
        except Exception as error:  # a plugin's failure names the plugin, hook and file
            raise AppCodeError(AppCodeProblem(file=self._rel(id_), url=url, line=0, column=0,
                                              text=str(error))) from None

    def _compiled(self, path: str, url: str, code: str, config: Config) -> _Source:
        """``code`` of ``path`` with its transform options and cache key."""
        rel = self._rel(path)
        tsconfig: dict = {}
        if not path.startswith("\0"):
            try:
                tsconfig = self.tsconfig.options_for(path)
            except TsconfigError as error:
                raise AppCodeError(AppCodeProblem(file=rel, url=url, line=0, column=0, text=str(error))) from None
        options = transform_options(config, sourcefile=rel, loader=loader_for(config, path), tsconfig=tsconfig)
        return _Source(path, rel, url, code, options, transform_key(code, options, self._version()))

    async def _script(self, found: _Source | ModuleAnswer, config: Config, *, module_script: bool,
                      bare: Bare | None = None) -> ModuleAnswer:
        """The module of ``found``: made already from the cache, or compiled now."""
        if isinstance(found, ModuleAnswer):
            self.counts.cached += 1
            return found
        transformed = await asyncio.to_thread(self.cache.get, found.key)
        if transformed is not None:
            self.counts.cached += 1
        else:
            transformed = await self._transform(found)
        return await asyncio.to_thread(self._rewrite, found, transformed, config, module_script, bare)

    async def _transform(self, source: _Source) -> Transformed:
        """esbuild's output for ``source``; one transform for requests of the same key at once."""
        pending = self._inflight.get(source.key)
        if pending is not None:
            self.counts.cached += 1
            return await asyncio.shield(pending)
        future = asyncio.get_running_loop().create_future()
        self._inflight[source.key] = future
        try:
            service = await self._esbuild()
            result = await transform_module(service, source.code, source.options, url=source.url)
            result = await asyncio.to_thread(with_sites, result)
            self.counts.done += 1
            await asyncio.to_thread(self.cache.put, source.key, result)
            future.set_result(result)
            return result
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when none waits
            raise
        finally:
            del self._inflight[source.key]

    def _rewrite(self, source: _Source, transformed: Transformed, config: Config, module_script: bool,
                 bare: Bare | None = None) -> ModuleAnswer:
        """The code the browser gets: imports rewritten, the map kept true and inlined."""
        urls = ImportUrls(self.root, self._resolver_for(config), config.plugins_for("resolve_id"), self._memo,
                          self.tsconfig, bare)
        code = transformed.code
        pieces: list[bytes] = []
        shifts: list[ColumnShift] = []
        at = line = counted = 0
        for site in transformed.sites:
            try:
                url = urls.url(site.specifier, source.file)
            except Unresolved:
                raise AppCodeError(self._unresolved(source, site.specifier)) from None
            except Exception as error:  # a plugin's resolve_id failed
                raise AppCodeError(AppCodeProblem(file=source.rel, url=source.url, line=0, column=0,
                                                  text=str(error))) from None
            if url is None or url == site.specifier:
                continue
            new = json.dumps(url).encode("utf-8")
            pieces += [code[at:site.start], new]
            at = site.end
            line += code.count(b"\n", counted, site.start)
            counted = site.start
            line_start = code.rfind(b"\n", 0, site.start) + 1
            column = _utf16_length(code[line_start:site.start])
            shifts.append(ColumnShift(line, column, _utf16_length(new) - _utf16_length(code[site.start:site.end])))
        pieces.append(code[at:])
        prefix = REGISTER.encode() if module_script else b""
        source_map = shift_map(transformed.map, shifts, lines_before=prefix.count(b"\n"))
        body = prefix + b"".join(pieces) + b"\n" + inline_comment(source_map).encode("ascii") + b"\n"
        return _answer(body)

    def _plain(self, path: str, url: str, config: Config, bare: Bare | None = None) -> ModuleAnswer:
        """A plain script's bytes with the specifiers a browser could not load rewritten; an
        import of no file is left for the browser to report, as it would be without the daemon."""
        try:
            with open(path, "rb") as handle:
                code = handle.read()
        except OSError as error:
            raise AppCodeError(AppCodeProblem(file=self._rel(path), url=url, line=0, column=0,
                                              text=f"cannot read it: {error.strerror or error}")) from None
        sites = self._plain_sites(code)
        if not sites:
            return _answer(code)
        urls = ImportUrls(self.root, self._resolver_for(config), config.plugins_for("resolve_id"), self._memo,
                          self.tsconfig, bare)
        folder = posixpath.dirname(url)
        pieces: list[bytes] = []
        at = 0
        for site in sites:
            try:
                new = urls.url(site.specifier, path)
            except Unresolved:
                continue
            except Exception as error:  # a plugin's resolve_id failed
                raise AppCodeError(AppCodeProblem(file=self._rel(path), url=url, line=0, column=0,
                                                  text=str(error))) from None
            if new is None or new == site.specifier or _loads_as_written(site.specifier, new, folder):
                continue
            pieces += [code[at:site.start], json.dumps(new).encode("utf-8")]
            at = site.end
        if not pieces:
            return _answer(code)
        pieces.append(code[at:])
        return _answer(b"".join(pieces))

    def _plain_sites(self, code: bytes) -> tuple[ImportSite, ...]:
        """The import sites of a plain script, remembered by content (a parse per change, not
        per request); none for a file too large to parse."""
        key = hashlib.blake2b(code, digest_size=16).digest()
        sites = self._sites.get(key)
        if sites is None:
            sites = import_sites(code) if len(code) <= MAX_PARSE_BYTES else ()  # grew since ``kind``
            if len(self._sites) >= PLAIN_SITES_KEPT:
                self._sites.clear()
            self._sites[key] = sites
        return sites

    def _stylesheet(self, path: str, config: Config) -> ModuleAnswer:
        """A linked stylesheet, its package ``@import``s written as URLs; other bytes as they are."""
        with open(path, "rb") as handle:
            data = handle.read()
        text = data.decode("utf-8", "surrogateescape")
        written = self._package_imports(text, path, config)
        body = data if written == text else written.encode("utf-8", "surrogateescape")
        return replace(_answer(body), content_type=CSS_TYPE)

    def _package_imports(self, css: str, path: str, config: Config) -> str:
        """The stylesheet ``css`` of ``path`` with its ``@import`` of a package's stylesheet
        (``@import "bootstrap"``) written as that file's URL."""
        urls = ImportUrls(self.root, self._resolver_for(config), None, self._memo)
        return package_imports(css, lambda specifier: urls.stylesheet_import(specifier, path))

    def _wrapper(self, path: str, kind: Kind, url: str, text: str | None) -> str:
        """The module wrapping a stylesheet or JSON (``text``: the plugins' version of it, if
        they made one), or giving another file's URL."""
        if kind is Kind.OTHER:
            return asset_module(quote(url, safe=URL_SAFE))  # ``a%23b.png`` names the file ``a#b.png``
        if text is None:
            text = read_text(path)
        if text is None:
            raise AppCodeError(AppCodeProblem(file=self._rel(path), url=url, line=0, column=0,
                                              text="cannot read it as UTF-8 text"))
        if kind is Kind.CSS:
            return css_module(self._package_imports(text, path, self.config_of()), url)
        try:
            return json_module(text)
        except ValueError as error:
            line, column = getattr(error, "lineno", 0), getattr(error, "colno", 0)
            raise AppCodeError(AppCodeProblem(file=self._rel(path), url=url, line=line, column=column,
                                              text=f"not valid JSON: {getattr(error, 'msg', error)}",
                                              frame=code_frame(text, line, column))) from None

    # -- helpers ---------------------------------------------------------------------------

    def _unresolved(self, source: _Source, specifier: str) -> AppCodeProblem:
        line = column = 0
        for mark in ('"', "'", "`"):
            at = source.code.find(mark + specifier + mark)
            if at >= 0:
                line = source.code.count("\n", 0, at) + 1
                column = at - (source.code.rfind("\n", 0, at) + 1) + 2
                break
        return AppCodeProblem(file=source.rel, url=source.url, line=line, column=column,
                              text=f"cannot resolve the import {specifier!r}: no such file (also tried the "
                                   ".ts, .tsx, .js, .jsx, .mjs, .mts and .json extensions and index files)",
                              frame=code_frame(source.code, line, column) if line else "")

    def _resolver_for(self, config: Config) -> Resolver:
        current = self._resolver  # read once: ``forget`` may drop it from the event loop
        if current is None or current[0] is not config:
            current = self._resolver = (config, Resolver.for_config(config))
        return current[1]

    def _rel(self, path: str) -> str:
        if path.startswith("\0"):
            return path[1:]
        if path.startswith(self.root + os.sep):
            return path[len(self.root) + 1:].replace(os.sep, "/")
        return path

    def _version(self) -> str:
        if not self._esbuild_version:  # first use, on a worker thread: may locate the binary
            self._esbuild_version = self._service_now().version
        return self._esbuild_version

    def _service_now(self) -> esbuild.Service:
        if self._service is None:
            self._service = esbuild.get_service(self.config_of().root)
        return self._service

    async def _esbuild(self) -> esbuild.Service:
        if self._service is None:
            await asyncio.to_thread(self._service_now)
        assert self._service is not None
        return self._service


def url_of(root: str, path: str) -> str | None:
    """The decoded URL path of a file of the root (``/src/App.tsx``); None outside it."""
    url = file_url(root, path)
    return unquote(url) if url is not None else None


def _loads_as_written(specifier: str, url: str, folder: str) -> bool:
    """Whether the browser, resolving ``specifier`` against the module's folder, gets the very
    ``url`` (no ``?import``, the same file): then the specifier stays as written."""
    if "?" in url or not specifier.startswith(("./", "../", "/")):
        return False
    return unquote(url) == posixpath.normpath(posixpath.join(folder, unquote(specifier)))


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # gone: the answer says so


def _answer(body: bytes) -> ModuleAnswer:
    return ModuleAnswer(body, '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"')


def _utf16_length(data: bytes) -> int:
    return len(data.decode("utf-8", "replace").encode("utf-16-le")) // 2
