"""The consistency check itself: silent on a good deps dir, and it sees each way a served
folder can be broken (so the kill and disk-full figures can fail)."""

from __future__ import annotations

import json
import shutil

import pytest

from ._common import served_problems

DEPS = "node_modules/.vite/deps"


def _edit_json(path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


BREAKAGES = {
    "a bundle truncated": lambda d: (d / "react.js").write_bytes((d / "react.js").read_bytes()[:100]),
    "a bundle emptied": lambda d: (d / "react.js").write_bytes(b""),
    "a bundle deleted": lambda d: (d / "react.js").unlink(),
    "a ?v= that is not the file's hash": lambda d: _edit_json(d / "importmap.json", lambda m: m["imports"].update(
        react=m["imports"]["react"].split("?v=")[0] + "?v=00000000")),
    "an id only in the import map": lambda d: _edit_json(d / "importmap.json", lambda m: m["imports"].update(
        extra="/node_modules/.vite/deps/react.js?v=" + m["imports"]["react"].split("?v=")[1])),
    "a fileHash that is not the file's hash": lambda d: _edit_json(d / "_metadata.json", lambda m: m["optimized"][
        "react"].update(fileHash="00000000")),
    "a manifest record missing": lambda d: _edit_json(d / "manifest.json", lambda m: m.pop("react")),
    "a manifest naming another file": lambda d: _edit_json(d / "manifest.json", lambda m: m["react"].update(
        file="dayjs.js")),
    "_metadata.json missing": lambda d: (d / "_metadata.json").unlink(),
    "importmap.json half written": lambda d: (d / "importmap.json").write_bytes(
        (d / "importmap.json").read_bytes()[:40]),
    "a staging folder inside": lambda d: (d / ".build-react").mkdir(),
    "a stray temp file inside": lambda d: (d / ".react.js.1a2b3c").write_text("x"),
    "a missing chunk a bundle imports": lambda d: (d / "react.js").write_bytes(
        b'import "./chunk-GONE.js";\n' + (d / "react.js").read_bytes()),
}


def test_a_good_deps_dir_has_no_problems(good_app):
    root, _env = good_app
    assert served_problems(root / DEPS) == []


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_each_broken_state_is_seen(good_app, tmp_path, breakage):
    root, _env = good_app
    deps = tmp_path / "deps"
    shutil.copytree(root / DEPS, deps)
    BREAKAGES[breakage](deps)
    assert served_problems(deps) != []


def test_a_missing_deps_dir_is_a_problem_only_when_it_must_exist(tmp_path):
    assert served_problems(tmp_path / "nowhere") == ["the deps dir is missing"]
    assert served_problems(tmp_path / "nowhere", must_exist=False) == []
