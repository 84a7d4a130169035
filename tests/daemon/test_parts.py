"""The daemon's parts without a server: change classification, HTML injection, SSE framing,
the pid file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest
from watchfiles import Change

from prebundle.config import load_config
from prebundle.daemon.app import importmap_digest, inject_html
from prebundle.daemon.events import Broadcaster, format_event
from prebundle.daemon.pidfile import DaemonRunning, PidFile, read_daemon
from prebundle.daemon.watch import WatchPlan, classify

from tests.support.daemon import run_in_thread


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    for folder in ("src", "patches", "node_modules/react", "node_modules/.vite/deps", "dist", ".git"):
        (root / folder).mkdir(parents=True)
    (root / "index.html").write_text("<p>")
    return root


def test_watch_plan_skips_node_modules_cache_and_output(project: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked-lib"
    linked.mkdir()
    plan = WatchPlan.for_config(load_config(project), linked=[linked])
    assert plan.flat == (project, project / "node_modules", project / "node_modules" / ".vite")
    assert set(plan.recursive) == {project / "src", project / "patches", linked}


@pytest.mark.parametrize(("rel", "output"), [
    ("node_modules/.vite/deps", True), ("node_modules/.vite/deps/react.js", False),
    ("node_modules/.vite/deps_temp_1234", False), ("node_modules/.vite/daemon.json", False),
])
def test_a_replaced_output_folder_is_an_output_change(project: Path, rel: str, output: bool) -> None:
    plan = WatchPlan.for_config(load_config(project))
    changes = classify(plan, {(Change.added, str(project / rel))})
    assert changes.output is output and not (changes.source or changes.install or changes.config)


@pytest.mark.parametrize(("rel", "kind"), [
    ("src/main.js", "source"), ("src/deep/x.tsx", "source"), ("index.html", "source"),
    ("package.json", "install"), ("package-lock.json", "install"), ("yarn.lock", "install"),
    ("pnpm-lock.yaml", "install"), ("bun.lockb", "install"), ("node_modules/.package-lock.json", "install"),
    ("node_modules/.yarn-state.yml", "install"), ("node_modules/.pnpm/lock.yaml", "install"),
    ("patches/react+19.patch", "install"), ("prebundle.config.py", "config"), ("pyproject.toml", "config"),
    ("node_modules/react/index.js", None), ("node_modules/.vite/deps/react.js", None),
    ("node_modules/.vite/daemon.json", None), ("dist/app.js", None), ("src/.main.js.swp", None),
    ("README.md", None),
])
def test_classify(project: Path, rel: str, kind: str | None) -> None:
    plan = WatchPlan.for_config(load_config(project))
    changes = classify(plan, {(Change.modified, str(project / rel))})
    found = [name for name in ("source", "install", "config") if getattr(changes, name)]
    assert found == ([kind] if kind else []), rel


def test_a_temporary_file_that_came_and_went_is_no_change(project: Path) -> None:
    # `sed -i` (and editors) write a temporary file beside the real one and rename it onto it:
    # the daemon's line then named `src/sedqFpWUW`
    plan = WatchPlan.for_config(load_config(project))
    temporary, real = str(project / "src" / "sedqFpWUW"), str(project / "src" / "main.js")
    changes = classify(plan, {(Change.added, temporary), (Change.modified, temporary), (Change.deleted, temporary),
                              (Change.modified, real)})
    assert changes.source == {real} and changes.describe(project) == "src/main.js"
    gone = classify(plan, {(Change.deleted, real)})  # a file deleted, not created in the batch: a change
    assert gone.source == {real}


def test_classify_new_top_level_folder_rearms(project: Path) -> None:
    plan = WatchPlan.for_config(load_config(project))
    (project / "lib").mkdir()
    assert classify(plan, {(Change.added, str(project / "lib"))}).folders


@pytest.mark.parametrize("name", [".eslintcache", ".DS_Store", "4913", "LICENSE"])
def test_classify_a_root_file_without_suffix_does_not_rearm(project: Path, name: str) -> None:
    """Regression: such a file (eslint's cache replaced atomically, Finder's, vim's write probe)
    re-armed every watch, and a change seen meanwhile was lost."""
    plan = WatchPlan.for_config(load_config(project))
    (project / name).write_text("x")
    assert not classify(plan, {(Change.added, str(project / name))})
    (project / name).unlink()
    assert not classify(plan, {(Change.deleted, str(project / name))})


def test_classify_rearms_for_watched_folders_only(project: Path) -> None:
    plan = WatchPlan.for_config(load_config(project))
    (project / ".cache").mkdir()
    assert not classify(plan, {(Change.added, str(project / ".cache")), (Change.added, str(project / "dist"))})
    (project / "src").rmdir()
    assert classify(plan, {(Change.deleted, str(project / "src"))}).folders


def test_linked_package_changes(project: Path, tmp_path: Path) -> None:
    linked = tmp_path / "lib"
    (linked / "node_modules").mkdir(parents=True)
    plan = WatchPlan.for_config(load_config(project), linked=[linked])
    assert classify(plan, {(Change.modified, str(linked / "src.js"))}).source
    assert classify(plan, {(Change.modified, str(linked / "package.json"))}).install
    assert not classify(plan, {(Change.modified, str(linked / "node_modules" / "x.js"))})


MAP = b'{"imports": {"react": "/d/react.js?v=1"}}'


def test_inject_html_into_head() -> None:
    out = inject_html(b"<!doctype html><html><head><title>x</title></head><body></body></html>", MAP)
    assert out.index(b'<script type="importmap">') < out.index(b"<title>")
    assert b'<script type="module" src="/@prebundle/client.js"></script>' in out


def test_the_injected_import_map_names_its_digest_for_the_client() -> None:
    # the client reloads a page whose import map is not the daemon's at its first hello (a page
    # served while the first run went on)
    out = inject_html(b"<head></head>", MAP, digest=importmap_digest(MAP))
    assert f'<meta name="prebundle-importmap" content="{importmap_digest(MAP)}">'.encode() in out
    assert out.index(b'name="prebundle-importmap"') < out.index(b'<script type="importmap">')


def test_inject_html_keeps_an_existing_import_map_and_handles_fragments() -> None:
    page = b'<head><script type="importmap">{"imports":{}}</script></head>'
    out = inject_html(page, MAP)
    assert out.count(b"importmap") == 1 and b"/@prebundle/client.js" in out
    fragment = inject_html(b'<script type="module" src="/src/main.js"></script>', MAP)
    assert fragment.index(b"importmap") < fragment.index(b"/src/main.js")
    assert b"</script><script>" not in inject_html(b"<head>", b'{"imports": {"x": "</script><script>"}}')


def test_sse_framing_and_close_ends_streams() -> None:
    assert format_event("error", {"message": "a\nb"}) == b'event: error\ndata: {"message":"a\\nb"}\n\n'
    assert format_event("x", "line1\nline2") == b"event: x\ndata: line1\ndata: line2\n\n"

    async def run() -> list[bytes]:
        hub = Broadcaster(ping=0.05)
        received: list[bytes] = []
        arrived = asyncio.Event()

        async def read() -> None:
            async for chunk in hub.stream():
                received.append(chunk)
                arrived.set()

        async def until_received(chunk: bytes) -> None:
            while chunk not in received:
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 2)

        reader = asyncio.create_task(read())
        await until_received(b": ping\n\n")  # an idle stream gets a keep-alive
        hub.publish("reload", {"a": 1})
        await until_received(b'event: reload\ndata: {"a":1}\n\n')
        hub.close()
        await asyncio.wait_for(reader, 2)
        assert hub.subscribers == 0
        return received

    received = run_in_thread(asyncio.run, run())
    assert received[0].startswith(b"retry:") and b": ping\n\n" in received
    assert received[-1] == b'event: reload\ndata: {"a":1}\n\n'


def test_pidfile_claims_refuses_and_takes_over_stale(tmp_path: Path) -> None:
    first = PidFile(tmp_path, tmp_path)
    info = first.acquire("127.0.0.1", 0)
    first.update(port=5999)
    data = json.loads((tmp_path / "daemon.json").read_text())
    assert data["pid"] == os.getpid() and data["port"] == 5999 and data["url"] == "http://127.0.0.1:5999"
    assert set(data) == {"pid", "host", "port", "url", "root", "started", "version", "mode"}
    assert read_daemon(tmp_path).port == 5999 and info.pid == os.getpid()

    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "daemon.json").write_text(json.dumps({**data, "pid": sleeper.pid}))
        with pytest.raises(DaemonRunning, match=f"pid {sleeper.pid}"):
            PidFile(tmp_path, tmp_path).acquire("127.0.0.1", 1)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert read_daemon(tmp_path) is None  # dead pid: stale
    again = PidFile(tmp_path, tmp_path)
    again.acquire("127.0.0.1", 7000)
    assert read_daemon(tmp_path).port == 7000
    assert (tmp_path / "daemon.token").stat().st_mode & 0o777 == 0o600
    again.release()
    assert not (tmp_path / "daemon.json").exists() and not (tmp_path / "daemon.token").exists()


def test_accepted_connections_have_nagle_off() -> None:
    """The daemon's listening socket says it is TCP, so asyncio (under uvicorn) sets TCP_NODELAY
    on every accepted connection: no response waits for the browser's delayed ACK."""
    import socket

    from prebundle.daemon.server import bind_socket

    async def accepted_nodelay() -> int:
        sock = bind_socket("127.0.0.1", 0)
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        class Protocol(asyncio.Protocol):
            def connection_made(self, transport) -> None:
                option = transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                seen.set_result(option)
                transport.close()

        server = await asyncio.get_running_loop().create_server(Protocol, sock=sock)
        port = sock.getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        value = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        return value

    assert run_in_thread(asyncio.run, accepted_nodelay()) != 0
