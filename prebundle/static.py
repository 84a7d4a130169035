"""Serve a deps dir (or any folder) over HTTP, framework-free, with an ASGI endpoint on top.

The daemon and the backend integrations (ASGI, WSGI, Django, Flask) share these rules:

* **Paths are safe.** ``safe_path(directory, url_path)`` takes the *still percent-encoded* URL
  path below the mount point and returns the file, or ``None`` when it must be a 404: ``..`` or
  ``.`` segments, encoded ``/`` or ``\\`` (``%2F``, ``%5C``), backslashes, NUL, invalid UTF-8
  (``%c0%ae``), empty segments, hidden names (unless ``allow_hidden``), and anything whose realpath
  (symlinks followed) is inside neither ``directory`` nor one of the ``also`` folders: the
  daemon's allow list of linked packages, whose folders (reached through a symlink in
  ``node_modules``) are outside the root. Within those the same rules hold, on the path
  relative to that folder: no hidden names, the deny list.
* **Secrets are never served.** The ``deny`` list (``prebundle.denylist``: ``.env``, ``.env.*``,
  certificates and keys, ``.git``, plus what the caller adds) is checked on the decoded path as
  asked and on the real path after symlinks, case-insensitively; ``FolderFiles`` answers ``403``.
* **Content types.** ``content_type(path)``: JS as ``text/javascript; charset=utf-8``, CSS as
  ``text/css; charset=utf-8``, source maps and JSON as ``application/json``, then ``mimetypes``.
* **Caching.** ``Cache-Control: max-age=31536000,immutable`` when the file's name carries its
  content hash (chunks, assets, production files: imported without ``?v=``), or when the
  request's ``?v=`` equals the file's current hash (``fileHash`` from ``_metadata.json`` for
  optimized ids; the content hash, the same 8 hex digits, for other files); ``no-cache`` otherwise.
  Every answer carries an ``ETag`` (size and mtime); ``If-None-Match`` gives a ``304``.

API::

    files = FolderFiles(deps_dir)                 # hashes from deps_dir/_metadata.json
    answer = files.answer(url_path, query_string=b"v=1a2b3c4d", if_none_match=None, method="GET")
    answer.status, answer.headers, answer.path    # path: the file to send (None for 304/403/404)
    answer.body                                   # bytes for 304/403/404 answers (their text)

    app = DepsEndpoint(deps_dir)                  # an ASGI app: Mount("/node_modules/.vite/deps", app=...)
    wsgi_body = answer.read()                     # the file's bytes (or body) for WSGI servers

``FolderFiles(folder, hashed=False)`` serves a plain folder (``no-cache`` always), as the daemon
does for the app's own files; ``deny=DEFAULT_DENY_LIST.extended([...])`` refuses more.

``FolderFiles`` was called ``StaticFiles``; that name still works. The backends' servers of the
deps are ``integrations.asgi.AsgiDepsApp`` and ``integrations.wsgi.WsgiDepsApp``.
"""

from __future__ import annotations

import mimetypes
import os
import stat as stat_module
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote

from .denylist import DenyList
from .metadata import METADATA, Metadata, file_hash, parse_metadata

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.types import Receive, Scope, Send

__all__ = [
    "DEFAULT_DENY_LIST",
    "IMMUTABLE",
    "NO_CACHE",
    "Answer",
    "DepsEndpoint",
    "FolderFiles",
    "StaticFiles",
    "content_type",
    "safe_path",
]

IMMUTABLE = "max-age=31536000,immutable"
"""Cache-Control of a file asked for with its current hash."""
NO_CACHE = "no-cache"
"""Cache-Control of everything else: the browser revalidates with the ETag."""

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".cjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}

_FORBIDDEN_ENCODED = ("%2f", "%5c", "%00")

DEFAULT_DENY_LIST = DenyList()
"""What every folder served here refuses unless told otherwise (``prebundle.denylist.DEFAULT_DENY``)."""


def content_type(path: str | os.PathLike[str]) -> str:
    """The ``Content-Type`` of a file by its suffix."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    known = _TYPES.get(suffix)
    if known:
        return known
    guessed, _ = mimetypes.guess_type(os.fspath(path))
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def safe_path(directory: str | os.PathLike[str], url_path: str, *, allow_hidden: bool = False,
              deny: DenyList | None = DEFAULT_DENY_LIST, also: tuple[str, ...] = ()) -> Path | None:
    """The file ``url_path`` (percent-encoded, relative to ``directory``) names, or None.

    None for every path that could escape ``directory`` (and the real folders ``also``), is
    on ``deny``, or is not a regular file there.
    """
    found = _resolve(directory, url_path, allow_hidden=allow_hidden, deny=deny, also=also)
    return found if isinstance(found, Path) else None


_DENIED = "denied"
_MISSING = "missing"


def _resolve(directory: str | os.PathLike[str], url_path: str, *, allow_hidden: bool,
             deny: DenyList | None, also: tuple[str, ...] = ()) -> Path | str:
    """The file, or why not: ``_DENIED`` (on the deny list) or ``_MISSING`` (anything else).
    ``also``: real folders outside ``directory`` whose files may be reached through symlinks."""
    lowered = url_path.lower()
    if any(bad in lowered for bad in _FORBIDDEN_ENCODED):
        return _MISSING
    try:
        decoded = unquote(url_path, errors="strict") if "%" in url_path else url_path
    except UnicodeDecodeError:  # overlong or broken UTF-8 (``%c0%ae``) names no file
        return _MISSING
    if "\\" in decoded or "\0" in decoded:
        return _MISSING
    segments = decoded.lstrip("/").split("/")
    if not segments or any(seg in ("", ".", "..") for seg in segments):
        return _MISSING
    if not allow_hidden and any(seg.startswith(".") for seg in segments):
        return _MISSING
    if deny is not None and deny.denies(segments):
        return _DENIED
    base = os.path.realpath(directory)
    real = os.path.realpath(os.path.join(base, *segments))
    if real == base or not real.startswith(base + os.sep):
        base = next((folder for folder in also if real.startswith(folder + os.sep)), "")
        if not base:
            return _MISSING
        inside = real[len(base) + 1:].split(os.sep)
        if not allow_hidden and any(seg.startswith(".") for seg in inside):
            return _MISSING  # a link within the allowed folder to its hidden files
    if deny is not None and deny.denies(real[len(base) + 1:].split(os.sep)):
        return _DENIED  # a symlink to a denied file
    try:
        if not stat_module.S_ISREG(os.stat(real).st_mode):
            return _MISSING
    except (OSError, ValueError):
        return _MISSING
    return Path(real)


@dataclass(frozen=True)
class Answer:
    """What to send: a status, headers, and either a file (``path``) or a short ``body``."""

    status: int
    headers: list[tuple[str, str]]
    path: Path | None = None
    body: bytes = b""

    def read(self) -> bytes:
        """The bytes to send (the file's content, or ``body``); empty for HEAD is up to the caller."""
        return self.path.read_bytes() if self.path is not None else self.body


@dataclass
class _HashIndex:
    """``file -> fileHash`` from ``_metadata.json``, reread when that file is replaced."""

    directory: Path
    _stamp: tuple[int, int, int] | None = None
    _hashes: dict[str, str] = field(default_factory=dict)
    _content: dict[str, tuple[tuple[int, int, int], str]] = field(default_factory=dict)
    _named_by_content: frozenset[str] = frozenset()
    """Files whose name carries their content hash (chunks, assets, every production file): a
    new content is a new name, so they are immutable without a ``?v=``."""

    def named_by_content(self, name: str) -> bool:
        self._refresh()
        return name in self._named_by_content

    def expected(self, name: str, real: Path) -> str:
        self._refresh()
        known = self._hashes.get(name)
        if known is not None:
            return known
        st = real.stat()
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        cached = self._content.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        digest = file_hash(real.read_bytes())
        if len(self._content) > 4096:
            self._content.clear()
        self._content[name] = (stamp, digest)
        return digest

    def _refresh(self) -> None:
        path = self.directory / METADATA
        try:
            st = path.stat()
        except OSError:
            self._stamp, self._hashes = None, {}
            return
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        if stamp == self._stamp:
            return
        try:
            metadata = parse_metadata(path.read_text(encoding="utf-8"))
            hashes = {entry.file: entry.file_hash for entry in metadata.optimized.values() if entry.file_hash}
            named = _named_by_content(metadata)
        except (OSError, ValueError):  # MetadataError is a ValueError
            hashes, named = {}, frozenset()
        self._stamp, self._hashes, self._named_by_content = stamp, hashes, named


def _named_by_content(metadata: Metadata) -> frozenset[str]:
    """The files of a deps dir whose names esbuild derived from their content: chunks
    (``chunk-[hash]``), assets (``assets/[name]-[hash]``), and in production every file."""
    files = {name for package in metadata.packages.values() for name in package.files}
    if metadata.mode == "production":
        return frozenset(files)
    chunks = set(metadata.chunks.values())
    return frozenset(chunks | {name for name in files
                               if name.startswith(("chunk-", "assets/")) and "/" not in name.removeprefix("assets/")})


class FolderFiles:
    """Answers GET/HEAD requests for the files of one folder (see the module docstring).

    Framework-free: it returns an ``Answer`` and sends nothing, so the daemon, ``DepsEndpoint`` and
    the backends' servers (``integrations.serve.DepsFiles``) share one set of path and cache rules.
    """

    def __init__(self, directory: str | os.PathLike[str], *, hashed: bool = True,
                 allow_hidden: bool = False, not_found_hint: str = "",
                 deny: DenyList | None = DEFAULT_DENY_LIST, denied_hint: str = "",
                 also: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.directory = Path(directory)
        """The folder served (a deps dir, or an app's root)."""
        real_directory = os.path.realpath(directory)
        self.also = tuple(sorted({real for real in map(os.path.realpath, also)
                                  if not (real_directory + os.sep).startswith(real.rstrip(os.sep) + os.sep)}))
        """Real folders outside ``directory`` that symlinks in it may lead to (the daemon's
        linked packages); nothing else outside it is served, nor a folder holding
        ``directory`` (a link to ``..`` would open everything beside the root)."""
        self.allow_hidden = allow_hidden
        """Serve names starting with a dot (off: ``.git``, ``.env`` stay private)."""
        self.deny = deny
        """Files never served, whatever the URL (None: no deny list)."""
        self.denied_hint = denied_hint
        """An extra sentence for the 403 text (e.g. which setting holds the deny list)."""
        self.not_found_hint = not_found_hint
        """An extra sentence for the 404 text (e.g. that the daemon is still optimizing)."""
        self._hashes = _HashIndex(self.directory) if hashed else None

    def answer(self, url_path: str, *, query_string: bytes | str = b"", if_none_match: str | None = None,
               method: str = "GET") -> Answer:
        """The answer to ``GET <mount><url_path>?<query_string>`` (``url_path`` percent-encoded)."""
        if method not in ("GET", "HEAD"):
            return Answer(405, [("allow", "GET, HEAD"), ("content-type", "text/plain; charset=utf-8")],
                          body=b"method not allowed\n")
        real = _resolve(self.directory, url_path, allow_hidden=self.allow_hidden, deny=self.deny, also=self.also)
        if real == _DENIED:
            return self.denied(url_path)
        if not isinstance(real, Path):
            return self.not_found(url_path)
        try:
            st = real.stat()
        except OSError:
            return self.not_found(url_path)
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        headers = [("etag", etag), ("cache-control", self._cache_control(url_path, real, query_string)),
                   ("content-type", content_type(real))]
        if if_none_match and _etag_matches(if_none_match, etag):
            return Answer(304, headers[:2])
        headers.append(("content-length", str(st.st_size)))
        return Answer(200, headers, path=real)

    def not_found(self, url_path: str) -> Answer:
        shown = url_path if len(url_path) < 200 else url_path[:200] + "..."
        text = f"404: {shown!r} is not a file in {self.directory}."
        if self.not_found_hint:
            text += " " + self.not_found_hint
        return Answer(404, [("content-type", "text/plain; charset=utf-8"), ("cache-control", NO_CACHE)],
                      body=(text + "\n").encode())

    def denied(self, url_path: str) -> Answer:
        shown = url_path if len(url_path) < 200 else url_path[:200] + "..."
        text = (f"403: {shown!r} is on the deny list of {self.directory} (secrets such as .env, keys, .git) "
                "and is never served.")
        if self.denied_hint:
            text += " " + self.denied_hint
        return Answer(403, [("content-type", "text/plain; charset=utf-8"), ("cache-control", NO_CACHE)],
                      body=(text + "\n").encode())

    def _cache_control(self, url_path: str, real: Path, query_string: bytes | str) -> str:
        if self._hashes is None:
            return NO_CACHE
        name = unquote(url_path).lstrip("/")
        if self._hashes.named_by_content(name):
            return IMMUTABLE
        if isinstance(query_string, bytes):
            query_string = query_string.decode("latin-1")
        versions = parse_qs(query_string).get("v")
        if not versions:
            return NO_CACHE
        try:
            expected = self._hashes.expected(name, real)
        except OSError:
            return NO_CACHE
        return IMMUTABLE if versions[-1] == expected else NO_CACHE


StaticFiles = FolderFiles
"""The former name of ``FolderFiles``, kept because ``prebundle.static`` is documented for users
to build on (docs/backend-integration.md); new code says ``FolderFiles``."""


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [item.strip() for item in header.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


class DepsEndpoint:
    """An ASGI app serving ``FolderFiles(directory)``; mount it at the deps base URL.

    Works under Starlette's ``Mount`` (uses ``root_path``/``path``) or alone. Uses the raw,
    still-encoded path, so ``%2F`` tricks are seen and refused.
    """

    def __init__(self, directory: str | os.PathLike[str] | FolderFiles, *,
                 extra_headers: list[tuple[str, str]] | None = None) -> None:
        self.files = directory if isinstance(directory, FolderFiles) else FolderFiles(directory)
        self.extra_headers = list(extra_headers or [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - lifespan/websocket are not ours
            return
        answer = self.files.answer(_relative_raw_path(scope), query_string=scope.get("query_string", b""),
                                   if_none_match=_header(scope, b"if-none-match"), method=scope["method"])
        await send_answer(answer, send, head=scope["method"] == "HEAD", extra_headers=self.extra_headers)


async def send_answer(answer: Answer, send: Send, *, head: bool = False,
                      extra_headers: list[tuple[str, str]] | None = None) -> None:
    """Send an ``Answer`` on an ASGI ``send`` (files streamed in 64 KiB pieces)."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in [*answer.headers, *(extra_headers or [])]]
    if answer.path is None:
        if answer.status != 304:
            headers.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head or answer.status == 304 else answer.body})
        return
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    if head:
        await send({"type": "http.response.body", "body": b""})
        return
    with open(answer.path, "rb") as handle:
        while True:
            chunk = handle.read(65536)
            more = len(chunk) == 65536
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not more:
                break


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _relative_raw_path(scope: Scope) -> str:
    """The request path below the mount point, still percent-encoded."""
    path = scope.get("path", "")
    raw = scope.get("raw_path")
    mount = scope.get("root_path", "")
    # Starlette's Mount keeps the full path in ``path`` and the prefix in ``root_path``.
    if raw is not None:
        text = raw.decode("latin-1").split("?", 1)[0]
        if mount and text.startswith(mount):
            return text[len(mount):]
        if mount and path.startswith(mount):
            # the raw path does not start with the (decoded) mount: fall back to the decoded one
            return _requote(path[len(mount):])
        return text if not mount else _requote(path)
    relative = path[len(mount):] if mount and path.startswith(mount) else path
    return _requote(relative)


def _requote(path: str) -> str:
    return quote(path, safe="/")
