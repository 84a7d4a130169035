"""A real ``prebundle daemon`` subprocess on a free port, its event stream read on a thread,
and helpers around it (raw HTTP, esbuild processes, code that needs a thread of its own)."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import httpx

from .wait import wait_until

__all__ = ["Daemon", "EventReader", "esbuild_processes", "raw_get", "run_in_thread"]


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
        """Wait until the pid file names this process and its status answers."""
        pidfile = self.cache_dir / "daemon.json"

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            try:
                info = json.loads(pidfile.read_text())
                if info["pid"] == self.proc.pid and info["port"]:
                    httpx.get(info["url"] + "/@prebundle/status", timeout=2)
                    self.url = info["url"]
                    return True
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            return False

        wait_until(listening, timeout, interval=0.05, message=lambda: f"daemon did not start:\n{self.log()}")
        return self

    def status(self) -> dict:
        return httpx.get(self.url + "/@prebundle/status", timeout=5).json()

    def wait_state(self, state: str = "ready", *, runs: int = 1, timeout: float = 30) -> dict:
        """The status once it is ``state`` after at least ``runs`` runs."""

        def reached() -> dict | None:
            status = self.status()
            return status if status["state"] == state and status["runs"] >= runs else None

        return wait_until(reached, timeout, interval=0.05,
                          message=lambda: f"state {state} not reached: {self.status()}\n{self.log()}")

    def wait_runs(self, runs: int, timeout: float = 10) -> dict:
        """The status once at least ``runs`` runs ended and none is under way."""

        def done() -> dict | None:
            status = self.status()
            return status if status["runs"] >= runs and status["state"] != "optimizing" else None

        return wait_until(done, timeout, interval=0.05,
                          message=lambda: f"no run {runs}: {self.status()}\n{self.log()}")

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


Event = tuple[str, object]


class EventReader:
    """Reads a daemon's event stream on a thread: ``next(timeout)`` gives ``(event, data)``, in
    the order the daemon sent them."""

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

    def next(self, timeout: float) -> Event:
        """The next event, or ``("timeout", None)``."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return ("timeout", None)

    def next_of(self, kinds: tuple[str, ...], timeout: float) -> Event:
        """The next event of one of ``kinds``, others skipped; ``("timeout", None)`` when none
        comes in time, ``("closed", None)`` when the stream ends first."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.next(left)
            if event[0] in kinds or event[0] in ("timeout", "closed"):
                return event
        return ("timeout", None)

    def until(self, wanted: Callable[[str, object], bool], timeout: float = 10) -> list[Event]:
        """Every event up to and including the first for which ``wanted(event, data)`` holds; as
        events arrive in order, the ones before it are all the daemon sent before that one.
        Raises ``AssertionError`` when the stream ends or ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        seen: list[Event] = []
        while True:
            item = self.next(max(0.0, deadline - time.monotonic()))
            seen.append(item)
            if item[0] in ("timeout", "closed"):
                raise AssertionError(f"the awaited event did not come; got {seen}")
            if wanted(*item):
                return seen

    def pending(self) -> list[Event]:
        """The events received and not yet taken."""
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
