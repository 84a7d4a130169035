"""Generate the synthetic source tree the scan benchmarks run on.

The tree looks like a large front-end app: an ``index.html`` entry, a few thousand
``.js/.jsx/.ts/.tsx`` modules of 50–400 lines under ``src/``, a relative-import graph in
which every module is reachable from the entry (a spanning tree plus cross edges, cycles,
barrels and lazy ``import()``s), bare imports of the bench app's specifiers sprinkled in,
type-only imports in TypeScript files and decoy imports in comments, strings, template
literals and regex literals that a scanner must not record. ``node_modules`` holds symlinks
into ``bench/app/node_modules`` so that every bare specifier resolves.

The output is a pure function of ``--files``, ``--seed`` and ``--kb``. A manifest,
``.bench-tree.json`` at the root of the tree, records them, plus the file to edit for the "one
file changed" figure. By default modules average about 5 KB; ``--kb 8`` makes them average
about 8 KB (every module's length scaled, the graph unchanged), closer to a real app's.

    python bench/gen_tree.py [OUT] [--files 5000] [--seed 1] [--kb 8] [--ensure]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_FILES", "DEFAULT_OUT", "MANIFEST", "Module", "generate", "load_specifiers"]

BENCH = Path(__file__).resolve().parent
APP = BENCH / "app"
DEFAULT_OUT = BENCH / ".work" / "tree"
DEFAULT_FILES = 5000
DEFAULT_MEAN_BYTES = 5050
"""The average module size of the default shape (``--kb`` scales lines by ``kb * 1024 / this``)."""
MANIFEST = ".bench-tree.json"
GENERATOR_VERSION = 2
"""Bumped whenever the output changes for the same arguments, so that stale trees are rebuilt."""

EXTENSIONS = (".js", ".jsx", ".ts", ".tsx")
EXTENSION_WEIGHTS = (30, 20, 30, 20)
FILES_PER_DIR = 24

AREAS = ("components", "features", "pages", "hooks", "utils", "services", "store", "lib", "api", "widgets")
TOPICS = (
    "billing", "invoices", "accounts", "profile", "settings", "search", "reports", "charts",
    "orders", "catalog", "cart", "checkout", "auth", "admin", "inbox", "calendar", "editor",
    "uploads", "teams", "projects", "tasks", "comments", "analytics", "maps", "media",
)
NOUNS = (
    "Table", "Panel", "List", "Card", "Form", "Dialog", "Header", "Footer", "Chart", "Badge",
    "Row", "Cell", "Filter", "Toolbar", "Menu", "Picker", "Summary", "Detail", "Editor", "View",
)
ADJECTIVES = (
    "User", "Invoice", "Order", "Account", "Project", "Task", "Report", "Search", "Price",
    "Status", "Team", "Media", "Event", "Session", "Payment", "Product", "Comment", "Note",
)

# Specifiers that exist nowhere: a scanner that records any of them has read a comment,
# a string or an elided type-only import as an import.
DECOYS = ("not-a-dep", "nope", "left-pad-ghost", "@ghost/pkg", "tpl-nope", "re-nope", "old-dep/sub")
TYPE_ONLY_DECOY = "@bench-ghost/types"


def load_specifiers(app: Path = APP) -> list[str]:
    """The bare specifiers of the bench app, in file order (``bench/app/specifiers.txt``)."""
    lines = (app / "specifiers.txt").read_text().splitlines()
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]


@dataclass
class Module:
    """One generated file and the edges that leave it."""

    index: int
    path: str
    """Relative to the tree root, with ``/`` separators."""
    name: str
    """The identifier of its default export."""
    lines: int
    imports: list[int] = field(default_factory=list)
    lazy: list[int] = field(default_factory=list)
    type_imports: list[int] = field(default_factory=list)
    reexports: list[int] = field(default_factory=list)
    bare: list[str] = field(default_factory=list)

    @property
    def is_ts(self) -> bool:
        return self.path.endswith((".ts", ".tsx"))

    @property
    def is_jsx(self) -> bool:
        return self.path.endswith((".jsx", ".tsx"))


def _directories(rng: random.Random, count: int) -> list[str]:
    dirs = ["src"]
    while len(dirs) < count:
        area = rng.choice(AREAS)
        depth = rng.choice((1, 2, 2, 3))
        parts = ["src", area] + [rng.choice(TOPICS) for _ in range(depth - 1)]
        if depth == 3:
            parts[-1] += rng.choice(("", "-core", "-ui", "-model"))
        d = "/".join(parts)
        if d not in dirs:
            dirs.append(d)
    return dirs


def plan(files: int, seed: int, specifiers: list[str], kb: float | None = None) -> list[Module]:
    """The shape of the tree: paths, sizes and edges, without any file text. ``kb``: the
    average module size wanted (None: the default shape, ~5 KB)."""
    scale = 1.0 if kb is None else kb * 1024 / DEFAULT_MEAN_BYTES
    rng = random.Random(seed)
    dirs = _directories(rng, max(1, files // FILES_PER_DIR))
    modules: list[Module] = []
    used_paths: set[str] = set()
    for i in range(files):
        ext = ".tsx" if i == 0 else rng.choices(EXTENSIONS, EXTENSION_WEIGHTS)[0]
        noun = rng.choice(NOUNS)
        name = f"{rng.choice(ADJECTIVES)}{noun}{i}"
        d = "src" if i == 0 else dirs[min(len(dirs) - 1, (i * len(dirs)) // files)]
        stem = "main" if i == 0 else (name if ext in (".jsx", ".tsx") else name[0].lower() + name[1:])
        path = f"{d}/{stem}{ext}"
        if path in used_paths:
            path = f"{d}/{stem}_{i}{ext}"
        used_paths.add(path)
        lines = 60 if i == 0 else int(rng.triangular(50, 400, 140) * scale)
        modules.append(Module(i, path, name, lines))

    # Spanning tree: every module is imported by an earlier one, mostly a near one, so the
    # graph is deep and local like a real app's, with a few long-range hubs.
    for m in modules[1:]:
        i = m.index
        if rng.random() < 0.8:
            parent = rng.randrange(max(0, i - 60), i)
        else:
            parent = rng.randrange(0, i)
        importer = modules[parent]
        (importer.lazy if rng.random() < 0.05 else importer.imports).append(i)

    # Cross edges (some backwards: cycles), barrels and type-only imports.
    ts_modules = [m.index for m in modules if m.is_ts]
    for m in modules:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            j = rng.randrange(0, files)
            if j != m.index and j != 0 and j not in m.imports and j not in m.lazy:
                m.imports.append(j)
        if rng.random() < 0.03 and m.index > 0:
            m.reexports = sorted({rng.randrange(1, files) for _ in range(rng.randint(2, 5))} - {m.index})
        if m.is_ts:
            for _ in range(rng.choice((0, 1, 1, 2))):
                j = rng.choice(ts_modules)
                if j != m.index and j not in m.type_imports:
                    m.type_imports.append(j)

    # Bare imports: every specifier at least once, then sprinkled.
    for k, spec in enumerate(specifiers):
        modules[1 + (k * 97) % (files - 1) if files > 1 else 0].bare.append(spec)
    for m in modules:
        if rng.random() < 0.3:
            for spec in rng.sample(specifiers, rng.choice((1, 1, 2))):
                if spec not in m.bare:
                    m.bare.append(spec)
    return modules


def _rel(importer: Module, target: Module, rng: random.Random) -> str:
    rel = os.path.relpath(target.path, os.path.dirname(importer.path)).replace(os.sep, "/")
    if not rel.startswith("."):
        rel = "./" + rel
    if rng.random() < 0.7:
        rel = rel.rsplit(".", 1)[0]
    return rel


class _Writer:
    """Builds the text of one module; ``k`` keeps local identifiers unique."""

    def __init__(self, m: Module, modules: list[Module], rng: random.Random) -> None:
        self.m, self.modules, self.rng = m, modules, rng
        self.out: list[str] = []
        self.count = 0
        """Lines emitted so far."""
        self.k = 0
        self.values: list[str] = []

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)
        self.count += sum(line.count("\n") + 1 for line in lines)

    def uid(self) -> int:
        self.k += 1
        return self.k

    # -- header ------------------------------------------------------------------------
    def header(self) -> None:
        m, rng = self.m, self.rng
        self.emit(f"// {m.path}: generated by bench/gen_tree.py", "")
        if m.is_jsx and rng.random() < 0.5:
            self.emit("import React from 'react';")
            self.values.append("React")
        for n, spec in enumerate(m.bare):
            form = rng.random()
            if form < 0.08:
                self.emit(f"import '{spec}';")
            elif form < 0.14:
                self.emit(f"const lazyDep{n} = () => import('{spec}');")
                self.values.append(f"lazyDep{n}")
            else:
                self.emit(f"import * as dep{n} from '{spec}';")
                self.values.append(f"dep{n}")
        for j in m.imports:
            t = self.modules[j]
            if m.is_ts and t.is_ts and rng.random() < 0.15:
                self.emit(f"import {t.name}, {{ type Model{j} }} from '{_rel(m, t, rng)}';")
            else:
                self.emit(f"import {t.name} from '{_rel(m, t, rng)}';")
            self.values.append(t.name)
        for j in m.lazy:
            t = self.modules[j]
            self.emit(f"const load{t.name} = () => import('{_rel(m, t, rng)}');")
            self.values.append(f"load{t.name}")
        for j in m.type_imports:
            t = self.modules[j]
            self.emit(f"import type {{ Model{j} as ModelRef{j} }} from '{_rel(m, t, rng)}';")
        if m.is_ts and rng.random() < 0.05:
            self.emit(f"import type {{ GhostShape }} from '{TYPE_ONLY_DECOY}';")
        for j in m.reexports:
            t = self.modules[j]
            self.emit(f"export {{ default as {t.name} }} from '{_rel(m, t, rng)}';")
        self.decoy_comment()
        self.emit("")
        if m.is_ts:
            self.emit(
                f"export type Model{m.index} = {{ id: number; label: string; value: number; tags?: string[] }};",
                f"export interface Props{m.index} {{ items: Model{m.index}[]; title?: string; onSelect?: (id: number) => void }}",
                "",
            )
            for j in m.type_imports:
                self.emit(f"export let lastRef{j}: ModelRef{j} | null = null;")

    # -- decoys ------------------------------------------------------------------------
    def decoy_comment(self) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            spec = rng.choice(DECOYS)
            self.emit(rng.choice((
                f"// import legacy from '{spec}';",
                f"/* import {{ helper }} from \"{spec}\"; */",
                f"/**\n * Example:\n *   import thing from '{spec}'\n *   export * from '{spec}'\n */",
                f"// TODO: const mod = await import('{spec}')",
            )))

    def decoy_statement(self) -> None:
        rng, k = self.rng, self.uid()
        spec = rng.choice(DECOYS)
        escaped = spec.replace("/", "\\/")
        self.emit(rng.choice((
            f"const hint{k} = \"import y from '{spec}'\";",
            f"const tpl{k} = `import z from '{spec}' // ${{hint{k}Label()}}`;\nfunction hint{k}Label() {{ return 'label'; }}",
            f"const pattern{k} = /import\\s+\\w+\\s+from\\s+'{escaped}'/;",
            f"const doc{k} = 'require(\"{spec}\") and import(\"{spec}\") are examples only';",
        )))

    # -- bodies ------------------------------------------------------------------------
    def annotate(self, ts: str) -> str:
        return ts if self.m.is_ts else ""

    def function(self) -> None:
        rng, k, i = self.rng, self.uid(), self.m.index
        items_t = self.annotate(f": Model{i}[]")
        ret_t = self.annotate(": number")
        self.emit(f"export function compute{k}(items{items_t}, factor{self.annotate(': number')} = {rng.randint(2, 9)}){ret_t} {{")
        self.emit(f"  let total = 0;")
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if kind < 0.3:
                self.emit(
                    "  for (const item of items) {",
                    f"    if (item.value > {rng.randint(1, 500)}) {{",
                    "      total += item.value * factor;",
                    "    } else {",
                    f"      total -= item.label.length % {rng.randint(2, 7)};",
                    "    }",
                    "  }",
                )
            elif kind < 0.55:
                self.emit(
                    "  {",
                    f"    const picked = items.filter((item) => item.id % {rng.randint(2, 5)} === 0).map((item) => item.value);",
                    "    total += picked.reduce((acc, v) => acc + v, 0);",
                    "  }",
                )
            elif kind < 0.75:
                self.emit(
                    "  switch (items.length) {",
                    "    case 0:",
                    "      return 0;",
                    f"    case {rng.randint(1, 4)}:",
                    "      total += 1;",
                    "      break;",
                    "    default:",
                    "      total += items.length;",
                    "  }",
                )
            else:
                self.emit(
                    "  try {",
                    f"    total += JSON.parse('{{\"n\": {rng.randint(1, 99)}}}').n;",
                    "  } catch (err) {",
                    f"    console.warn('compute{k} failed', err);",
                    "  }",
                )
        self.emit("  return total;", "}", "")

    def klass(self) -> None:
        rng, k, i = self.rng, self.uid(), self.m.index
        ts = self.m.is_ts
        self.emit(f"export class Store{k} {{")
        if ts:
            self.emit(f"  private items: Model{i}[] = [];", "  readonly name: string;")
        else:
            self.emit("  items = [];")
        self.emit(
            f"  constructor(name{self.annotate(': string')} = 'store{k}') {{",
            "    this.name = name;",
            "  }",
            f"  add(item{self.annotate(f': Model{i}')}){self.annotate(': this')} {{",
            "    this.items.push(item);",
            "    return this;",
            "  }",
            f"  byId(id{self.annotate(': number')}) {{",
            "    return this.items.find((item) => item.id === id) ?? null;",
            "  }",
            "  get size() {",
            "    return this.items.length;",
            "  }",
            "}",
            "",
        )
        if rng.random() < 0.3:
            self.emit(f"export const store{k} = new Store{k}();", "")

    def constants(self) -> None:
        rng, k = self.rng, self.uid()
        self.emit(f"export const config{k} = {{")
        for n in range(rng.randint(3, 8)):
            self.emit(rng.choice((
                f"  retries{n}: {rng.randint(0, 9)},",
                f"  label{n}: 'section {n} of {rng.choice(TOPICS)}',",
                f"  enabled{n}: {rng.choice(('true', 'false'))},",
                f"  ratio{n}: {rng.random():.3f},",
            )))
        self.emit("}" + (" as const;" if self.m.is_ts and rng.random() < 0.5 else ";"), "")

    def component(self) -> None:
        rng, k, i = self.rng, self.uid(), self.m.index
        props_t = self.annotate(f": Props{i}")
        title = rng.choice(TOPICS).capitalize()
        self.emit(
            f"export function Section{k}({{ items = [], title = '{title}', onSelect }}{props_t}) {{",
            "  const visible = items.filter((item) => item.value > 0);",
            "  return (",
            f"    <section className=\"section-{k}\" data-count={{visible.length}}>",
            "      <h2>{title}</h2>",
            "      {visible.length === 0 ? (",
            "        <p className=\"empty\">Nothing to show; try import from the menu.</p>",
            "      ) : (",
            "        <ul>",
            "          {visible.map((item) => (",
            "            <li key={item.id} onClick={() => onSelect && onSelect(item.id)}>",
            "              <strong>{item.label}</strong> <span>{item.value.toFixed(2)}</span>",
            "            </li>",
            "          ))}",
            "        </ul>",
            "      )}",
            "      <>",
            f"        <small>{{`${{visible.length}} of ${{items.length}}`}}</small>",
            "      </>",
            "    </section>",
            "  );",
            "}",
            "",
        )

    def default_export(self) -> None:
        m = self.m
        used = ", ".join(self.values) if self.values else ""
        self.emit(f"export const uses{m.index} = [{used}];", "")
        if m.is_jsx:
            self.emit(
                f"export default function {m.name}(props{self.annotate(f': Partial<Props{m.index}>')}) {{",
                f"  return <div className=\"{m.name}\">{{uses{m.index}.length}} {{props.title}}</div>;",
                "}",
            )
        else:
            self.emit(
                f"export default function {m.name}() {{",
                f"  return uses{m.index}.length;",
                "}",
            )

    def write(self) -> str:
        self.header()
        blocks = [self.function, self.klass, self.constants, self.decoy_statement]
        if self.m.is_jsx:
            blocks.append(self.component)
        while self.count < self.m.lines - 40:  # the largest block is ~35 lines
            self.rng.choice(blocks)()
            if self.rng.random() < 0.15:
                self.decoy_comment()
        while self.count < self.m.lines - 5:  # the default export adds 5
            if self.rng.random() < 0.2:
                self.decoy_statement()
            else:
                k = self.uid()
                self.emit(f"export const limit{k} = {self.rng.randint(1, 9999)};")
        self.default_export()
        return "\n".join(self.out) + "\n"


def _html(entry: Module, modules: list[Module]) -> str:
    second = modules[1].path if len(modules) > 1 else entry.path
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>bench tree</title>
    <!-- <script type="module" src="/src/not-there.js"></script> -->
    <script type="application/ld+json">{{"import": "import x from 'not-a-dep'"}}</script>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/{entry.path}"></script>
    <script type="module">
      import '/{second}';
    </script>
  </body>
</html>
"""


def _link_node_modules(out: Path, app: Path) -> None:
    """A real ``node_modules`` folder whose entries link to the bench app's installed packages.

    The folder itself is real so that tools keep their caches (``node_modules/.vite``) inside the
    tree rather than in the bench app; the packages' real paths still contain ``node_modules``.
    """
    link = out / "node_modules"
    source = app / "node_modules"
    if link.is_symlink() or link.is_file():
        link.unlink()
    link.mkdir(exist_ok=True)
    wanted = {e.name for e in source.iterdir() if not e.name.startswith(".")}
    for entry in link.iterdir():
        if entry.is_symlink() and entry.name not in wanted:
            entry.unlink()
    for name in sorted(wanted):
        target = link / name
        if not target.is_symlink():
            target.symlink_to(os.path.relpath(source / name, link), target_is_directory=True)


def generate(out: Path = DEFAULT_OUT, files: int = DEFAULT_FILES, seed: int = 1, app: Path = APP,
             kb: float | None = None) -> dict:
    """Write the tree into ``out`` (replacing a previous one) and return its manifest."""
    specifiers = load_specifiers(app)
    modules = plan(files, seed, specifiers, kb)
    if out.exists():
        for child in out.iterdir():
            if child.name == "node_modules":
                continue
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    total_lines = 0
    for m in modules:
        text = _Writer(m, modules, random.Random(seed * 1_000_003 + m.index)).write()
        total_lines += text.count("\n")
        p = out / m.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (out / "index.html").write_text(_html(modules[0], modules))
    (out / "tsconfig.json").write_text(json.dumps(
        {"compilerOptions": {"jsx": "react-jsx", "module": "esnext", "target": "es2022",
                             "moduleResolution": "bundler", "strict": True}}, indent=2) + "\n")
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(app / name, out / name)
    _link_node_modules(out, app)
    # The file edited by the "one file changed" figure: a mid-graph module with a bare import.
    edit = next(m for m in modules[len(modules) // 2:] + modules if m.bare and m.index)
    manifest = {
        "generator": GENERATOR_VERSION,
        "files": files,
        "seed": seed,
        **({"kb": kb} if kb is not None else {}),
        "lines": total_lines,
        "bytes": sum((out / m.path).stat().st_size for m in modules),
        "edit_target": edit.path,
        "specifiers": sorted({s for m in modules for s in m.bare}),
        "decoys": sorted(DECOYS + (TYPE_ONLY_DECOY,)),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def ensure(out: Path = DEFAULT_OUT, files: int = DEFAULT_FILES, seed: int = 1, app: Path = APP,
           kb: float | None = None) -> dict:
    """Generate the tree unless ``out`` already holds this very one."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        found = (manifest.get("generator"), manifest.get("files"), manifest.get("seed"), manifest.get("kb"))
        if found == (GENERATOR_VERSION, files, seed, kb):
            _link_node_modules(out, app)
            return manifest
    except (OSError, ValueError):
        pass
    return generate(out, files, seed, app, kb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help=f"output dir (default {DEFAULT_OUT})")
    parser.add_argument("--files", type=int, default=DEFAULT_FILES, help="number of modules (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    parser.add_argument("--kb", type=float, default=None, help="average module size in KB (default: ~5)")
    parser.add_argument("--ensure", action="store_true", help="keep the tree if it is already this one")
    args = parser.parse_args(argv)
    if args.files < 2:
        parser.error("--files must be at least 2")
    make = ensure if args.ensure else generate
    manifest = make(args.out.resolve(), args.files, args.seed, kb=args.kb)
    print(f"{args.out}: {manifest['files']} files, {manifest['lines']} lines, "
          f"{manifest['bytes'] / 1e6:.1f} MB, edit target {manifest['edit_target']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
