"""Build contexts: rebuilds that see edits, cancel, dispose, merged and async rebuilds."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from prebundle.esbuild import BuildFailure, Plugin, ServiceError
from tests.support.apps import write_tree


def test_two_rebuilds_see_an_edited_file(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import {b} from './b.js'; console.log(b);",
                    "src/b.js": "export const b = 'first';"})
    with service.context(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                         metafile=True, abs_working_dir=str(root)) as ctx:
        first = ctx.rebuild()
        assert "first" in first.output_files[0].text and first.metafile["inputs"]
        (root / "src" / "b.js").write_text("export const b = 'second';")
        second = ctx.rebuild()
        assert "second" in second.output_files[0].text
        (root / "src" / "b.js").write_text("export const b = ;")
        with pytest.raises(BuildFailure, match="src/b.js:1:"):
            ctx.rebuild()
    with pytest.raises(RuntimeError, match="disposed"):
        ctx.rebuild()


def test_context_with_plugins_and_on_end(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import v from 'virtual:n'; console.log(v);"})
    counter = {"n": 0, "ends": [], "disposed": False}

    def setup(build):
        @build.on_resolve(filter="^virtual:")
        def resolve(args):
            return {"path": "n", "namespace": "v"}

        @build.on_load(filter=".*", namespace="v")
        def load(args):
            counter["n"] += 1
            return {"contents": f"export default {counter['n']}"}

        build.on_end(lambda result: counter["ends"].append(len(result.output_files)))
        build.on_dispose(lambda: counter.update(disposed=True))

    ctx = service.context(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                          plugins=[Plugin("count", setup)], abs_working_dir=str(root))
    assert "= 1;" in ctx.rebuild().output_files[0].text
    assert "= 2;" in ctx.rebuild().output_files[0].text
    assert counter["n"] == 2 and counter["ends"] == [1, 1]
    ctx.dispose()
    ctx.dispose()  # idempotent
    assert counter["disposed"]


def test_overlapping_rebuilds_share_one_result(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "export default 1"})
    with service.context(entry_points=["src/a.js"], write=False, outdir="o",
                         abs_working_dir=str(root)) as ctx:
        results = []
        threads = [threading.Thread(target=lambda: results.append(ctx.rebuild()))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 4 and all(r.output_files for r in results)


def test_cancel(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import 'virtual:slow';"})
    started = threading.Event()

    def setup(build):
        build.on_resolve(lambda a: {"path": "slow", "namespace": "s"}, filter="^virtual:")

        @build.on_load(filter=".*", namespace="s")
        def load(args):
            started.set()
            time.sleep(0.4)  # the scenario: a slow plugin, so the cancel lands mid-build
            return {"contents": "export {}"}

    ctx = service.context(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                          plugins=[Plugin("slow", setup)], log_level="silent",
                          abs_working_dir=str(root))
    outcome = {}

    def run():
        try:
            outcome["result"] = ctx.rebuild()
        except BuildFailure as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    ctx.cancel()
    thread.join(10)
    assert "canceled" in str(outcome["error"])
    started.clear()
    assert ctx.rebuild().output_files  # usable after a cancel
    ctx.dispose()


def test_rebuild_async(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "export default 'async'"})

    async def main():
        ctx = await service.context_async(entry_points=["src/a.js"], write=False, outdir="o",
                                          abs_working_dir=str(root))
        try:
            return await ctx.rebuild_async()
        finally:
            ctx.dispose()

    assert "async" in asyncio.run(main()).output_files[0].text


def test_invalid_flag_value_is_a_service_error(service):
    with pytest.raises(ServiceError, match="--format=bogus"):
        service.build(entry_points=["x.js"], write=False, format="bogus")
