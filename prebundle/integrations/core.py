"""``Assets``: the framework-free helpers every integration calls.

It reads the deps dir's ``importmap.json`` and ``manifest.json`` (or a Vite manifest), re-reading
them when their mtime changes, and renders escaped tags: the import map with SRI ``integrity``,
``modulepreload`` and stylesheet links for the whole static closure of the named entries, the
es-module-shims polyfill, the daemon's reload client, and the same preloads as a ``Link`` header.

Development and production need no flag: when ``prebundle daemon`` runs for this project (its
``daemon.json`` names a live pid) URLs point at the daemon; otherwise at the files on disk under
``base``. ``mode="production"`` never looks for a daemon.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..metadata import IMPORTMAP, MANIFEST, METADATA
from . import html
from ..config import ConfigEnv, load_config
from ..plugins import IndexHtmlContext, PluginContainer
from .devserver import DaemonInfo, DaemonProbe, daemon_origin
from .graph import AssetsError, Graph, Node, UnknownAsset, load_deps_dir
from .vite_manifest import find_out_dir, load_vite_manifest

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["Assets", "AssetsError", "UnknownAsset", "POLYFILL_FILE"]

POLYFILL_FILE = "_polyfill/es-module-shims.js"
"""Where the polyfill is served under ``base`` (no optimized file name has a ``/``)."""
DEFAULT_BASE = "/node_modules/.vite/deps/"


@dataclass(frozen=True)
class _Source:
    """Where an ``Assets`` reads its graph from: what one of the constructors worked out."""

    deps_dir: Path
    """The folder the files are served from (a deps dir, or a Vite build's out dir)."""
    root: Path | None = None
    """The frontend project's folder, when known (for ``node_modules`` and the plugins)."""
    config: Config | None = None
    """The project's config, when ``Assets`` was built from the project root."""
    vite_manifest: Path | None = None
    """A ``vite build`` manifest read instead of the deps dir's files."""
    config_base: str = DEFAULT_BASE
    """The URL path the daemon serves the files under (the config's ``base``)."""


class Assets:
    """Tags and URLs for the pre-bundled deps of one frontend project.

    Build it with the constructor that says what you have:

    * ``Assets.for_project(root)``: the frontend folder; its config gives the deps dir, the base
      and the plugins that run on the app's pages.
    * ``Assets.for_deps_dir(deps_dir)``: a deps dir itself (one holding ``importmap.json``), e.g.
      a copy ``collectstatic`` made on a server without ``node_modules``.
    * ``Assets.for_vite_manifest(manifest)``: a ``vite build`` manifest instead of prebundle's.

    Each takes the options: ``base``, the URL prefix the app serves the files under; ``mode``,
    ``"production"`` (never use the daemon), ``"development"`` or None (use it when it runs);
    ``integrity``, ``crossorigin`` and ``daemon_origin``.

    ``Assets(path, root=, deps_dir=, vite_manifest=, ...)`` still works (settings dicts such as
    Django's ``PREBUNDLE`` pass these keywords): it picks the constructor from the keywords,
    and a bare ``path`` is a deps dir when it looks like one, else a project root.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        deps_dir: str | os.PathLike[str] | None = None,
        vite_manifest: str | os.PathLike[str] | None = None,
        base: str | None = None,
        mode: str | None = None,
        integrity: bool = True,
        crossorigin: str | None = None,
        daemon_origin: str | None = None,
    ) -> None:
        mode = _checked_mode(mode)  # before the config is loaded: a bad mode is the error to show
        if path is not None and deps_dir is None and root is None:
            p = Path(path)
            if (p / IMPORTMAP).is_file() or (p / METADATA).is_file() or p.name == "deps":
                deps_dir = p
            else:
                root = p
        if vite_manifest:
            source = _vite_manifest_source(vite_manifest, root)
        elif deps_dir is not None:
            source = _deps_dir_source(deps_dir, root)
        elif root is not None:
            source = _project_source(root)
        else:
            raise AssetsError("Assets needs a project root, a deps dir or a Vite manifest")
        self._setup(source, base=base, mode=mode, integrity=integrity, crossorigin=crossorigin,
                    daemon_origin=daemon_origin)

    @classmethod
    def for_project(cls, root: str | os.PathLike[str], *, base: str | None = None, mode: str | None = None,
                    integrity: bool = True, crossorigin: str | None = None,
                    daemon_origin: str | None = None) -> Assets:
        """The assets of the frontend project at ``root``: ``load_config`` finds its deps dir and
        base, and its plugins' ``transform_index_html`` run on the app's pages."""
        mode = _checked_mode(mode)
        return cls._create(_project_source(root), base=base, mode=mode, integrity=integrity,
                           crossorigin=crossorigin, daemon_origin=daemon_origin)

    @classmethod
    def for_deps_dir(cls, deps_dir: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None,
                     base: str | None = None, mode: str | None = None, integrity: bool = True,
                     crossorigin: str | None = None, daemon_origin: str | None = None) -> Assets:
        """The assets of a deps dir as it is, without reading a config (``base`` defaults to
        ``/node_modules/.vite/deps/``). ``root``, if given, is where ``node_modules`` is."""
        mode = _checked_mode(mode)
        return cls._create(_deps_dir_source(deps_dir, root), base=base, mode=mode, integrity=integrity,
                           crossorigin=crossorigin, daemon_origin=daemon_origin)

    @classmethod
    def for_vite_manifest(cls, manifest: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None,
                          base: str | None = None, mode: str | None = None, integrity: bool = True,
                          crossorigin: str | None = None, daemon_origin: str | None = None) -> Assets:
        """The entries of a ``vite build`` manifest (``<outDir>/.vite/manifest.json``); its files
        are served from the out dir. Never uses the daemon. ``root``, if given, is where
        ``node_modules`` is."""
        mode = _checked_mode(mode)
        return cls._create(_vite_manifest_source(manifest, root), base=base, mode=mode, integrity=integrity,
                           crossorigin=crossorigin, daemon_origin=daemon_origin)

    @classmethod
    def _create(cls, source: _Source, **options: Any) -> Assets:
        """An instance set up from ``source`` without going through ``__init__``'s guessing."""
        assets = cls.__new__(cls)
        assets._setup(source, **options)
        return assets

    def _setup(self, source: _Source, *, base: str | None, mode: str | None, integrity: bool,
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
        self.deps_dir = source.deps_dir
        self.base = _slash(base) if base is not None else source.config_base
        """The URL prefix this app serves ``deps_dir`` under."""
        config_base = source.config_base
        self.path_base = config_base if config_base.startswith("/") else "/" + config_base.split("/", 3)[-1]
        """The URL path of the files on the daemon (the config's base)."""
        self._probe = DaemonProbe(self.deps_dir.parent)
        self._lock = threading.Lock()
        self._graph: Graph | None = None
        self._signature: tuple | None = None
        self._digests: dict[str, tuple[tuple[int, int], str]] = {}
        self._plugins: dict[str, Any] = {}

    # -- state ------------------------------------------------------------------------------

    def _watched(self) -> list[Path]:
        if self.vite_manifest is not None:
            return [self.vite_manifest]
        return [self.deps_dir / IMPORTMAP, self.deps_dir / MANIFEST, self.deps_dir / METADATA]

    def graph(self) -> Graph:
        """The current graph; re-read when a watched file's mtime, size or inode changed."""
        signature = tuple(_stat(path) for path in self._watched())
        with self._lock:
            if self._graph is None or signature != self._signature:
                graph = (load_vite_manifest(self.vite_manifest) if self.vite_manifest is not None
                         else load_deps_dir(self.deps_dir))
                self._graph, self._signature = graph, signature
            return self._graph

    def daemon(self) -> DaemonInfo | None:
        """The running daemon of this project, unless ``mode="production"`` or a Vite manifest."""
        if self.mode == "production" or self.vite_manifest is not None:
            return None
        return self._probe()

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
        """The URL prefix of the files right now: the daemon's when it runs, else ``base``."""
        daemon = self.daemon()
        if daemon is None:
            return self.base
        return (self.daemon_origin or daemon_origin(daemon)) + self.path_base

    # -- URLs and hashes --------------------------------------------------------------------

    def url(self, name: str) -> str:
        """The URL of an id's (or manifest key's) file, with its ``?v=`` if it has one."""
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
        if self.integrity_enabled and imports:
            integrity = {}
            for id_, key in graph.importmap.items():
                digest = self.integrity(graph.nodes[key].file)
                if digest:
                    integrity[imports[id_]] = digest
            for node in graph.nodes.values():
                if node.key.startswith("_") and not node.file.endswith(".css"):
                    digest = self.integrity(node.file)
                    if digest:  # chunks load by relative URL, without ?v=
                        integrity[self._file_url(node.file, "", base)] = digest
            result["integrity"] = integrity
        return result

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

    def closure(self, names: Iterable[str | Iterable[str]]) -> list[Node]:
        return self.graph().closure(_flat(names))

    def preload_tags(self, *names: str, nonce: str | None = None) -> str:
        """Stylesheets for the CSS of the named entries' closure, then ``modulepreload`` for
        every module in it. Same URLs and integrity as the import map, so the preloads are used."""
        nodes = self.closure(names)
        return "\n".join([*self._css_tags(nodes, nonce), *self._preload_links(nodes, nonce)])

    def stylesheet_tags(self, *names: str, nonce: str | None = None) -> str:
        return "\n".join(self._css_tags(self.closure(names), nonce))

    def entry_tags(self, *names: str, nonce: str | None = None) -> str:
        """For Vite manifests (or to run a package by itself): CSS, preloads of the imports, and
        a ``<script type="module">`` per named entry; a CSS-only entry gives only its stylesheet."""
        graph = self.graph()
        names = tuple(_flat(names))
        nodes = self.closure(names)
        entries = {graph.node(name).key for name in names}
        preloads = [n for n in nodes if n.key not in entries]
        scripts = []
        base = self.files_base()
        for name in names:
            node = graph.node(name)
            if node.file.endswith(".css"):
                continue
            scripts.append(html.script(type="module", src=self._file_url(node.file, node.query, base),
                                       crossorigin=self._crossorigin(base), nonce=nonce,
                                       integrity=self.integrity(node.file)))
        return "\n".join([*self._css_tags(nodes, nonce), *self._preload_links(preloads, nonce), *scripts])

    def _crossorigin(self, base: str) -> str | None:
        if self.crossorigin is not None:
            return self.crossorigin
        return "anonymous" if "://" in base or base.startswith("//") else None

    def _css_files(self, nodes: list[Node]) -> list[str]:
        files: dict[str, None] = {}
        for node in nodes:
            if node.file.endswith(".css"):
                files[node.file] = None
            for css in node.css:
                files[css] = None
        return list(files)

    def _css_tags(self, nodes: list[Node], nonce: str | None) -> list[str]:
        base = self.files_base()
        return [html.link("stylesheet", self._file_url(file, "", base), crossorigin=self._crossorigin(base),
                          integrity=self.integrity(file), nonce=nonce) for file in self._css_files(nodes)]

    def _preload_links(self, nodes: list[Node], nonce: str | None) -> list[str]:
        base = self.files_base()
        return [html.link("modulepreload", self._file_url(n.file, n.query, base),
                          crossorigin=self._crossorigin(base), integrity=self.integrity(n.file), nonce=nonce)
                for n in nodes if not n.file.endswith(".css")]

    def link_header(self, *names: str) -> str:
        """The preloads of ``preload_tags`` as one HTTP ``Link`` header value (103 Early Hints)."""
        nodes = self.closure(names)
        base = self.files_base()
        cross = self._crossorigin(base)
        extra = f"; crossorigin={cross}" if cross else ""
        parts = [f"<{self._file_url(f, '', base)}>; rel=preload; as=style{extra}" for f in self._css_files(nodes)]
        parts += [f"<{self._file_url(n.file, n.query, base)}>; rel=modulepreload{extra}"
                  for n in nodes if not n.file.endswith(".css")]
        return ", ".join(parts)

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
        modules = self._node_modules()
        package = modules / "es-module-shims" if modules else None
        if package is None or not (package / "package.json").is_file():
            where = modules or (self.root or self.deps_dir)
            raise AssetsError(f"es-module-shims is not installed in {where}; install it with "
                              "`npm install es-module-shims` in the frontend folder, or drop the polyfill tag")
        try:
            meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        main = meta.get("main") if isinstance(meta.get("main"), str) else "dist/es-module-shims.js"
        path = (package / main).resolve()
        if not path.is_file():
            raise AssetsError(f"{path}: es-module-shims is installed but its file is missing; reinstall it")
        return path

    def polyfill_url(self) -> str:
        path = self.polyfill_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
        return f"{self.base}{POLYFILL_FILE}?v={digest}"

    def polyfill_tag(self, *, nonce: str | None = None) -> str:
        """``<script async>`` loading es-module-shims from this app (it must come before any
        module script; the import map may come before or after it)."""
        return html.script(async_=True, src=self.polyfill_url(), nonce=nonce, crossorigin=self.crossorigin,
                           integrity=self._digest(self.polyfill_path()))

    def _node_modules(self) -> Path | None:
        if self.root is not None and (self.root / "node_modules").is_dir():
            return self.root / "node_modules"
        for folder in self.deps_dir.parents:
            if folder.name == "node_modules":
                return folder
            if (folder / "node_modules").is_dir():
                return folder / "node_modules"
        return None

    def extra_files(self) -> dict[str, Path]:
        """Files served under ``base`` that are not in the deps dir (the polyfill, if installed)."""
        try:
            return {POLYFILL_FILE: self.polyfill_path()}
        except AssetsError:
            return {}


def _checked_mode(mode: str | None) -> str | None:
    """``mode`` as stored (``"auto"`` is None), or ``AssetsError`` for an unknown one."""
    if mode not in (None, "auto", "development", "production"):
        raise AssetsError(f"mode must be 'development', 'production' or None, not {mode!r}")
    return None if mode == "auto" else mode


def _project_source(root: str | os.PathLike[str]) -> _Source:
    config = load_config(root)
    return _Source(Path(config.deps_dir).resolve(), config.root, config, None, config.base)


def _deps_dir_source(deps_dir: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> _Source:
    return _Source(Path(deps_dir).resolve(), Path(root).resolve() if root is not None else None)


def _vite_manifest_source(manifest: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> _Source:
    path = Path(manifest).resolve()
    return _Source(find_out_dir(path).resolve(), Path(root).resolve() if root is not None else None,
                   vite_manifest=path)


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
