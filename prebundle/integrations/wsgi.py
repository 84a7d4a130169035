"""WSGI: ``WsgiDepsApp`` serves the deps, or the build of the app (``dist/``) while it is in use,
with the rules of ``serve.DepsFiles`` (immutable caching, ETag/304, gzip/brotli). Alone it is a
WSGI app for the files under a mount point;
given ``app=`` it is middleware that answers ``prefix`` and passes everything else on::

    application = WsgiDepsApp(Assets.for_project("frontend"), app=get_wsgi_application())

``StaticFiles`` is the former name of ``WsgiDepsApp`` (documented, so it stays).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO
from urllib.parse import quote

from .core import Assets
from .serve import DepsFiles


__all__ = ["StaticFiles", "WsgiDepsApp"]

_REASONS = {200: "OK", 304: "Not Modified", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


class WsgiDepsApp:
    """A WSGI app (or middleware with ``app=``) serving the deps of ``assets`` under ``prefix``
    (default: the URL path of ``assets.base``)."""

    def __init__(self, assets: Assets | str | os.PathLike[str], *, app: Callable | None = None,
                 prefix: str | None = None, compress: bool = True) -> None:
        self.files = DepsFiles(assets, compress=compress)
        self.app = app
        if prefix is None:
            prefix = self.files.assets.base if app is not None else ""
            if "://" in prefix:
                prefix = "/" + prefix.split("://", 1)[1].split("/", 1)[-1]
        self.prefix = prefix.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = _raw_path(environ)
        if self.app is not None and not path.startswith(self.prefix + "/"):
            return self.app(environ, start_response)
        relative = path[len(self.prefix):] if path.startswith(self.prefix + "/") else path
        method = environ.get("REQUEST_METHOD", "GET")
        answer = self.files.answer(
            relative, query_string=environ.get("QUERY_STRING", ""),
            if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
            accept_encoding=environ.get("HTTP_ACCEPT_ENCODING"), method=method,
        )
        headers = list(answer.headers)
        if answer.path is None and answer.status != 304:
            headers.append(("content-length", str(len(answer.body))))
        start_response(f"{answer.status} {_REASONS.get(answer.status, 'OK')}", headers)
        if method == "HEAD" or answer.status == 304:
            return [b""]
        if answer.path is not None:
            wrapper = environ.get("wsgi.file_wrapper")
            handle = open(answer.path, "rb")
            return wrapper(handle, 65536) if wrapper else _read(handle)
        return [answer.body]


StaticFiles = WsgiDepsApp
"""The former, documented name of ``WsgiDepsApp``: existing apps keep working."""


def _read(handle: BinaryIO) -> Iterable[bytes]:
    with handle:
        while chunk := handle.read(65536):
            yield chunk


def _raw_path(environ: dict[str, Any]) -> str:
    """The still percent-encoded path below the script (``RAW_URI``/``REQUEST_URI`` when the
    server gives it, else PATH_INFO re-quoted), so ``%2F`` tricks stay visible."""
    script = environ.get("SCRIPT_NAME", "")
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw = raw.split("?", 1)[0]
        if "://" in raw:
            raw = "/" + raw.split("://", 1)[1].split("/", 1)[-1]
        if script and raw.startswith(script):
            raw = raw[len(script):]
        return raw
    path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
    return quote(path, safe="/")
