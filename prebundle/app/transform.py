"""One app module (TS, TSX, JSX) compiled to browser JavaScript by the warm esbuild service.

The daemon uses esbuild's transform API: one call per file, no file read by esbuild, about 2 ms
for a small TSX component (a one-file build with every import external cost 4.5 ms, with a
Python resolve callback 9 ms). The options are those of Vite's dev server: the JSX runtime of
the config (``dev_jsx``), the esbuild-relevant ``compilerOptions`` of the nearest tsconfig
(``dev_tsconfig``; the config's ``jsx`` keys win), ``import.meta.env`` and
``process.env.NODE_ENV`` defined as Vite defines them plus the config's ``define``, the config's
``target``, and a source map (made inline after the imports are rewritten, ``dev_sourcemap``).

``TransformKey`` names everything the output depends on (the code, every option, esbuild's
version), so results can be cached by it (``dev_cache``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..esbuild import TransformFailure
from .dev_errors import AppCodeError, AppCodeProblem, code_frame, column_of_byte
from .dev_imports import ImportSite, import_sites
from .dev_jsx import esbuild_jsx_options, is_jsx_file

if TYPE_CHECKING:
    from ..config import Config
    from ..esbuild import Service

__all__ = ["FORMAT", "Transformed", "env_define", "loader_for", "transform_key", "transform_module",
           "transform_options", "with_sites"]

FORMAT = "1"
"""Version of what ``transform_module`` makes of its input: a new one makes new cache keys."""

LOADERS = {".ts": "ts", ".mts": "ts", ".tsx": "tsx", ".jsx": "jsx", ".js": "js", ".mjs": "js"}


@dataclass(frozen=True)
class Transformed:
    """esbuild's output for one module, with where its imports are."""

    code: bytes
    """JavaScript (UTF-8), without a source-map comment."""
    map: str
    """The source map (JSON text)."""
    sites: tuple[ImportSite, ...]
    """The import specifiers in ``code``."""

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code.decode("utf-8"), "map": self.map, "sites": [list(site) for site in self.sites]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transformed:
        return cls(data["code"].encode("utf-8"), data["map"],
                   tuple(ImportSite(int(s), int(e), str(spec), bool(dyn)) for s, e, spec, dyn in data["sites"]))


DEV_TARGET = "esnext"
"""As Vite's dev server: the browser runs the code as written (top-level ``await`` included);
the build lowers it for its ``build.target``."""


def loader_for(config: Config, path: str) -> str:
    """esbuild's loader for a module file (``js`` for a type only plugins compile)."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    loader = LOADERS.get(suffix, "js")
    return "jsx" if loader == "js" and is_jsx_file(config, path) else loader


def env_define(config: Config) -> dict[str, str]:
    """``import.meta.env.*`` as Vite defines them in development, ``process.env.NODE_ENV``, and
    the config's ``define`` over them."""
    dev = config.mode != "production"
    env = {"BASE_URL": "/", "MODE": config.mode, "DEV": dev, "PROD": not dev, "SSR": False}
    define = {f"import.meta.env.{name}": json.dumps(value) for name, value in env.items()}
    define["import.meta.env"] = json.dumps(env)
    define["process.env.NODE_ENV"] = json.dumps("development" if dev else "production")
    define.update(config.define)
    return define


def transform_options(config: Config, *, sourcefile: str, loader: str, tsconfig: dict[str, Any]) -> dict[str, Any]:
    """esbuild's transform options for one module. ``sourcefile``: its path from the root
    (``src/App.tsx``: the map's source, with ``sourceRoot`` ``/``, is its URL)."""
    options: dict[str, Any] = {
        "loader": loader, "sourcefile": sourcefile, "sourcemap": "external", "source_root": "/",
        "target": DEV_TARGET, "charset": "utf8", "define": env_define(config),
        **esbuild_jsx_options(config),
    }
    if tsconfig:
        options["tsconfig_raw"] = {"compilerOptions": tsconfig}
    return options


def transform_key(code: str, options: dict[str, Any], esbuild_version: str) -> str:
    """The cache key of ``code`` transformed with ``options`` by that esbuild."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (FORMAT, esbuild_version, json.dumps(options, sort_keys=True)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(code.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


async def transform_module(service: Service, code: str, options: dict[str, Any], *, url: str) -> Transformed:
    """``code`` through esbuild; ``AppCodeError`` at its first error (``url``: what the page
    asked for). Import sites are found by the caller, off the event loop (``with_sites``)."""
    try:
        result = await service.transform_async(code, **options)
    except TransformFailure as failure:
        raise AppCodeError(_problem(failure, code, options["sourcefile"], url)) from None
    return Transformed(result.code.encode("utf-8"), result.map, ())


def with_sites(transformed: Transformed) -> Transformed:
    """``transformed`` with its import sites (a parse: run it on a worker thread)."""
    return Transformed(transformed.code, transformed.map, import_sites(transformed.code))


def _problem(failure: TransformFailure, code: str, sourcefile: str, url: str) -> AppCodeProblem:
    message = failure.errors[0] if failure.errors else None
    text = message.text if message is not None else str(failure)
    location = message.location if message is not None else None
    if location is None or not location.line:
        return AppCodeProblem(file=sourcefile, url=url, line=0, column=0, text=text)
    column = column_of_byte(location.line_text, location.column) + 1
    return AppCodeProblem(file=sourcefile, url=url, line=location.line, column=column, text=text,
                          frame=code_frame(code, location.line, column))
