"""A reader of Vite's manifest written from Vite's backend-integration guide alone
(docs/guide/backend-integration.md: ``ManifestChunk`` and its ``importedChunks`` example), not
from prebundle's code: what a backend that follows the guide renders for one entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PageTags", "page_tags"]

CHUNK_FIELDS = {"src": str, "file": str, "css": list, "assets": list, "isEntry": bool, "name": str,
                "names": list, "isDynamicEntry": bool, "imports": list, "dynamicImports": list}
"""``ManifestChunk``'s fields and their JSON types (``names``: still written by Vite 8)."""


@dataclass(frozen=True)
class PageTags:
    stylesheets: tuple[str, ...]
    """``<link rel="stylesheet">`` of the entry and of every chunk it imports."""
    script: str
    """``<script type="module" src>``: the entry's file."""
    modulepreloads: tuple[str, ...]
    """``<link rel="modulepreload">`` of the imported chunks."""


def check_chunk(key: str, chunk: Any) -> None:
    """``chunk`` has the guide's shape: ``file``, and only known fields of the right types;
    ``imports``/``dynamicImports`` only on JS chunks."""
    assert isinstance(chunk, dict) and isinstance(chunk.get("file"), str), key
    for name, value in chunk.items():
        assert name in CHUNK_FIELDS, f"{key}: unknown field {name}"
        assert isinstance(value, CHUNK_FIELDS[name]), f"{key}.{name}: {value!r}"
    if not chunk["file"].endswith(".js"):
        assert "imports" not in chunk and "dynamicImports" not in chunk, key


def imported_chunks(manifest: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The guide's ``importedChunks``: the chunks an entry imports, depth first, each once."""
    seen: set[str] = set()

    def get_imported(chunk: dict[str, Any]) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        for file in chunk.get("imports", []):
            importee = manifest[file]
            if file in seen:
                continue
            seen.add(file)
            chunks.extend(get_imported(importee))
            chunks.append(importee)
        return chunks

    return get_imported(manifest[name])


def page_tags(manifest: dict[str, Any], name: str) -> PageTags:
    """The guide's production template for the entry ``name``."""
    for key, chunk in manifest.items():
        check_chunk(key, chunk)
    entry = manifest[name]
    chunks = imported_chunks(manifest, name)
    css = [*entry.get("css", []), *(file for chunk in chunks for file in chunk.get("css", []))]
    return PageTags(tuple(css), entry["file"], tuple(chunk["file"] for chunk in chunks))
