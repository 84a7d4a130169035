"""Regressions of the product bugs the reliability runs found (see docs/reliability.md)."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from prebundle import load_config, scan
from prebundle.commit import commit_dir, recover
from prebundle.errors import PrebundleError
from prebundle.interop import InteropCache, analyze
from prebundle.hashing import read_json_file
from prebundle.optimizer import OptimizeResult, _write_failure
from prebundle.metadata import read_metadata
from prebundle.resolve import Resolver, ResolveError

from ._common import PREBUNDLE

DEEP = "[" * 100_000 + "]" * 100_000


def test_json_nested_too_deeply_is_a_warning_not_an_internal_error(tmp_path, caplog):
    # It was "internal error: RecursionError" from every reader of package.json and lockfiles.
    (tmp_path / "package.json").write_text(DEEP)
    with caplog.at_level(logging.WARNING):
        assert read_json_file(tmp_path / "package.json", ignored="ignored") is None
    assert "nested too deeply" in caplog.text
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "_metadata.json").write_text(DEEP)
    assert read_metadata(deps) is None
    package = tmp_path / "node_modules" / "deep"
    package.mkdir(parents=True)
    (package / "package.json").write_text(DEEP)
    (tmp_path / "index.html").write_text("")
    with pytest.raises(ResolveError, match="deep/package.json: cannot read package.json"):
        Resolver(tmp_path).resolve("deep", tmp_path / "index.html")


def test_a_fifo_among_the_sources_does_not_block_the_scan(tmp_path):
    # The scan opened it and waited forever for a writer.
    (tmp_path / "index.html").write_text('<script type="module" src="/main.js"></script>')
    (tmp_path / "main.js").write_text("import './fifo.js'\n")
    os.mkfifo(tmp_path / "fifo.js")
    done = subprocess.run([str(PREBUNDLE), "scan", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "fifo.js:1: skipped: not a regular file" in done.stderr


def test_a_binary_page_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "index.html").write_bytes(b"\x00\x01<script type=module>import 'x'</script>")
    result = scan(load_config(tmp_path), use_cache=False)
    assert result.warnings == ("index.html:1: skipped: binary data, not HTML",)
    assert result.deps == {} and result.missing == {}


def test_an_interop_cache_record_of_another_shape_is_recomputed(tmp_path):
    # A record that was valid JSON but not an object stopped the run: AttributeError.
    entry = tmp_path / "umd.js"
    entry.write_text("(function (root, f) { module.exports = f(); })(this, function () { return { a: 1 }; });\n")
    cache = tmp_path / "cache"
    first = analyze(entry, mode="development", package_dir=tmp_path, package_name="umd", cache=InteropCache(cache))
    records = list(cache.glob("*.json"))
    assert first.evaluated and first.names == ("a",) and records
    for record in records:
        record.write_text("[]")
    again = analyze(entry, mode="development", package_dir=tmp_path, package_name="umd", cache=InteropCache(cache))
    assert again.evaluated and again.names == ("a",)


def test_a_deps_path_that_was_a_file_leaves_nothing_behind(tmp_path):
    # The swapped-out file was "removed" with rmtree, which ignores files: a deps_temp_* file stayed.
    deps = tmp_path / "deps"
    deps.write_text("not a folder")
    staging = tmp_path / "deps_temp_1"
    staging.mkdir()
    (staging / "a.js").write_text("x")
    commit_dir(staging, deps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps"] and (deps / "a.js").is_file()
    (tmp_path / "deps_temp_2").write_text("left by an older run")
    recover(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps"]


def test_a_write_that_fails_for_lack_of_room_is_one_line_saying_so(tmp_path):
    error = _write_failure(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "deps")
    assert isinstance(error, PrebundleError)
    assert str(error) == (f"{tmp_path / 'deps'}: cannot write the new output: No space left on device (free some "
                          "disk space, or set cache_dir in the config to another disk); the previous output is kept")
    assert "ulimit -f" in str(_write_failure(OSError(errno.EFBIG, "File too large"), tmp_path))
    other = OSError(errno.EIO, "I/O error")
    assert _write_failure(other, tmp_path) is other


class _StubDaemon(BaseHTTPRequestHandler):
    """Answers the control route like a daemon whose run succeeded."""

    result: dict = {}

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        body = json.dumps({"ok": True, "result": self.result}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_command_beside_a_starting_daemon_waits_for_it_to_listen(good_app, tmp_path):
    # A daemon writes its pid file before it binds its port (with --port 0, port 0 in the file):
    # a command started then failed with "did not answer ... Connection refused".
    source, env = good_app
    root = tmp_path / "app"
    shutil.copytree(source, root, symlinks=True)
    cache_dir = root / "node_modules" / ".vite"
    info = {"pid": os.getpid(), "host": "127.0.0.1", "port": 0, "url": "http://127.0.0.1:0", "root": str(root),
            "started": "2026-01-01T00:00:00+00:00", "version": "0", "mode": "development"}
    (cache_dir / "daemon.json").write_text(json.dumps(info))
    (cache_dir / "daemon.token").write_text("token")
    _StubDaemon.result = OptimizeResult(cache_dir / "deps", True, ("react",), (), (), 1, 1, "abcd1234", (),
                                        0.1).to_json()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StubDaemon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        command = subprocess.Popen([str(PREBUNDLE)], cwd=root, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        threading.Timer(1.5, lambda: (cache_dir / "daemon.json").write_text(json.dumps(
            {**info, "port": server.server_address[1], "url": f"http://127.0.0.1:{server.server_address[1]}"}))).start()
        output, _ = command.communicate(timeout=60)
    finally:
        server.shutdown()
    assert command.returncode == 0, output
    assert "serves this project: running through it" in output
