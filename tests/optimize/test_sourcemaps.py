"""Source maps and licence files of the deps dir: what devtools and a licence audit see.

Development builds carry a linked ``<file>.map`` beside each JS and CSS file, whose sources,
resolved against the URL the file is served from, name the packages' own files under
``/node_modules/<package>/``; production builds keep licence comments in ``<file>.LEGAL.txt``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prebundle import load_config
from prebundle.bundle.sourcemaps import SourceNamer
from prebundle.optimizer import OptimizeResult, optimize
from tests.support.apps import REPO, make_app
from tests.support.daemon import Daemon

BASE_URL = "http://localhost/node_modules/.vite/deps/"
MAIN = """
import React from 'react'
import { createRoot } from 'react-dom/client'
import { chunk } from 'lodash-es'
import usesFs from 'uses-fs'
import { styled } from 'with-css'
import { host } from 'nested-host'
"""
MAPPING_URL = re.compile(rb"//# sourceMappingURL=(\S+)\n$")


def metadata_files(deps: Path) -> set[str]:
    """Every file ``_metadata.json`` records for the packages."""
    packages = json.loads((deps / "_metadata.json").read_text())["prebundle"]["packages"].values()
    return {name for package in packages for name in package["files"]}


def resolved_sources(deps: Path, map_name: str) -> list[str]:
    """The map's sources as the browser resolves them against the map's URL."""
    sources = json.loads((deps / map_name).read_text())["sources"]
    return [urljoin(BASE_URL + map_name, source) for source in sources]


def build(root: Path, **overrides: object) -> OptimizeResult:
    return optimize(load_config(root, overrides=overrides))


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> OptimizeResult:
    """One development build of an app over real packages, shared by the tests that only read it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path_factory.mktemp("shared-cache")))
        return build(make_app(tmp_path_factory.mktemp("maps") / "app", MAIN))


def test_development_gives_every_output_file_a_linked_v3_map(dev: OptimizeResult):
    deps = dev.deps_dir
    recorded = metadata_files(deps)
    code = sorted(name for name in recorded if name.endswith((".js", ".css")))
    assert "react.js" in code and "with-css.css" in code
    for name in code:
        assert name + ".map" in recorded  # recorded, so checked like the code it maps
        source_map = json.loads((deps / (name + ".map")).read_text())
        assert source_map["version"] == 3 and source_map["mappings"]
        assert len(source_map["sourcesContent"]) == len(source_map["sources"])
        text = (deps / name).read_bytes()
        if name.endswith(".js"):
            assert MAPPING_URL.search(text).group(1).decode() == f"{name}.map"
        else:
            assert text.endswith(f"/*# sourceMappingURL={name}.map */\n".encode())


def test_map_sources_are_the_package_files_under_node_modules(dev: OptimizeResult):
    deps = dev.deps_dir
    root = deps.parents[2]
    assert {"http://localhost/node_modules/react/cjs/react.development.js",
            "http://localhost/node_modules/react/index.js"} <= set(resolved_sources(deps, "react.js.map"))
    assert ("http://localhost/node_modules/nested-host/node_modules/nested-dep/index.js"
            in resolved_sources(deps, "nested-host.js.map"))  # a nested copy, bundled inside its importer
    files = 0
    for map_name in sorted(name for name in metadata_files(deps) if name.endswith(".map")):
        source_map = json.loads((deps / map_name).read_text())
        for url, content in zip(resolved_sources(deps, map_name), source_map["sourcesContent"]):
            if url.startswith("prebundle:"):
                continue
            path = urlparse(url).path
            assert path.startswith("/node_modules/"), (map_name, url)
            # where npm puts it in this app, and the content devtools show is that file's
            assert (root / path.lstrip("/")).read_text() == content
            files += 1
    assert files > 100  # lodash-es alone has hundreds


def test_prebundle_own_modules_are_named_never_located(dev: OptimizeResult):
    deps = dev.deps_dir
    sources = {source for name in metadata_files(deps) if name.endswith(".map")
               for source in json.loads((deps / name).read_text())["sources"]}
    assert {"prebundle:proxy/react", "prebundle:proxy/react-dom/client", "prebundle:require/react",
            "prebundle:builtin/fs", "prebundle:shims/process.js"} <= sources
    assert not [s for s in sources if not s.startswith(("prebundle:", "../../")) or s.startswith("../../../")]
    for name in metadata_files(deps):
        if name.endswith(".map"):
            data = (deps / name).read_text()
            # neither where the app lives nor where prebundle and the packages are installed
            assert str(deps.parents[2]) not in data and str(REPO) not in data, name
    codes = {name: (deps / name).read_text() for name in metadata_files(deps) if name.endswith(".js")}
    # nor the code: esbuild's comments and lazy-init keys name the shim, not its path from the root
    assert [name for name, code in codes.items() if "// prebundle-shim:/process.js" in code]
    assert not [name for name, code in codes.items() if "prebundle/shims" in code]


def test_maps_list_library_sources_for_devtools_to_ignore(dev: OptimizeResult):
    source_map = json.loads((dev.deps_dir / "react.js.map").read_text())
    assert source_map["x_google_ignoreList"] == list(range(len(source_map["sources"])))


def test_a_second_project_gets_identical_maps_and_a_rebuild_keeps_every_url(tmp_path: Path, monkeypatch):
    source = "import React from 'react'\nimport { chunk } from 'lodash-es'\nimport usesFs from 'uses-fs'\n"
    first = build(make_app(tmp_path / "one" / "app", source))
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")  # built afresh, not copied from the first
    second = build(make_app(tmp_path / "two" / "deeper" / "app", source))
    assert {label.split("@")[0] for label in second.built} >= {"react", "lodash-es", "uses-fs"}

    def maps(deps: Path) -> tuple[dict[str, bytes], list[bytes]]:
        named = {p.name: p.read_bytes() for p in deps.glob("*.map") if not p.name.startswith("chunk-")}
        return named, sorted(p.read_bytes() for p in deps.glob("chunk-*.map"))

    assert "uses-fs.js.map" in maps(first.deps_dir)[0]  # a package copied into each app
    assert maps(second.deps_dir) == maps(first.deps_dir)
    importmap = (first.deps_dir / "importmap.json").read_bytes()
    again = optimize(load_config(first.deps_dir.parents[2]), force=True)
    assert again.built and (again.deps_dir / "importmap.json").read_bytes() == importmap


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_missing_or_damaged_map_rebuilds_its_package(tmp_path: Path, monkeypatch, damage: str):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")  # else it comes back from there
    root = make_app(tmp_path / "app", "import cn from 'classnames'\nimport dayjs from 'dayjs'\n")
    first = build(root)
    source_map = first.deps_dir / "classnames.js.map"
    good = source_map.read_bytes()
    if damage == "delete":
        source_map.unlink()
    else:
        source_map.write_bytes(good[: len(good) // 2])
    again = build(root)
    assert not again.up_to_date and [label.split("@")[0] for label in again.built] == ["classnames"]
    assert source_map.read_bytes() == good


def test_the_daemon_serves_the_map_a_file_links_to(tmp_path: Path):
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n")
    daemon = Daemon(root).wait_listening()
    try:
        daemon.wait_state("ready")
        url = json.loads(daemon.get("/@prebundle/importmap.json").text)["imports"]["classnames"]
        code = daemon.get(url)
        assert code.status_code == 200
        map_url = urljoin(url, MAPPING_URL.search(code.content).group(1).decode())
        answer = daemon.get(map_url)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        sources = [urljoin(daemon.url + map_url, s) for s in answer.json()["sources"]]
        assert daemon.url + "/node_modules/classnames/index.js" in sources
    finally:
        daemon.stop()


def test_production_has_no_maps_and_keeps_licences_in_legal_files(tmp_path: Path):
    result = build(make_app(tmp_path / "app", "import React from 'react'\n"), mode="production")
    deps = result.deps_dir
    recorded = metadata_files(deps)
    assert not [name for name in recorded if name.endswith(".map")] and not list(deps.glob("*.map"))
    react = json.loads((deps / "_metadata.json").read_text())["optimized"]["react"]["file"]
    assert react + ".LEGAL.txt" in recorded
    assert "@license React" in (deps / (react + ".LEGAL.txt")).read_text()
    code = (deps / react).read_text()
    assert "@license" not in code and f"see {react}.LEGAL.txt" in code


def test_esbuild_options_choose_maps_and_legal_comments(tmp_path: Path):
    root = make_app(tmp_path / "app", "import React from 'react'\n")
    result = build(root, mode="production", esbuild_options={"sourcemap": "inline", "legal_comments": "eof"})
    deps = result.deps_dir
    react = json.loads((deps / "_metadata.json").read_text())["optimized"]["react"]["file"]
    assert not list(deps.glob("*.LEGAL.txt")) and not list(deps.glob("*.map"))
    code = (deps / react).read_text()
    assert "@license React" in code
    inline = re.search(r"sourceMappingURL=data:application/json;base64,(\S+)", code).group(1)
    sources = json.loads(base64.b64decode(inline))["sources"]
    assert "../../react/cjs/react.production.js" in sources  # renamed as the linked maps are


def test_text_that_looks_like_an_inline_map_is_left_as_it_is(tmp_path: Path):
    # A package's own string, not a map esbuild wrote: its base64 does not even decode.
    text = "//# sourceMappingURL=data:application/json;base64,abc"
    root = make_app(tmp_path / "app", "import { note } from 'odd-text'\n", hand_packages=False, extra={
        "node_modules/odd-text/package.json": '{"name": "odd-text", "version": "1.0.0", "module": "index.js"}',
        "node_modules/odd-text/index.js": f"export const note = {json.dumps(text)};\n",
    })
    result = optimize(load_config(root))
    assert text in (result.deps_dir / "odd-text.js").read_text()


def test_a_map_inside_a_packages_string_is_its_code_and_stays_as_written(tmp_path: Path):
    # emotion-compiled packages (react-select) carry each style's own map in a string constant.
    own_map = {"version": 3, "sources": ["A11yText.tsx"], "names": [], "mappings": "AAAA"}
    encoded = base64.b64encode(json.dumps(own_map).encode()).decode()
    text = f"/*# sourceMappingURL=data:application/json;charset=utf-8;base64,{encoded} */"
    root = make_app(tmp_path / "app", "import { styles } from 'styled-lib'\n", hand_packages=False, extra={
        "node_modules/styled-lib/package.json": '{"name": "styled-lib", "version": "1.0.0", "module": "index.js"}',
        "node_modules/styled-lib/index.js": f"export const styles = {{ map: {json.dumps(text)} }};\n",
    })
    first = optimize(load_config(root))
    code = (first.deps_dir / "styled-lib.js").read_text()
    assert text in code
    url = json.loads((first.deps_dir / "importmap.json").read_text())["imports"]["styled-lib"]
    again = optimize(load_config(root), force=True)
    assert json.loads((again.deps_dir / "importmap.json").read_text())["imports"]["styled-lib"] == url


_SEGMENTS = st.sampled_from(["a", "node_modules", "pkg", "@s", "x.js", "..", ".", "deps", "src", "lib", ""])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_SEGMENTS, min_size=1, max_size=9), st.integers(0, 7))
def test_source_names_are_those_of_paths_relative_to_each_folder(segments, ups):
    """The namer works on strings; each name is the one ``os.path.relpath`` and ``pathlib``
    give, for any source esbuild could write relative to the outdir."""
    outdir = Path("/r/proj/node_modules/.vite/deps/.build-1")
    packages = (("/r/proj/node_modules/@s/pkg", "@s/pkg"), ("/r/proj/node_modules/pkg", "pkg"), ("/store/pkg", "pkg2"))
    namer = SourceNamer(outdir, "/r/proj", packages, {})
    source = "../" * ups + "/".join(segments)
    file = os.path.normpath(os.path.join(outdir, source))
    name, library = namer.name(source)
    parts = Path(file).parts
    assert library == ("node_modules" in parts)
    for folder, package in packages:
        if file == folder or file.startswith(folder + "/"):
            assert name == f"../../{package}/{Path(os.path.relpath(file, folder)).as_posix()}"
            return
    if library:
        last = len(parts) - 1 - parts[::-1].index("node_modules")
        assert name == "../../" + "/".join(parts[last + 1:])
    elif file == "/r/proj" or file.startswith("/r/proj/"):
        assert name == "../../../" + Path(os.path.relpath(file, "/r/proj")).as_posix()
    else:
        assert name == f"prebundle:file/{parts[-1]}"


class _Reverser:
    """A namer whose names are easy to tell from the sources; every third one is library code."""

    def name(self, source: str) -> tuple[str, bool]:
        return "renamed/" + source[::-1], len(source) % 3 == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6),
       st.sampled_from(["", "\n", "  \n\t", "\r\n"]), st.booleans())
def test_a_map_is_renamed_in_its_bytes_as_a_parse_would_rename_it(sources, blanks, contents):
    """Only ``sources`` is replaced (and ``x_google_ignoreList`` added at the end), in the bytes
    esbuild wrote: the same JSON as parsing, renaming and adding the list would give."""
    from prebundle.bundle.sourcemaps import _rewrite

    value = {"version": 3, "sources": sources}
    if contents:
        value["sourcesContent"] = [f"// {source}\n" for source in sources]
    value.update({"mappings": "AAAA;AACA", "names": []})
    data = (json.dumps(value, indent=2, ensure_ascii=False) + blanks).encode()
    renamed = _rewrite(data, _Reverser())
    expected = dict(value, sources=["renamed/" + source[::-1] for source in sources])
    ignored = [index for index, source in enumerate(sources) if len(source) % 3 == 0]
    if ignored:
        expected["x_google_ignoreList"] = ignored
    assert json.loads(renamed) == expected
    assert list(json.loads(renamed)) == list(expected)  # the list comes last
    after = data.index(b'"sourcesContent"' if contents else b'"mappings"')
    assert data[after:].rstrip().rstrip(b"}").rstrip() in renamed  # the long fields' bytes are kept as they were
