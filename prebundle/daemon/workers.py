"""Packages in the app's workers, which no import map reaches.

Browsers give a module worker (``new Worker(new URL("./w.ts", import.meta.url), {type:
"module"})``) no import map, so ``import { sortBy } from "lodash-es"`` fails there. The daemon
writes each bare import of a module a worker loads (``Sec-Fetch-Dest: worker``) as the URL the
page's import map gives it, under ``/@prebundle/worker``. That route serves the deps files with
their own bare imports written the same way (``react-dom`` imports ``react``); their relative
imports (``./chunk-X.js``) stay, and land under the same route. The page's import map and the
worker's URLs name the same files, so a package updated by a re-optimization is new to both.
A worker's ``import()`` is fetched as a script, not as a worker's: the app modules a worker's
module imports carry ``?worker_file`` (``WORKER_QUERY``), which the daemon takes as the mark.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlparse

from starlette.types import Receive, Scope, Send

from ..app.dev_imports import import_sites
from ..app.dev_resolve import WORKER_QUERY
from ..metadata import ImportMap, parse_importmap
from ..specifiers import is_bare
from ..static import FolderFiles, _relative_raw_path, send_answer

__all__ = ["WORKER_PREFIX", "WORKER_QUERY", "WorkerDeps", "WorkerImports", "is_worker"]

WORKER_PREFIX = "/@prebundle/worker"
MAX_REWRITE_BYTES = 8 * 1024 * 1024
"""A deps file larger than this is served as it is (its bare imports, if any, then fail)."""
KEPT_BYTES = 64 * 1024 * 1024
"""Rewritten deps files remembered, in bytes (of the import map in force only)."""
_JS_TYPE = "text/javascript; charset=utf-8"


def is_worker(headers: Mapping[bytes, bytes]) -> bool:
    """Whether the request loads a worker's module (its script, or a module it imports)."""
    return headers.get(b"sec-fetch-dest") in (b"worker", b"sharedworker")


class WorkerImports:
    """Bare specifiers as a worker gets them: the page's import map, resolved by the daemon."""

    def __init__(self, importmap_bytes: Callable[[], bytes], base_path: str) -> None:
        self._bytes = importmap_bytes
        self.base_path = base_path
        """The deps dir's URL path (``/node_modules/.vite/deps/``)."""
        self._parsed: tuple[bytes, ImportMap, str] | None = None

    def url(self, specifier: str, referrer: str = "") -> str | None:
        """The URL a worker imports ``specifier`` by, from a module at the URL path ``referrer``
        (a scope of the import map may apply); None when the import map has no entry for it."""
        if not is_bare(specifier):
            return None
        importmap = self._current()
        target = None
        for prefix in sorted((p for p in importmap.scopes if referrer.startswith(p)), key=len, reverse=True):
            target = _resolve(importmap.scopes[prefix], specifier)
            if target is not None:
                break
        if target is None:
            target = _resolve(importmap.imports, specifier)
        if target is None:
            return None
        parsed = urlparse(target)
        if parsed.path.startswith(self.base_path):
            return WORKER_PREFIX + parsed.path + ("?" + parsed.query if parsed.query else "")
        return target  # a package served from its own files: as the page gets it

    @property
    def version(self) -> str:
        """A hash of the import map in force: what a worker's URLs were written from."""
        self._current()
        return self._parsed[2]

    def _current(self) -> ImportMap:
        data = self._bytes() or b'{"imports": {}}'
        parsed = self._parsed
        if parsed is None or parsed[0] is not data:
            try:
                importmap = parse_importmap(data)
            except ValueError:
                importmap = ImportMap({})
            parsed = self._parsed = (data, importmap, hashlib.blake2b(data, digest_size=8).hexdigest())
        return parsed[1]


def _resolve(entries: Mapping[str, str], specifier: str) -> str | None:
    """An import map's answer for ``specifier``: its exact entry, else the longest ``name/``
    prefix entry, with the rest of the specifier after it."""
    exact = entries.get(specifier)
    if exact is not None:
        return exact
    best = ""
    for key in entries:
        if key.endswith("/") and specifier.startswith(key) and len(key) > len(best):
            best = key
    return entries[best] + specifier[len(best):] if best else None


class WorkerDeps:
    """ASGI app at ``WORKER_PREFIX`` + the deps base: the deps files, bare imports as URLs."""

    def __init__(self, files: Callable[[], FolderFiles], imports: WorkerImports) -> None:
        self.files = files
        self.imports = imports
        self._made: dict[tuple[str, int, int], tuple[str, bytes, str]] = {}
        """(path, mtime, size) -> (import map version, rewritten bytes, ETag)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - lifespan/websocket are not ours
            return
        relative = _relative_raw_path(scope)
        answer = self.files().answer(relative, query_string=scope.get("query_string", b""),
                                     method=scope["method"])
        if answer.status != 200 or answer.path is None or answer.path.suffix not in (".js", ".mjs") \
                or answer.path.stat().st_size > MAX_REWRITE_BYTES:
            await send_answer(answer, send, head=scope["method"] == "HEAD")  # streamed as it is
            return
        referrer = self.imports.base_path + relative.lstrip("/")
        body, etag = await asyncio.to_thread(self._rewritten, answer.path, referrer)
        headers = [(b"content-type", _JS_TYPE.encode()), (b"cache-control", b"no-cache"),
                   (b"etag", etag.encode()), (b"vary", b"Sec-Fetch-Dest")]
        request = dict(scope.get("headers", ()))
        if request.get(b"if-none-match", b"").decode("latin-1") == etag:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _rewritten(self, path: Path, referrer: str) -> tuple[bytes, str]:
        """The file's bytes with its bare imports written as worker URLs, and their ETag;
        remembered by the file's stat and the import map in force."""
        stat = path.stat()
        version = self.imports.version
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        made = self._made.get(key)
        if made is not None and made[0] == version:
            return made[1], made[2]
        code = path.read_bytes()
        pieces: list[bytes] = []
        at = 0
        for site in import_sites(code):
            url = self.imports.url(site.specifier, referrer)
            if url is None:
                continue
            pieces += [code[at:site.start], json.dumps(url).encode("utf-8")]
            at = site.end
        body = b"".join(pieces) + code[at:] if pieces else code
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        made_now = {k: v for k, v in self._made.items() if v[0] == version}  # an older import map's: gone
        if sum(len(v[1]) for v in made_now.values()) + len(body) > KEPT_BYTES:
            made_now.clear()
        made_now[key] = (version, body, etag)
        self._made = made_now
        return body, etag
