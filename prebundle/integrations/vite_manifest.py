"""Read a build manifest in Vite's shape (``<outDir>/.vite/manifest.json``, or the one ``prebundle
build`` writes for the app's own code) as an asset graph, so the same helpers render its entries:
CSS of the entry and of every chunk it imports, modulepreload of the static import closure (or of
the dynamic one too), and the entry script."""

from __future__ import annotations

from pathlib import Path

from .graph import AssetsError, Graph, Node, _read_json, _strings

__all__ = ["MANIFEST_FOLDERS", "find_out_dir", "load_vite_manifest"]

MANIFEST_FOLDERS = (".vite", ".prebundle")
"""Hidden folders a build manifest sits in, inside the out dir its ``file`` paths are relative to."""


def find_out_dir(manifest_path: Path) -> Path:
    """The folder the manifest's ``file`` paths are relative to: the parent of ``.vite/`` (or of
    ``.prebundle/``), else the manifest's own folder."""
    parent = manifest_path.parent
    return parent.parent if parent.name in MANIFEST_FOLDERS else parent


def load_vite_manifest(manifest_path: Path, out_dir: Path | None = None, *, kind: str = "vite") -> Graph:
    """The graph of a Vite-shaped manifest whose files are under ``out_dir`` (default: found from
    the manifest's path). ``externals`` (bare imports resolved through an import map) are read
    when a record lists them."""
    manifest = _read_json(manifest_path, "Vite manifest (build with `build.manifest: true`)" if kind == "vite"
                          else "build manifest")
    if not isinstance(manifest, dict):
        raise AssetsError(f"{manifest_path}: the build manifest is not a JSON object; build again")
    nodes = {}
    for key, record in manifest.items():
        if not isinstance(record, dict) or not isinstance(record.get("file"), str):
            continue
        nodes[key] = Node(key, record["file"], _strings(record.get("imports")), _strings(record.get("css")),
                          _strings(record.get("externals")), _strings(record.get("dynamicImports")),
                          assets=_strings(record.get("assets")))
        name = record.get("name")
        if record.get("isEntry") and isinstance(name, str) and name not in manifest:
            nodes.setdefault(name, nodes[key])  # entries by name too, as django-vite does
    return Graph(out_dir if out_dir is not None else find_out_dir(manifest_path), nodes, {}, "production", kind)
