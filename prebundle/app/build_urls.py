"""``new URL('./logo.png', import.meta.url)`` in the app's code: the file emitted with a hashed
name, as Vite emits it.

esbuild leaves such URLs as they are, so after bundling they would point next to the output
chunk, where nothing is. The build reads the sources of the chunks that hold
``import.meta.url`` (already in memory: a build with none reads nothing), and where a URL names
an image, font or media file (the ``file`` loader's extensions) the literal becomes a binding
imported from that file (``new URL(__prebundle_url_0, import.meta.url)`` and, after the last
line so that the other lines keep their source map positions, ``import __prebundle_url_0 from
"./logo.png"``). esbuild then copies and hashes it like any imported image, and the manifest
lists it. As in Vite, URLs with a scheme, absolute paths, template literals with ``${}`` and
calls marked ``/* @vite-ignore */`` stay as written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from ..esbuild import BuildResult

__all__ = ["NO_REWRITES", "UrlRewrites", "url_rewrites"]

IMPORT_META_URL = b"import.meta.url"
BINDING = "__prebundle_url_"
"""Prefix of the bindings that replace the URL literals."""


@dataclass(frozen=True)
class UrlRewrites:
    """The sources whose URLs the next build must see rewritten."""

    code: Mapping[str, bytes] = field(default_factory=dict)
    """Source file (absolute) -> its code with the URLs rewritten."""
    warnings: tuple[str, ...] = ()
    """URLs left as they are for a reason the user should know, one line each."""


NO_REWRITES = UrlRewrites()


def url_rewrites(result: BuildResult, *, root: Path, loaders: Mapping[str, str]) -> UrlRewrites:
    """What the build's sources need rewritten; ``loaders`` is the build's ``loader`` option
    (the extensions it copies as files)."""
    code_by_source: dict[str, bytes] = {}
    warnings: list[str] = []
    for source in _sources_with_urls(result, root):
        try:
            code = Path(source).read_bytes()
        except OSError:
            continue
        if IMPORT_META_URL not in code:
            continue  # a module that imports an image, say: esbuild wrote the chunk's import.meta.url
        # The optimizer's finder of those calls (its bundle package, tree-sitter): loaded only for
        # an app whose own code has them, rare in an app.
        from ..bundle.asset_urls import find_references

        bindings: dict[str, str] = {}
        edits: list[tuple[int, int, str]] = []
        for reference in find_references(code):
            path = unquote(re.split(r"[?#]", reference.url, maxsplit=1)[0])
            target = os.path.normpath(os.path.join(os.path.dirname(source), path))
            shown = f"{Path(os.path.relpath(source, root)).as_posix()}: new URL({reference.url!r}, import.meta.url)"
            if not os.path.isfile(target):
                warnings.append(f"{shown}: no such file; left as it is")
                continue
            if loaders.get(os.path.splitext(target)[1].lower()) != "file":
                warnings.append(f"{shown}: only image, font and media files are emitted; left as it is")
                continue
            specifier = path if path.startswith(("./", "../")) else "./" + path
            name = bindings.setdefault(specifier, f"{BINDING}{len(bindings)}")
            edits.append((reference.start, reference.end, name))
        if edits:
            code_by_source[source] = _rewritten(code, edits, bindings)
    if not code_by_source and not warnings:
        return NO_REWRITES
    return UrlRewrites(code_by_source, tuple(warnings))


def _sources_with_urls(result: BuildResult, root: Path) -> list[str]:
    """The app's files (absolute) that chunks holding ``import.meta.url`` were made from."""
    holding = {os.path.normpath(o.path) for o in result.output_files
               if o.path.endswith((".js", ".mjs")) and IMPORT_META_URL in o.contents}
    sources: set[str] = set()
    for key, meta in (result.metafile or {}).get("outputs", {}).items():
        if os.path.normpath(os.path.join(root, key)) in holding:
            sources.update(os.path.normpath(os.path.join(root, name)) for name in meta.get("inputs", {})
                           if not _namespaced(name))
    return sorted(sources)


def _rewritten(code: bytes, edits: list[tuple[int, int, str]], bindings: Mapping[str, str]) -> bytes:
    """``code`` with each literal replaced by its binding, and the imports of the bindings after
    the last line (imports are hoisted: where they stand does not change what runs)."""
    parts, last = [], 0
    for start, end, name in sorted(edits):
        parts += [code[last:start], name.encode()]
        last = end
    parts.append(code[last:])
    imports = "".join(f"\nimport {name} from {json.dumps(specifier)};" for specifier, name in bindings.items())
    return b"".join(parts) + imports.encode() + b"\n"


def _namespaced(key: str) -> bool:
    """A metafile input of a plugin's namespace (``ns:path``), not a file."""
    head, colon, _rest = key.partition(":")
    return bool(colon) and len(head) > 1 and "/" not in head
