"""Cost of a no-op plugin with every hook, on the example app's scan and optimize (goal ≤ 10%).

Interleaved A B A B runs in one process, median of N (default 7) each:

* scan, cache off (every file parsed, every hook called), without and with the plugin; the
  example app's scan takes about a millisecond, so each sample is the mean of 50 scans;
* optimize --force (every package built), without and with the plugin.

The plugin's ``transform`` is ``async`` (the costlier kind to call from synchronous code);
``--sync`` makes every hook a plain function.

    .venv/bin/python bench/plugins.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prebundle import Plugin, load_config, optimize, scan  # noqa: E402

APP = REPO / "examples" / "demo"
SCAN_REPEAT = 50


def noop_plugin(*, sync: bool = False) -> Plugin:
    async def transform(code, id_):
        return None

    if sync:
        transform = lambda code, id_: None  # noqa: E731

    return Plugin(
        "noop",
        config=lambda config, env: None,
        config_resolved=lambda config: None,
        resolve_id=lambda source, importer, options: None,
        load=lambda id_: None,
        transform=transform,
        transform_index_html=lambda html, ctx: None,
        configure_server=lambda server: None,
        handle_hot_update=lambda ctx: None,
    )


def timed(fn, repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sync", action="store_true", help="a plugin whose hooks are all sync")
    args = parser.parse_args()
    if not (APP / "node_modules" / "react").is_dir():
        print("examples/demo is not installed: run `make npm` first", file=sys.stderr)
        return 1
    plain = load_config(APP)
    plugged = load_config(APP, overrides={"plugins": [noop_plugin(sync=args.sync)]})
    figures: dict[str, list[float]] = {k: [] for k in ("scan", "scan+plugin", "optimize", "optimize+plugin")}
    optimize(plain, force=True)  # warm the esbuild service and the interop cache
    for _ in range(args.runs):
        figures["scan"].append(timed(lambda: scan(plain, use_cache=False), SCAN_REPEAT))
        figures["scan+plugin"].append(timed(lambda: scan(plugged, use_cache=False), SCAN_REPEAT))
        figures["optimize"].append(timed(lambda: optimize(plain, force=True)))
        figures["optimize+plugin"].append(timed(lambda: optimize(plugged, force=True)))
    print(f"{'figure':<18}{'median':>10}{'min-max':>20}")
    for name, values in figures.items():
        print(f"{name:<18}{statistics.median(values) * 1000:>8.1f} ms"
              f"{min(values) * 1000:>10.1f}-{max(values) * 1000:.1f} ms")
    for base in ("scan", "optimize"):
        ratio = statistics.median(figures[base + "+plugin"]) / statistics.median(figures[base])
        fastest = min(figures[base + "+plugin"]) / min(figures[base])
        print(f"{base}: no-op plugin costs {100 * (ratio - 1):+.1f}% by medians, "
              f"{100 * (fastest - 1):+.1f}% by fastest runs (goal ≤ +10%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
