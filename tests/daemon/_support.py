"""Helpers of the daemon tests: a real ``prebundle daemon`` subprocess on a free port, over an app that links
the real npm packages of fixtures/npm, plus a hand-written package the tests may break."""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
NPM_DIR = REPO / "fixtures" / "npm"
NPM_MODULES = NPM_DIR / "node_modules"

TINY_PACKAGE = {
    "package.json": json.dumps({"name": "tiny-dep", "version": "1.0.0", "type": "module", "main": "index.js"}),
    "index.js": "export const tiny = 'tiny ok';\nexport default function hello() { return 'hello'; }\n",
}


def make_app(root: Path, source: str, *, html: str | None = None) -> Path:
    """``src/main.js`` = ``source``; node_modules links the real packages and holds a copy of
    ``tiny-dep`` (editable, unlike the shared real packages)."""
    if not (NPM_MODULES / "react" / "package.json").is_file():
        pytest.fail("fixtures/npm is not installed: run `make test` (it runs `npm ci` there)")
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(html or '<!doctype html>\n<html><head><title>t</title></head><body>\n'
                                     '<script type="module" src="/src/main.js"></script>\n</body></html>\n')
    (root / "src" / "main.js").write_text(source)
    modules = root / "node_modules"
    modules.mkdir(exist_ok=True)
    for entry in NPM_MODULES.iterdir():
        if not entry.name.startswith(".") and not (modules / entry.name).exists():
            (modules / entry.name).symlink_to(entry, target_is_directory=True)
    tiny = modules / "tiny-dep"
    tiny.mkdir()
    for name, text in TINY_PACKAGE.items():
        (tiny / name).write_text(text)
    lock = json.loads((NPM_DIR / "package-lock.json").read_text())
    lock["packages"]["node_modules/tiny-dep"] = {"version": "1.0.0"}
    (root / "package-lock.json").write_text(json.dumps(lock, indent=2))
    deps = {**lock["packages"][""]["dependencies"], "tiny-dep": "1.0.0"}
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": deps}))
    return root


class Daemon:
    """A running ``prebundle daemon`` subprocess; its URL comes from the pid file."""

    def __init__(self, root: Path, *extra: str) -> None:
        self.root = root
        self.cache_dir = root / "node_modules" / ".vite"
        self.log_path = root.parent / f"daemon-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0", *extra],
            stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )
        self.url = ""

    def wait_listening(self, timeout: float = 30) -> Daemon:
        deadline = time.monotonic() + timeout
        pidfile = self.cache_dir / "daemon.json"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            try:
                info = json.loads(pidfile.read_text())
                if info["pid"] == self.proc.pid and info["port"]:
                    self.url = info["url"]
                    httpx.get(self.url + "/@prebundle/status", timeout=2)
                    return self
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"daemon did not start:\n{self.log()}")

    def status(self) -> dict:
        return httpx.get(self.url + "/@prebundle/status", timeout=5).json()

    def wait_state(self, state: str = "ready", *, runs: int = 1, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status["state"] == state and status["runs"] >= runs:
                return status
            time.sleep(0.05)
        raise AssertionError(f"state {state} not reached: {self.status()}\n{self.log()}")

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode



class EventReader:
    """Reads a daemon's event stream on a thread: ``next(timeout)`` gives ``(event, data)``."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        first = self.next(10)
        assert first[0] == "hello", first

    def _read(self, url: str) -> None:
        event, data = "message", []
        try:
            with self._client.stream("GET", url + "/@prebundle/events") as response:
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        self.events.put((event, json.loads("\n".join(data))))
                        event, data = "message", []
        except (httpx.HTTPError, RuntimeError):
            pass
        self.events.put(("closed", None))

    def next(self, timeout: float) -> tuple[str, object]:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return ("timeout", None)

    def pending(self) -> list:
        items = []
        while not self.events.empty():
            items.append(self.events.get_nowait())
        return items

    def close(self) -> None:
        self._client.close()


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """GET ``path`` sent byte for byte (no client-side normalisation of ``..`` or escapes), with
    ``Host`` the daemon's own unless ``headers`` says otherwise."""
    parsed = urlparse(url)
    fields = {"Host": parsed.netloc, **(headers or {}), "Connection": "close"}
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    with socket.create_connection((parsed.hostname, parsed.port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[-1]


def esbuild_processes(root: Path) -> list[str]:
    """Command lines of running esbuild processes started from ``root``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "esbuild" in cmdline and "--service" in cmdline and str(root) in cmdline:
            found.append(cmdline)
    return found


def run_in_thread(func, *args, timeout: float = 120):
    """``func(*args)`` on a thread of its own, its result or exception returned here. Used for
    ``asyncio.run`` and Playwright's sync API, which refuse to run where another event loop runs
    (a session-wide Playwright of another suite keeps one running on the main thread)."""
    result: dict = {}

    def target() -> None:
        try:
            result["value"] = func(*args)
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            result["error"] = error

    thread = threading.Thread(target=target, name="daemon-test-runner", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise AssertionError(f"{func.__name__} did not finish in {timeout} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")
