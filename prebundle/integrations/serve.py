"""Serving the deps on top of ``prebundle.static``: the rules a backend adds to the daemon's.

What is served under ``base`` is ``Assets.served_dir()``: the deps dir, or the out dir of the
app's build while it is in use (its hashed files, and its deps under ``deps/``).

* ``immutable`` also for names that carry a content hash: esbuild's ``chunk-*`` files (always
  content-named) and, in a production build, every file of the deps dir, of the app's build
  manifest (modules, CSS, assets) or of a Vite manifest.
* gzip and brotli when the client accepts them: a precompressed ``.br``/``.gz`` beside the file
  (``compress.precompress`` writes them at build) when it is at least as new, else compressed
  on the fly (and kept in a small cache). Each encoding has its own ETag; ``Vary:
  Accept-Encoding`` is always set on compressible types.
* the es-module-shims polyfill under ``_polyfill/`` when it is installed.
* ``Access-Control-Allow-Origin: *`` so the files also work from a CDN or another origin.
"""

from __future__ import annotations

import gzip
import os
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

from ..metadata import METADATA, parse_metadata
from ..static import IMMUTABLE, NO_CACHE, Answer, FolderFiles, _etag_matches
from .app_build import DEPS_FOLDER
from .core import POLYFILL_FILE, Assets
from .encodings import COMPRESSIBLE, MIN_SIZE, SUFFIX
from .encodings import brotli_module as _brotli
from .graph import AssetsError

__all__ = ["DepsFiles", "accepted_encodings"]

CACHE_BYTES = 32 * 1024 * 1024
"""On-the-fly compressed bodies kept in memory, by total size."""


def accepted_encodings(header: str | None) -> list[str]:
    """``br`` and/or ``gzip`` from an ``Accept-Encoding`` header, best first (q=0 refuses)."""
    if not header:
        return []
    accepted: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        accepted[name.strip().lower()] = q
    star = accepted.get("*", 0.0)
    order = [("br", 2), ("gzip", 1)]
    chosen = [(accepted.get(name, star), rank, name) for name, rank in order
              if accepted.get(name, star) > 0 and (name != "br" or _brotli is not None)]
    return [name for _, _, name in sorted(chosen, reverse=True)]


class DepsFiles:
    """Answers for the files under ``assets.base``: ``answer(url_path, ...)`` like ``FolderFiles``,
    plus the backend rules of the module docstring. ``asgi.AsgiDepsApp``, ``wsgi.WsgiDepsApp`` and
    Flask's route send these answers."""

    def __init__(self, assets: Assets | str | os.PathLike[str], *, compress: bool = True) -> None:
        self.assets = assets if isinstance(assets, Assets) else Assets.for_deps_dir(assets)
        self.compress = compress
        self._folders: dict[Path, FolderFiles] = {}
        self._hashed: dict[Path, tuple[tuple, frozenset[str]]] = {}
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_size = 0
        self._lock = threading.Lock()

    def answer(self, url_path: str, *, query_string: bytes | str = b"", if_none_match: str | None = None,
               accept_encoding: str | None = None, method: str = "GET") -> Answer:
        name = unquote(url_path).lstrip("/")
        directory = self.assets.served_dir()
        if name.startswith(POLYFILL_FILE.split("/")[0] + "/"):
            answer = self._polyfill(name, query_string, method)
        else:
            answer = self._files(directory).answer(url_path, query_string=query_string, method=method)
        if answer.status != 200 or answer.path is None:
            return answer
        headers = dict(answer.headers)
        if headers.get("cache-control") == NO_CACHE and name in self._hashed_names(directory):
            headers["cache-control"] = IMMUTABLE
        headers["access-control-allow-origin"] = "*"
        headers["x-content-type-options"] = "nosniff"
        path, body = answer.path, None
        if self.compress and path.suffix in COMPRESSIBLE:
            headers["vary"] = "Accept-Encoding"
            if path.stat().st_size >= MIN_SIZE:
                for encoding in accepted_encodings(accept_encoding):
                    found = self._encoded(path, encoding)
                    if found is None:
                        continue
                    if isinstance(found, Path):
                        path, size = found, found.stat().st_size
                    else:
                        path, body, size = None, found, len(found)
                    headers["content-encoding"] = encoding
                    headers["etag"] = headers["etag"][:-1] + f'-{encoding}"'
                    headers["content-length"] = str(size)
                    break
        listed = list(headers.items())
        if if_none_match and _etag_matches(if_none_match, headers["etag"]):
            keep = ("etag", "cache-control", "vary", "access-control-allow-origin")
            return Answer(304, [(k, v) for k, v in listed if k in keep])
        if body is not None:
            return Answer(200, listed, body=body)
        return replace(answer, headers=listed, path=path)

    # -- rules ---------------------------------------------------------------------------------

    def _files(self, directory: Path) -> FolderFiles:
        files = self._folders.get(directory)
        if files is None:
            files = self._folders[directory] = FolderFiles(directory)
        return files

    def _hashed_names(self, directory: Path) -> frozenset[str]:
        """Names under ``directory`` whose content hash is in the name: chunks always, every
        file of a production deps dir, every file a build or Vite manifest lists."""
        build = self.assets.active_build()
        if build is not None and build.out_dir == directory:
            manifest, listed, deps_dir, prefix = build.manifest, build.graph, build.deps_dir, DEPS_FOLDER + "/"
        elif self.assets.vite_manifest is not None:
            manifest, listed, deps_dir, prefix = self.assets.vite_manifest, self.assets.graph, None, ""
        else:
            manifest, listed, deps_dir, prefix = None, None, directory, ""
        stamp = (_stat(manifest) if manifest else None, _stat(deps_dir / METADATA) if deps_dir else None)
        cached = self._hashed.get(directory)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        names: set[str] = set()
        if listed is not None:
            try:
                for node in listed().nodes.values():
                    names.update((node.file, *node.css, *node.assets))
            except AssetsError:
                pass
        if deps_dir is not None:
            names.update(prefix + name for name in _deps_hashed_names(deps_dir))
        self._hashed[directory] = (stamp, frozenset(names))
        return self._hashed[directory][1]

    def _polyfill(self, name: str, query_string: bytes | str, method: str) -> Answer:
        extra = self.assets.extra_files().get(name)
        if extra is None:
            return self._files(self.assets.served_dir()).not_found(name)
        return FolderFiles(extra.parent).answer(extra.name, query_string=query_string, method=method)

    def _encoded(self, path: Path, encoding: str) -> Path | bytes | None:
        source = path.stat()
        ready = path.with_name(path.name + SUFFIX[encoding])
        try:
            if ready.stat().st_mtime_ns >= source.st_mtime_ns:
                return ready
        except OSError:
            pass
        key = (str(path), source.st_mtime_ns, source.st_size, encoding)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        data = path.read_bytes()
        packed = _brotli.compress(data, quality=5) if encoding == "br" else gzip.compress(data, 6, mtime=0)
        if len(packed) >= len(data):
            return None
        with self._lock:
            self._cache[key] = packed
            self._cache_size += len(packed)
            while self._cache_size > CACHE_BYTES and self._cache:
                _, old = self._cache.popitem(last=False)
                self._cache_size -= len(old)
        return packed


def _deps_hashed_names(deps_dir: Path) -> set[str]:
    """The content-named files of a deps dir: its chunks, and every file of a production build."""
    try:
        metadata = parse_metadata((deps_dir / METADATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # MetadataError is a ValueError
        return set()
    names = set(metadata.chunks.values())
    if metadata.mode == "production":
        for package in metadata.packages.values():
            names.update(package.files)
    return names


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)

