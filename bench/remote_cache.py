"""A second machine with a warm team cache, against the esbuild floor, over WebDAV and Redis.

    python bench/remote_cache.py [--runs N]

**The setting.** A team shares built packages on a remote cache (issue "A team's cache"). One
machine built the bench app (``bench/app``, 42 packages) and uploaded every package; another
machine, with an empty machine-wide cache and a fresh checkout, runs ``prebundle`` on the same
app: it should download every package and build none. Both servers are Debian's, started here
on loopback as the tests start them (``tests/support/stores.py``): nginx with WebDAV, and
redis-server.

**The figures** (wall time of the whole command from the outside, CPU time and peak memory of
its process tree, ``bench/measure.py``):

* ``esbuild-floor``: the esbuild CLI bundling the bench app's specifiers in one build, as
  ``bench/run.py``'s floor (source maps on, as prebundle writes them for development).
* ``second-machine-webdav`` / ``second-machine-redis``: ``prebundle <copy of the app>`` with
  ``PREBUNDLE_CACHE_DIR`` a new empty folder and ``PREBUNDLE_REMOTE_CACHE`` the server: the
  project cache and the machine-wide cache are removed before each run.
* ``second-project-local``: the same app copy with the machine-wide cache warm and no remote
  (what the remote tier adds to the machine-wide cache's reuse).

Each figure runs once untimed, then in interleaved rounds; values are medians, ratios divide two
medians of this run. The bytes moved are the downloads the run recorded (``runs.json``), beside
the bytes of the packages' files. Raw runs go to ``bench/.work/remote_cache.json``. Each run's
output and caches are set aside before the next (``set_aside.py``: renamed, deleted after the
last round), for every figure alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from project_venv import ensure_venv

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work" / "remote-cache"
APP = BENCH / "app"
FLOOR_ESBUILD = BENCH / "peers" / "esbuild" / "node_modules" / "esbuild" / "bin" / "esbuild"


def main() -> None:
    ensure_venv(__file__)
    sys.path[:0] = [str(ROOT), str(BENCH)]
    import gen_tree
    from measure import measure
    from set_aside import empty_trash, set_aside

    from tests.support.stores import NginxDav, RedisServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    if not (APP / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=APP, check=True)
    if not FLOOR_ESBUILD.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FLOOR_ESBUILD.parents[3],
                       check=True)
    set_aside(WORK)  # the last bench's folders: deleted after this one's rounds
    WORK.mkdir(parents=True)
    import compileall  # prebundle runs byte-compiled, as pip leaves it

    compileall.compile_dir(str(ROOT / "prebundle"), quiet=2)

    specifiers = gen_tree.load_specifiers()
    prebundle = str(ROOT / ".venv" / "bin" / "prebundle")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PREBUNDLE_") and k != "PYTHONDONTWRITEBYTECODE"}
    base_env["ESBUILD_BINARY_PATH"] = str(FLOOR_ESBUILD)

    dav = NginxDav(WORK / "nginx")
    redis = RedisServer(WORK / "redis")
    dav.start()
    redis.start()
    try:
        remotes = {"webdav": f"{dav.url}/team", "redis": redis.url}
        for name, url in remotes.items():  # one machine builds the app and uploads every package
            builder = app_copy(f"builder-{name}")
            env = {**base_env, "PREBUNDLE_CACHE_DIR": str(WORK / f"builder-{name}-cache"), "PREBUNDLE_REMOTE_CACHE": url}
            done = subprocess.run([prebundle, str(builder)], env=env, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"the builder's run failed:\n{done.stdout}{done.stderr}")
        second = app_copy("second")
        warm_cache = WORK / "builder-webdav-cache"
        floor_out = WORK / "floor-out"

        def floor():
            set_aside(floor_out)
            entries = ["".join(c if c.isalnum() or c == "-" else "_" for c in spec) + f"={spec}" for spec in specifiers]
            return measure([str(FLOOR_ESBUILD), *entries, "--bundle", "--format=esm", "--splitting",
                            "--platform=browser", "--sourcemap", '--define:process.env.NODE_ENV="development"',
                            f"--outdir={floor_out}", "--log-level=warning"], cwd=APP, env=base_env)

        def second_machine(remote: str):
            def run():
                cache = WORK / "second-cache"
                set_aside(second / "node_modules" / ".vite", cache)
                return measure([prebundle, str(second)], cwd=ROOT,
                               env={**base_env, "PREBUNDLE_CACHE_DIR": str(cache), "PREBUNDLE_REMOTE_CACHE": remotes[remote]})
            return run

        def second_project():
            set_aside(second / "node_modules" / ".vite")
            return measure([prebundle, str(second)], cwd=ROOT, env={**base_env, "PREBUNDLE_CACHE_DIR": str(warm_cache)})

        figures = {"esbuild-floor": floor, "second-machine-webdav": second_machine("webdav"),
                   "second-machine-redis": second_machine("redis"), "second-project-local": second_project}
        runs: dict[str, list] = {name: [] for name in figures}
        caches: dict[str, dict] = {}
        for round_ in range(args.runs + 1):
            for name, figure in figures.items():
                result = figure()
                if not result.ok:
                    sys.exit(f"{name} failed:\n{result.output[-3000:]}")
                if name.startswith("second-"):
                    built = "0 packages built" in result.stdout
                    if not built:
                        sys.exit(f"{name} built packages; the cache was not used:\n{result.output[-2000:]}")
                    caches[name] = last_cache(second)
                if round_:  # the first round warms the OS caches and is not counted
                    runs[name].append(result)
    finally:
        dav.stop()
        redis.stop()
        empty_trash()
    report(runs, caches, args.runs)


def app_copy(name: str) -> Path:
    """The bench app with its own ``node_modules`` (hard links: other paths, the same bytes)."""
    target = WORK / name
    target.mkdir(parents=True)
    for item in ("package.json", "package-lock.json", "index.html"):
        shutil.copyfile(APP / item, target / item)
    shutil.copytree(APP / "src", target / "src")
    subprocess.run(["cp", "-al", str(APP / "node_modules"), str(target / "node_modules")], check=True)
    shutil.rmtree(target / "node_modules" / ".vite", ignore_errors=True)
    return target


def last_cache(root: Path) -> dict:
    history = json.loads((root / "node_modules" / ".vite" / "runs.json").read_text())["runs"]
    return history[-1].get("cache") or {}


def report(runs: dict[str, list], caches: dict[str, dict], rounds: int) -> None:
    medians = {name: statistics.median(r.wall_s for r in items) for name, items in runs.items()}
    cpu = {name: statistics.median(r.cpu_s for r in items) for name, items in runs.items()}
    peak = {name: max(r.peak_rss for r in items) for name, items in runs.items()}
    floor = medians["esbuild-floor"]
    lines = [f"{rounds} interleaved rounds, load {os.getloadavg()[0]:.2f} at the end", "",
             "| figure | wall (median) | CPU | peak memory | / esbuild floor | downloaded | packages |",
             "|---|---|---|---|---|---|---|"]
    for name in runs:
        cache = caches.get(name, {})
        down = f"{cache.get('remote_bytes_down', 0) / 1048576:.1f} MB" if cache.get("remote") else ""
        local = cache.get("local_bytes", 0) or 0
        packages = (f"{cache.get('remote_hits', 0)} downloaded" if cache.get("remote") else
                    f"{cache.get('local_hits', 0)} reused ({local / 1048576:.1f} MB)" if cache else "")
        lines.append(f"| {name} | {medians[name] * 1000:.0f} ms | {cpu[name] * 1000:.0f} ms | "
                     f"{peak[name] / 1048576:.0f} MB | {medians[name] / floor:.2f} x | {down} | {packages} |")
    text = "\n".join(lines)
    print(text)
    (BENCH / ".work" / "remote_cache.json").write_text(json.dumps({
        "medians_s": medians, "cpu_s": cpu, "peak_rss": peak, "caches": caches,
        "runs": {name: [r.wall_s for r in items] for name, items in runs.items()}}, indent=2))


if __name__ == "__main__":
    main()
