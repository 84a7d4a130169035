"""The app's own entry modules (``prebundle_entry("src/main.tsx")``) in a page, in development
and in production from the same template.

A name is an app entry when it is a key (or an entry's ``name``) of the build's manifest, or a
path with one of ``APP_SUFFIXES`` that is not an id of the deps' import map. It renders:

* while ``prebundle daemon`` runs: ``<script type="module" src="<daemon>/src/main.tsx">`` (the
  daemon transforms the file; a CSS entry is a stylesheet);
* else from the build (``<out_dir>/<build.manifest>``): the stylesheets of the entry and of its
  static chunks, ``modulepreload`` for its static chunk closure (``preload="dynamic"``: also
  every chunk it may ``import()`` later, as JSPM does), and the hashed script, all with SRI.

The import map and the reload client come with the entry from ``Assets.entry_tags``; the
integrity of every module of the build (lazy ones too) is in the import map (``Assets.importmap``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..filetypes import SOURCE_EXTENSIONS
from . import html
from .graph import AssetsError, Graph, Node, UnknownAsset
from .page_files import Tags

if TYPE_CHECKING:
    from .core import Assets

__all__ = ["APP_SUFFIXES", "PRELOAD_MODES", "app_entry_url", "app_tags", "is_app_entry", "preload_dynamic"]

APP_SUFFIXES = frozenset((*SOURCE_EXTENSIONS, ".css"))
"""Suffixes of a name that is the app's own file rather than a package id."""
PRELOAD_MODES = ("static", "dynamic")
"""``preload=`` values: the static import closure only, or what ``import()`` may load too."""


def preload_dynamic(preload: str) -> bool:
    """True for ``preload="dynamic"``; ``AssetsError`` for anything but the two modes."""
    if preload not in PRELOAD_MODES:
        raise AssetsError(f"preload must be 'static' or 'dynamic', not {preload!r}")
    return preload == "dynamic"


def is_app_entry(assets: Assets, name: str) -> bool:
    """Whether ``name`` is one of the app's own modules (see the module docstring)."""
    if assets.vite_manifest is not None:
        return False
    key = _key(name)
    build = assets.active_build()
    if build is not None and build.exists() and key in build.graph().nodes:
        return True
    if Path(key).suffix.lower() not in APP_SUFFIXES:
        return False
    try:
        deps = assets.graph()
    except AssetsError:  # no deps built: a source path is still the app's
        return True
    return name not in deps.nodes and name not in deps.importmap and name not in deps.own


def app_tags(assets: Assets, names: list[str], *, dynamic: bool, scripts: bool, nonce: str | None) -> Tags:
    """Stylesheets, preloads and (with ``scripts``) the module scripts of app entries; without
    ``scripts`` the entries themselves are preloaded instead."""
    origin = assets.daemon_url()
    if origin is not None:
        return _dev_tags(assets, origin, names, scripts=scripts, nonce=nonce)
    graph = _built_graph(assets, names)
    keys = [_key(name) for name in names]
    entries = [graph.node(key) for key in keys]
    static = graph.closure(keys)
    loaded = graph.closure(keys, dynamic=True) if dynamic else static
    files = assets.page_files(app=True)
    entry_keys = {entry.key for entry in entries} if scripts else set()
    tags = Tags(styles=files.stylesheets(static, nonce),
                preloads=files.modulepreloads([n for n in loaded if n.key not in entry_keys], nonce),
                scripts=files.scripts(entries, nonce) if scripts else [])
    return tags.add(_package_tags(assets, static, loaded, dynamic=dynamic, nonce=nonce))


def app_entry_url(assets: Assets, name: str) -> str:
    """The URL the page loads an app entry from: on the daemon, or the build's hashed file."""
    origin = assets.daemon_url()
    if origin is not None:
        return origin + "/" + html.quote_file(_dev_path(assets, name))
    node = _built_graph(assets, [name]).node(_key(name))
    return assets.page_files(app=True).url(node.file)


def app_link_header(assets: Assets, names: list[str]) -> list[str]:
    """``Link`` header values preloading the stylesheets of app entries' static closure (none
    in development: the daemon serves CSS through the modules; and no module: see
    ``PageFiles.link_header``)."""
    if assets.daemon_url() is not None:
        return []
    graph = _built_graph(assets, names)
    return assets.page_files(app=True).link_header(graph.closure([_key(name) for name in names]))


def _dev_tags(assets: Assets, origin: str, names: list[str], *, scripts: bool, nonce: str | None) -> Tags:
    tags = Tags()
    for name in names:
        url = origin + "/" + html.quote_file(_dev_path(assets, name))
        cross = assets.crossorigin or "anonymous"  # the daemon is another origin: CORS, as module scripts are
        if name.lower().endswith(".css"):
            tags.styles.append(html.link("stylesheet", url, crossorigin=cross, nonce=nonce))
        elif scripts:
            tags.scripts.append(html.script(type="module", src=url, crossorigin=assets.crossorigin, nonce=nonce))
        else:
            tags.preloads.append(html.link("modulepreload", url, crossorigin=cross, nonce=nonce))
    return tags


def _dev_path(assets: Assets, name: str) -> str:
    """``name`` as a path under the project root, checked to be a file there when the root is known."""
    path = _key(name)
    if assets.root is not None and not (assets.root / path).is_file():
        raise UnknownAsset(f"{name!r}: no such file in {assets.root} (give the entry's path relative to the "
                           "project folder, e.g. 'src/main.tsx')")
    return path


def _built_graph(assets: Assets, names: list[str]) -> Graph:
    """The build's graph, or why the app's code cannot be served: no daemon runs and no build."""
    build = assets.active_build()
    if build is not None:
        return build.graph()
    if assets.build is not None and assets.mode == "development":
        raise AssetsError(f"{names[0]!r} is the app's own code and mode is 'development', but no `prebundle daemon` "
                          f"runs for {assets.root or assets.deps_dir}; start it (or drop mode='development' to use "
                          f"the build in {assets.build.out_dir})")
    if assets.build is not None:
        raise AssetsError(f"{names[0]!r} is the app's own code, but no `prebundle daemon` runs and "
                          f"{assets.build.manifest} does not exist: run `prebundle build` in the frontend "
                          "folder (or start `prebundle daemon` for development)")
    raise AssetsError(f"{names[0]!r} is the app's own code, but these assets know no build of it: use "
                      "Assets.for_project(root) or Assets.for_build(out_dir), and run `prebundle build`")


def _package_tags(assets: Assets, static: list[Node], loaded: list[Node], *, dynamic: bool,
                  nonce: str | None) -> Tags:
    """Preloads (and CSS) of the packages the build's modules import, when its manifest lists
    them (``externals``): through the deps graph, as ``prebundle_preload`` renders them."""
    static_ids = [i for n in static for i in n.externals]
    loaded_ids = [i for n in loaded for i in n.externals]
    if not loaded_ids:
        return Tags()
    deps = assets.graph()
    known = [i for i in dict.fromkeys(loaded_ids) if i in deps.importmap or i in deps.nodes]
    files = assets.page_files()
    static_nodes = deps.closure([i for i in known if i in static_ids])
    return Tags(styles=files.stylesheets(static_nodes, nonce),
                preloads=files.modulepreloads(deps.closure(known, dynamic=dynamic), nonce))


def _key(name: str) -> str:
    """A manifest key: the path relative to the project root (``/src/main.tsx`` → ``src/main.tsx``)."""
    return name.lstrip("/")
