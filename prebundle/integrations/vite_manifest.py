"""Read a ``vite build`` manifest (``<outDir>/.vite/manifest.json``) as an asset graph, so the
same helpers render Vite's entries: CSS of the entry and of every chunk it imports, modulepreload
of the static import closure, and the entry script. Dynamic imports stay lazy."""

from __future__ import annotations

from pathlib import Path

from .graph import AssetsError, Graph, Node, _read_json, _strings

__all__ = ["find_out_dir", "load_vite_manifest"]


def find_out_dir(manifest_path: Path) -> Path:
    """The folder the manifest's ``file`` paths are relative to: the parent of ``.vite/``."""
    parent = manifest_path.parent
    return parent.parent if parent.name == ".vite" else parent


def load_vite_manifest(manifest_path: Path) -> Graph:
    manifest = _read_json(manifest_path, "Vite manifest (build with `build.manifest: true`)")
    if not isinstance(manifest, dict):
        raise AssetsError(f"{manifest_path}: the Vite manifest is not a JSON object")
    nodes = {}
    for key, record in manifest.items():
        if not isinstance(record, dict) or not isinstance(record.get("file"), str):
            continue
        nodes[key] = Node(key, record["file"], _strings(record.get("imports")), _strings(record.get("css")),
                          (), _strings(record.get("dynamicImports")))
        name = record.get("name")
        if record.get("isEntry") and isinstance(name, str) and name not in manifest:
            nodes.setdefault(name, nodes[key])  # entries by name too, as django-vite does
    return Graph(find_out_dir(manifest_path), nodes, {}, "production", "vite")
