"""Bad input never crashes a scan: random trees of garbage, mutated sources, unreadable files and
symlink loops give imports or warnings, never a traceback."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prebundle import load_config, scan

NPM_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "npm"

SEEDS = [
    b"import React, { useState } from 'react'\nexport default function App() { return <div/> }\n",
    b"import type { A } from 'a'\nexport const f = <T,>(x: T) => x\nimport('lazy')\n",
    b"<script type=\"module\">import 'x'</script><script src=\"./a.js\" type=module></script>",
    b"<template><div/></template><script setup lang=\"ts\">import { ref } from 'vue'</script>",
    b"const x = require('cjs')\nmodule.exports = import.meta.glob('./*.js')\n",
]
for _name in ("react/cjs/react.development.js", "lodash-es/map.js", "dayjs/esm/index.js"):
    _path = NPM_DIR / "node_modules" / _name
    if _path.is_file():
        SEEDS.append(_path.read_bytes()[:20000])

EXTENSIONS = [".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte", ".html"]


@st.composite
def file_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["random", "truncated", "mutated", "huge-line", "binary"]))
    seed = draw(st.sampled_from(SEEDS))
    if kind == "random":
        return draw(st.binary(max_size=2000))
    if kind == "truncated":
        return seed[: draw(st.integers(0, len(seed)))]
    if kind == "mutated":
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 20))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "huge-line":
        return b"import 'a'; " + b"x" * draw(st.integers(100_000, 1_000_000)) + b"\nimport 'b'\n"
    return bytes(draw(st.lists(st.integers(0, 255), min_size=1, max_size=500)))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(EXTENSIONS), file_bytes()), min_size=1, max_size=8),
       st.booleans(), st.booleans())
def test_scan_of_garbage_never_raises(files, unreadable, loop):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = []
        for index, (ext, data) in enumerate(files):
            name = f"f{index}{ext}"
            (root / name).write_bytes(data)
            names.append(name)
        imports = "".join(f"import './{name}'\n" for name in names)
        (root / "main.js").write_text(imports + "import './loop.js'\nimport './locked.js'\n")
        (root / "index.html").write_text('<script type="module" src="/main.js"></script>')
        if loop:
            (root / "loop.js").symlink_to(root / "loop.js")
        if unreadable:
            (root / "locked.js").write_text("import 'x'")
            os.chmod(root / "locked.js", 0)
        result = scan(load_config(root), use_cache=False)
        assert result.stats.files >= 2
        for warning in result.warnings:
            assert "\n" not in warning
            assert "could not extract imports" not in warning  # the extractor itself never raised
