"""Apps for ``prebundle build``: a React TSX app over the real packages of ``fixtures/npm`` (a
component behind a tsconfig alias, stylesheets, two dynamic imports sharing a module, an
imported image and a ``new URL(..., import.meta.url)`` one), built once through the CLI; and
small apps without packages for the cheaper checks."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.apps import NPM_MODULES, make_app, write_tree

MAIN = """\
import "/@prebundle/modulepreload-polyfill.js";
import { createRoot } from "react-dom/client";
import { App } from "@/App";
import "./main.css";

createRoot(document.getElementById("root")!).render(<App />);
"""

APP = """\
import { lazy, Suspense, useState } from "react";
import logo from "./logo.png";
import "./App.css";

const Lazy = lazy(() => import("./Lazy"));
const Other = lazy(() => import("./Other"));
const backdrop: string = new URL("./backdrop.png", import.meta.url).href;

export function App() {
  const [mode] = useState<string>(import.meta.env.MODE);
  return (
    <main className="app">
      <h1 id="title">Hello from TSX ({mode})</h1>
      <img id="logo" src={logo} alt="logo" />
      <img id="backdrop" src={backdrop} alt="" />
      <Suspense fallback={<p>loading</p>}>
        <Lazy />
        <Other />
      </Suspense>
    </main>
  );
}
"""

LAZY = """\
import "./Lazy.css";
import { label } from "./shared";

export default function Lazy() {
  return <p id="lazy" className="lazy">{label("lazy")}</p>;
}
"""

OTHER = """\
import { label } from "./shared";

export default function Other() {
  return <p id="other">{label("other")}</p>;
}
"""

SHARED = """\
export function label(name: string): string {
  return `${name} loaded`;
}
"""

TSCONFIG = """\
{
  "compilerOptions": {
    "jsx": "react-jsx",
    "baseUrl": ".",
    "paths": { "@/*": ["src/*"] }
  }
}
"""

PAGE = '<!doctype html>\n<html><head><title>app</title></head><body>\n<div id="root"></div>\n' \
       '<script type="module" src="/src/main.tsx"></script>\n</body></html>\n'

TITLE_COLOR = "rgb(1, 2, 3)"
LAZY_COLOR = "rgb(4, 5, 6)"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (browsers decode it; ``naturalWidth`` tells it loaded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def react_app(root: Path) -> Path:
    """The React TSX app at ``root``."""
    return make_app(root, MAIN, entry="src/main.tsx", html=PAGE, hand_packages=False, extra={
        "tsconfig.json": TSCONFIG,
        "src/App.tsx": APP,
        "src/Lazy.tsx": LAZY,
        "src/Other.tsx": OTHER,
        "src/shared.ts": SHARED,
        "src/main.css": "body { margin: 0; }\n",
        "src/App.css": f".app h1 {{ color: {TITLE_COLOR}; }}\n",
        "src/Lazy.css": f".lazy {{ color: {LAZY_COLOR}; }}\n",
        "src/logo.png": png(3, 1, (200, 10, 10)),
        "src/backdrop.png": png(2, 1, (10, 10, 200)),
    })


def plain_app(root: Path, files: dict[str, str | bytes]) -> Path:
    """An app without npm packages but esbuild: ``files`` plus a page loading ``src/main.ts``."""
    write_tree(root, {"index.html": '<script type="module" src="/src/main.ts"></script>\n', **files})
    (root / "node_modules").mkdir()
    (root / "node_modules" / "@esbuild").symlink_to(NPM_MODULES / "@esbuild", target_is_directory=True)
    return root


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """``prebundle <args>`` in a process of its own, with its own machine-wide package cache."""
    env = {**os.environ, "PREBUNDLE_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "prebundle", *args], capture_output=True, text=True, env=env,
                          timeout=180)


@dataclass(frozen=True)
class BuiltApp:
    root: Path
    dist: Path
    cli: subprocess.CompletedProcess[str]


@pytest.fixture(scope="package")
def built_react_app(tmp_path_factory) -> BuiltApp:
    """The React app after ``prebundle build ROOT`` (checked to have succeeded)."""
    base = tmp_path_factory.mktemp("react-build")
    root = react_app(base / "app")
    done = run_cli("build", str(root), cache=base / "machine-cache")
    assert done.returncode == 0, done.stderr
    return BuiltApp(root, root / "dist", done)
