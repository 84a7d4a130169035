"""The daemon under load, and idle for a day: figures for docs/reliability.md.

* **Load**: a real ``prebundle daemon`` over the compat app (fixtures/compat, 55 packages) with
  200 open event streams and 20,000 requests from 50 concurrent keep-alive clients (entries with
  their ``?v=``, chunks, the import map, status, ``If-None-Match`` revalidations, pages, sources,
  the client script). The load generator is this file run with ``--loadgen`` in a process of its
  own (raw asyncio sockets), so it never shares the daemon's event loop. While it runs, a source
  file gains an import of a package not imported yet: every stream must get ``reload``. The
  daemon's RSS, open fds and threads (``/proc/<pid>``) are taken idle before, at their peak
  during, after the streams closed abruptly and a settle time, and after a second round (which
  tells a leak from the first round's one-time warm-up).
* **Broadcaster**: the same app in-process (uvicorn in a thread) so the event loop can be
  inspected: after streams are cut (RST, FIN), no subscriber queue and no task is left.
* **Idle for a day**: 10,000 file events that change nothing (source files touched or rewritten
  with the same bytes; writes in ignored places: ``__pycache__``, editor swap and backup files,
  the output dir, ``node_modules/.cache``, ``.git``, the cache dir, a root dotfile replaced
  atomically). RSS, fds and threads after 1,000 and after 10,000 events; no optimize, no event
  on the streams; CPU time of the daemon and of its esbuild service.

    .venv/bin/python bench/reliability_load.py [--quick]    # prints the markdown section

``run(quick=False) -> str`` gives the section (bench/reliability.py includes it);
``measure(Params(...), work)`` gives the raw ``Figures`` (tests/reliability/test_load.py).
The file is long because it is self-contained: the load generator runs this same file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

__all__ = ["Figures", "Params", "measure", "run"]

IMMUTABLE = "max-age=31536000,immutable"
DEPS_URL = "/node_modules/.vite/deps/"


@dataclass(frozen=True)
class Params:
    """One configuration of the benchmark (``FULL``, ``QUICK``; the tests make smaller ones)."""

    app: str = "compat"
    """``compat`` (fixtures/compat, 55 packages) or ``npm`` (fixtures/npm, 7 packages: fast)."""
    streams: int = 200
    requests: int = 20_000
    clients: int = 50
    second_round: int = 10_000
    """Requests of the second round (same streams, no re-optimize); 0 skips it."""
    idle_events: int = 10_000
    idle_checkpoint: int = 1_000
    tick_seconds: float = 0.12
    """Pause between ticks of idle events (5 events a tick): more than the watcher's quiet window."""
    settle_seconds: float = 5.0
    reload_timeout: float = 120.0
    broadcaster_streams: int = 200
    log_level: str = "info"


FULL = Params()
QUICK = Params(streams=100, requests=5_000, clients=50, second_round=2_000, idle_events=2_000,
               idle_checkpoint=500, broadcaster_streams=100)


@dataclass
class Figures:
    """Everything measured; ``render`` turns it into markdown, the tests assert on it."""

    params: dict
    machine: dict = field(default_factory=dict)
    app: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    second: dict = field(default_factory=dict)
    reload: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)
    """Snapshots of the daemon: ``idle``, ``streams_open``, ``peak``, ``after``, ``after_second``."""
    broadcaster: dict = field(default_factory=dict)
    idle: dict = field(default_factory=dict)
    log_problems: list = field(default_factory=list)
    exit_code: int | None = None


# -- the apps ---------------------------------------------------------------------------------


@dataclass
class App:
    root: Path
    trigger_file: Path
    """The source file that gains ``import ... from "<new_package>"`` during the load."""
    new_package: str
    pages: list[str]
    sources: list[str]
    touch: list[Path]
    """Source files touched (no change) during the idle phase."""


def make_app(kind: str, root: Path) -> App:
    if kind == "compat":
        from tests.browser.conftest import make_compat_root

        make_compat_root(root)
        pages = sorted(f"/{p.relative_to(root).as_posix()}" for p in (root / "cases").glob("*.html"))
        sources = sorted(f"/{p.relative_to(root).as_posix()}" for p in (root / "src").rglob("*.js"))
        touch = [root / "src" / "run.js", root / "src" / "cases" / "react.js", root / "cases" / "vue.html"]
        app = App(root, root / "src" / "run.js", "picocolors", pages, sources, touch)
    elif kind == "npm":
        app = _npm_app(root)
    else:
        raise ValueError(f"unknown app {kind!r}")
    # Places a day of work writes to, all ignored; made now so their creation is not an event.
    for folder in ("dist/assets", "node_modules/.cache/eslint", ".git", "src/__pycache__"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return app


def _npm_app(root: Path) -> App:
    npm = REPO / "fixtures" / "npm"
    (root / "src").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html>\n<html><head><title>load</title></head><body>\n'
                                     '<script type="module" src="/src/main.js"></script>\n</body></html>\n')
    imports = ["react", "react-dom/client", "lodash-es", "moment", "preact", "classnames", "prop-types"]
    (root / "src" / "main.js").write_text("".join(f'import * as m{i} from "{spec}";\n'
                                                  for i, spec in enumerate(imports))
                                          + f"console.log({', '.join(f'm{i}' for i in range(len(imports)))});\n")
    (root / "src" / "util.js").write_text("export const answer = 42;\n")
    shutil.copy(npm / "package.json", root / "package.json")
    shutil.copy(npm / "package-lock.json", root / "package-lock.json")
    (root / "node_modules").mkdir()
    for entry in (npm / "node_modules").iterdir():
        if not entry.name.startswith("."):
            (root / "node_modules" / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return App(root, root / "src" / "main.js", "dayjs", ["/index.html"], ["/src/main.js", "/src/util.js"],
               [root / "src" / "main.js", root / "src" / "util.js", root / "index.html"])


# -- the daemon process and /proc -------------------------------------------------------------


class Daemon:
    """A ``prebundle daemon`` subprocess on a free port, its output in a log file."""

    def __init__(self, root: Path, log_path: Path, *, log_level: str, env: dict[str, str]) -> None:
        self.root = root
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "prebundle", "daemon", str(root), "--port", "0",
                                      "--log-level", log_level], stdout=self._log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **env}, cwd=REPO)
        self.pid = self.proc.pid
        self.url = ""
        self.port = 0

    def wait_ready(self, timeout: float = 600) -> dict:
        import httpx

        deadline = time.monotonic() + timeout
        pidfile = self.root / "node_modules" / ".vite" / "daemon.json"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                info = json.loads(pidfile.read_text())
                if info["pid"] == self.pid and info["port"]:
                    self.url, self.port = info["url"], int(info["port"])
                    status = httpx.get(self.url + "/@prebundle/status", timeout=5).json()
                    if status["state"] == "ready" and status["runs"] >= 1:
                        return status
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daemon not ready after {timeout} s:\n{self.log()[-3000:]}")

    def status(self) -> dict:
        import httpx

        return httpx.get(self.url + "/@prebundle/status", timeout=30).json()

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def snapshot(pid: int) -> dict:
    """RSS (MB), open fds (and how many are sockets), threads of one process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    fds = sockets = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        fds += 1
        sockets += target.startswith("socket:")
    return {"rss_mb": round(rss, 1), "fds": fds, "sockets": sockets, "threads": threads}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> float:
    """CPU seconds of the live children of ``pid`` (the esbuild service)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for child in children:
        try:
            total += cpu_seconds(int(child))
        except OSError:
            pass
    return total


class Sampler:
    """Samples a process every 50 ms on a thread; ``peak`` holds the highest value of each figure."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                now = snapshot(self.pid)
            except (OSError, AttributeError):
                continue
            for key, value in now.items():
                self.peak[key] = max(self.peak.get(key, value), value)


def settle(pid: int, target_fds: int, seconds: float) -> tuple[dict, float]:
    """Wait until the daemon holds at most ``target_fds`` (or ``seconds`` passed), then 1 s more."""
    started = time.monotonic()
    while time.monotonic() - started < seconds and snapshot(pid)["fds"] > target_fds:
        time.sleep(0.1)
    waited = time.monotonic() - started
    time.sleep(1.0)
    return snapshot(pid), round(waited, 1)


def loadavg() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> dict:
    model = ""
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    except (OSError, AttributeError):
        pass
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    import uvicorn

    return {"cores": os.cpu_count(), "cpu": model, "ram_gb": round(mem, 1), "kernel": platform.release(),
            "python": platform.python_version(), "uvicorn": uvicorn.__version__}


# -- the load generator (this file with --loadgen, in a process of its own) --------------------

WEIGHTS = {"entry": 40, "chunk": 20, "revalidate": 20, "importmap": 7, "status": 5, "page": 4,
           "source": 3, "client": 1}
"""The request mix, as a page load and its reloads make it: mostly deps files with their ``?v=``."""
KEEP_ALIVE_REQUESTS = 100
"""A client drops its connection after this many requests on average (``Connection: close``)."""


def _emit(kind: str, **data) -> None:
    print(json.dumps({"kind": kind, **data}), flush=True)


class _Conn:
    """One keep-alive HTTP/1.1 connection over asyncio streams."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.used = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        self.used = 0

    def close(self, *, reset: bool = False) -> None:
        if self.writer is not None:
            if reset:
                sock = self.writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.writer.transport.abort() if reset else self.writer.close()
        self.reader = self.writer = None

    async def request(self, path: str, headers: dict[str, str], *, close: bool) -> tuple[int, dict, bytes]:
        if self.writer is None:
            await self.open()
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: */*",
                 *(f"{k}: {v}" for k, v in headers.items()), *(["Connection: close"] if close else [])]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.used += 1
        status, head = await _read_head(self.reader)
        if status in (204, 304):
            body = b""
        elif "content-length" in head:
            body = await self.reader.readexactly(int(head["content-length"]))
        elif head.get("transfer-encoding", "").lower() == "chunked":
            body = b"".join([chunk async for chunk in _chunks(self.reader)])
        else:
            body = await self.reader.read()
            close = True
        if close or head.get("connection", "").lower() == "close":
            self.close()
        return status, head, body


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict]:
    raw = await reader.readuntil(b"\r\n\r\n")
    first, *rest = raw.decode("latin-1").split("\r\n")
    head = {}
    for line in rest:
        if ":" in line:
            key, value = line.split(":", 1)
            head[key.strip().lower()] = value.strip()
    return int(first.split(" ", 2)[1]), head


async def _chunks(reader: asyncio.StreamReader):
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readline()
            return
        yield (await reader.readexactly(size + 2))[:-2]


class _Stream:
    """One open ``/@prebundle/events`` stream: the events it got, with their arrival times."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.conn: _Conn | None = None
        self.events: list[tuple[str, float, str]] = []
        self.hello = asyncio.Event()
        self.ended: str | None = None
        self.closing = False
        self.task: asyncio.Task | None = None

    async def open(self, host: str, port: int) -> None:
        self.conn = _Conn(host, port)
        await self.conn.open()
        self.conn.writer.write(f"GET /@prebundle/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                               "Accept: text/event-stream\r\n\r\n".encode())
        status, head = await _read_head(self.conn.reader)
        if status != 200:
            raise RuntimeError(f"events: HTTP {status}")
        chunked = head.get("transfer-encoding", "").lower() == "chunked"
        self.task = asyncio.create_task(self._read(chunked))
        await asyncio.wait_for(self.hello.wait(), 30)

    async def _read(self, chunked: bool) -> None:
        buffer = b""
        try:
            pieces = _chunks(self.conn.reader) if chunked else _raw(self.conn.reader)
            async for piece in pieces:
                buffer += piece
                while b"\n\n" in buffer:
                    message, buffer = buffer.split(b"\n\n", 1)
                    self._message(message.decode())
            self.ended = "closed by the server"
        except (OSError, asyncio.IncompleteReadError, ValueError, AttributeError) as error:
            self.ended = f"{type(error).__name__}: {error}"
        if self.closing:
            self.ended = None

    def _message(self, text: str) -> None:
        name, data = "message", []
        for line in text.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if not data:
            return  # a comment (ping) or the retry line
        self.events.append((name, time.monotonic(), "\n".join(data)))
        if name == "hello":
            self.hello.set()

    def first(self, name: str) -> tuple[float, str] | None:
        return next(((at, data) for event, at, data in self.events if event == name), None)


async def _raw(reader: asyncio.StreamReader):
    while piece := await reader.read(65536):
        yield piece


async def _open_streams(spec: dict) -> list[_Stream]:
    streams = [_Stream(i) for i in range(spec["streams"])]
    gate = asyncio.Semaphore(20)  # the daemon's listen backlog is 128

    async def one(stream: _Stream) -> None:
        async with gate:
            await stream.open(spec["host"], spec["port"])

    results = await asyncio.gather(*(one(s) for s in streams), return_exceptions=True)
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    _emit("streams", opened=sum(s.hello.is_set() for s in streams), errors=errors[:10])
    return streams


class _Load:
    """The request phase: ``clients`` workers share one counter of ``requests``."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.total = spec["requests"]
        self.trigger_at = int(self.total * spec["trigger_fraction"]) if spec["trigger"] else -1
        self.next = 0
        self.samples: list[tuple[str, float, float]] = []
        """(kind, start time (monotonic), seconds)."""
        self.errors: list[str] = []
        self.statuses: dict[str, dict[int, int]] = {}
        self.not_immutable = 0
        self.retried = 0
        self.bytes = 0
        self.triggered_at: float | None = None

    async def run(self) -> dict:
        started = time.monotonic()
        await asyncio.gather(*(self._client(i) for i in range(self.spec["clients"])))
        return self._summary(time.monotonic() - started)

    async def _client(self, index: int) -> None:
        rng = random.Random(index)
        conn = _Conn(self.spec["host"], self.spec["port"])
        cache: dict[str, str] = {}
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        while self.next < self.total:
            number, self.next = self.next, self.next + 1
            if number == self.trigger_at:
                self.triggered_at = time.monotonic()
                _emit("trigger", done=number)
            kind = rng.choices(kinds, weights)[0]
            path, headers = self._target(kind, rng, cache)
            close = rng.random() < 1 / KEEP_ALIVE_REQUESTS
            begun = time.monotonic()
            try:
                status, head, body = await asyncio.wait_for(self._send(conn, path, headers, close), 60)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as error:
                self.errors.append(f"{kind} {path}: {type(error).__name__}: {error}")
                conn.close()
                continue
            self.samples.append((kind, begun, time.monotonic() - begun))
            self.bytes += len(body)
            self.statuses.setdefault(kind, {}).setdefault(status, 0)
            self.statuses[kind][status] += 1
            self._check(kind, path, headers, status, head, body, cache)
        conn.close()

    async def _send(self, conn: _Conn, path: str, headers: dict, close: bool):
        reused = conn.writer is not None and conn.used > 0
        try:
            return await conn.request(path, headers, close=close)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as error:
            if not reused or getattr(error, "partial", b""):
                raise
            # The server closed an idle keep-alive connection as the request went out: browsers
            # retry such a request on a new connection, so does this client (and counts it).
            self.retried += 1
            conn.close()
            return await conn.request(path, headers, close=close)

    def _target(self, kind: str, rng: random.Random, cache: dict) -> tuple[str, dict]:
        spec = self.spec
        if kind == "revalidate" and cache:
            path = rng.choice(list(cache))
            return path, {"If-None-Match": cache[path]}
        if kind in ("entry", "revalidate"):
            return rng.choice(spec["entries"]), {}
        if kind == "chunk":
            return rng.choice(spec["chunks"] or spec["entries"]), {}
        fixed = {"importmap": "/@prebundle/importmap.json", "status": "/@prebundle/status",
                 "client": "/@prebundle/client.js"}
        if kind in fixed:
            return fixed[kind], {}
        return rng.choice(spec["pages"] if kind == "page" else spec["sources"]), {}

    def _check(self, kind: str, path: str, headers: dict, status: int, head: dict, body: bytes,
               cache: dict) -> None:
        expected = (200, 304) if kind in ("revalidate", "client") else (200,)
        if status not in expected:
            self.errors.append(f"{kind} {path}: HTTP {status}: {body[:200]!r}")
            return
        if kind == "revalidate" and status == 200 and head.get("etag") == headers.get("If-None-Match"):
            self.errors.append(f"{kind} {path}: 200 for a matching ETag")
        if kind == "entry" and head.get("cache-control") != IMMUTABLE:
            self.not_immutable += 1
        if kind in ("importmap", "status"):
            try:
                json.loads(body)
            except ValueError:
                self.errors.append(f"{kind}: not JSON: {body[:200]!r}")
        if kind == "page" and b'type="importmap"' not in body:
            self.errors.append(f"{kind} {path}: no import map injected")
        if status == 200 and kind in ("entry", "chunk", "revalidate") and "etag" in head:
            cache[path] = head["etag"]

    def _summary(self, seconds: float) -> dict:
        times = [s for _, _, s in self.samples]
        by_kind = {kind: _percentiles([s for k, _, s in self.samples if k == kind]) for kind in WEIGHTS}
        return {"requests": self.total, "answered": len(self.samples),
                "seconds": round(seconds, 2), "rate": round(len(self.samples) / seconds),
                "mb": round(self.bytes / 2**20),
                "errors": len(self.errors), "error_samples": self.errors[:20], "retried": self.retried,
                "not_immutable": self.not_immutable, "latency": _percentiles(times), "by_kind": by_kind,
                "statuses": {k: {str(s): n for s, n in v.items()} for k, v in self.statuses.items()},
                "triggered_at": self.triggered_at, "starts": [b for _, b, _ in self.samples],
                "times": times}


def _percentiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    ms = lambda s: round(s * 1000, 2)  # noqa: E731
    return {"n": len(values), "p50": ms(cuts[49]), "p95": ms(cuts[94]), "p99": ms(cuts[98]), "max": ms(max(values))}


async def _command() -> list[str]:
    return (await asyncio.to_thread(sys.stdin.readline)).split()


async def _loadgen(spec: dict) -> None:
    streams = await _open_streams(spec)
    while (command := await _command()) and command[0] != "close":
        if command[0] == "go":
            summary = await _Load({**spec, **json.loads(" ".join(command[1:]))}).run()
            _emit("requests", **summary)
        elif command[0] == "wait_reload":
            deadline = time.monotonic() + float(command[1])
            while time.monotonic() < deadline and not all(s.first("reload") or s.ended for s in streams):
                await asyncio.sleep(0.02)
            _emit("reload", streams=[{"reload": s.first("reload"), "ended": s.ended,
                                      "events": [name for name, _, _ in s.events]} for s in streams])
    # Cut the streams as browsers do: a third reset (tab killed), a third closed (tab closed),
    # a third left for the kernel to close when this process exits.
    for stream in streams:
        stream.closing = True
        if stream.index % 3 < 2 and stream.conn is not None:
            stream.conn.close(reset=stream.index % 3 == 0)
    _emit("closed", ended_early=[s.ended for s in streams if s.ended][:10])
    os._exit(0)


def _loadgen_main() -> None:
    spec = json.loads(sys.stdin.readline())
    asyncio.run(_loadgen(spec))


class LoadGen:
    """The orchestrator's side of a ``--loadgen`` process: commands in, JSON lines out."""

    def __init__(self, spec: dict, stderr_path: Path) -> None:
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--loadgen"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True, bufsize=1)
        self.messages: list[dict] = []
        self._lock = threading.Condition()
        threading.Thread(target=self._read, name="loadgen-reader", daemon=True).start()
        self.send(json.dumps(spec))

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._lock:
                self.messages.append(json.loads(line))
                self._lock.notify_all()
        with self._lock:
            self.messages.append({"kind": "exited"})
            self._lock.notify_all()

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, kind: str, timeout: float, *, on: dict | None = None) -> dict:
        """The next message of ``kind``; ``on`` maps other kinds to callbacks run on arrival."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                while self.messages:
                    message = self.messages.pop(0)
                    if message["kind"] == kind:
                        return message
                    if on and message["kind"] in on:
                        on[message["kind"]](message)
                    elif message["kind"] == "exited":
                        raise RuntimeError(f"load generator exited: {self.stderr()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"load generator: no {kind!r} in {timeout} s")
                self._lock.wait(left)

    def stderr(self) -> str:
        self._stderr.flush()
        return Path(self._stderr.name).read_text(errors="replace")[-3000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("close")
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


# -- the load phase -----------------------------------------------------------------------------


def targets(app: App, daemon: Daemon) -> dict:
    deps = app.root / "node_modules" / ".vite" / "deps"
    importmap = json.loads((deps / "importmap.json").read_text())["imports"]
    entries = sorted({url for url in importmap.values() if url.startswith(DEPS_URL)})
    chunks = sorted(DEPS_URL + p.name for p in deps.glob("chunk-*.js"))
    return {"host": "127.0.0.1", "port": daemon.port, "entries": entries, "chunks": chunks,
            "pages": app.pages, "sources": app.sources}


def add_import(app: App) -> None:
    """The edit that makes the daemon re-optimize: a package not imported yet."""
    text = app.trigger_file.read_text()
    app.trigger_file.write_text(f'import * as newDependency from "{app.new_package}";\n'
                                f"globalThis.newDependency = newDependency;\n{text}")


def load_phase(app: App, daemon: Daemon, params: Params, figures: Figures, work: Path) -> None:
    """Round 1: streams, requests, the re-optimize; round 2: the same without it. Each round
    ends with the streams cut and a settle time."""
    spec = {**targets(app, daemon), "streams": params.streams, "clients": params.clients}
    figures.app.update(entries=len(spec["entries"]), chunks=len(spec["chunks"]))
    figures.memory["idle"] = {**snapshot(daemon.pid), "load": loadavg()}
    with Sampler(daemon.pid) as sampler:
        result, streams, triggered = _round(app, daemon, spec, params.requests, params, work / "loadgen-1.log",
                                            figures)
        figures.memory["peak"] = dict(sampler.peak)
    figures.load.update(_load_figures(result))
    figures.reload = _reload_figures(streams, triggered, result, app, daemon)
    after, waited = settle(daemon.pid, figures.memory["idle"]["fds"], params.settle_seconds * 2)
    figures.memory["after"] = {**after, "settled_in": waited}
    if params.second_round:
        spec = {**targets(app, daemon), "streams": params.streams, "clients": params.clients}
        result, _, _ = _round(app, daemon, spec, params.second_round, params, work / "loadgen-2.log", None)
        figures.second = _load_figures(result)
        after, waited = settle(daemon.pid, figures.memory["idle"]["fds"], params.settle_seconds * 2)
        figures.memory["after_second"] = {**after, "settled_in": waited}


def _round(app: App, daemon: Daemon, spec: dict, requests: int, params: Params, log: Path,
           figures: Figures | None) -> tuple[dict, list[dict], float | None]:
    """One load generator: open the streams, send the requests (re-optimizing at 40 % when
    ``figures`` is given), wait for ``reload`` on every stream, cut them."""
    gen = LoadGen(spec, log)
    triggered: dict = {}

    def trigger(message: dict) -> None:
        add_import(app)
        triggered["at"] = time.monotonic()

    try:
        opened = gen.expect("streams", 120)
        if figures is not None:
            figures.load["streams"] = {"opened": opened["opened"], "errors": opened["errors"]}
            time.sleep(0.5)
            figures.memory["streams_open"] = snapshot(daemon.pid)
        before = loadavg()
        gen.send("go " + json.dumps({"requests": requests, "trigger": figures is not None, "trigger_fraction": 0.4}))
        result = gen.expect("requests", 3600, on={"trigger": trigger})
        result["load_before"] = before
        streams: list[dict] = []
        if figures is not None:
            gen.send(f"wait_reload {params.reload_timeout}")
            streams = gen.expect("reload", params.reload_timeout + 30)["streams"]
        else:
            result["streams_opened"] = opened["opened"]
        gen.send("close")
        result["ended_early"] = gen.expect("closed", 60)["ended_early"]
    finally:
        gen.close()
    return result, streams, triggered.get("at")


def _load_figures(result: dict) -> dict:
    keep = ("requests", "answered", "seconds", "rate", "mb", "errors", "error_samples", "retried",
            "not_immutable", "latency", "by_kind", "statuses", "ended_early", "streams_opened")
    return {**{k: result[k] for k in keep if k in result}, "load": f"{result['load_before']} → {loadavg()}"}


def _reload_figures(streams: list[dict], triggered: float | None, result: dict, app: App,
                    daemon: Daemon) -> dict:
    got = [s["reload"] for s in streams if s["reload"]]
    out = {"package": app.new_package, "streams": len(streams), "reloaded": len(got),
           "ended_early": [s["ended"] for s in streams if s["ended"]][:5],
           "other_events": sorted({e for s in streams for e in s["events"]} - {"hello", "reload"}),
           "added": sorted({a for _, data in got for a in json.loads(data).get("added", [])})}
    if triggered is None or not got:
        return out
    delays = sorted(at - triggered for at, _ in got)
    out["save_to_reload_ms"] = {"min": round(delays[0] * 1000), "median": round(statistics.median(delays) * 1000),
                                "max": round(delays[-1] * 1000)}
    window = [t for start, t in zip(result["starts"], result["times"]) if triggered <= start <= triggered + delays[-1]]
    out["during"] = _percentiles(window)
    status = daemon.status()
    imports = json.loads(httpx_get(daemon.url + "/@prebundle/importmap.json"))["imports"]
    url = imports.get(app.new_package, "")
    out["new_file_status"] = _status_of(daemon.url + url) if url else None
    out["last_run"] = {k: status["last_run"][k] for k in ("added", "built", "reload", "optimize_seconds", "seconds")}
    return out


def httpx_get(url: str) -> bytes:
    import httpx

    return httpx.get(url, timeout=30).content


def _status_of(url: str) -> int:
    import httpx

    return httpx.get(url, timeout=30).status_code


# -- the broadcaster in-process: no queue, no task left after abrupt disconnects ---------------


def broadcaster_check(root: Path, count: int) -> dict:
    """The daemon's app on uvicorn in a thread of this process (serving what is on disk, no
    runs), ``count`` streams opened, sent a ``reload``, then cut: RST, FIN, or both directions
    shut down. Returns the subscribers and asyncio tasks before, with the streams, and after."""
    import uvicorn

    from prebundle.config import load_config
    from prebundle.daemon.app import create_app
    from prebundle.daemon.state import DaemonState

    state = DaemonState(load_config(root))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(state), log_level="warning", lifespan="off",
                                           access_log=False, timeout_graceful_shutdown=1))
    box: dict = {}

    async def serve() -> None:
        box["loop"] = asyncio.get_running_loop()
        await server.serve(sockets=[listener])

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="broadcaster-check", daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def on_loop(func):
        async def call():
            return func()
        return asyncio.run_coroutine_threadsafe(call(), box["loop"]).result(10)

    def figures() -> dict:
        return on_loop(lambda: {"subscribers": state.broadcaster.subscribers, "tasks": len(asyncio.all_tasks())})

    out: dict = {"streams": count, "before": figures()}
    clients = []
    try:
        for _ in range(count):
            client = socket.create_connection(("127.0.0.1", port), timeout=10)
            client.sendall(f"GET /@prebundle/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            clients.append([client, _read_until(client, b"event: hello", b"")])
        out["open"] = figures()
        on_loop(lambda: state.broadcaster.publish("reload", {"browserHash": "check"}))
        out["reloaded"] = sum(b"event: reload" in _read_until(c, b"event: reload", seen) for c, seen in clients)
        for index, (client, _) in enumerate(clients):
            if index % 3 == 0:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif index % 3 == 2:
                client.shutdown(socket.SHUT_RDWR)
            client.close()
        started = time.monotonic()
        while time.monotonic() - started < 10 and figures() != out["before"]:
            time.sleep(0.05)
        out["after"] = figures()
        out["cleared_in_s"] = round(time.monotonic() - started, 2)
        on_loop(lambda: state.broadcaster.publish("reload", {"browserHash": "nobody"}))
        out["after_publish"] = figures()
    finally:
        for client, _ in clients:
            client.close()
        box["loop"].call_soon_threadsafe(state.stopping)
        server.should_exit = True
        thread.join(15)
        state.close()
    return out


def _read_until(client: socket.socket, marker: bytes, seen: bytes) -> bytes:
    deadline = time.monotonic() + 10
    while marker not in seen and time.monotonic() < deadline:
        piece = client.recv(65536)
        if not piece:
            break
        seen += piece
    return seen


# -- idle for a day -----------------------------------------------------------------------------

EVENTS_PER_TICK = 5
"""One source file touched (or rewritten with its bytes), four writes in ignored places."""


def _ignored_writes(root: Path) -> list:
    def write(rel: str, data: bytes = b""):
        return lambda: (root / rel).write_bytes(data or os.urandom(64))

    def replace(rel: str):
        def run() -> None:
            (root / f"{rel}.tmp").write_bytes(os.urandom(64))
            os.replace(root / f"{rel}.tmp", root / rel)
        return run

    return [write("src/__pycache__/main.cpython-311.pyc"), write("src/.main.js.swp"), write("src/main.js~"),
            write("dist/assets/index.js"), write("node_modules/.cache/eslint/state.json"), write(".git/index"),
            write("node_modules/.vite/_other_tool.json"), replace(".eslintcache")]


def _touch(path: Path, tick: int) -> None:
    if tick % 2:
        path.write_bytes(path.read_bytes())
    else:
        os.utime(path)


class _EventWatch:
    """One event stream read on a thread during the idle phase: it must stay silent."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=None)
        self.sock.sendall(f"GET /@prebundle/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        self.data = b""
        self.thread = threading.Thread(target=self._read, name="idle-events", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while piece := self.sock.recv(65536):
                self.data += piece
        except OSError:
            pass

    def events(self) -> list[str]:
        return re.findall(r"event: (\w+)", self.data.decode(errors="replace"))

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)


def _metadata_stamp(root: Path) -> tuple:
    st = (root / "node_modules" / ".vite" / "deps" / "_metadata.json").stat()
    return (st.st_ino, st.st_mtime_ns)


def _quiet(daemon: Daemon) -> dict:
    """Wait until no run is in flight or pending (runs stable for 0.5 s), then 1 s more."""
    last = daemon.status()
    while True:
        time.sleep(0.5)
        now = daemon.status()
        if now["state"] != "optimizing" and now["runs"] == last["runs"]:
            time.sleep(1.0)
            return now
        last = now


def idle_phase(app: App, daemon: Daemon, params: Params) -> dict:
    writes = _ignored_writes(app.root)
    watch = _EventWatch(daemon.port)
    stamp = _metadata_stamp(app.root)
    status = _quiet(daemon)
    start = {"runs": status["runs"], "cpu": cpu_seconds(daemon.pid), "esbuild_cpu": children_cpu(daemon.pid),
             "at": time.monotonic(), **snapshot(daemon.pid)}
    checkpoints = {}
    events = tick = 0
    while events < params.idle_events:
        _touch(app.touch[tick % len(app.touch)], tick)
        for k in range(EVENTS_PER_TICK - 1):
            writes[(tick * (EVENTS_PER_TICK - 1) + k) % len(writes)]()
        events += EVENTS_PER_TICK
        tick += 1
        if events in (params.idle_checkpoint, params.idle_events):
            status = _quiet(daemon)
            checkpoints[events] = {
                "runs": status["runs"] - start["runs"], "cpu": round(cpu_seconds(daemon.pid) - start["cpu"], 2),
                "esbuild_cpu": round(children_cpu(daemon.pid) - start["esbuild_cpu"], 2),
                "seconds": round(time.monotonic() - start["at"]), "last_run": status["last_run"],
                **snapshot(daemon.pid)}
        time.sleep(params.tick_seconds)
    watch.close()
    return {"start": start, "checkpoints": checkpoints, "ticks": tick, "events": events,
            "stream_events": [e for e in watch.events() if e != "hello"],
            "output_unchanged": _metadata_stamp(app.root) == stamp}


# -- the whole run, and its report ----------------------------------------------------------------

LOG_PROBLEM = re.compile(r"Traceback|Exception|Error|error|WARNING|Warning|destroyed|never retrieved")


def measure(params: Params, work: Path, *, env: dict[str, str] | None = None) -> Figures:
    """Run every phase in ``work``; ``env`` is added to the daemon's environment (default: a
    machine-wide package cache of its own, so every package is really built)."""
    figures = Figures(params=asdict(params), machine=machine())
    app = make_app(params.app, work / "app")
    if env is None:
        env = {"PREBUNDLE_CACHE_DIR": str(work / "shared-cache")}
    started = time.monotonic()
    daemon = Daemon(app.root, work / "daemon.log", log_level=params.log_level, env=env)
    startup_log = 0
    try:
        status = daemon.wait_ready()
        startup_log = len(daemon.log())
        deps = app.root / "node_modules" / ".vite" / "deps"
        figures.app = {"name": params.app, "ids": len(status["deps"]), "files": len(list(deps.iterdir())),
                       "startup_s": round(time.monotonic() - started, 1), "pid": daemon.pid}
        time.sleep(2.0)
        load_phase(app, daemon, params, figures, work)
        figures.idle = idle_phase(app, daemon, params)
    finally:
        figures.exit_code = daemon.stop()
        log = daemon.log()
        # The first optimize's warnings (packages whose CommonJS exports the sandbox could not
        # evaluate) are the optimizer's, known and counted apart; anything after is the daemon's.
        figures.app["startup_warnings"] = sum(bool(LOG_PROBLEM.search(x)) for x in log[:startup_log].splitlines())
        figures.log_problems = [x for x in log[startup_log:].splitlines() if LOG_PROBLEM.search(x)][:20]
    figures.broadcaster = broadcaster_check(app.root, params.broadcaster_streams)
    figures.machine["load_end"] = loadavg()
    return figures


def render(f: Figures, *, quick: bool) -> str:
    p, m, a, load, rel = f.params, f.machine, f.app, f.load, f.reload
    lat = load["latency"]
    mem = f.memory
    lines = [
        "## The daemon under load, and idle for a day",
        "",
        f"`bench/reliability_load.py`{' --quick' if quick else ''}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; "
        f"{m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Linux {m['kernel']}, Python {m['python']}, "
        f"uvicorn {m['uvicorn']} (h11); a shared machine, other jobs running.",
        f"App: `fixtures/{a['name']}` copied, {a['ids']} optimized ids, {a['files']} files in the deps dir "
        f"({a['entries']} entry URLs, {a['chunks']} chunks); daemon started and first optimize in {a['startup_s']} s.",
        "",
        "### Load",
        "",
        f"{p['streams']} event streams open, then {load['requests']:,} requests from {p['clients']} concurrent "
        "keep-alive clients in a separate process (raw asyncio sockets; about 1 request in 100 closes its "
        "connection). Mix: " + ", ".join(f"{k} {w} %" for k, w in WEIGHTS.items()) + " (entries with their "
        "`?v=`; revalidations send the ETag of a file the client fetched before). At 40 % of the requests, "
        f"`{rel['package']}` (not imported yet) is imported by a source file.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| load average (1/5/15 min) before → after | {load['load']} |",
        f"| streams open (`hello` received) | {load['streams']['opened']} of {p['streams']} |",
        f"| requests answered / errors | {load['answered']:,} / {load['errors']} |",
        "| requests retried on a fresh connection (keep-alive closed by the server as the request went out) | "
        f"{load['retried']} |",
        f"| entries with `?v=` not answered `immutable` | {load['not_immutable']} |",
        f"| wall time, rate, bytes | {load['seconds']} s, {load['rate']:,} requests/s, {load['mb']} MB |",
        f"| latency p50 / p95 / p99 / max | {_lat(lat)} |",
        *(f"| — {kind} ({load['by_kind'][kind]['n']:,}; {_statuses(load['statuses'].get(kind, {}))}) | "
          f"{_lat(load['by_kind'][kind])} |" for kind in WEIGHTS if load["by_kind"][kind].get("n", 0) > 1),
        f"| re-optimize: `reload` received on | {rel['reloaded']} of {rel['streams']} streams "
        f"(data `added`: {', '.join(rel['added']) or '-'}; other events: {', '.join(rel['other_events']) or 'none'}) |",
        f"| save → `reload` on the streams, min / median / max | {_ms3(rel.get('save_to_reload_ms'))} |",
        f"| the daemon's run (`last_run`) | {_run(rel.get('last_run'))} |",
        "| latency while re-optimizing (requests started between the save and the last `reload`) | "
        f"{_lat(rel.get('during', {}))} |",
        f"| the new package's file, fetched after `reload` | HTTP {rel.get('new_file_status')} |",
    ]
    if f.second:
        s = f.second
        lines.append(f"| second round ({s['requests']:,} requests, {s.get('streams_opened')} streams, no re-optimize): "
                     f"errors, latency | {s['errors']}, {_lat(s['latency'])} (load {s['load']}) |")
    lines += [
        "",
        "Memory and file descriptors of the daemon process (`/proc/<pid>/status`, `/proc/<pid>/fd`; peak sampled "
        "every 50 ms). The streams are cut at the end of each round: a third reset (RST), a third closed (FIN), "
        "a third left for the kernel when the load generator exits; then the daemon settles.",
        "",
        "| when | RSS | open fds (sockets) | threads |",
        "|---|---|---|---|",
        *(f"| {label} | {mem[key]['rss_mb']:.0f} MB | {mem[key]['fds']} ({mem[key]['sockets']}) | "
          f"{mem[key]['threads']} |"
          for key, label in (("idle", "idle, before"), ("streams_open", f"{p['streams']} streams open"),
                             ("peak", "peak during round 1"), ("after", "after round 1, streams cut, settled"),
                             ("after_second", "after round 2, streams cut, settled")) if key in mem),
        "",
        f"Sockets back to the idle count {mem['after']['settled_in']} s after the streams were cut. The RSS after "
        "round 1 includes one-time growth (the re-optimize, first use of every code path, the allocator's "
        "arenas); round 2 against round 1 is the leak check.",
    ]
    lines += _render_broadcaster(f.broadcaster) + _render_idle(f.idle, p)
    problems = f.log_problems
    lines += ["", f"Daemon log after the first optimize: {len(problems)} warning or error lines"
              + (": " + "; ".join(f"`{x[:120]}`" for x in problems[:5]) if problems else "")
              + f" (the first optimize logged {f.app.get('startup_warnings', 0)}, the optimizer's warnings about "
              "CommonJS packages its sandbox could not evaluate); exit code after SIGTERM "
              f"{f.exit_code}. Load average at the end: {f.machine['load_end']}.", ""]
    return "\n".join(lines)


def _lat(d: dict) -> str:
    if "p50" not in d:
        return "-"
    return f"{d['p50']:.1f} / {d['p95']:.1f} / {d['p99']:.1f} / {d['max']:.0f} ms"


def _ms3(d: dict | None) -> str:
    return f"{d['min']} / {d['median']} / {d['max']} ms" if d else "-"


def _run(d: dict | None) -> str:
    if not d:
        return "-"
    return (f"added {', '.join(d['added'])}; built {', '.join(d['built'])}; "
            f"optimize {d['optimize_seconds'] * 1000:.0f} ms "
            f"of {d['seconds'] * 1000:.0f} ms")


def _statuses(d: dict) -> str:
    return ", ".join(f"{n:,}× {s}" for s, n in sorted(d.items()))


def _render_broadcaster(b: dict) -> list[str]:
    return [
        "",
        "### Event streams cut abruptly (in-process)",
        "",
        f"The daemon's app on uvicorn in a thread of the bench (so its event loop can be inspected), {b['streams']} "
        f"streams, a `reload` published (received by {b['reloaded']}), then the sockets cut (RST, FIN, shutdown):",
        "",
        "| | subscriber queues | asyncio tasks |",
        "|---|---|---|",
        *(f"| {label} | {b[key]['subscribers']} | {b[key]['tasks']} |" for key, label in
          (("before", "before"), ("open", "streams open"), ("after", f"after the cut ({b['cleared_in_s']} s)"),
           ("after_publish", "after one more `reload`"))),
    ]


def _render_idle(i: dict, p: dict) -> list[str]:
    first, last = (i["checkpoints"][k] for k in sorted(i["checkpoints"]))
    start = i["start"]
    n1, n2 = sorted(i["checkpoints"])
    runs = last["runs"] or 1
    return [
        "",
        "### Idle for a day",
        "",
        f"{i['events']:,} file events in {i['ticks']:,} ticks {p['tick_seconds'] * 1000:.0f} ms apart: "
        "each tick touches "
        "a source file (`utime`, or rewritten with the same bytes, in turn) and writes four files in ignored places "
        "(`src/__pycache__/*.pyc`, `src/.main.js.swp`, `src/main.js~`, `dist/assets/`, `node_modules/.cache/`, "
        "`.git/index`, a file in the cache dir, `.eslintcache` replaced atomically at the root).",
        "",
        f"| | start | after {n1:,} events | after {n2:,} events |",
        "|---|---|---|---|",
        f"| RSS | {start['rss_mb']:.1f} MB | {first['rss_mb']:.1f} MB | {last['rss_mb']:.1f} MB |",
        f"| open fds (sockets) | {start['fds']} ({start['sockets']}) | {first['fds']} ({first['sockets']}) | "
        f"{last['fds']} ({last['sockets']}) |",
        f"| threads | {start['threads']} | {first['threads']} | {last['threads']} |",
        f"| runs (rescans) since start | | {first['runs']:,} | {last['runs']:,} |",
        f"| daemon CPU since start | | {first['cpu']:.2f} s | {last['cpu']:.2f} s "
        f"({last['cpu'] / runs * 1000:.1f} ms a run) |",
        f"| esbuild service CPU since start | | {first['esbuild_cpu']:.2f} s | {last['esbuild_cpu']:.2f} s |",
        f"| wall time | | {first['seconds']} s | {last['seconds']} s |",
        "",
        f"RSS from {n1:,} to {n2:,} events: {last['rss_mb'] - first['rss_mb']:+.1f} MB; "
        f"fds {last['fds'] - first['fds']:+d}. "
        f"Last run: optimized {last['last_run']['optimized']}, reload {last['last_run']['reload']}. "
        f"Output dir untouched: {i['output_unchanged']}. "
        f"Events on an open stream: {', '.join(i['stream_events']) or 'none'}.",
    ]


def run(quick: bool = False) -> str:
    """The markdown section (for docs/reliability.md), from a fresh run."""
    with tempfile.TemporaryDirectory(prefix="prebundle-reliability-load-") as tmp:
        work = Path(tmp)
        figures = measure(QUICK if quick else FULL, work)
        (REPO / "bench" / ".work").mkdir(exist_ok=True)
        raw = json.dumps(asdict(figures), indent=1, default=str)
        (REPO / "bench" / ".work" / "reliability_load.json").write_text(raw)
    return render(figures, quick=quick)


def main() -> None:
    if "--loadgen" in sys.argv:
        _loadgen_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer streams, requests and events")
    args = parser.parse_args()
    print(run(quick=args.quick))


if __name__ == "__main__":
    main()
