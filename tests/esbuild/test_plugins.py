"""Python plugins over the real service: virtual modules, resolve(), many callbacks, errors."""

from __future__ import annotations

import asyncio
import os
import re
import threading

import pytest

from prebundle.esbuild import (
    BuildFailure, OnLoadArgs, OnLoadResult, OnResolveArgs, OnResolveResult, Plugin,
)
from tests.support.apps import write_tree


def _virtual_plugin(modules: dict[str, str]) -> Plugin:
    def setup(build):
        @build.on_resolve(filter=r"^virtual:")
        def resolve(args: OnResolveArgs):
            return OnResolveResult(path=args.path, namespace="virtual-ns")

        @build.on_load(filter=r".*", namespace="virtual-ns")
        def load(args: OnLoadArgs):
            return OnLoadResult(contents=modules[args.path], loader="js")

    return Plugin("virtual", setup)


def test_virtual_module_through_a_namespace(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import msg from 'virtual:hello';\nconsole.log(msg);\n"})
    plugin = _virtual_plugin({"virtual:hello": "export default 'hello from python'"})
    result = service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                           plugins=[plugin], abs_working_dir=str(root), metafile=True)
    assert "hello from python" in result.output_files[0].text
    assert "virtual-ns:virtual:hello" in result.metafile["inputs"]


def test_resolve_inside_a_callback(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import cx from 'my-classnames';\nconsole.log(cx('a'));\n"},
                   npm=True)
    seen = []

    def setup(build):
        @build.on_resolve(filter=r"^my-classnames$")
        def alias(args):
            found = build.resolve("classnames", kind=args.kind, resolve_dir=args.resolve_dir,
                                  plugin_data={"from": "alias"})
            seen.append(found)
            return {"path": found.path}

    result = service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                           plugins=[Plugin("alias", setup)], abs_working_dir=str(root))
    assert seen[0].path.endswith("node_modules/classnames/index.js") and not seen[0].errors
    assert "classNames" in result.output_files[0].text


def test_two_thousand_callbacks_finish(service, tmp_path):
    count = 1000  # one on-resolve and one on-load each
    lines = "".join(f"import v{i} from 'virtual:m{i}';\n" for i in range(count))
    lines += f"console.log({' + '.join(f'v{i}' for i in range(count))});\n"
    root = write_tree(tmp_path / "app", {"src/a.js": lines})
    modules = {f"virtual:m{i}": f"export default {i};" for i in range(count)}
    calls = []

    def setup(build):
        @build.on_resolve(filter=r"^virtual:")
        def resolve(args):
            calls.append(1)
            return {"path": args.path, "namespace": "v"}

        @build.on_load(filter=r".*", namespace="v")
        def load(args):
            calls.append(1)
            return {"contents": modules[args.path]}

    result = service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                           plugins=[Plugin("many", setup)], abs_working_dir=str(root))
    assert len(calls) == 2 * count
    assert "export default 999" not in result.output_files[0].text
    assert "999" in result.output_files[0].text


def test_raising_callback_is_a_located_error_and_the_service_survives(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import 'virtual:boom';"})

    def setup(build):
        @build.on_resolve(filter=r"^virtual:boom$")
        def resolve(args):
            raise KeyError("no such module")  # the error should point here

    with pytest.raises(BuildFailure) as info:
        service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                      plugins=[Plugin("exploder", setup)], log_level="silent",
                      abs_working_dir=str(root))
    [err] = info.value.errors
    assert err.plugin_name == "exploder"
    assert "KeyError" in err.text and "no such module" in err.text
    # esbuild shows file-namespace paths relative to the working directory
    assert os.path.normpath(os.path.join(root, err.location.file)) == __file__
    assert err.location.line_text.strip() == 'raise KeyError("no such module")  # the error should point here'
    assert isinstance(err.detail, KeyError)
    assert f"{err.location.file}:{err.location.line}:" in str(info.value)
    assert "[plugin: exploder]" in str(info.value)
    # the same process still builds
    pid = service.pid
    assert service.transform("1+1").code == "1 + 1;\n"
    assert service.pid == pid


def test_malformed_results_become_errors_not_crashes(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import 'virtual:x';"})

    def setup(build):
        build.on_resolve(lambda args: {"path": "x", "namespace": "bad"}, filter=r"^virtual:")
        build.on_load(lambda args: {"contents": 123}, filter=".*", namespace="bad")

    pid = service.pid
    with pytest.raises(BuildFailure, match="contents must be str or bytes"):
        service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                      plugins=[Plugin("bad", setup)], log_level="silent",
                      abs_working_dir=str(root))
    assert service.transform("2").code == "2;\n" and service.pid == pid


def test_hooks_plugin_data_and_messages(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import 'virtual:x';"})
    marker = object()
    events = []
    lock = threading.Lock()

    def setup(build):
        assert build.initial_options["bundle"] is True
        build.on_start(lambda: events.append("start"))

        @build.on_resolve(filter=re.compile(r"^VIRTUAL:", re.I))
        def resolve(args):
            return OnResolveResult(path="x", namespace="d", plugin_data=marker,
                                   warnings=[{"text": "careful"}])

        @build.on_load(filter=".*", namespace="d")
        async def load(args):  # async callbacks run too
            await asyncio.sleep(0)  # the scenario: the callback suspends on the loop
            with lock:
                events.append(args.plugin_data is marker)
            return {"contents": b"export {}"}

        @build.on_end
        def end(result):
            events.append(("end", len(result.warnings)))
            return {"warnings": ["from on_end"]}

        build.on_dispose(lambda: events.append("dispose"))

    result = service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                           plugins=[Plugin("hooks", setup)], log_level="silent",
                           abs_working_dir=str(root))
    assert events == ["start", True, ("end", 1), "dispose"]
    assert [w.text for w in result.warnings] == ["careful", "from on_end"]
    assert {w.plugin_name for w in result.warnings} == {"hooks"}


def test_bad_re2_filter_is_a_value_error(service):
    def setup(build):
        build.on_resolve(filter=r"^(?!node_modules)")(lambda args: None)

    with pytest.raises(ValueError, match="RE2"):
        service.build(entry_points=["a.js"], plugins=[Plugin("bad", setup)], write=False)


def test_setup_error_is_a_build_failure(service):
    def setup(build):
        raise RuntimeError("setup failed")

    with pytest.raises(BuildFailure, match=r"\[plugin: broken\] RuntimeError: setup failed"):
        service.build(entry_points=["a.js"], plugins=[Plugin("broken", setup)], write=False)


def test_async_callbacks_run_on_the_callers_loop(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import v from 'virtual:x'; console.log(v);"})
    threads = []

    def setup(build):
        @build.on_resolve(filter="^virtual:")
        async def resolve(args):
            threads.append(threading.get_ident())
            await asyncio.sleep(0.01)  # the scenario: the callback suspends on the loop
            return {"path": "x", "namespace": "a"}

        @build.on_load(filter=".*", namespace="a")
        async def load(args):
            return {"contents": "export default 'on the loop'"}

    async def main():
        result = await service.build_async(entry_points=["src/a.js"], bundle=True, write=False,
                                           outdir="o", plugins=[Plugin("aio", setup)],
                                           abs_working_dir=str(root))
        return result, threading.get_ident()

    result, loop_thread = asyncio.run(main())
    assert threads == [loop_thread]
    assert "on the loop" in result.output_files[0].text
