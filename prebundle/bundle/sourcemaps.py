"""The source maps of one build, renamed so they show the package's files and nothing of the machine.

esbuild writes each map's ``sources`` relative to the build's temporary outdir (a staging folder
below the cache dir), follows symlinks to real paths, and names virtual modules
``namespace:path``. Kept as they are, the names would depend on where the project and prebundle
live, and a map reused from the machine-wide cache would point nowhere in another project. So
every source is renamed after the build, the same way in every project:

* a file of a package built here: ``../../<package>/<path inside it>``, which, resolved against
  the deps dir's URL (``/node_modules/.vite/deps/``), is ``/node_modules/<package>/...``, where
  npm installs it, whatever the real layout (pnpm, links, a hoisted monorepo folder);
* any other file below a ``node_modules`` folder: the same form, from the last ``node_modules``;
* an app file below the root: ``../../../<path from the root>``, its own URL;
* prebundle's own modules (CommonJS proxies, ``require`` facades, builtin and missing-module
  stubs, plugins' virtual modules, the ``process`` shim): ``prebundle:<kind>/<name>``.

``sourcesContent`` is kept (as Vite keeps it for deps): devtools show the code without fetching
anything, which matters because ``node_modules`` is rarely served. Library sources are listed in
``x_google_ignoreList``, as Vite's dev server does by default, so devtools skip them when
stepping and in stack traces.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .modules import BUILTIN_NS, DUAL_NS, MISSING_NS, dual_file, PROXY_NS, REQUIRE_NS, SHIM_NS, VIRTUAL_NS, split_stub_path

if TYPE_CHECKING:
    from ..plan import PlannedPackage

__all__ = ["MAP_SUFFIX", "SourceNamer", "is_below", "path_below", "rewrite_maps"]

MAP_SUFFIX = ".map"
TO_NODE_MODULES = "../../"
"""From the deps dir (``node_modules/.vite/deps/``) up to ``node_modules/``."""
TO_ROOT = "../../../"
"""From the deps dir up to the project root."""
SCHEME = "prebundle:"
"""The URL scheme of sources that are prebundle's own modules, not files."""
_ESBUILD_MAP_HEAD = re.compile(rb'\{\s*"version"\s*:\s*3\s*,\s*"sources"\s*:\s*\[')
"""How esbuild starts a map: ``sources`` (a short list) comes before the long fields."""
_DECODER = json.JSONDecoder()
_BLANKS = frozenset(b" \t\r\n\x0b\x0c")
"""What ``bytes.rstrip()`` strips."""
_INLINE_MAP = re.compile(
    rb"(?://|/\*)# sourceMappingURL=data:application/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)(?: \*/)?\s*\Z")
"""The map comment esbuild ends an output with (``//#`` after JavaScript, ``/*# ... */`` after
CSS), matched on the last line only: the same words inside a package's strings (emotion's
compiled styles carry maps of their own) are the package's code, left as they are."""


@dataclass(frozen=True)
class SourceNamer:
    """Names the sources of one build's maps (see the module docstring)."""

    outdir: Path
    """The build's outdir: esbuild's ``sources`` are relative to it."""
    root: str
    """The project root's real path."""
    packages: tuple[tuple[str, str], ...]
    """``(real folder, name)`` of each package built, the deepest folder first."""
    ids: Mapping[str, str]
    """Flattened id (a proxy's path) -> the id (``react-dom_client`` -> ``react-dom/client``)."""

    _below: tuple[tuple[str, str, str], ...] = field(init=False, repr=False, compare=False)
    """``(folder + "/", folder, name)`` of each package: each source is tried against every one."""

    def __post_init__(self) -> None:
        below = tuple((folder.rstrip(os.sep) + os.sep, folder, package) for folder, package in self.packages)
        object.__setattr__(self, "_below", below)

    @classmethod
    def for_build(cls, *, outdir: Path, root: Path, packages: Iterable[PlannedPackage]) -> SourceNamer:
        packages = list(packages)
        folders = sorted(((os.path.realpath(p.dir), p.name) for p in packages), key=lambda f: -len(f[0]))
        ids = {planned.flat: planned.id for package in packages for planned in package.ids}
        return cls(outdir, os.path.realpath(root), tuple(folders), ids)

    def name(self, source: str) -> tuple[str, bool]:
        """The name ``source`` (as esbuild wrote it) gets, and whether it is library code.
        Paths as strings: a build's maps list every file bundled (lodash-es: 640)."""
        namespace, colon, path = source.partition(":")
        if colon and namespace == DUAL_NS:
            file = dual_file(path, self.root)  # a file, named as one
        else:
            if colon:
                own = self._own(namespace, path)
                if own is not None:
                    return own, True
            file = os.path.normpath(os.path.join(self.outdir, source))
        parts = file.split(os.sep)
        library = "node_modules" in parts
        for prefix, folder, package in self._below:
            if file.startswith(prefix) or file == folder:
                return f"{TO_NODE_MODULES}{package}/{path_below(file, folder)}", library
        if library:
            last = len(parts) - 1 - parts[::-1].index("node_modules")
            return TO_NODE_MODULES + "/".join(parts[last + 1:]), True
        if is_below(file, self.root):
            return TO_ROOT + path_below(file, self.root), False
        return f"{SCHEME}file/{parts[-1] or file}", False  # outside the project: its name, not its place

    def _own(self, namespace: str, path: str) -> str | None:
        if namespace == PROXY_NS:
            return f"{SCHEME}proxy/{self.ids.get(path, path)}"
        if namespace == REQUIRE_NS:
            return f"{SCHEME}require/{path}"
        if namespace in (BUILTIN_NS, MISSING_NS):
            kind = "builtin" if namespace == BUILTIN_NS else "missing"
            return f"{SCHEME}{kind}/{split_stub_path(path)[1]}"
        if namespace == VIRTUAL_NS:
            return f"{SCHEME}virtual/{path}"
        if namespace == SHIM_NS:
            return f"{SCHEME}shims/{path.lstrip('/')}"
        return None


def rewrite_maps(files: Mapping[str, bytes], namer: SourceNamer) -> dict[str, bytes]:
    """``files`` (one build's outputs by name) with every source map renamed: ``.map`` files,
    and maps inlined as ``data:`` URLs (esbuild's ``sourcemap="inline"`` or ``"both"``)."""
    rewritten = {}
    for name, data in files.items():
        if name.endswith(MAP_SUFFIX):
            data = _rewrite(data, namer)
        elif (found := _inline_map(data)) is not None:
            data = data[:found.start(1)] + _rewrite_inline(found.group(1), namer) + data[found.end(1):]
        rewritten[name] = data
    return rewritten


def _inline_map(data: bytes) -> re.Match[bytes] | None:
    """The inline map comment that ends ``data``, if its last line is one."""
    end = len(data)
    while end and data[end - 1] in _BLANKS:
        end -= 1
    return _INLINE_MAP.match(data, data.rfind(b"\n", 0, end) + 1)


def _rewrite_inline(encoded: bytes, namer: SourceNamer) -> bytes:
    """An inline map's base64, renamed; as it was when it does not decode (the words can be
    a package's own text, not a map esbuild wrote)."""
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error
        return encoded
    renamed = _rewrite(decoded, namer)
    return encoded if renamed == decoded else base64.b64encode(renamed)


def _rewrite(data: bytes, namer: SourceNamer) -> bytes:
    """One map's JSON with its sources renamed; unchanged if it is not a version 3 map.

    A map as esbuild writes it opens with its version and ``sources``: only that list is read
    and replaced, in the bytes, not the ``sourcesContent`` and ``mappings`` after it (most of a
    map's bytes, which parsing and dumping every map of a cold run would spend a second of CPU
    on)."""
    head = _ESBUILD_MAP_HEAD.match(data)
    after = data.find(b'"sourcesContent"', head.end()) if head is not None else -1
    if after < 0:
        after = data.find(b'"mappings"', head.end()) if head is not None else -1
    if head is None or after < 0:
        return _rewrite_parsed(data, namer)
    start = head.end() - 1
    try:
        listed = data[start:after].decode("utf-8")
        sources, end = _DECODER.raw_decode(listed)
    except (ValueError, RecursionError):
        return data
    if not isinstance(sources, list) or not all(isinstance(source, str) for source in sources):
        return data
    names, ignored = _renamed(sources, namer)
    end_byte = start + len(listed[:end].encode("utf-8"))
    opening = data[:start] + json.dumps(names, ensure_ascii=False).encode("utf-8")
    rest = memoryview(data)  # the rest is copied once, into the result (25 MB of maps in a cold run)
    close = data.rfind(b"}")
    if not ignored or close < end_byte:
        return b"".join((opening, rest[end_byte:]))
    body_end = close  # the list goes after the last field, before the blanks that close it
    while body_end > end_byte and data[body_end - 1] in _BLANKS:
        body_end -= 1
    return b"".join((opening, rest[end_byte:body_end], b',\n  "x_google_ignoreList": ',
                     json.dumps(ignored).encode(), b"\n", rest[close:]))


def _rewrite_parsed(data: bytes, namer: SourceNamer) -> bytes:
    """:func:`_rewrite` for a map of another layout (a user's ``esbuild_options``): parsed whole."""
    try:
        value: Any = json.loads(data)
    except (ValueError, RecursionError):
        return data
    sources = value.get("sources") if isinstance(value, dict) and value.get("version") == 3 else None
    if not isinstance(sources, list) or not all(isinstance(source, str) for source in sources):
        return data
    value["sources"], ignored = _renamed(sources, namer)
    if ignored:
        value["x_google_ignoreList"] = ignored
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _renamed(sources: list[str], namer: SourceNamer) -> tuple[list[str], list[int]]:
    """The new names of ``sources``, and the indexes of library code (``x_google_ignoreList``)."""
    named = [namer.name(source) for source in sources]
    return [name for name, _ in named], [index for index, (_, library) in enumerate(named) if library]


def path_below(path: str, folder: str) -> str:
    """``path`` relative to ``folder`` (which holds it: ``is_below``), with ``/``: what
    ``os.path.relpath`` gives for such a path, by slicing."""
    if path == folder:
        return "."
    return path[len(folder.rstrip(os.sep)) + 1:].replace(os.sep, "/")


def is_below(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies inside it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
