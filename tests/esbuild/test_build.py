"""Builds and transforms against the real binary and real npm packages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from prebundle.esbuild import BuildFailure, OutputFile, TransformFailure
from tests.support.apps import write_tree

REACT_SRC = {
    "src/react-entry.js": "import * as React from 'react';\nexport const v = React.version;\n",
    "src/dom-entry.js": (
        "import { createElement } from 'react';\n"
        "import { createRoot } from 'react-dom/client';\n"
        "export function mount(el) { createRoot(el).render(createElement('p', null, 'hi')); }\n"
    ),
}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_bundle_cjs_package(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import cx from 'classnames';\nconsole.log(cx('a', {b: true}));\n"},
                   npm=True)
    result = service.build(entry_points=["src/a.js"], bundle=True, format="esm", write=False,
                           outdir="out", abs_working_dir=str(root))
    assert not result.errors
    [out] = result.output_files
    assert isinstance(out, OutputFile) and out.path == str(root / "out" / "a.js")
    assert "__commonJS" in out.text and "classNames" in out.text
    assert out.hash and isinstance(out.contents, bytes)


def test_react_split_build_equals_the_cli(service, tmp_path, esbuild_bin):
    root = write_tree(tmp_path / "app", REACT_SRC, npm=True)
    entries = ["src/react-entry.js", "src/dom-entry.js"]
    common = ["--bundle", "--format=esm", "--splitting", "--platform=browser",
              '--define:process.env.NODE_ENV="development"']
    subprocess.run([str(esbuild_bin), *entries, *common, "--outdir=cli", "--metafile=cli.json",
                    "--log-level=warning"], cwd=root, check=True)
    result = service.build(
        entry_points=entries, bundle=True, format="esm", splitting=True, platform="browser",
        outdir="py", metafile=True, define={"process.env.NODE_ENV": '"development"'},
        abs_working_dir=str(root),
    )
    cli, ours = _tree(root / "cli"), _tree(root / "py")
    assert len(ours) == 3 and set(ours) == set(cli)
    assert ours == cli  # byte for byte
    assert result.output_files == ()  # written to disk
    meta = result.metafile
    assert set(meta["outputs"]) == {f"py/{name}" for name in ours}
    assert any(i.endswith("node_modules/react/index.js") for i in meta["inputs"])
    cli_meta = json.loads((root / "cli.json").read_text())
    assert set(cli_meta["inputs"]) == set(meta["inputs"])


def test_write_false_output_files_and_metafile(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "import {b} from './b.js'; console.log(b);",
                    "src/b.js": "export const b = 1;"})
    result = service.build(entry_points={"custom/name": "src/a.js"}, bundle=True, write=False,
                           outdir="o", metafile=True, abs_working_dir=str(root))
    [out] = result.output_files
    assert out.path == str(root / "o" / "custom" / "name.js")
    assert "console.log(b)" in out.text
    assert not (root / "o").exists()
    assert result.metafile["inputs"]["src/b.js"]["bytes"] == len("export const b = 1;")
    assert result.metafile["outputs"]["o/custom/name.js"]["entryPoint"] == "src/a.js"


def test_an_answer_of_megabytes_arrives_whole_through_the_widened_pipe(service, tmp_path):
    """A build's answer carries its output: the pipe it comes through is asked to hold 1 MB
    (Linux), and an answer larger than that still arrives byte for byte."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("no pipe size knob on this system")
    import os

    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pytest.skip("this user may not widen pipes to 1 MB here (pipe-max-size, pipe-user-pages-soft)")
    finally:
        os.close(read_end)
        os.close(write_end)
    lines = "".join(f"export const v{i} = {json.dumps('x' * 60 + str(i))};\n" for i in range(40_000))
    root = write_tree(tmp_path / "app", {"src/big.js": lines})
    result = service.build(entry_points=["src/big.js"], bundle=True, format="esm", write=False,
                           outdir="o", abs_working_dir=str(root))
    [out] = result.output_files
    assert len(out.contents) > 3 << 20
    assert out.text.count("x" * 60) == 40_000 and 'v39999 = "' in out.text
    stdout = service._connection().proc.stdout.fileno()
    assert fcntl.fcntl(stdout, fcntl.F_GETPIPE_SZ) == 1 << 20


def test_stdin_entry(service, tmp_path):
    result = service.build(stdin={"contents": "export const x: number = 1", "loader": "ts"},
                           write=False, format="esm", abs_working_dir=str(tmp_path))
    [out] = result.output_files
    assert "x = 1" in out.text


def test_syntax_error_has_file_line_column(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/bad.js": "const a = 1;\nconst b = ;\n"})
    with pytest.raises(BuildFailure) as info:
        service.build(entry_points=["src/bad.js"], write=False, log_level="silent",
                      abs_working_dir=str(root))
    err = info.value.errors[0]
    assert (err.location.file, err.location.line, err.location.column) == ("src/bad.js", 2, 10)
    assert err.location.line_text == "const b = ;"
    assert str(info.value).startswith("Build failed with 1 error:\nsrc/bad.js:2:10: ERROR: ")


def test_more_than_five_errors_are_elided(service, tmp_path):
    root = write_tree(tmp_path / "app", {f"src/{i}.js": "import './missing.js';" for i in range(7)})
    with pytest.raises(BuildFailure) as info:
        service.build(entry_points=[f"src/{i}.js" for i in range(7)], bundle=True, write=False,
                      outdir="o", log_level="silent", abs_working_dir=str(root))
    text = str(info.value)
    assert text.startswith("Build failed with 7 errors:") and text.endswith("\n...")
    assert text.count("ERROR:") == 5


def test_transform_tsx(service):
    result = service.transform(
        "const el: JSX.Element = <div className='x'>{n as number}</div>;",
        loader="tsx", jsx="automatic", sourcemap=True,
    )
    assert 'import { jsx } from "react/jsx-runtime"' in result.code
    assert "as number" not in result.code
    assert json.loads(result.map)["version"] == 3


def test_transform_error(service):
    with pytest.raises(TransformFailure) as info:
        service.transform("let = ;", sourcefile="x.js")
    assert str(info.value).startswith("Transform failed with 1 error:\nx.js:1:6: ERROR:")


def test_unknown_option_is_a_type_error(service):
    with pytest.raises(TypeError, match="bogus"):
        service.build(entry_points=["a.js"], bogus=True)


def test_format_messages_and_analyze_metafile(service, tmp_path):
    root = write_tree(tmp_path / "app", {"src/a.js": "export default 1"})
    result = service.build(entry_points=["src/a.js"], bundle=True, write=False, outdir="o",
                           metafile=True, abs_working_dir=str(root))
    report = service.analyze_metafile(result.metafile)
    assert "o/a.js" in report and "src/a.js" in report
    [text] = service.format_messages(
        [{"text": "oops", "location": {"file": "f.js", "line": 1, "column": 0, "length": 3,
                                       "line_text": "foo"}}],
        kind="warning",
    )
    assert "oops" in text and "f.js:1:0" in text


def test_concurrent_builds_from_threads(service, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    root = write_tree(tmp_path / "app", {f"src/{i}.js": f"export default {i}" for i in range(8)})

    def one(i):
        return service.build(entry_points=[f"src/{i}.js"], write=False, outdir="o",
                             abs_working_dir=str(root)).output_files[0].text

    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(one, range(8)))
    assert all(f"= {i}" in t or f" {i};" in t for i, t in enumerate(texts))


def test_async_build_and_transform(service, tmp_path):
    import asyncio

    root = write_tree(tmp_path / "app", {"src/a.js": "export const a = 1"})

    async def main():
        built, transformed = await asyncio.gather(
            service.build_async(entry_points=["src/a.js"], write=False, outdir="o",
                                abs_working_dir=str(root)),
            service.transform_async("let x: number = 1", loader="ts"),
        )
        return built, transformed

    built, transformed = asyncio.run(main())
    assert "a = 1" in built.output_files[0].text
    assert transformed.code == "let x = 1;\n"
