"""The build manifest in Vite's shape (``build.manifest``), made from esbuild's metafile, so
backends that read Vite's manifest (django-vite, Rails and Laravel helpers, prebundle's own
``Assets.for_vite_manifest``) read this one.

As Vite writes it: keys are source paths relative to the root (``src/main.tsx``), or
``_<file name>`` for a shared chunk; a JS chunk has ``file``, ``name``, ``src`` (when it has a
source), ``isEntry``, ``isDynamicEntry``, ``imports`` and ``dynamicImports`` (manifest keys),
``css`` and ``assets``; a stylesheet entry has ``file``, ``name``, ``names``, ``src``,
``isEntry``; an image or font has ``file`` and ``src``. Keys are sorted, empty fields left out.
The CSS files that belong to JS chunks are named in their ``css`` only, as in Vite.

esbuild puts every stylesheet an entry reaches, through dynamic imports too, into the entry's
CSS file; a dynamic entry's ``css`` names the part it reaches itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["make_manifest", "manifest_bytes"]

JS_SUFFIXES = (".js", ".mjs")
MAP_SUFFIX = ".map"
FIELD_ORDER = ("file", "name", "names", "src", "isEntry", "isDynamicEntry", "imports", "dynamicImports",
               "css", "assets")
"""The order Vite writes a record's fields in."""


def make_manifest(outputs: Mapping[str, Mapping[str, Any]], *, root: Path, out_dir: Path,
                  entries: Collection[str]) -> dict[str, dict[str, Any]]:
    """The manifest of one build. ``outputs``: the metafile's, keyed relative to ``root``;
    ``out_dir``: where the files go (their ``file`` is relative to it); ``entries``: the keys of
    the build's entry points."""
    files = {_relative(key, root, out_dir): meta for key, meta in outputs.items() if not key.endswith(MAP_SUFFIX)}
    chunks = {name: meta for name, meta in files.items() if name.endswith(JS_SUFFIXES)}
    keys = {name: str(meta.get("entryPoint") or f"_{os.path.basename(name)}") for name, meta in chunks.items()}
    dynamic = {_relative(item["path"], root, out_dir) for meta in chunks.values() for item in meta.get("imports", ())
               if item.get("kind") == "dynamic-import" and not item.get("external")}
    manifest: dict[str, dict[str, Any]] = {}
    for name, meta in chunks.items():
        def linked(kind: str) -> list[str]:
            return _unique(keys[target] for target in _imported(meta, kind, root, out_dir) if target in keys)

        css = _relative(meta["cssBundle"], root, out_dir) if meta.get("cssBundle") else None
        assets = [*_imported(meta, "file-loader", root, out_dir),
                  *(_imported(files[css], "url-token", root, out_dir) if css in files else ())]
        manifest[keys[name]] = _record(
            file=name, name=_chunk_name(name), src=meta.get("entryPoint"),
            isEntry=meta.get("entryPoint") in entries, isDynamicEntry=name in dynamic,
            imports=linked("import-statement"), dynamicImports=linked("dynamic-import"),
            css=[css] if css else [], assets=_unique(a for a in assets if _is_asset(a)))
    for name, meta in files.items():
        if name.endswith(".css") and meta.get("entryPoint"):  # a stylesheet given as an entry
            source = str(meta["entryPoint"])
            assets = _unique(a for a in _imported(meta, "url-token", root, out_dir) if _is_asset(a))
            manifest[source] = _record(file=name, name=_chunk_name(name), names=[os.path.basename(source)],
                                       src=source, isEntry=source in entries, assets=assets)
    for name, meta in files.items():
        if _is_asset(name):
            for source in meta.get("inputs", {}):
                _add_asset(manifest, source, name)
    return dict(sorted(manifest.items()))


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest file's bytes, indented as Vite writes it."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _record(**fields: Any) -> dict[str, Any]:
    """A record with Vite's field order, its empty and false fields left out."""
    return {name: fields[name] for name in FIELD_ORDER if fields.get(name) not in (None, False, [], "")}


def _add_asset(manifest: dict[str, dict[str, Any]], source: str, file: str) -> None:
    """An asset's record, unless a JS chunk of that source has the key (Vite keeps the chunk)."""
    source = source.split(":", 1)[1] if _namespaced(source) else source
    current = manifest.get(source)
    if current is None or not str(current.get("file", "")).endswith(JS_SUFFIXES):
        manifest[source] = {"file": file, "src": source}


def _imported(meta: Mapping[str, Any], kind: str, root: Path, out_dir: Path) -> list[str]:
    """The output files an output imports in that way (``import-statement``, ``file-loader``, ...)."""
    return [_relative(item["path"], root, out_dir) for item in meta.get("imports", ())
            if item.get("kind") == kind and not item.get("external")]


def _relative(key: str, root: Path, out_dir: Path) -> str:
    """A metafile path (relative to the root) as a path relative to the out dir."""
    return Path(os.path.relpath(os.path.normpath(os.path.join(root, key)), out_dir)).as_posix()


def _chunk_name(file: str) -> str:
    """The ``[name]`` of ``[name]-[hash].ext``."""
    stem, _suffix = os.path.splitext(os.path.basename(file))
    return stem.rsplit("-", 1)[0] if "-" in stem else stem


def _is_asset(file: str) -> bool:
    return not file.endswith((*JS_SUFFIXES, ".css", MAP_SUFFIX))


def _namespaced(source: str) -> bool:
    """An esbuild input of a plugin's namespace (``ns:path``), not a drive letter."""
    head, colon, _rest = source.partition(":")
    return bool(colon) and len(head) > 1 and "/" not in head


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
