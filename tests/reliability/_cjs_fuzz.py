"""Fuzz of the CommonJS export analysis (``prebundle.interop.analyze``) against Node.js itself.

Modules come from a small grammar of the export shapes real packages use (``exports.x =``,
``module.exports = {...}``, ``Object.defineProperty``, ``__esModule``, reexports through
``require``, ``__exportStar``, Babel's loop, UMD wrappers, ``NODE_ENV`` branches, decoys in
comments and strings), some of them then mutated into garbage. Each module is a package of its
own in ``node_modules``, with the files it reexports.

prebundle analyses them in worker processes, Node in batches (``Object.keys(await
import(file))``, which for CommonJS is exactly cjs-module-lexer's names, and
``Object.keys(require(file))``, the names the module really has); a watchdog gives each file a
time limit in both. The check: no crash, no hang, and prebundle's names contain Node's named
exports, or, where the sandbox evaluated the module, the names it really has. Names only in a
``NODE_ENV === "production"`` branch are by design missing in development mode (prebundle
follows the branch the mode takes; they carry the prefix ``prod_``).
"""

from __future__ import annotations

import json
import queue
import random
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FuzzFigures", "generate", "run_fuzz"]

MODE = "development"
DEAD_PREFIX = "prod_"
"""Names in branches development mode never takes."""
NOT_NAMES = {"default", "__esModule", "module.exports"}
PER_FILE_SECONDS = 20.0
"""A file that takes longer than this in prebundle (or in Node) counts as a hang."""

NAMES = ["foo", "bar", "baz", "value", "render", "createElement", "default", "class", "new", "async", "then",
         "constructor", "toString", "__proto__", "$x", "_y", "ünï", "a-b", "0", "with space", "", "π"]
IDENT = __import__("re").compile(r"^[A-Za-z_$ü][\w$]*$")
TOKENS = ["{", "}", "(", ")", "[", "]", '"', "'", "`", "/*", "*/", "//", "/", "\n", "exports.", "module.exports",
          "require(", "=", ";", ",", "...", "=>", "function", "\\", "${", "?", ":"]

_SIMPLE = ("assign", "assign", "assign", "define", "getter", "bad_getter", "esm", "literal", "decoy", "shadow",
           "cond", "chain", "umd", "factory", "json")
"""Statement kinds that export names themselves (``assign`` thrice: the commonest shape)."""
_NESTING = ("ts", "star", "whole", "babel", "spread", "env", "env_whole")
"""Statement kinds that reexport other files or nest statements: not below depth 2."""

TSLIB = ('var __exportStar = (this && this.__exportStar) || function (m, exports) { for (var p in m) '
         'if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) exports[p] = m[p]; };\n')
OLD_TS = "function __export(m) { for (var p in m) if (!exports.hasOwnProperty(p)) exports[p] = m[p]; }\n"


# -- the grammar -----------------------------------------------------------------------------------


@dataclass
class _Gen:
    rng: random.Random
    files: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def name(self, prefix: str = "") -> str:
        self.counter += 1
        if self.rng.random() < 0.25:
            base = self.rng.choice(NAMES)
            return prefix + base if prefix else base
        return f"{prefix}n{self.counter}"

    def value(self) -> str:
        return self.rng.choice(["1", '"s"', "function () {}", "local", "void 0", "class {}", "() => 1", "{}",
                                "null", "local.x", "[1, 2]"])

    def key(self, name: str) -> str:
        """``name`` as an object key or member access."""
        quote = self.rng.choice(['"', "'"])
        return name if IDENT.match(name) and self.rng.random() < 0.7 else f"{quote}{name}{quote}"

    def target(self, name: str) -> str:
        obj = self.rng.choice(["exports", "module.exports", "exports", "module.exports", "this"])
        if IDENT.match(name) and self.rng.random() < 0.7:
            return f"{obj}.{name}"
        return f"{obj}[{self.string(name)}]"

    def string(self, name: str) -> str:
        """``name`` as a string literal: plain, or with escapes (``\\u0061``, ``\\x61``)."""
        quote = self.rng.choice(['"', "'"])
        if name and self.rng.random() < 0.2:
            at = self.rng.randrange(len(name))
            code = ord(name[at])
            escape = f"\\x{code:02x}" if code < 256 and self.rng.random() < 0.5 else f"\\u{code:04x}"
            name = name[:at] + escape + name[at + 1:]
        return f"{quote}{name}{quote}"

    def child(self, depth: int, prefix: str = "") -> str:
        """A file this one reexports: ``./<file>``."""
        self.counter += 1
        rel = f"m{self.counter}" + self.rng.choice([".js", ".js", ".cjs", ""])
        disk = rel if rel.endswith((".js", ".cjs")) else rel + ".js"
        self.files[disk] = "placeholder"
        self.files[disk] = self.module(depth + 1, prefix=prefix, statements=self.rng.randint(1, 4))
        return "./" + rel

    def statement(self, depth: int, prefix: str) -> str:
        """One top-level statement of a random kind; ``prefix`` starts every name it exports."""
        kinds = list(_SIMPLE) + list(_NESTING)
        if depth >= 2:
            kinds = list(_SIMPLE)
        kind = self.rng.choice(kinds)
        maker = getattr(self, f"_{kind}")
        return maker(self.name(prefix), prefix) if kind in _SIMPLE else maker(depth, prefix)

    # -- statements that export names -------------------------------------------------------

    def _assign(self, n: str, prefix: str) -> str:
        return f"{self.target(n)} = {self.value()};"

    def _define(self, n: str, prefix: str) -> str:
        target = self.rng.choice(["exports", "module.exports"])
        return f"Object.defineProperty({target}, {self.string(n)}, {{ enumerable: true, value: {self.value()} }});"

    def _getter(self, n: str, prefix: str) -> str:
        get = self.rng.choice(["get: function () { return local; }", "get() { return local.x; }",
                               "get: () => local", "get: function () { return local['y']; }"])
        return f"Object.defineProperty(exports, {self.string(n)}, {{ enumerable: true, {get} }});"

    def _bad_getter(self, n: str, prefix: str) -> str:
        return (f"Object.defineProperty(exports, {json.dumps(n)}, "
                "{ enumerable: true, get: function () { return make(); } });")

    def _esm(self, n: str, prefix: str) -> str:
        return self.rng.choice(['Object.defineProperty(exports, "__esModule", { value: true });',
                                "exports.__esModule = true;",
                                'Object.defineProperty(exports,"__esModule",{value:!0});'])

    def _literal(self, n: str, prefix: str) -> str:
        parts, declared = [], []
        for _ in range(self.rng.randint(0, 5)):
            m = self.name(prefix)
            shorthand = IDENT.match(m) and m not in ("class", "new", "default", "async", "__proto__")
            if shorthand and self.rng.random() < 0.3:
                declared.append(f"var {m} = 1; ")
                parts.append(m)
                continue
            parts.append(self.rng.choice([f"{self.key(m)}: {self.value()}", f"{self.key(m)}() {{}}",
                                          f"get {self.key(m)}() {{ return 1; }}"]))
        return f"{''.join(declared)}module.exports = {{ {', '.join(parts)} }};"

    def _decoy(self, n: str, prefix: str) -> str:
        return self.rng.choice([f"// exports.decoy_{n} = 1", f"/* module.exports = {{ decoy_{n} }} */",
                                f"var s = 'exports.decoy_{n} = 1';", f"var r = /exports.decoy_{n} = 1/;",
                                f"var t = `module.exports.decoy_{n} = ${{1}}`;"])

    def _shadow(self, n: str, prefix: str) -> str:
        return f"function helper(exports) {{ {self.target(n).replace('module.exports', 'exports')} = 1; }}"

    def _cond(self, n: str, prefix: str) -> str:
        return f"if (typeof window !== 'undefined') {{ {self.target(n)} = 1; }}"

    def _chain(self, n: str, prefix: str) -> str:
        return f"{self.target(n)} = {self.target(self.name(prefix))} = void 0;"

    def _umd(self, n: str, prefix: str) -> str:
        inner = ", ".join(f"{self.key(self.name(prefix))}: 1" for _ in range(self.rng.randint(1, 4)))
        return ("(function (root, factory) {\n  if (typeof define === 'function' && define.amd) define([], factory);\n"
                "  else if (typeof module === 'object' && module.exports) module.exports = factory();\n"
                f"  else root.Lib = factory();\n}})(this, function () {{ return {{ {inner} }}; }});")

    def _factory(self, n: str, prefix: str) -> str:
        inner = "; ".join(f"o[{json.dumps(self.name(prefix))}] = {i}" for i in range(self.rng.randint(1, 4)))
        return f"function factory() {{ var o = {{}}; {inner}; return o; }}\nmodule.exports = factory();"

    def _json(self, n: str, prefix: str) -> str:
        self.counter += 1
        rel = f"d{self.counter}.json"
        self.files[rel] = json.dumps({self.name(prefix): 1 for _ in range(self.rng.randint(0, 3))})
        return f"module.exports = require('./{rel}');"

    # -- statements that reexport other files (not below depth 2) -------------------------------

    def _ts(self, depth: int, prefix: str) -> str:
        return f"{TSLIB}__exportStar(require({json.dumps(self.child(depth, prefix))}), exports);"

    def _star(self, depth: int, prefix: str) -> str:
        return f"{OLD_TS}__export(require({json.dumps(self.child(depth, prefix))}));"

    def _whole(self, depth: int, prefix: str) -> str:
        return f"module.exports = require({json.dumps(self.child(depth, prefix))});"

    def _babel(self, depth: int, prefix: str) -> str:
        var = f"_m{self.counter}"
        body = self.rng.choice([f"exports[key] = {var}[key];",
                                f"Object.defineProperty(exports, key, {{ enumerable: true, get: function () "
                                f"{{ return {var}[key]; }} }});"])
        return (f"var {var} = require({json.dumps(self.child(depth, prefix))});\n"
                f"Object.keys({var}).forEach(function (key) {{\n  if (key === 'default' || key === '__esModule') return;\n"
                f"  if (key in exports && exports[key] === {var}[key]) return;\n  {body}\n}});")

    def _spread(self, depth: int, prefix: str) -> str:
        return (f"module.exports = {{ ...require({json.dumps(self.child(depth, prefix))}), "
                f"{self.key(self.name(prefix))}: 1 }};")

    def _env(self, depth: int, prefix: str) -> str:
        prod = " ".join(self.statement(depth + 1, DEAD_PREFIX) for _ in range(self.rng.randint(1, 2)))
        dev = " ".join(self.statement(depth + 1, prefix) for _ in range(self.rng.randint(1, 2)))
        test = self.rng.choice(['process.env.NODE_ENV === "production"', "'production' === process.env.NODE_ENV",
                                'process.env.NODE_ENV == "production"'])
        return f"if ({test}) {{\n{prod}\n}} else {{\n{dev}\n}}"

    def _env_whole(self, depth: int, prefix: str) -> str:
        prod, dev = json.dumps(self.child(depth, DEAD_PREFIX)), json.dumps(self.child(depth, prefix))
        if self.rng.random() < 0.5:
            return (f"if (process.env.NODE_ENV === 'production') {{ module.exports = require({prod}); }}"
                    f" else {{ module.exports = require({dev}); }}")
        return f"module.exports = process.env.NODE_ENV === 'production' ? require({prod}) : require({dev});"

    def module(self, depth: int = 0, *, prefix: str = "", statements: int | None = None) -> str:
        count = statements if statements is not None else self.rng.randint(1, 8)
        body = [self.statement(depth, prefix) for _ in range(count)]
        head = self.rng.choice(["", '"use strict";\n'])
        return head + "var local = { x: 1, y: 2 };\nfunction make() { return 1; }\n" + "\n".join(body) + "\n"


def mutate(rng: random.Random, source: str) -> str:
    """Garbage: a few random edits (deletions, duplications, stray tokens, flipped bytes)."""
    text = source
    for _ in range(rng.randint(1, 6)):
        if not text:
            break
        at = rng.randrange(len(text))
        choice = rng.random()
        if choice < 0.3:
            text = text[:at] + text[at + rng.randint(1, 20):]
        elif choice < 0.5:
            span = text[at: at + rng.randint(1, 40)]
            text = text[:at] + span + text[at:]
        elif choice < 0.8:
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        else:
            text = text[:at] + chr(rng.randrange(0x20, 0x3000)) + text[at + 1:]
    if rng.random() < 0.1:
        text = text[: rng.randrange(len(text) + 1)]
    return text


def generate(root: Path, count: int, *, seed: int) -> list[Path]:
    """``count`` packages ``fz0``… under ``root/node_modules``; returns their entry files."""
    rng = random.Random(seed)
    entries = []
    modules = root / "node_modules"
    for index in range(count):
        gen = _Gen(rng)
        source = gen.module()
        if rng.random() < 0.15:
            source = mutate(rng, source)
        if rng.random() < 0.01:
            source = "module.exports = " + "[" * 3000 + "]" * 3000 + ";\n" + source
        package = modules / f"fz{index}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "package.json").write_text(json.dumps({"name": f"fz{index}", "version": "1.0.0",
                                                          "main": "index.js"}))
        (package / "index.js").write_text(source, encoding="utf-8")
        for rel, text in gen.files.items():
            (package / rel).write_text(text, encoding="utf-8")
        entries.append(package / "index.js")
    return entries


# -- running prebundle and Node under a watchdog -----------------------------------------------------


NODE_SCRIPT = r"""
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { readFileSync } from 'node:fs'
process.env.NODE_ENV = 'development'
process.on('uncaughtException', () => {})
process.on('unhandledRejection', () => {})
const require = createRequire(import.meta.url)
const files = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const start = Number(process.argv[3])
for (let i = start; i < files.length; i++) {
  const out = { i }
  try { out.named = Object.keys(await import(pathToFileURL(files[i]).href)) } catch (e) { out.importError = String(e).slice(0, 200) }
  try {
    const m = require(files[i])
    out.runtime = m !== null && (typeof m === 'object' || typeof m === 'function') ? Object.keys(m) : []
  } catch (e) { out.requireError = String(e).slice(0, 200) }
  process.stdout.write(JSON.stringify(out) + '\n')
}
"""


def _worker(list_file: str, start: int) -> None:
    """prebundle's side: ``analyze`` each file, one JSON line per file."""
    from prebundle.interop import analyze
    from prebundle.resolve import Resolver, ResolveError

    files = json.loads(Path(list_file).read_text())
    resolvers: dict[Path, object] = {}
    for index in range(start, len(files)):
        entry = Path(files[index])
        root = entry.parent.parent.parent
        resolver = resolvers.get(root) or resolvers.setdefault(root, Resolver(root).for_require())

        def resolve_require(spec: str, from_file: Path, resolver=resolver):
            try:
                return resolver.resolve(spec, from_file).entry
            except ResolveError:
                return None

        out: dict = {"i": index}
        try:
            result = analyze(entry, mode=MODE, package_dir=entry.parent, package_name=entry.parent.name,
                             resolve_require=resolve_require)
            out.update(names=list(result.names), evaluated=result.evaluated, interop=result.needs_interop)
        except Exception as error:  # noqa: BLE001 - the figure is the crash
            out["crash"] = "".join(traceback.format_exception_only(type(error), error)).strip()[:300]
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _watchdog(argv_for, count: int, limit: float, cwd: Path) -> dict[int, dict]:
    """Run ``argv_for(start)`` (one JSON line per file, ``{"i": ...}``) over files ``0..count``;
    a file with no answer within ``limit`` seconds is a hang: the process is killed and
    restarted after it."""
    results: dict[int, dict] = {}
    start = 0
    while start < count:
        process = subprocess.Popen(argv_for(start), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True, errors="replace")
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
        expected = start
        while expected < count:
            try:
                line = lines.get(timeout=limit)
            except queue.Empty:
                results[expected] = {"i": expected, "hang": True}
                break
            if line is None:  # the process died on this file
                results[expected] = {"i": expected, "died": True, "code": process.wait()}
                break
            data = json.loads(line)
            results[data["i"]] = data
            expected = data["i"] + 1
        if process.poll() is None:
            process.kill()
        process.wait()
        start = expected + 1 if expected < count else count
    return results


@dataclass
class FuzzFigures:
    modules: int = 0
    files: int = 0
    """Files generated (entries plus the files they reexport)."""
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    """A name Node exposes (or the module really has, where prebundle evaluated) that prebundle lacks."""
    by_design: int = 0
    """Modules where only ``prod_`` names (a branch development mode never takes) were missing."""
    lexer_get: list[str] = field(default_factory=list)
    """Modules where Node's only extra name is ``get`` or ``set``, from an accessor in an object
    literal (``module.exports = { get x() {...} }``): cjs-module-lexer takes the keyword for a
    shorthand key, so Node has an export ``get`` whose value is always undefined."""
    checked_named: int = 0
    """Modules Node imported, whose named exports were compared."""
    extra: int = 0
    """Modules where prebundle gives names Node does not (allowed: at least Node's names)."""
    checked_runtime: int = 0
    """Modules prebundle evaluated and Node required, whose real keys were compared."""
    node_rejected: int = 0
    """Modules Node could not import (syntax errors from the mutations, throwing code): only crash
    and hang are checked."""
    evaluated: int = 0
    node_hangs: list[str] = field(default_factory=list)
    """Modules Node itself did not finish (or died on) within the time limit: not compared."""
    seconds: float = 0.0


def run_fuzz(work: Path, count: int, *, seed: int = 1, limit: float = PER_FILE_SECONDS) -> FuzzFigures:
    started = time.perf_counter()
    entries = generate(work, count, seed=seed)
    figures = FuzzFigures(modules=count, files=sum(1 for _ in (work / "node_modules").rglob("*.*js*")))
    list_file = work / "files.json"
    list_file.write_text(json.dumps([str(e) for e in entries]))
    script = work / "node_exports.mjs"
    script.write_text(NODE_SCRIPT)
    repo = Path(__file__).resolve().parents[2]
    env_python = [sys.executable, "-c", "import sys; from tests.reliability._cjs_fuzz import _worker; "
                                        "_worker(sys.argv[1], int(sys.argv[2]))", str(list_file)]
    ours = _watchdog(lambda start: [*env_python, str(start)], count, limit, repo)
    node = _watchdog(lambda start: ["node", "--no-warnings", str(script), str(list_file),
                                    str(start)], count, limit, work)
    for index, entry in enumerate(entries):
        _compare(index, entry, ours.get(index, {}), node.get(index, {}), figures)
    figures.seconds = time.perf_counter() - started
    return figures


def _has_accessor(entry: Path) -> bool:
    """Some file of the package has ``get name(`` / ``set name(`` (an accessor in a literal)."""
    pattern = __import__("re").compile(r"""\b[gs]et\s*(?:[\w$]+|'[^']*'|"[^"]*"|\[[^\]]*\])\s*\(""")
    return any(pattern.search(p.read_text(errors="replace")) for p in entry.parent.glob("*.*js"))


def _compare(index: int, entry: Path, ours: dict, node: dict, figures: FuzzFigures) -> None:
    where = f"fz{index}"
    if ours.get("hang"):
        figures.hangs.append(f"{where}: no answer in the time limit")
        return
    if "crash" in ours or ours.get("died") or "names" not in ours:
        figures.crashes.append(f"{where}: {ours.get('crash') or ours}")
        return
    if node.get("hang") or node.get("died"):
        figures.node_hangs.append(f"{where}: {'no answer' if node.get('hang') else 'died'}")
        return
    names = set(ours["names"])
    figures.evaluated += bool(ours.get("evaluated"))
    wanted: set[str] = set()
    if "named" in node:
        figures.checked_named += 1
        wanted |= set(node["named"]) - NOT_NAMES
    else:
        figures.node_rejected += 1
    if ours.get("evaluated") and "runtime" in node:
        figures.checked_runtime += 1
        wanted |= set(node["runtime"]) - NOT_NAMES
    if "named" in node and names - wanted:
        figures.extra += 1
    missing = wanted - names
    if not missing:
        return
    live = {name for name in missing if not name.startswith(DEAD_PREFIX)}
    if not live:
        figures.by_design += 1
        return
    if live <= {"get", "set"} and _has_accessor(entry):
        figures.lexer_get.append(f"{where}: Node has {sorted(live)}")
        return
    figures.mismatches.append(f"{where}: Node has {sorted(missing - {n for n in missing if n.startswith(DEAD_PREFIX)})[:6]}"
                              f" that prebundle lacks ({entry})")
