"""prebundle.static: safe paths, content types, ETag/304 and the immutable rule, plain and over ASGI."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from prebundle.static import IMMUTABLE, NO_CACHE, DepsEndpoint, FolderFiles, content_type, safe_path

from tests.support.daemon import run_in_thread


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


@pytest.fixture
def deps(tmp_path: Path) -> Path:
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "react.js").write_text("export default 1;\n")
    (deps / "chunk-ABC.js").write_text("export const x = 1;\n")
    (deps / "style.css").write_text("a{}\n")
    (deps / "react.js.map").write_text("{}")
    (deps / ".hidden.js").write_text("secret")
    (deps / "_metadata.json").write_text(json.dumps(
        {"optimized": {"react": {"file": "react.js", "fileHash": "deadbeef"}}}))
    (tmp_path / "outside.js").write_text("outside")
    (deps / "link.js").symlink_to(tmp_path / "outside.js")
    return deps


@pytest.mark.parametrize("path", [
    "../outside.js", "..%2Foutside.js", "%2e%2e/outside.js", "a/../react.js", "react.js%00",
    "..%5Coutside.js", "..\\outside.js", "link.js", ".hidden.js", "/etc/passwd", "", "missing.js",
    "react.js/", "%2e%2E%2f%2e%2e%2foutside.js", "./react.js",
])
def test_unsafe_paths_are_refused(deps: Path, path: str) -> None:
    assert safe_path(deps, path) is None


def test_safe_path_finds_files(deps: Path) -> None:
    assert safe_path(deps, "react.js") == (deps / "react.js").resolve()
    assert safe_path(deps, "/chunk-ABC.js") == (deps / "chunk-ABC.js").resolve()
    assert safe_path(deps, ".hidden.js", allow_hidden=True) is not None


@pytest.mark.parametrize(("name", "expected"), [
    ("a.js", "text/javascript; charset=utf-8"), ("a.mjs", "text/javascript; charset=utf-8"),
    ("a.css", "text/css; charset=utf-8"), ("a.js.map", "application/json; charset=utf-8"),
    ("a.html", "text/html; charset=utf-8"), ("a.wasm", "application/wasm"),
    ("a.unknownext", "application/octet-stream"),
])
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_cache_control_rules(deps: Path) -> None:
    files = FolderFiles(deps)
    headers = dict(files.answer("react.js", query_string=b"v=deadbeef").headers)
    assert headers["cache-control"] == IMMUTABLE
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert dict(files.answer("react.js", query_string=b"v=00000000").headers)["cache-control"] == NO_CACHE
    assert dict(files.answer("react.js").headers)["cache-control"] == NO_CACHE
    chunk = _hash((deps / "chunk-ABC.js").read_bytes())
    assert dict(files.answer("chunk-ABC.js", query_string=f"v={chunk}").headers)["cache-control"] == IMMUTABLE
    plain = FolderFiles(deps, hashed=False)
    assert dict(plain.answer("react.js", query_string=b"v=deadbeef").headers)["cache-control"] == NO_CACHE


def test_content_hashed_names_are_immutable_without_a_version(deps: Path) -> None:
    """Chunks are imported by name, without ``?v=``: their name carries their hash, so a warm
    reload must not revalidate each of them."""
    (deps / "chunk-QWERTY23.js").write_text("export const y = 2;\n")
    (deps / "_metadata.json").write_text(json.dumps({
        "optimized": {"react": {"file": "react.js", "fileHash": "deadbeef"}},
        "chunks": {"chunk-QWERTY23": {"file": "chunk-QWERTY23.js"}},
        "prebundle": {"mode": "development", "packages": {"r": {"files": {
            "react.js": {}, "chunk-QWERTY23.js": {}, "style.css": {}}}}}}))
    files = FolderFiles(deps)
    assert dict(files.answer("chunk-QWERTY23.js").headers)["cache-control"] == IMMUTABLE
    assert dict(files.answer("react.js").headers)["cache-control"] == NO_CACHE  # named by id: needs ?v=
    assert dict(files.answer("style.css").headers)["cache-control"] == NO_CACHE


def test_every_production_file_is_immutable(deps: Path) -> None:
    (deps / "react-AB12CD34.js").write_text("export default 1;\n")
    record = {"key": "k", "files": {"react-AB12CD34.js": {"size": 18, "hash": "deadbeef"}}, "entries": {},
              "chunks": {}}
    (deps / "_metadata.json").write_text(json.dumps({
        "optimized": {"react": {"file": "react-AB12CD34.js", "fileHash": "deadbeef"}},
        "prebundle": {"format": 3, "mode": "production", "packages": {"r": record}, "documents": {}}}))
    assert dict(FolderFiles(deps).answer("react-AB12CD34.js").headers)["cache-control"] == IMMUTABLE


def test_metadata_is_reread_when_replaced(deps: Path) -> None:
    files = FolderFiles(deps)
    assert dict(files.answer("react.js", query_string=b"v=deadbeef").headers)["cache-control"] == IMMUTABLE
    new = deps / "_metadata.json.new"
    new.write_text(json.dumps({"optimized": {"react": {"file": "react.js", "fileHash": "cafebabe"}}}))
    os.replace(new, deps / "_metadata.json")
    assert dict(files.answer("react.js", query_string=b"v=deadbeef").headers)["cache-control"] == NO_CACHE
    assert dict(files.answer("react.js", query_string=b"v=cafebabe").headers)["cache-control"] == IMMUTABLE


def test_etag_and_304(deps: Path) -> None:
    files = FolderFiles(deps)
    first = files.answer("react.js")
    assert first.status == 200 and first.read() == b"export default 1;\n"
    etag = dict(first.headers)["etag"]
    again = files.answer("react.js", if_none_match=etag)
    assert again.status == 304 and again.path is None
    assert files.answer("react.js", if_none_match=f'W/{etag}, "x"').status == 304
    assert files.answer("react.js", if_none_match='"other"').status == 200


def test_404_text_and_method(deps: Path) -> None:
    files = FolderFiles(deps, not_found_hint="Is it in the import map?")
    answer = files.answer("nope.js")
    assert answer.status == 404 and b"nope.js" in answer.body and b"import map" in answer.body
    assert files.answer("react.js", method="POST").status == 405


def test_asgi_endpoint_under_mount(deps: Path) -> None:
    run_in_thread(asyncio.run, _asgi_checks(deps))


async def _asgi_checks(deps: Path) -> None:
    app = Starlette(routes=[Mount("/node_modules/.vite/deps", app=DepsEndpoint(deps))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ok = await client.get("/node_modules/.vite/deps/react.js?v=deadbeef")
        assert ok.status_code == 200 and ok.text == "export default 1;\n"
        assert ok.headers["cache-control"] == IMMUTABLE
        assert ok.headers["content-type"] == "text/javascript; charset=utf-8"
        cached = await client.get("/node_modules/.vite/deps/react.js", headers={"if-none-match": ok.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b""
        for bad in ("/node_modules/.vite/deps/..%2F..%2Foutside.js", "/node_modules/.vite/deps/link.js",
                    "/node_modules/.vite/deps/%2e%2e/outside.js"):
            assert (await client.get(bad)).status_code == 404, bad
        head = await client.head("/node_modules/.vite/deps/react.js")
        assert head.status_code == 200 and head.content == b""
