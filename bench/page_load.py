"""Page load as the user feels it: the bench app's page in headless Chromium, served by
``prebundle daemon`` (with and without injected ``modulepreload`` links) and by Vite 8's dev
server, side by side.

    python bench/page_load.py [--rounds 7] [--quick] [--no-write]

**Servers.** Each serves its own copy of the bench app (``bench/.work/page-load/<server>/``:
``index.html``, ``src/`` and the lockfile copied, ``node_modules`` hard-linked), so they share no
cache dir with each other or with ``bench/run.py``. ``src/main.js`` imports the bench app's bare
specifiers, then sets ``document.body.dataset.ready``. Every server is started and warmed up before
the rounds (one untimed load each: Vite bundles its deps and transforms ``main.js`` on the first
page; the daemon optimizes before it answers), so "cold" means a cold *browser*, not a cold server.

**The page.** Each copy also gets ``bench.html``: ``index.html`` plus an inline classic script that
runs before the modules. When ``main.js`` sets the ready marker it takes ``performance.now()``
(milliseconds since navigation start), counts requests and bytes in Resource Timing
(``transferSize``: 0 when the browser's cache answered, a few hundred bytes for a 304), posts that
to a collector of this script, and reloads the page once (the warm load). Without a ``report``
query parameter the script does nothing.

**Browsers.** Debian's ``/usr/bin/chromium`` with the browser tests' flags
(``tests/browser/conftest.py``), two ways, both measured every round:

* ``plain``: Chromium started for each cold load with a new profile and the page's URL; no
  DevTools client is attached, as for a user. This is the figure the goals are held to.
* ``playwright``: one browser driven by Playwright, as the tests do; a new context per cold load.
  Playwright enables the DevTools ``Network`` domain on its pages, which costs the browser time on
  every request, so pages with more requests pay more. This mode also records the CPU time of
  the server's and the browser's process trees during each load.

Rounds interleave the servers (their order rotates each round); figures are medians of the rounds,
ratios divide medians of this same run. The section between ``<!-- bench/page_load.py:start -->``
and ``<!-- bench/page_load.py:end -->`` of ``docs/benchmarks.md`` is replaced on each run (not
with ``--no-write``); raw runs go to ``bench/.work/page_load.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work" / "page-load"
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- bench/page_load.py:start -->"
END = "<!-- bench/page_load.py:end -->"
READY_TIMEOUT_S = 60
MODES = ("plain", "playwright")

REPORTER = """<script>
(() => {
  const params = new URLSearchParams(location.search);
  const port = params.get('report');
  if (!port) return;
  performance.setResourceTimingBufferSize(10000);
  const errors = [];
  addEventListener('error', (e) => errors.push(String(e.message || (e.target && (e.target.src || e.target.href)))), true);
  addEventListener('unhandledrejection', (e) => errors.push(String(e.reason)));
  new MutationObserver((_, observer) => {
    if (!(document.body && document.body.dataset.ready)) return;
    const ready = performance.now();
    observer.disconnect();
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
      .filter((e) => !e.name.includes('/@prebundle/events'));
    for (const e of entries) if (e.responseStatus >= 400) errors.push(`HTTP ${e.responseStatus}: ${e.name}`);
    const warm = sessionStorage.getItem('bench-warm') === '1';
    const report = {
      run: params.get('run'), warm, ready, errors, requests: entries.length,
      network: entries.filter((e) => e.transferSize > 0).length,
      bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
      last: Math.max(...entries.map((e) => e.responseEnd)),
    };
    fetch(`http://127.0.0.1:${port}/`, {method: 'POST', mode: 'no-cors', body: JSON.stringify(report)})
      .finally(() => { if (!warm) { sessionStorage.setItem('bench-warm', '1'); location.reload(); } });
  }).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready']});
})();
</script>
"""
"""Put into ``bench.html`` right after ``<head>``: it runs before the page's module scripts."""


# -- the servers -------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    label: str
    argv: list[str]
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    """Known in advance for Vite; read from the pid file for a daemon."""
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(WORK / f"{self.name}.log", "wb") as log:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env={**os.environ, **self.env}, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        _kill_group(self.proc)

    def cpu_seconds(self) -> float:
        """User + system time so far of the processes in the server's session."""
        from measure import TICKS, tree_rss

        ticks: dict[int, int] = {}
        tree_rss(self.proc.pid, ticks)
        return sum(ticks.values()) / TICKS

    def wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 300  # a daemon's first start on a new copy bundles everything
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited: see {WORK / (self.name + '.log')}")
            try:
                if self._ready(httpx):
                    return
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not become ready: see {WORK / (self.name + '.log')}")

    def _ready(self, httpx) -> bool:
        if self.url:
            return httpx.get(self.url + "/", timeout=5).status_code == 200
        info = json.loads((self.root / "node_modules/.vite/daemon.json").read_text())
        if info.get("pid") != self.proc.pid:
            return False
        status = httpx.get(info["url"] + "/@prebundle/status", timeout=5).json()
        if status["state"] == "error":
            raise SystemExit(f"{self.name}: {status.get('error')}")
        if status["state"] == "ready":
            self.url = info["url"]
            return True
        return False


def _kill_group(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_copy(name: str) -> Path:
    """``bench/.work/page-load/<name>``: the bench app with hard-linked ``node_modules`` (made again
    when the lockfile changed), its page and sources copied afresh, and ``bench.html``."""
    import run

    app = BENCH / "app"
    copy = WORK / name
    run.ensure_second_app(types.SimpleNamespace(app=app, second=copy))
    page = (app / "index.html").read_text()
    (copy / "index.html").write_text(page)
    head = page.index(">", page.index("<head")) + 1
    (copy / "bench.html").write_text(page[:head] + "\n" + REPORTER + page[head:])
    shutil.rmtree(copy / "src")
    shutil.copytree(app / "src", copy / "src")
    return copy


def servers(node: str, prebundle: list[str]) -> list[Server]:
    vite8 = BENCH / "peers" / "vite8"
    port = free_port()
    root = app_copy("vite8")
    out = [Server("vite8", "Vite 8 dev server", [
        node, str(vite8 / "node_modules/vite/bin/vite.js"), "--config", str(vite8 / "vite.config.mjs"), str(root),
        "--host", "127.0.0.1", "--port", str(port), "--strictPort"],
        root, {"BENCH_VITE_CACHE_DIR": str(WORK / "vite8-cache")}, url=f"http://127.0.0.1:{port}")]
    esbuild = {"ESBUILD_BINARY_PATH": str(BENCH / "peers/esbuild/node_modules/esbuild/bin/esbuild")}
    for name, label, preload in (("prebundle", "prebundle daemon", "0"),
                                 ("prebundle-preload", "prebundle daemon + modulepreload", "1")):
        root = app_copy(name)
        out.append(Server(name, label, [*prebundle, "daemon", str(root), "--port", "0", "--log-level", "warning"],
                          root, {**esbuild, "PREBUNDLE_MODULEPRELOAD": preload}))
    return out


# -- measuring one cold load and its reload ----------------------------------------------------

class Collector:
    """Receives the reports ``bench.html`` posts, by run id."""

    def __init__(self) -> None:
        self.reports: queue.Queue = queue.Queue()
        reports = self.reports

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(204)
                self.end_headers()
                try:
                    reports.put(json.loads(body))
                except ValueError:
                    pass

            def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, name="page-load-collector", daemon=True).start()
        self.runs = 0

    def next_run(self) -> str:
        self.runs += 1
        return str(self.runs)

    def wait(self, run: str, warm: bool) -> dict:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                report = self.reports.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no {'warm' if warm else 'cold'} report within {READY_TIMEOUT_S} s") from None
            if report.get("run") == run and report.get("warm") == warm:
                return report

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Load:
    ready_ms: float
    requests: int
    network: int
    """Requests that reached the server (a 304 included); the others came from the browser's cache."""
    bytes: int
    last_response_ms: float
    errors: list[str]
    server_cpu_s: float | None = None
    browser_cpu_s: float | None = None


def _load(report: dict) -> Load:
    return Load(report["ready"], report["requests"], report["network"], report["bytes"], report["last"],
                report["errors"])


def descendants_cpu_seconds(skip: set[int]) -> float:
    """CPU time so far of this script's descendants (Playwright's driver and its Chromium),
    without the trees rooted at ``skip`` (the servers)."""
    ticks, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if pid != os.getpid():
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            continue
        todo.extend(int(c) for c in children if int(c) not in skip)
    return ticks / os.sysconf("SC_CLK_TCK")


def plain_loads(chromium: Path, args: list[str], server: Server, collector: Collector) -> tuple[Load, Load]:
    """Chromium started with a new profile on the page; no DevTools client."""
    run = collector.next_run()
    url = f"{server.url}/bench.html?report={collector.port}&run={run}"
    with tempfile.TemporaryDirectory(prefix="page-load-profile-") as profile:
        proc = subprocess.Popen([str(chromium), *args, f"--user-data-dir={profile}", url], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            cold = _load(collector.wait(run, False))
            warm = _load(collector.wait(run, True))
        finally:
            _kill_group(proc)
    return cold, warm


def playwright_loads(browser, server: Server, collector: Collector, skip: set[int]) -> tuple[Load, Load]:
    """A new context of the Playwright-driven browser, with the CPU used by server and browser."""
    run = collector.next_run()
    context = browser.new_context()
    try:
        page = context.new_page()
        cpu = [(server.cpu_seconds(), descendants_cpu_seconds(skip))]
        page.goto(f"{server.url}/bench.html?report={collector.port}&run={run}", wait_until="commit")
        loads = []
        for warm in (False, True):
            loads.append(_load(collector.wait(run, warm)))
            cpu.append((server.cpu_seconds(), descendants_cpu_seconds(skip)))
        for index, load in enumerate(loads):
            load.server_cpu_s = cpu[index + 1][0] - cpu[index][0]
            load.browser_cpu_s = cpu[index + 1][1] - cpu[index][1]
        return loads[0], loads[1]
    finally:
        context.close()


# -- the run -----------------------------------------------------------------------------------

def ensure_venv() -> None:
    """Run in the project's ``.venv`` with the test extras (Playwright, httpx), made if missing."""
    venv = ROOT / ".venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print("creating .venv (pip install -e '.[test]')", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
    try:
        import httpx  # noqa: F401
        import playwright  # noqa: F401
        import prebundle  # noqa: F401
    except ImportError:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    chromium, _ = chromium_settings()
    if not chromium.is_file():
        raise SystemExit(f"{chromium} is missing: run `make chromium` (Debian's chromium; no browser is downloaded)")


def chromium_settings() -> tuple[Path, list[str]]:
    """``CHROMIUM`` and ``CHROMIUM_ARGS`` of the browser tests, so both drive the same browser."""
    spec = importlib.util.spec_from_file_location("browser_conftest", ROOT / "tests/browser/conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.CHROMIUM, list(module.CHROMIUM_ARGS)


Results = dict[str, dict[str, list[tuple[Load, Load]]]]
"""mode → server → [(cold, warm), ...]"""


def _show(prefix: str, cold: Load, warm: Load) -> None:
    bad = cold.errors + warm.errors
    print(f"  {prefix}: cold {cold.ready_ms:.0f} ms ({cold.network} req, {cold.bytes / 1e6:.1f} MB), "
          f"warm {warm.ready_ms:.0f} ms ({warm.network}/{warm.requests} to the server)"
          + (f" ERRORS ({len(bad)}): {bad[0]}" if bad else ""), flush=True)


def measure_rounds(all_servers: list[Server], rounds: int) -> tuple[Results, str]:
    from playwright.sync_api import sync_playwright

    chromium, args = chromium_settings()
    collector = Collector()
    skip = {s.proc.pid for s in all_servers}
    results: Results = {mode: {s.name: [] for s in all_servers} for mode in MODES}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=args)
            version = browser.version
            try:
                loaders = {"plain": lambda s: plain_loads(chromium, args, s, collector),
                           "playwright": lambda s: playwright_loads(browser, s, collector, skip)}
                for server in all_servers:  # untimed: Vite bundles its deps on its first page
                    _show(f"warm-up {server.name}", *loaders["playwright"](server))
                for index in range(rounds):
                    shift = index % len(all_servers)
                    for mode in MODES:
                        for server in all_servers[shift:] + all_servers[:shift]:
                            cold, warm = loaders[mode](server)
                            results[mode][server.name].append((cold, warm))
                            _show(f"round {index + 1}/{rounds} {mode} {server.name}", cold, warm)
            finally:
                browser.close()
    finally:
        collector.close()
    return results, version


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summary(runs: list[tuple[Load, Load]]) -> dict[str, float]:
    row: dict[str, float] = {}
    for kind, index in (("cold", 0), ("warm", 1)):
        loads = [run[index] for run in runs]
        ready = [x.ready_ms for x in loads]
        row.update({f"{kind}_ms": _median(ready), f"{kind}_min": min(ready), f"{kind}_max": max(ready),
                    f"{kind}_requests": _median([x.requests for x in loads]),
                    f"{kind}_network": _median([x.network for x in loads]),
                    f"{kind}_bytes": _median([x.bytes for x in loads]),
                    f"{kind}_last_response": _median([x.last_response_ms for x in loads]),
                    f"{kind}_errors": sum(len(x.errors) for x in loads)})
        if loads and loads[0].server_cpu_s is not None:
            row[f"{kind}_server_cpu"] = _median([x.server_cpu_s for x in loads])
            row[f"{kind}_browser_cpu"] = _median([x.browser_cpu_s for x in loads])
    return row


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _goal(value: float, ref: float) -> str:
    return f"{value / ref:.2f} {'✓' if value <= ref else '✗'}"


def _table(rows: dict[str, dict[str, float]], labels: dict[str, str]) -> list[str]:
    vite = rows["vite8"]
    lines = ["| Server | Cold: ready | min – max | requests | transferred | Warm reload: ready | min – max "
             "| to the server / all | vs Vite 8: cold | warm |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        ratios = "| |" if name == "vite8" else \
            f"| {_goal(row['cold_ms'], vite['cold_ms'])} | {_goal(row['warm_ms'], vite['warm_ms'])} |"
        lines.append(
            f"| {labels[name]} | {_ms(row['cold_ms'])} | {_ms(row['cold_min'])} – {_ms(row['cold_max'])} "
            f"| {row['cold_requests']:.0f} | {row['cold_bytes'] / 1e6:.1f} MB | {_ms(row['warm_ms'])} "
            f"| {_ms(row['warm_min'])} – {_ms(row['warm_max'])} | {row['warm_network']:.0f} / {row['warm_requests']:.0f} "
            f"{ratios}")
    return lines


def markdown(rows: dict[str, dict[str, dict[str, float]]], labels: dict[str, str], header: list[str],
             rounds: int) -> str:
    plain, driven = rows["plain"], rows["playwright"]
    lines = [START, "## Page load (`bench/page_load.py`)", "",
             "_Written by `python bench/page_load.py`; everything between the markers is replaced on each run._", "",
             *header, "",
             "**What the user feels**: Chromium started with a new profile for each cold load, no DevTools "
             "client attached. Goals: cold and warm ≤ 1.0 × Vite 8 (✓ met, ✗ missed).", "",
             *_table(plain, labels), "",
             "**Driven by Playwright**, as the tests do (a new context per cold load; Playwright's DevTools "
             "`Network` domain costs the browser time on every request, so the page with more requests pays more):", "",
             *_table(driven, labels), "",
             "Where a cold load's time goes (Playwright runs, medians): when the page's last response ended, "
             "and the CPU time the server's process tree and the browser (Chromium and Playwright's driver) "
             "used from navigation to the ready marker (cold) and during the reload (warm).", "",
             "| Server | Cold: ready | last response ended | server CPU | browser CPU | Warm: ready | server CPU | browser CPU |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in driven.items():
        lines.append(f"| {labels[name]} | {_ms(row['cold_ms'])} | {_ms(row['cold_last_response'])} "
                     f"| {row['cold_server_cpu']:.2f} s | {row['cold_browser_cpu']:.2f} s | {_ms(row['warm_ms'])} "
                     f"| {row['warm_server_cpu']:.2f} s | {row['warm_browser_cpu']:.2f} s |")
    errors = sum(r["cold_errors"] + r["warm_errors"] for mode in rows.values() for r in mode.values())
    lines += ["", f"{rounds} rounds, each with both ways of driving the browser, servers interleaved (order "
              "rotated each round); cold = new profile or context, warm = a reload in it; ready = the page's "
              "`performance.now()` when `main.js` set `document.body.dataset.ready`; requests and bytes from "
              "Resource Timing up to then (the page itself included; Vite's deps carry inline source maps, "
              f"hence its bytes). Page or HTTP errors seen: {errors}.", END]
    return "\n".join(lines) + "\n"


def header_lines(started: datetime, seconds: float, loads: tuple[str, str], chromium: str, node: str,
                 prebundle: list[str]) -> list[str]:
    import run

    info = run.machine()
    vers = run.versions(node, prebundle)
    dirty = run._out(["git", "status", "--porcelain", "--untracked-files=all", "prebundle"])
    return [
        f"- Date: {started.strftime('%Y-%m-%d %H:%M UTC')}; {seconds:.0f} s in all.",
        f"- Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, {info['os']}; "
        f"load average (1/5/15 min) before {loads[0]}, after {loads[1]}.",
        f"- Versions: Chromium {chromium} (headless), node {vers['node']}, vite 8 {vers['vite 8']}, "
        f"prebundle {vers['prebundle']}{' with uncommitted changes in prebundle/' if dirty and dirty != '?' else ''}.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, help="rounds (default 7, --quick 3)")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--no-write", action="store_true", help="don't write docs/benchmarks.md")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 7)

    ensure_venv()
    sys.path.insert(0, str(BENCH))
    import run

    for folder in ("app", "peers/esbuild", "peers/vite8"):
        run.npm_ci(BENCH / folder)
    if "document.body.dataset.ready" not in (BENCH / "app/src/main.js").read_text():
        raise SystemExit("bench/app/src/main.js must set document.body.dataset.ready after its imports")
    WORK.mkdir(parents=True, exist_ok=True)
    node = os.environ.get("BENCH_NODE") or shutil.which("node") or "node"
    prebundle = run.prebundle_command()
    all_servers = servers(node, prebundle)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds, so the servers are stopped
    started = datetime.now(timezone.utc)
    try:
        for server in all_servers:
            server.start()
        for server in all_servers:
            server.wait_ready()
            print(f"{server.name} ready at {server.url}", flush=True)
        load_before = run.load()
        results, chromium = measure_rounds(all_servers, rounds)
        load_after = run.load()
    finally:
        for server in all_servers:
            server.stop()
    seconds = (datetime.now(timezone.utc) - started).total_seconds()
    rows = {mode: {name: summary(runs) for name, runs in by_server.items()} for mode, by_server in results.items()}
    header = header_lines(started, seconds, (load_before, load_after), chromium, node, prebundle)
    text = markdown(rows, {s.name: s.label for s in all_servers}, header, rounds)
    print(text)
    raw = {"header": header, "summary": rows, "runs": {mode: {name: [{"cold": asdict(c), "warm": asdict(w)}
                                                                      for c, w in runs]
                                                               for name, runs in by_server.items()}
                                                        for mode, by_server in results.items()}}
    (BENCH / ".work" / "page_load.json").write_text(json.dumps(raw, indent=2) + "\n")
    if not args.no_write:
        from report import write_section

        write_section(DOC, text, START, END)
        print("wrote docs/benchmarks.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
