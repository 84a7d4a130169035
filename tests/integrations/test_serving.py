"""The ASGI app (Starlette ``TestClient``) and the WSGI app (wsgiref on a free port, real HTTP)
serving a production build: immutable caching, ETag/304, gzip/brotli, safe paths, polyfill."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, make_server

import brotli
import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from prebundle.integrations import Assets
from prebundle.integrations.asgi import AsgiDepsApp
from prebundle.integrations.wsgi import WsgiDepsApp

BASE = "/node_modules/.vite/deps/"


@pytest.fixture
def asgi_client(built):
    assets = Assets(built)
    app = Starlette(routes=[Mount(BASE.rstrip("/"), app=AsgiDepsApp(assets))])
    with TestClient(app) as client:
        yield client


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def wsgi_url(built):
    def fallback(environ, start_response):
        start_response("200 OK", [("content-type", "text/plain")])
        return [b"the app"]

    server = make_server("127.0.0.1", 0, WsgiDepsApp(Assets(built), app=fallback), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(params=["asgi", "wsgi"])
def get(request, built):
    if request.param == "asgi":
        client = request.getfixturevalue("asgi_client")
        return lambda path, **headers: client.get(path, headers=headers)
    url = request.getfixturevalue("wsgi_url")
    return lambda path, **headers: _raw_get(url, path, headers)


def _raw_get(url, path, headers):
    """GET with the path sent exactly as written (httpx would resolve ``..``)."""
    import http.client

    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path, headers=headers)
    raw = conn.getresponse()
    body = raw.read()
    conn.close()
    return _Response(raw.status, httpx.Headers(raw.getheaders()), _decode(raw.getheader("content-encoding"), body))


@dataclass
class _Response:
    status_code: int
    headers: httpx.Headers
    content: bytes


def _decode(encoding, body):
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    return body


def _names(deps):
    meta = json.loads((deps / "_metadata.json").read_text())
    react = meta["optimized"]["react"]
    chunk = next(iter(meta["chunks"].values()))["file"]
    return react, chunk


def test_hashed_files_are_immutable(get, deps):
    react, chunk = _names(deps)
    for path in (f"{BASE}{react['file']}?v={react['fileHash']}", f"{BASE}{react['file']}", f"{BASE}{chunk}"):
        response = get(path, **{"accept-encoding": "identity"})
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "max-age=31536000,immutable", path
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    body = get(f"{BASE}{react['file']}", **{"accept-encoding": "identity"})
    assert body.content == (deps / react["file"]).read_bytes()
    imap = get(f"{BASE}importmap.json")
    assert imap.headers["cache-control"] == "no-cache"


def test_etag_and_304(get, deps):
    react, _ = _names(deps)
    first = get(f"{BASE}{react['file']}", **{"accept-encoding": "br"})
    again = get(f"{BASE}{react['file']}", **{"accept-encoding": "br", "if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = get(f"{BASE}{react['file']}", **{"accept-encoding": "gzip", "if-none-match": first.headers["etag"]})
    assert other.status_code == 200  # a gzip body is not the brotli one


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_compression_uses_the_precompressed_files(get, deps, encoding):
    react, _ = _names(deps)
    raw = get(f"{BASE}{react['file']}", **{"accept-encoding": encoding})
    assert raw.headers["content-encoding"] == encoding
    assert raw.headers["vary"] == "Accept-Encoding"
    assert raw.content == (deps / react["file"]).read_bytes()  # httpx decodes both
    suffix = ".gz" if encoding == "gzip" else ".br"
    assert int(raw.headers["content-length"]) == (deps / (react["file"] + suffix)).stat().st_size


def test_on_the_fly_compression_without_precompressed_files(deps, tmp_path):
    import shutil

    copy = tmp_path / "deps"
    shutil.copytree(deps, copy, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    app = Starlette(routes=[Mount("/d", app=AsgiDepsApp(copy))])
    react, _ = _names(copy)
    with TestClient(app) as client:
        for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            response = client.get(f"/d/{react['file']}", headers={"accept-encoding": f"{encoding}, identity;q=0.5"})
            assert response.headers["content-encoding"] == encoding
        refused = client.get(f"/d/{react['file']}", headers={"accept-encoding": "br;q=0, gzip;q=0"})
        assert "content-encoding" not in refused.headers
        assert refused.content == (copy / react["file"]).read_bytes()
    assert decode  # both decoders exist


@pytest.mark.parametrize("path", ["../package.json", "%2e%2e/%2e%2e/package.json", "..%2F..%2Fpackage.json",
                                  ".hidden", "nope.js", "a//b.js"])
def test_unsafe_or_missing_paths_are_404(get, path):
    assert get(BASE + path).status_code == 404


def test_polyfill_is_served(get, built):
    assets = Assets(built)
    url = assets.polyfill_url()
    response = get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=31536000,immutable"
    assert response.content == assets.polyfill_path().read_bytes()


def test_wsgi_middleware_passes_other_paths_on(wsgi_url):
    assert httpx.get(wsgi_url + "/anything").text == "the app"
    head = httpx.head(wsgi_url + BASE + "importmap.json")
    assert head.status_code == 200 and head.content == b""
