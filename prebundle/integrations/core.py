"""``Assets``: the framework-free helpers every integration calls.

It reads the deps dir's ``importmap.json`` and ``manifest.json`` (or a Vite manifest), re-reading
them when their mtime changes, and renders escaped tags: the import map with SRI ``integrity``,
``modulepreload`` and stylesheet links for the whole static closure of the named entries (or the
dynamic one, ``preload="dynamic"``), the app's own entry modules (``app_entries``), the
es-module-shims polyfill, the daemon's reload client, and the same preloads as a ``Link`` header.

Development and production need no flag: when ``prebundle daemon`` runs for this project (its
``daemon.json`` names a live pid) URLs point at the daemon; otherwise at the build of the app
(``<out_dir>/``, its deps in ``<out_dir>/deps/``) when there is one, else at the deps dir, under
``base``. ``mode="production"`` never looks for a daemon; ``mode="development"`` never uses the build.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..config import ConfigEnv
from ..metadata import IMPORTMAP, MANIFEST, METADATA
from ..plugins import IndexHtmlContext, PluginContainer
from . import html
from .app_build import DEPS_FOLDER, AppBuild
from .app_entries import app_entry_url, app_link_header, app_tags, is_app_entry, preload_dynamic
from .devserver import DaemonInfo, DaemonProbe, daemon_origin
from .graph import AssetsError, Graph, Node, UnknownAsset, load_deps_dir
from .page_files import PageFiles, Tags
from .polyfill import POLYFILL_FILE, find_polyfill
from .sources import Source, build_source, checked_mode, deps_dir_source, project_source, vite_manifest_source
from .vite_manifest import load_vite_manifest

__all__ = ["Assets", "AssetsError", "UnknownAsset", "POLYFILL_FILE"]

class Assets:
    """Tags and URLs for the pre-bundled deps of one frontend project.

    Build it with the constructor that says what you have:

    * ``Assets.for_project(root)``: the frontend folder; its config gives the deps dir, the base
      and the plugins that run on the app's pages.
    * ``Assets.for_deps_dir(deps_dir)``: a deps dir itself (one holding ``importmap.json``), e.g.
      a copy ``collectstatic`` made on a server without ``node_modules``.
    * ``Assets.for_build(out_dir)``: a ``prebundle build`` output as it is, on a server without
      ``node_modules``: the app's files under ``base``, its deps under ``base + "deps/"``.
    * ``Assets.for_vite_manifest(manifest)``: a ``vite build`` manifest instead of prebundle's.

    Each takes the options: ``base``, the URL prefix the app serves the files under (the deps
    dir, or the build's out dir when a build is in use); ``mode``, ``"production"`` (never use
    the daemon), ``"development"`` (never use the build) or None (the daemon when it runs, else
    the build when there is one); ``integrity``, ``crossorigin`` and ``daemon_origin``.

    ``Assets(path, root=, deps_dir=, build=, vite_manifest=, ...)`` still works (settings dicts
    such as Django's ``PREBUNDLE`` pass these keywords): it picks the constructor from the
    keywords, and a bare ``path`` is a deps dir or a build when it looks like one, else a
    project root.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        deps_dir: str | os.PathLike[str] | None = None,
        build: str | os.PathLike[str] | None = None,
        vite_manifest: str | os.PathLike[str] | None = None,
        base: str | None = None,
        mode: str | None = None,
        integrity: bool = True,
        crossorigin: str | None = None,
        daemon_origin: str | None = None,
    ) -> None:
        mode = checked_mode(mode)  # before the config is loaded: a bad mode is the error to show
        if path is not None and deps_dir is None and root is None and build is None:
            p = Path(path)
            if (p / IMPORTMAP).is_file() or (p / METADATA).is_file() or p.name == "deps":
                deps_dir = p
            elif AppBuild.at(p).exists():
                build = p
            else:
                root = p
        if vite_manifest:
            source = vite_manifest_source(vite_manifest, root)
        elif build is not None:
            source = build_source(build, root)
        elif deps_dir is not None:
            source = deps_dir_source(deps_dir, root)
        elif root is not None:
            source = project_source(root)
        else:
            raise AssetsError("Assets needs a project root, a deps dir, a build or a Vite manifest")
        self._setup(source, base=base, mode=mode, integrity=integrity, crossorigin=crossorigin,
                    daemon_origin=daemon_origin)

    @classmethod
    def for_project(cls, root: str | os.PathLike[str], *, base: str | None = None, mode: str | None = None,
                    integrity: bool = True, crossorigin: str | None = None,
                    daemon_origin: str | None = None) -> Assets:
        """The assets of the frontend project at ``root``: ``load_config`` finds its deps dir and
        base, and its plugins' ``transform_index_html`` run on the app's pages."""
        mode = checked_mode(mode)
        return cls._create(project_source(root), base=base, mode=mode, integrity=integrity,
                           crossorigin=crossorigin, daemon_origin=daemon_origin)

    @classmethod
    def for_deps_dir(cls, deps_dir: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None,
                     base: str | None = None, mode: str | None = None, integrity: bool = True,
                     crossorigin: str | None = None, daemon_origin: str | None = None) -> Assets:
        """The assets of a deps dir as it is, without reading a config (``base`` defaults to
        ``/node_modules/.vite/deps/``). ``root``, if given, is where ``node_modules`` is."""
        mode = checked_mode(mode)
        return cls._create(deps_dir_source(deps_dir, root), base=base, mode=mode, integrity=integrity,
                           crossorigin=crossorigin, daemon_origin=daemon_origin)

    @classmethod
    def for_build(cls, out_dir: str | os.PathLike[str], *, base: str | None = None,
                  manifest: str | os.PathLike[str] | None = None, root: str | os.PathLike[str] | None = None,
                  integrity: bool = True, crossorigin: str | None = None) -> Assets:
        """The output of ``prebundle build`` as it is (``dist/``, or a copy of it), for a server
        without ``node_modules``: the app's files under ``base`` (default ``/<folder name>/``),
        the deps from ``<out_dir>/deps/`` under ``base + "deps/"``. ``manifest`` is relative
        to ``out_dir`` (default ``.prebundle/manifest.json``, else ``.vite/manifest.json``).
        Never uses the daemon."""
        source = build_source(out_dir, root, manifest)
        return cls._create(source, base=base, mode="production", integrity=integrity, crossorigin=crossorigin,
                           daemon_origin=None)

    @classmethod
    def for_vite_manifest(cls, manifest: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None,
                          base: str | None = None, mode: str | None = None, integrity: bool = True,
                          crossorigin: str | None = None, daemon_origin: str | None = None) -> Assets:
        """The entries of a ``vite build`` manifest (``<outDir>/.vite/manifest.json``); its files
        are served from the out dir. Never uses the daemon. ``root``, if given, is where
        ``node_modules`` is."""
        mode = checked_mode(mode)
        return cls._create(vite_manifest_source(manifest, root), base=base, mode=mode, integrity=integrity,
                           crossorigin=crossorigin, daemon_origin=daemon_origin)

    @classmethod
    def _create(cls, source: Source, **options: Any) -> Assets:
        """An instance set up from ``source`` without going through ``__init__``'s guessing."""
        assets = cls.__new__(cls)
        assets._setup(source, **options)
        return assets

    def _setup(self, source: Source, *, base: str | None, mode: str | None, integrity: bool,
               crossorigin: str | None, daemon_origin: str | None) -> None:
        """The state every constructor ends with; ``mode`` was checked by the caller."""
        self.mode = mode
        self.integrity_enabled = integrity
        self.crossorigin = crossorigin
        self.daemon_origin = daemon_origin.rstrip("/") if daemon_origin else None
        self.vite_manifest = source.vite_manifest
        self.root = source.root
        self.config = source.config
        """The project's ``Config`` when ``Assets`` was given its root (its plugins run on pages)."""
        self.build = source.build
        """The production build of the app's own code, when known (it may not exist yet)."""
        self._build_only = source.build_only
        self._project_deps_dir = source.deps_dir
        self.base = _slash(base) if base is not None else source.config_base
        """The URL prefix this app serves ``served_dir()`` under."""
        config_base = source.config_base
        self.path_base = config_base if config_base.startswith("/") else "/" + config_base.split("/", 3)[-1]
        """The URL path of the files on the daemon (the config's base)."""
        self._probe = DaemonProbe(self._project_deps_dir.parent)
        self._lock = threading.Lock()
        self._graphs: dict[Path, tuple[tuple, Graph]] = {}
        self._digests: dict[str, tuple[tuple[int, int], str]] = {}
        self._plugins: dict[str, Any] = {}

    # -- state ------------------------------------------------------------------------------

    @property
    def deps_dir(self) -> Path:
        """The deps dir the tags render from right now: the build's ``deps/`` while the build
        is in use (``active_build``), else the project's (or the one given)."""
        build = self.active_build()
        return build.deps_dir if build is not None else self._project_deps_dir

    def active_build(self) -> AppBuild | None:
        """The app's build when pages load from it: no daemon runs, ``mode`` is not
        ``"development"`` and its manifest exists (``for_build``: always)."""
        if self.build is None:
            return None
        if self._build_only:
            return self.build
        if self.mode == "development" or not self.build.exists() or self.daemon() is not None:
            return None
        return self.build

    def served_dir(self) -> Path:
        """The folder this app serves under ``base``: the build's out dir while it is in use,
        else the deps dir."""
        build = self.active_build()
        return build.out_dir if build is not None else self._project_deps_dir

    def _watched(self, deps_dir: Path) -> list[Path]:
        if self.vite_manifest is not None:
            return [self.vite_manifest]
        return [deps_dir / IMPORTMAP, deps_dir / MANIFEST, deps_dir / METADATA]

    def graph(self) -> Graph:
        """The current deps graph (or Vite manifest); re-read when a watched file's mtime, size or
        inode changed."""
        deps_dir = self.deps_dir
        signature = tuple(_stat(path) for path in self._watched(deps_dir))
        with self._lock:
            cached = self._graphs.get(deps_dir)
            if cached is None or cached[0] != signature:
                graph = (load_vite_manifest(self.vite_manifest) if self.vite_manifest is not None
                         else load_deps_dir(deps_dir))
                cached = self._graphs[deps_dir] = (signature, graph)
            return cached[1]

    def daemon(self) -> DaemonInfo | None:
        """The running daemon of this project, unless ``mode="production"``, a Vite manifest or
        ``for_build``."""
        if self.mode == "production" or self.vite_manifest is not None or self._build_only:
            return None
        return self._probe()

    def daemon_url(self) -> str | None:
        """The daemon's origin as pages reach it (``daemon_origin`` if set), while it runs."""
        daemon = self.daemon()
        if daemon is None:
            return None
        return self.daemon_origin or daemon_origin(daemon)

    @property
    def dev(self) -> bool:
        """True when URLs point at a running daemon."""
        return self.daemon() is not None

    def transform_index_html(self, page: str, path: str = "/", *, nonce: str | None = None) -> str:
        """A page the app rendered, through the project's plugins' ``transform_index_html``
        hooks, as the daemon serves HTML: plugins add their tags to every page. ``path`` is
        the page's URL path; ``nonce`` goes on the script, style and link tags they add. The
        plugins are those of the daemon (``apply="serve"``) while it runs, else of a build."""
        container = self.page_plugins()
        if container is None:
            return page

        return container.transform_index_html(page, IndexHtmlContext(path=path, filename=None), nonce=nonce)

    def page_plugins(self):
        """The active plugins with a ``transform_index_html`` hook, or None."""
        if self.config is None or not self.config.plugins:
            return None
        command = "serve" if self.dev else "build"
        with self._lock:
            container = self._plugins.get(command)
            if container is None:
                env = ConfigEnv(mode=self.config.mode, command=command)
                container = PluginContainer(self.config.plugins, command=command, config=self.config, env=env)
                self._plugins[command] = container
        return container if container.has("transform_index_html") else None

    def files_base(self) -> str:
        """The URL prefix of the deps files right now: the daemon's when it runs, else ``base``
        (``base + "deps/"`` while the app's build is in use)."""
        origin = self.daemon_url()
        if origin is not None:
            return origin + self.path_base
        return self.base + DEPS_FOLDER + "/" if self.active_build() is not None else self.base

    def page_files(self, *, app: bool = False) -> PageFiles:
        """The deps files (or, with ``app``, the build's) as the page loads them right now."""
        if app:
            build = self.active_build()
            if build is None:
                raise AssetsError("no build of the app's code is in use; run `prebundle build`")
            directory, base = build.out_dir, self.base
        else:
            directory, base = self.deps_dir, self.files_base()
        return PageFiles(directory, base, self._crossorigin(base), self._digest)

    # -- URLs and hashes --------------------------------------------------------------------

    def url(self, name: str) -> str:
        """The URL of an id's (or manifest key's) file, with its ``?v=`` if it has one; for an
        app entry, its URL on the daemon or its hashed file in the build."""
        if is_app_entry(self, name):
            return app_entry_url(self, name)
        node = self.graph().node(name)
        return self._file_url(node.file, node.query)

    def _file_url(self, file: str, query: str = "", base: str | None = None) -> str:
        return (base if base is not None else self.files_base()) + html.quote_file(file) + query

    def integrity(self, file: str) -> str | None:
        """``sha384-…`` of a file under the deps dir, cached by mtime/size; None if missing."""
        return self._digest(self.deps_dir / file)

    def _digest(self, path: Path) -> str | None:
        if not self.integrity_enabled:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        key = (st.st_mtime_ns, st.st_size)
        cached = self._digests.get(str(path))
        if cached is not None and cached[0] == key:
            return cached[1]
        digest = "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
        self._digests[str(path)] = (key, digest)
        return digest

    # -- import map ------------------------------------------------------------------------

    def importmap(self) -> dict[str, Any]:
        """The import map as a dict: ``imports`` at the current base, then the packages served
        from their own files (``/node_modules/...``: on the daemon while it runs, else on this
        app's origin) and ``scopes`` (nested ids), plus ``integrity`` for every module file of
        the deps dir (entries and chunks) when integrity is on."""
        graph = self.graph()
        base = self.files_base()
        imports = {id_: self._file_url(graph.nodes[key].file, graph.nodes[key].query, base)
                   for id_, key in graph.importmap.items()}
        own_origin = self._own_files_origin()
        for id_, url in graph.own.items():
            imports.setdefault(id_, _at(own_origin, url))
        result: dict[str, Any] = {"imports": imports}
        scopes = {_at(own_origin, prefix): {spec: imports[id_] for spec, id_ in mapping.items() if id_ in imports}
                  for prefix, mapping in graph.scopes.items()}
        if scopes:
            result["scopes"] = scopes
        if self.integrity_enabled:
            integrity = {}
            for id_, key in graph.importmap.items():
                digest = self.integrity(graph.nodes[key].file)
                if digest:
                    integrity[imports[id_]] = digest
            for node in graph.nodes.values():
                if node.key.startswith("_") and node.is_module:
                    digest = self.integrity(node.file)
                    if digest:  # chunks (static and lazy) load by relative URL, without ?v=
                        integrity[self._file_url(node.file, "", base)] = digest
            integrity.update(self._build_integrity())
            if integrity or imports:
                result["integrity"] = integrity
        return result

    def _build_integrity(self) -> dict[str, str]:
        """SRI of every module of the app's build in use (entries, chunks, lazily imported
        modules), by URL: a module ``import()`` loads is checked as the entry script is."""
        build = self.active_build()
        if build is None or not build.exists():
            return {}
        files = self.page_files(app=True)
        digests = {files.url(file): files.integrity(file) for file in build.graph().module_files()}
        return {url: digest for url, digest in digests.items() if digest}

    def _own_files_origin(self) -> str:
        """Where packages served from their own files are: the daemon, which serves the
        project's ``node_modules``, while it runs; else this app's origin (``""``)."""
        daemon = self.daemon()
        return "" if daemon is None else (self.daemon_origin or daemon_origin(daemon))

    def importmap_tag(self, *, nonce: str | None = None) -> str:
        """``<script type="importmap">``; empty for a Vite manifest (it has no import map)."""
        if self.graph().kind != "prebundle":
            return ""
        return html.script("\n" + html.script_json(self.importmap()) + "\n", type="importmap", nonce=nonce)

    # -- preloads, styles, entries ----------------------------------------------------------

    def closure(self, names: Iterable[str | Iterable[str]], *, preload: str = "static") -> list[Node]:
        """The deps graph's nodes the named ids load (``preload="dynamic"``: with ``import()``ed ones)."""
        return self.graph().closure(_flat(names), dynamic=preload_dynamic(preload))

    def preload_tags(self, *names: str, nonce: str | None = None, preload: str = "static") -> str:
        """Stylesheets for the CSS of the named entries' static closure, then ``modulepreload``
        for every module in it (``preload="dynamic"``: also every module it may ``import()``).
        Same URLs and integrity as the import map, so the preloads are used. App entries (see
        ``app_entries``) are preloaded with their chunks and CSS."""
        return self._tags(_flat(names), nonce=nonce, preload=preload, scripts=False).html()

    def stylesheet_tags(self, *names: str, nonce: str | None = None) -> str:
        return "\n".join(self._tags(_flat(names), nonce=nonce, preload="static", scripts=False).styles)

    def entry_tags(self, *names: str, nonce: str | None = None, preload: str = "static",
                   importmap: bool = True) -> str:
        """CSS, preloads of the imports, and a ``<script type="module">`` per named entry (a
        CSS-only entry gives only its stylesheet): the app's own entries (``src/main.tsx``; on
        the daemon, or from the build), a Vite manifest's, or packages run by themselves.

        With an app entry, the import map and (while the daemon runs) the reload client come
        first, unless ``importmap=False`` (for a page that renders ``importmap_tag`` itself)."""
        names = _flat(names)
        tags = Tags()
        if importmap and any(is_app_entry(self, name) for name in names):
            tags.head.append(self.importmap_tag(nonce=nonce))
            tags.head.append(self.client_tag(nonce=nonce))
        return tags.add(self._tags(names, nonce=nonce, preload=preload, scripts=True)).html()

    def _tags(self, names: list[str], *, nonce: str | None, preload: str, scripts: bool) -> Tags:
        """Stylesheets, preloads and (with ``scripts``) entry scripts of app entries and deps ids."""
        dynamic = preload_dynamic(preload)
        app = [name for name in names if is_app_entry(self, name)]
        packages = [name for name in names if name not in app]
        tags = app_tags(self, app, dynamic=dynamic, scripts=scripts, nonce=nonce) if app else Tags()
        if packages:
            graph = self.graph()
            nodes = graph.closure(packages, dynamic=dynamic)
            static = graph.closure(packages) if dynamic else nodes
            entries = [graph.node(name) for name in packages] if scripts else []
            keys = {entry.key for entry in entries}
            files = self.page_files()
            tags.add(Tags(styles=files.stylesheets(static, nonce),
                          preloads=files.modulepreloads([n for n in nodes if n.key not in keys], nonce),
                          scripts=files.scripts(entries, nonce)))
        return tags

    def _crossorigin(self, base: str) -> str | None:
        if self.crossorigin is not None:
            return self.crossorigin
        return "anonymous" if "://" in base or base.startswith("//") else None

    def link_header(self, *names: str) -> str:
        """The stylesheet preloads of ``preload_tags`` as one HTTP ``Link`` header value (103
        Early Hints); empty when there is none. Modules are left to the tags: a header's
        ``modulepreload`` would race the page's import map (``PageFiles.link_header``)."""
        names = _flat(names)
        app = [name for name in names if is_app_entry(self, name)]
        parts = app_link_header(self, app) if app else []
        packages = [name for name in names if name not in app]
        if packages:
            parts += self.page_files().link_header(self.graph().closure(packages))
        return ", ".join(dict.fromkeys(parts))

    # -- dev client and polyfill ------------------------------------------------------------

    def client_tag(self, *, nonce: str | None = None) -> str:
        """The daemon's reload client when the daemon runs; otherwise nothing."""
        daemon = self.daemon()
        if daemon is None:
            return ""
        origin = self.daemon_origin or daemon_origin(daemon)
        return html.script(type="module", src=f"{origin}/@prebundle/client.js", nonce=nonce)

    def polyfill_path(self) -> Path:
        """The installed es-module-shims file; ``AssetsError`` saying how to install it if absent."""
        return find_polyfill(self.root, self._project_deps_dir)

    def polyfill_url(self) -> str:
        path = self.polyfill_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
        return f"{self.base}{POLYFILL_FILE}?v={digest}"

    def polyfill_tag(self, *, nonce: str | None = None) -> str:
        """``<script async>`` loading es-module-shims from this app (it must come before any
        module script; the import map may come before or after it)."""
        return html.script(async_=True, src=self.polyfill_url(), nonce=nonce, crossorigin=self.crossorigin,
                           integrity=self._digest(self.polyfill_path()))

    def extra_files(self) -> dict[str, Path]:
        """Files served under ``base`` that are not in the deps dir (the polyfill, if installed)."""
        try:
            return {POLYFILL_FILE: self.polyfill_path()}
        except AssetsError:
            return {}


def _flat(names: Iterable[str | Iterable[str]]) -> list[str]:
    """Names as given, with lists and tuples among them expanded (a template passes a list)."""
    out: list[str] = []
    for name in names:
        if isinstance(name, str):
            out.append(name)
        else:
            out.extend(_flat(name))
    return out


def _at(origin: str, url: str) -> str:
    """A root-relative ``url`` (``/node_modules/...``) on ``origin``; other URLs as they are."""
    return origin + url if url.startswith("/") and not url.startswith("//") else url


def _slash(base: str) -> str:
    return base if base.endswith("/") else base + "/"


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
