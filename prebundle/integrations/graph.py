"""The asset graph the helpers render from, read from a prebundle deps dir, the manifest of
``prebundle build`` (``vite_manifest.py``) or a Vite manifest.

Every source gives the same thing: nodes keyed like the manifest (an optimized id, a source
path, or ``_<chunk file>``), each with its file, the keys it imports statically and with
``import()``, its CSS, and the ids of other packages it imports through the import map (where
the manifest lists them: ``externals``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import PrebundleError
from ..metadata import IMPORTMAP, MANIFEST, METADATA, parse_importmap, parse_manifest, parse_metadata

__all__ = ["AssetsError", "Graph", "Node", "UnknownAsset", "load_deps_dir"]

MODULE_SUFFIXES = (".js", ".mjs")
"""Output files that are JavaScript modules (preloaded, run as scripts, listed for integrity)."""


class AssetsError(PrebundleError):
    """The deps (or a Vite manifest) cannot be read; the message says what to run."""


class UnknownAsset(AssetsError, KeyError):
    """A template named an id or entry that the manifest does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0] if self.args else ""


@dataclass(frozen=True)
class Node:
    key: str
    file: str
    """Path relative to the graph's directory."""
    imports: tuple[str, ...] = ()
    """Keys of the chunks this file imports statically."""
    css: tuple[str, ...] = ()
    externals: tuple[str, ...] = ()
    """Ids of other packages it imports (resolved through the import map)."""
    dynamic_imports: tuple[str, ...] = ()
    """Keys of the chunks (or entries) it loads with ``import()``."""
    query: str = ""
    """``?v=<fileHash>`` as in the import map, for entry files."""
    assets: tuple[str, ...] = ()
    """Other files it references (images, fonts), for a build or Vite manifest."""

    @property
    def is_module(self) -> bool:
        """True for a JavaScript module (not a stylesheet, nor an image with a record of its own)."""
        return self.file.endswith(MODULE_SUFFIXES)


@dataclass(frozen=True)
class Graph:
    directory: Path
    """Where the files are; URLs are ``base`` + a node's ``file``."""
    nodes: Mapping[str, Node]
    importmap: Mapping[str, str] = field(default_factory=dict)
    """Import map ids → node keys (empty for a Vite manifest)."""
    mode: str | None = None
    """``production`` or ``development`` as recorded by the build, if known."""
    kind: str = "prebundle"
    """``prebundle`` (a deps dir), ``app`` (a ``prebundle build`` of the app's code) or ``vite``."""
    own: Mapping[str, str] = field(default_factory=dict)
    """Import map ids (and ``<name>/``) of packages served from their own files (excluded,
    linked) → their URL as ``importmap.json`` has it (``/node_modules/pkg/index.js``)."""
    scopes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Import map scopes: URL prefix (``/node_modules/a/``) → specifier → the import map id
    whose URL it gets (``a > b``)."""

    def node(self, name: str) -> Node:
        node = self.nodes.get(name) or self.nodes.get(self.importmap.get(name, "\0"))
        if node is None:
            raise UnknownAsset(self.unknown_message(name))
        return node

    def unknown_message(self, name: str) -> str:
        known = [k for k in self.nodes if not k.startswith("_")]
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        where, fix = {
            "prebundle": (MANIFEST, "import it from a scanned source file (or list it in `include`) and run "
                                    "`prebundle`"),
            "app": ("the build manifest", "list it in `build.entries` (or load it from an HTML entry) and run "
                                          "`prebundle build`"),
        }.get(self.kind, ("the Vite manifest", "add it to the Vite build's inputs and rebuild"))
        return f"{name!r} is not in {where} of {self.directory}{hint} ({fix})"

    def closure(self, names: Iterable[str], *, dynamic: bool = False) -> list[Node]:
        """The named nodes and everything they load statically: chunk imports and, through the
        import map, other packages' entries; each once, in first-seen order (cycle-safe). With
        ``dynamic``, also what they may load later with ``import()``, and its closure."""
        seen: dict[str, Node] = {}
        stack = [self.node(name) for name in reversed(list(names))]
        while stack:
            node = stack.pop()
            if node.key in seen:
                continue
            seen[node.key] = node
            nexts = [self.nodes[k] for k in node.imports if k in self.nodes]
            nexts += [self.node(i) for i in node.externals if i in self.importmap or i in self.nodes]
            if dynamic:
                nexts += [self.nodes[k] for k in node.dynamic_imports if k in self.nodes]
            stack.extend(reversed(nexts))
        return list(seen.values())

    def module_files(self) -> list[str]:
        """Every JS module of the graph (entries and chunks, lazy ones too), each once."""
        files = dict.fromkeys(n.file for n in self.nodes.values() if n.is_module)
        return list(files)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _read_json(path: Path, what: str) -> Any:
    return _read(path, what, json.loads)


def _read(path: Path, what: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssetsError(f"{path}: no {what}; run `prebundle` in the frontend folder first") from None
    except (OSError, ValueError) as error:
        raise AssetsError(f"{path}: cannot read {what}: {error}") from None


def load_deps_dir(deps_dir: Path) -> Graph:
    """The graph of a prebundle deps dir (``importmap.json`` + ``manifest.json``). Ids of the
    import map that the manifest does not describe are packages served from their own files."""
    importmap = _read(deps_dir / IMPORTMAP, "import map", parse_importmap)
    imports = importmap.imports
    manifest = _read(deps_dir / MANIFEST, "manifest", parse_manifest)
    try:
        mode = parse_metadata((deps_dir / METADATA).read_text(encoding="utf-8")).mode
    except (OSError, ValueError):  # MetadataError is a ValueError
        mode = None
    nodes: dict[str, Node] = {}
    for key, record in manifest.chunks.items():
        query = ""
        url = imports.get(key)
        if url is not None and urlsplit(url).query:
            query = "?" + urlsplit(url).query
        nodes[key] = Node(key, record.file, record.imports, record.css, record.externals, record.dynamic_imports,
                          query)
    ids = {id_: id_ for id_ in imports if id_ in nodes}
    own = {id_: url for id_, url in imports.items() if id_ not in nodes}
    by_url = {url: id_ for id_, url in imports.items() if id_ in nodes}
    scopes = {prefix: {spec: by_url[url] for spec, url in mapping.items() if url in by_url}
              for prefix, mapping in importmap.scopes.items()}
    return Graph(deps_dir, nodes, ids, mode, "prebundle", own=own,
                 scopes={prefix: mapping for prefix, mapping in scopes.items() if mapping})
