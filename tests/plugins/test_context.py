"""The plugin context (``current_context()``) and the lifecycle hooks in ``prebundle`` runs: what
a hook may ask while it runs, and the moments ``options``, ``build_start``, ``build_end`` and
``close_bundle`` are called, on real apps over the real npm packages."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from prebundle import load_config, optimize, scan
from prebundle.errors import MissingDependencyError, PrebundleError
from prebundle.plugins import Plugin, current_context, normalize_path
from tests.support.apps import make_app


def _config(root: Path, *plugins: Plugin):
    return load_config(root, overrides={"plugins": list(plugins)})


def test_resolve_asks_the_other_plugins_then_prebundles_resolver(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import 'virtual:ask'\nimport cn from 'classnames'\n",
                    extra={"src/util.js": "export const u = 1\n"})
    seen: dict[str, str | None] = {}

    def ask(source: str, importer: str | None, options: dict) -> str | None:
        if source != "virtual:ask":
            return None
        context = current_context()
        seen["aliased"] = context.resolve("@alias/util", importer)
        seen["itself"] = context.resolve("virtual:ask", importer)  # this plugin is passed by
        seen["relative"] = context.resolve("./util.js", importer)
        seen["bare"] = context.resolve("classnames", importer)
        seen["missing"] = context.resolve("no-such-package", importer)
        return "\0virtual:ask"

    alias = Plugin("alias", resolve_id=lambda source, importer, options:
                   str(root / "src" / "util.js") if source == "@alias/util" else None)
    asker = Plugin("asker", resolve_id=ask, load=lambda id_: "export default 1\n" if id_ == "\0virtual:ask" else None)
    result = scan(_config(root, alias, asker))

    assert list(result.deps) == ["classnames"] and not result.missing
    assert seen["aliased"] == normalize_path(root / "src" / "util.js")
    assert seen["itself"] is None
    assert seen["relative"] == normalize_path((root / "src" / "util.js").resolve())
    assert seen["bare"] == normalize_path(result.deps["classnames"].src)
    assert seen["missing"] is None


def test_warn_and_error_are_one_line_naming_the_plugin_and_the_file(tmp_path: Path, caplog) -> None:
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")

    def transform(code: str, id_: str) -> None:
        if id_.endswith("/src/main.js"):
            context = current_context()
            context.warn("uses an old API;\n  see the docs")
            context.error("cannot compile this file\nat all")

    with caplog.at_level(logging.WARNING, logger="prebundle"), pytest.raises(PrebundleError) as failure:
        optimize(_config(root, Plugin("strict", transform=transform)))
    assert str(failure.value) == "[plugin strict] cannot compile this file at all (hook transform on src/main.js)"
    assert "warning: [plugin strict] uses an old API; see the docs (hook transform on src/main.js)" in caplog.messages


def test_async_hooks_of_one_batch_each_see_their_own_context(tmp_path: Path, caplog) -> None:
    names = [f"m{i}.js" for i in range(6)]
    root = make_app(tmp_path / "app", "".join(f"import './{name}'\n" for name in names),
                    extra={f"src/{name}": "export default 1\n" for name in names})

    async def transform(code: str, id_: str) -> None:
        await asyncio.sleep(0.001 * (len(id_) % 3))  # the calls interleave on the hook loop
        current_context().warn("seen")

    with caplog.at_level(logging.WARNING, logger="prebundle"):
        scan(_config(root, Plugin("watcher", transform=transform)))
    for name in ["main.js", *names]:
        assert f"warning: [plugin watcher] seen (hook transform on src/{name})" in caplog.messages


def test_an_async_hook_may_resolve_through_an_async_resolve_id(tmp_path: Path) -> None:
    # The async transform runs on the hook loop and waits, synchronously, for an async
    # resolve_id: that wait once deadlocked the run.
    root = make_app(tmp_path / "app", "import './util.js'\n", extra={"src/util.js": "export const u = 1\n"})
    seen: list[str | None] = []

    async def resolve_id(source: str, importer: str | None, options: dict) -> str | None:
        await asyncio.sleep(0)
        return str(root / "src" / "util.js") if source == "@alias/util" else None

    async def transform(code: str, id_: str) -> None:
        await asyncio.sleep(0)
        if id_.endswith("/src/main.js"):
            seen.append(current_context().resolve("@alias/util", id_))

    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(
        scan(_config(root, Plugin("alias", resolve_id=resolve_id), Plugin("asker", transform=transform)))), daemon=True)
    worker.start()
    worker.join(120)  # a guard against hanging the suite, not a timing goal
    assert outcome, "the scan never finished: the nested wait deadlocked"
    assert seen == [normalize_path(root / "src" / "util.js")]


def test_current_context_outside_a_hook_says_so() -> None:
    with pytest.raises(RuntimeError, match="only available while a plugin hook runs"):
        current_context()


def test_optimize_runs_the_lifecycle_hooks_around_the_run(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    calls: list[tuple] = []
    plugin = Plugin(
        "life",
        options=lambda options: {**options, "from_options": True},
        build_start=lambda options: calls.append(("build_start", options["from_options"], options["command"])),
        transform=lambda code, id_: calls.append(("transform", Path(id_).name)) and None,
        build_end=lambda error: calls.append(("build_end", error)),
        close_bundle=lambda: calls.append(("close_bundle",)),  # hooks may leave their argument out
    )
    optimize(_config(root, plugin))
    assert calls[0] == ("build_start", True, "build")
    assert ("transform", "main.js") in calls[1:-2]
    assert calls[-2:] == [("build_end", None), ("close_bundle",)]

    calls.clear()
    (root / "src" / "main.js").write_text("import x from 'no-such-package'\n")
    with pytest.raises(MissingDependencyError) as failure:
        optimize(_config(root, plugin))
    assert calls[0][0] == "build_start"
    assert calls[-2:] == [("build_end", failure.value), ("close_bundle",)]


def test_a_plugin_objects_own_options_are_not_the_options_hook(tmp_path: Path) -> None:
    class Banner:
        """An object plugin keeping its settings as ``options``, as many do."""

        name = "banner"

        def __init__(self) -> None:
            self.options = {"text": "hi"}
            self.started = 0

        def build_start(self) -> None:
            self.started += 1

    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    plugin = Banner()
    optimize(_config(root, plugin))
    assert plugin.started == 1 and plugin.options == {"text": "hi"}


def test_a_failing_build_start_still_ends_the_build(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    ended: list[str] = []

    def build_start(options: dict) -> None:
        raise OSError("the database is down")

    plugin = Plugin("db", build_start=build_start, close_bundle=lambda error: ended.append(str(error)))
    with pytest.raises(PrebundleError) as failure:
        optimize(_config(root, plugin))
    assert str(failure.value) == "[plugin db] hook build_start failed: OSError: the database is down"
    assert ended == [str(failure.value)]
    assert not (root / "node_modules" / ".vite" / "deps").exists()  # nothing ran after it


def test_the_prebundle_command_runs_the_lifecycle_hooks(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    log = tmp_path / "hooks.log"
    (root / "prebundle.config.py").write_text(f"""
from prebundle import Plugin, define_config

def note(text):
    with open({str(log)!r}, "a") as file:
        file.write(text + "\\n")

config = define_config(plugins=[Plugin(
    "notes",
    build_start=lambda options: note("build_start " + options["mode"]),
    build_end=lambda error: note(f"build_end {{error}}"),
    close_bundle=lambda error: note(f"close_bundle {{error}}"),
)])
""")
    for command in ([], [], ["scan"]):  # the second run is a no-op: the hooks run all the same
        done = subprocess.run([sys.executable, "-m", "prebundle", *command, str(root)], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["build_start development", "build_end None", "close_bundle None"] * 3


def test_emitted_assets_and_module_info(tmp_path: Path) -> None:
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    found: dict[str, object] = {}

    def build_end(error: BaseException | None) -> None:
        context = current_context()
        logo = context.emit_file({"type": "asset", "name": "icons/logo.svg", "source": "<svg/>"})
        report = context.emit_file({"type": "asset", "file_name": "report/deps.json", "source": b"{}"})
        found["names"] = (context.get_file_name(logo), context.get_file_name(report))
        for bad in ({"type": "asset", "file_name": "../escape.txt", "source": "x"},
                    {"type": "chunk", "id": "x.js"}):
            try:
                context.emit_file(bad)
            except PrebundleError as refusal:
                found.setdefault("refusals", []).append(str(refusal))
        found["main"] = context.get_module_info(str(root / "src" / "main.js"))
        found["page"] = context.get_module_info(str(root / "index.html"))
        found["classnames"] = context.get_module_info("classnames")
        found["unknown"] = context.get_module_info("left-pad")

    optimize(_config(root, Plugin("emitter", build_end=build_end)))
    digest = hashlib.sha256(b"<svg/>").hexdigest()[:8]
    assert found["names"] == (f"logo-{digest}.svg", "report/deps.json")
    assets = root / "node_modules" / ".vite" / "assets"
    assert (assets / f"logo-{digest}.svg").read_text() == "<svg/>"
    assert (assets / "report" / "deps.json").read_bytes() == b"{}"
    assert found["refusals"] == [
        "[plugin emitter] emit_file: '../escape.txt' is not a file name inside the assets folder (no '..', "
        "no leading '/', no hidden names) (hook build_end)",
        "[plugin emitter] emit_file: only {'type': 'asset'} files can be emitted, not 'chunk' (hook build_end)",
    ]
    main = normalize_path(root / "src" / "main.js")
    assert found["main"].imported_ids == ("classnames",) and not found["main"].is_entry
    assert found["page"].is_entry
    assert found["classnames"].importers == (main,)
    assert found["classnames"].resolved.endswith("/classnames/index.js")
    assert found["unknown"] is None
