"""The inventory of what reaches the browser, the run history and the chains of ``why``, through
the Python API on real builds (real esbuild, real npm packages), and the chain search as a table
of small graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prebundle import load_config, optimize
from prebundle.inventory import read_inventory
from prebundle.inventory_fresh import OutputMissing, OutputStale
from prebundle.inventory_runs import KEEP, RunRecord, append_run, read_runs
from prebundle.resolve import Resolver
from prebundle.why import MAX_CHAINS, shortest_chains, why

from tests.support.apps import make_app

PACKAGES = ["react", "react-dom", "scheduler", "preact", "classnames", "dayjs"]


def app(tmp_path: Path, source: str, **options) -> Path:
    return make_app(tmp_path / "app", source, packages=PACKAGES, hand_packages=False, **options)


# -- the chain search -------------------------------------------------------------------------

CHAINS = [
    pytest.param({"a": ["f:1"]}, {}, {"a"}, [("f:1", "a")], 1, id="imported by the app"),
    pytest.param({"a": ["f:1"]}, {"a": ["b"], "b": ["c"]}, {"c"}, [("f:1", "a", "b", "c")], 1, id="through two"),
    pytest.param({"a": ["f:1"], "c": ["g:2"]}, {"a": ["c"]}, {"c"}, [("g:2", "c")], 1,
                 id="the direct import is the shortest"),
    pytest.param({"a": ["f:1"], "b": ["f:2"]}, {"a": ["d"], "b": ["d"]}, {"d"},
                 [("f:1", "a", "d"), ("f:2", "b", "d")], 2, id="two ways of the same length"),
    pytest.param({"a": ["f:1", "g:5"]}, {"a": ["b", "c"], "b": ["d"], "c": ["d"]}, {"d"},
                 [("f:1", "a", "b", "d"), ("f:1", "a", "c", "d"), ("g:5", "a", "b", "d"), ("g:5", "a", "c", "d")], 4,
                 id="a diamond, from two app files"),
    pytest.param({"a": ["f:1"]}, {"a": ["b"], "b": ["a", "c"], "c": ["b"]}, {"c"}, [("f:1", "a", "b", "c")], 1,
                 id="cycles"),
    pytest.param({"a": ["f:1"]}, {"a": ["b"]}, {"x"}, [], 0, id="not reached"),
    pytest.param({"a": ["f:1"]}, {"a": ["b1", "b2"], "b1": ["c"], "b2": ["c2"]}, {"c", "c2"},
                 [("f:1", "a", "b1", "c"), ("f:1", "a", "b2", "c2")], 2, id="any id of the package"),
]


@pytest.mark.parametrize(("starts", "edges", "targets", "chains", "count"), CHAINS)
def test_shortest_chains(starts, edges, targets, chains, count) -> None:
    assert shortest_chains(starts, edges, targets) == (tuple(chains), count)


def test_chains_are_listed_up_to_a_limit_and_counted_all() -> None:
    starts = {f"m{i}": [f"src/{i}.js:1"] for i in range(MAX_CHAINS + 50)}
    edges = {f"m{i}": ["target"] for i in range(MAX_CHAINS + 50)}
    chains, count = shortest_chains(starts, edges, {"target"})
    assert len(chains) == MAX_CHAINS and count == MAX_CHAINS + 50


# -- the inventory of a real build ------------------------------------------------------------

def test_importers_imports_and_formats(tmp_path: Path, npm_modules: Path) -> None:
    root = app(tmp_path, "import { createRoot } from 'react-dom/client'\nimport cx from 'classnames'\n"
                         "import { h } from 'preact'\nconsole.log(createRoot, cx, h)\n",
               html='<!doctype html>\n<script type="module" src="/src/main.js"></script>\n'
                    '<script type="module">\n  import dayjs from "dayjs"\n</script>\n')
    config = load_config(root)
    result = optimize(config)
    inventory = read_inventory(config)
    packages = {p.name: p for p in inventory.packages}
    assert sorted(packages) == ["classnames", "dayjs", "preact", "react", "react-dom", "scheduler"]
    assert packages["dayjs"].importers.app == ("index.html:4",)
    assert packages["react-dom"].importers.app == ("src/main.js:1",)
    assert packages["react"].importers.app == () and packages["react"].importers.packages == ("react-dom",)
    assert packages["react-dom"].imports == ("react", "scheduler")
    assert packages["react-dom"].edges == {"react-dom/client": ("react", "scheduler")}
    assert (packages["preact"].format, packages["preact"].interop) == ("esm", False)
    assert (packages["classnames"].format, packages["classnames"].interop) == ("cjs", True)
    assert {p.label for p in inventory.packages} == set(result.built)
    assert all(p.status == "built" and p.build_ms > 0 for p in inventory.packages)
    assert inventory.runs[-1].trigger == "api" and inventory.stale is None


def test_a_chunk_two_packages_share_counts_once_in_the_totals(tmp_path: Path, npm_modules: Path) -> None:
    root = app(tmp_path, "import React from 'react'\nimport { createRoot } from 'react-dom/client'\n")
    config = load_config(root)
    optimize(config)
    optimize(config, force=True)  # planned from the first run's records: built together, sharing a chunk
    inventory = read_inventory(config)
    deps = config.deps_dir
    on_disk = [path for path in deps.iterdir() if path.suffix == ".js"]
    listed = [name for package in inventory.packages for name in package.files]
    assert sorted(set(listed)) == sorted(path.name for path in on_disk)
    totals = inventory.totals()
    assert totals["files"] == len(on_disk)
    assert totals["size"] == sum(path.stat().st_size for path in on_disk)
    assert [p.status for p in inventory.packages] == ["built"] * 3
    assert [run.trigger for run in inventory.runs] == ["api", "api"]


def test_status_follows_the_run_that_made_the_output(tmp_path: Path, npm_modules: Path) -> None:
    root = app(tmp_path, "import cx from 'classnames'\nconsole.log(cx)\n")
    config = load_config(root)
    optimize(config)
    (root / "src" / "main.js").write_text("import cx from 'classnames'\nimport dayjs from 'dayjs'\n")
    optimize(config)
    optimize(config)  # up to date: it writes nothing, so the run before it made the output
    packages = {p.name: p for p in read_inventory(config).packages}
    assert (packages["classnames"].status, packages["classnames"].build_ms) == ("reused", None)
    assert packages["dayjs"].status == "built"
    (config.cache_dir / "runs.json").unlink()
    assert {p.status for p in read_inventory(config).packages} == {None}


def test_missing_and_stale_output(tmp_path: Path, npm_modules: Path) -> None:
    root = app(tmp_path, "import cx from 'classnames'\n")
    config = load_config(root)
    with pytest.raises(OutputMissing):
        read_inventory(config)
    optimize(config)
    lockfile = root / "package-lock.json"
    data = json.loads(lockfile.read_text())
    data["packages"]["node_modules/classnames"]["version"] = "2.5.0"
    lockfile.write_text(json.dumps(data))
    with pytest.raises(OutputStale, match=r"\(the installed packages changed\): run `prebundle`"):
        read_inventory(config)
    assert read_inventory(config, current=False).stale == "the installed packages changed"


def test_why_an_included_package_nothing_imports(tmp_path: Path, npm_modules: Path) -> None:
    root = app(tmp_path, "import cx from 'classnames'\n",
               extra={"prebundle.config.py": "from prebundle import define_config\n"
                                              "config = define_config(include=['dayjs'])\n"})
    config = load_config(root)
    optimize(config)
    answer = why(read_inventory(config), "dayjs", config, Resolver.for_config(config))
    assert answer.reaches and answer.included and answer.chains == ()
    assert answer.to_json()["installedVersion"] == "1.11.23"


# -- the run history --------------------------------------------------------------------------

def test_the_history_keeps_the_last_runs_and_skips_damaged_records(tmp_path: Path) -> None:
    for i in range(KEEP + 3):
        append_run(tmp_path, RunRecord(f"2026-11-30T08:00:{i:02d}Z", "cli", True, None, built=(f"p@{i}",),
                                       build_ms={f"p@{i}": 1.5}))
    runs = read_runs(tmp_path)
    assert len(runs) == KEEP and runs[0].at == "2026-11-30T08:00:03Z" and runs[-1].built == (f"p@{KEEP + 2}",)
    data = json.loads((tmp_path / "runs.json").read_text())
    data["runs"][0] = {"at": 1}
    (tmp_path / "runs.json").write_text(json.dumps(data))
    assert len(read_runs(tmp_path)) == KEEP - 1
    (tmp_path / "runs.json").write_text("{not json")
    assert read_runs(tmp_path) == []


def test_a_file_named_with_its_line_is_not_listed_again_bare() -> None:
    from prebundle.inventory import _places

    # react's own import has a line; the JSX runtime the same file imports has none
    assert _places({"src/App.jsx:1", "src/App.jsx", "src/main.jsx"}) == ("src/App.jsx:1", "src/main.jsx")


def test_a_shared_builds_time_is_split_by_output_bytes_without_hashing_them(tmp_path: Path) -> None:
    from prebundle.bundle import PackageBuild
    from prebundle.bundle.result import BuiltEntry
    from prebundle.inventory_runs import build_ms_shares
    from prebundle.metadata import FileInfo
    from prebundle.plan import PlannedId, PlannedPackage

    def build(name: str, files: dict, checked: dict | None = None) -> PackageBuild:
        source = tmp_path / name / "index.js"
        package = PlannedPackage(name, source.parent, "1.0.0", (PlannedId(name, source, name, source.parent, "1.0.0"),))
        entry = BuiltEntry(name, f"{name}.js", source, False, (), (), (), ())
        return PackageBuild(package, name, {name: entry}, {}, files, checked=checked or {})

    reused = tmp_path / "chunk-R.js"
    reused.write_bytes(b"x" * 100)
    builds = [build("a", {"a.js": b"a" * 300, "a.js.map": b"m" * 100}),
              build("b", {"b.js": b"b" * 200, "chunk-R.js": reused}),
              build("c", {"c.js": b"c" * 50}, checked={"c.js": FileInfo(350, "0" * 8)})]
    shares = build_ms_shares(builds, 1.0)
    assert shares == pytest.approx({"a@1.0.0": 1000 * 400 / 1050, "b@1.0.0": 1000 * 300 / 1050,
                                    "c@1.0.0": 1000 * 350 / 1050})  # a reused file by its stat, c by its check
    assert all("file_infos" not in b.__dict__ for b in builds)  # sizes, not hashes
    assert builds[0].output_size == sum(info.size for info in builds[0].file_infos.values())


def test_a_run_named_by_a_path_that_is_not_utf8_is_recorded(tmp_path: Path) -> None:
    """A watched file's name that is not UTF-8 reaches the history as a lone surrogate (as Python
    decodes such names): the record is written, never the run's failure."""
    changed = "src/caf\udce9.js"
    append_run(tmp_path, RunRecord("2026-12-01T08:00:00Z", "change", False, f"{changed}: syntax error", detail=changed))
    append_run(tmp_path, RunRecord("2026-12-01T08:00:01Z", "cli", True, None, built=("caf\u00e9@1.0.0",)))
    runs = read_runs(tmp_path)
    assert [run.detail for run in runs] == [changed, None]
    assert runs[1].built == ("caf\u00e9@1.0.0",)
