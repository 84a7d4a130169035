"""Feed the scanner 10,000 bad inputs and count the crashes (goal: 0).

Inputs are random bytes, truncated and mutated real JS/TS files, binary data, huge lines,
unreadable files and symlink loops, put into project trees of 100 files and scanned with the
scan cache off. A crash is an exception out of ``scan()`` or a warning saying the extractor
itself raised.

    .venv/bin/python bench/fuzz_scan.py [--inputs 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prebundle import load_config, scan  # noqa: E402

EXTENSIONS = [".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".vue", ".svelte", ".html"]
PER_TREE = 100


def seeds() -> list[bytes]:
    found = [
        b"import React, { useState } from 'react'\nexport default () => <div>{`x ${y}`}</div>\n",
        b"import type { A } from 'a'\nexport const f = <T,>(x: T): T => x\nawait import(`lazy`)\n",
        b"<!doctype html><script type=module src=/a.js></script><script type=module>import 'x'</script>",
        b"<script setup lang=\"ts\">import { ref } from 'vue'\n</script><template><p/></template>",
        b"<script context=\"module\">export const p = 1; import 's'</script>",
        b"const a = require('a'); module.exports = import.meta.glob(['./*.js', '!./x.js'])",
    ]
    modules = REPO / "fixtures" / "npm" / "node_modules"
    for rel in ("react/cjs/react.development.js", "react-dom/cjs/react-dom-client.development.js",
                "lodash-es/lodash.js", "dayjs/esm/index.js", "moment/moment.js", "preact/src/index.js"):
        path = modules / rel
        if path.is_file():
            found.append(path.read_bytes()[:200_000])
    return found


def make_input(rng: random.Random, pool: list[bytes]) -> bytes:
    kind = rng.choice(["random", "truncated", "mutated", "huge-line", "binary", "spliced"])
    seed = rng.choice(pool)
    if kind == "random":
        return rng.randbytes(rng.randint(0, 4000))
    if kind == "truncated":
        return seed[: rng.randint(0, len(seed))]
    if kind == "mutated":
        data = bytearray(seed)
        for _ in range(rng.randint(1, 50)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == "huge-line":
        return b"import 'a';" + b"(" * rng.randint(1000, 200_000) + b"\n" + b"x" * rng.randint(10_000, 2_000_000)
    if kind == "spliced":
        other = rng.choice(pool)
        return seed[: rng.randint(0, len(seed))] + other[rng.randint(0, len(other)) :]
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000)))


def build_tree(root: Path, rng: random.Random, pool: list[bytes], count: int) -> None:
    names = []
    for index in range(count):
        name = f"f{index}{rng.choice(EXTENSIONS)}"
        (root / name).write_bytes(make_input(rng, pool))
        names.append(name)
    if rng.random() < 0.3:
        (root / "loop.js").symlink_to(root / "loop.js")
        names.append("loop.js")
    if rng.random() < 0.3:
        (root / "locked.js").write_text("import 'x'")
        os.chmod(root / "locked.js", 0)
        names.append("locked.js")
    (root / "main.js").write_text("".join(f"import './{name}'\n" for name in names))
    (root / "index.html").write_text('<script type="module" src="/main.js"></script>')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = seeds()
    crashes = 0
    inputs = 0
    started = time.perf_counter()
    while inputs < args.inputs:
        count = min(PER_TREE, args.inputs - inputs)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            build_tree(root, rng, pool, count)
            try:
                result = scan(load_config(root), use_cache=False)
            except Exception:
                crashes += count
                traceback.print_exc()
            else:
                bad = [w for w in result.warnings if "could not extract imports" in w or "\n" in w]
                crashes += len(bad)
                for warning in bad:
                    print("crash:", warning, file=sys.stderr)
        inputs += count
        print(f"\r{inputs} inputs, {crashes} crashes", end="", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    print(f"fuzz_scan: {inputs} inputs, {crashes} crashes, {seconds:.1f} s (seed {args.seed})")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
