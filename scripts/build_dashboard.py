"""Rebuild the dashboard's vendored chart library: ``prebundle/dashboard/static/echarts.min.js``.

The chart library is Apache ECharts, pinned by ``dashboard/package-lock.json``. This script runs
``npm ci`` there, bundles ``dashboard/entry.js`` (the treemap and graph charts, tooltips and the
canvas renderer; nothing else of the library) with prebundle's own esbuild client into one
minified ES module, and writes the licence texts of every package that ended up in it beside it
(``echarts.LICENSE.txt``). The vendored files ship with the Python package, so users of the
dashboard and of ``prebundle report`` need no npm.

    .venv/bin/python scripts/build_dashboard.py            # npm ci, then bundle
    .venv/bin/python scripts/build_dashboard.py --no-install   # bundle what is installed

The output is deterministic: the same lockfile and esbuild version give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from prebundle import esbuild  # noqa: E402
from prebundle.commit import atomic_write  # noqa: E402

SOURCE = REPO / "dashboard"
"""The npm project pinning the chart library, and the entry naming the parts used."""
ENTRY = SOURCE / "entry.js"
STATIC = REPO / "prebundle" / "dashboard" / "static"
OUTPUT = STATIC / "echarts.min.js"
"""The vendored bundle the dashboard imports."""
LICENSES = STATIC / "echarts.LICENSE.txt"
"""The licence texts of the packages inside ``OUTPUT``."""
LICENSE_NAMES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "NOTICE", "licenses")
"""Files (and one folder of files) in a package that hold its licence and notices."""


def npm_ci() -> None:
    """Install exactly what the lockfile says (no install scripts run)."""
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=SOURCE, check=True)


def bundle() -> tuple[bytes, list[Path]]:
    """The minified ES module of ``ENTRY``, and the folders of the packages bundled into it."""
    result = esbuild.build(
        entry_points=[str(ENTRY)], bundle=True, minify=True, format="esm", target="es2020",
        platform="browser", write=False, outfile=str(OUTPUT), legal_comments="none", metafile=True,
        define={"process.env.NODE_ENV": '"production"'}, abs_working_dir=str(SOURCE), log_level="warning",
    )
    code = next(file.contents for file in result.output_files if file.path.endswith(".js"))
    return code, packages_of(result.metafile["inputs"])


def packages_of(inputs: dict) -> list[Path]:
    """The package folders under ``dashboard/node_modules`` that the build read files from."""
    folders: dict[Path, None] = {}
    for name in sorted(inputs):
        parts = Path(name).parts
        if "node_modules" not in parts:
            continue
        at = len(parts) - 1 - parts[::-1].index("node_modules")
        depth = 2 if parts[at + 1].startswith("@") else 1
        folders[(SOURCE / Path(*parts[: at + 1 + depth])).resolve()] = None
    return list(folders)


def license_text(packages: list[Path]) -> bytes:
    """Each bundled package's name, version and licence files, one after another."""
    sections = []
    for folder in packages:
        manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        texts = []
        for name in LICENSE_NAMES:
            path = folder / name
            files = sorted(path.iterdir()) if path.is_dir() else [path] if path.is_file() else []
            texts += [f"--- {file.relative_to(folder)} ---\n{file.read_text(encoding='utf-8').strip()}\n"
                      for file in files]
        if not texts:
            raise SystemExit(f"{folder}: no licence file found; add its name to LICENSE_NAMES")
        heading = f"{manifest['name']} {manifest['version']} ({manifest.get('license', 'see below')})"
        sections.append(f"{'=' * len(heading)}\n{heading}\n{'=' * len(heading)}\n\n" + "\n".join(texts))
    intro = (f"{OUTPUT.name} bundles the packages below (from dashboard/package-lock.json); "
             "their licences and notices follow.\n\n")
    return (intro + "\n".join(sections)).encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-install", action="store_true", help="skip npm ci (use dashboard/node_modules as it is)")
    args = parser.parse_args(argv)
    if not args.no_install:
        npm_ci()
    code, packages = bundle()
    version = json.loads((SOURCE / "node_modules" / "echarts" / "package.json").read_text())["version"]
    banner = (f"/*! Apache ECharts {version}: treemap, graph, tooltip, canvas renderer. "
              f"Licences: {LICENSES.name} */\n").encode()
    atomic_write(OUTPUT, banner + code)
    atomic_write(LICENSES, license_text(packages))
    names = ", ".join(folder.name for folder in packages)
    print(f"{OUTPUT.relative_to(REPO)}: {len(banner) + len(code):,} bytes ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
