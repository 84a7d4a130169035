"""The modules ``prebundle build`` starts from: ``build.entries`` (paths or globs), else the module
scripts (``<script type="module" src>``) of the pages the scan starts from.

A page's ``src="/src/main.tsx"`` is relative to the root, ``src="./main.tsx"`` to the page; URLs
with a scheme (a CDN) and ``/@prebundle/...`` (the daemon's own routes) are not the app's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..filetypes import SCRIPT_EXTENSIONS
from ..scanner.blocks import script_blocks
from ..scanner.files import HTML_SUFFIXES
from ..scanner.globs import glob_files, walk_files
from .build_errors import AppBuildError

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["BuildEntry", "build_entries", "page_files", "page_scripts"]

ENTRY_EXTENSIONS = (*SCRIPT_EXTENSIONS, ".css")
"""What an entry may be: a module, or a stylesheet of its own (a CSS-only page)."""
DAEMON_ROUTES = "/@"
"""URL paths the daemon answers itself (``/@prebundle/client.js``): no file of the app."""


@dataclass(frozen=True, slots=True)
class BuildEntry:
    """One module the build starts from."""

    path: Path
    """The file (absolute)."""
    key: str
    """Its path relative to the root, POSIX separators: its manifest key (``src/main.tsx``)."""


def build_entries(config: Config) -> tuple[BuildEntry, ...]:
    """The entries of ``config``'s build, in a stable order, each once. Raises ``AppBuildError``
    when a configured entry matches nothing, a page names a missing script, or nothing is found."""
    out_dir = config.root / config.out_dir
    skip = [config.cache_dir, out_dir]
    files: list[Path] = []
    if config.build.entries:
        for pattern in config.build.entries:
            matched = glob_files([pattern], config.root, skip=skip)
            if not matched:
                raise AppBuildError(f"build.entries: {pattern!r} matches no file under {config.root} "
                                    "(give paths relative to the root, such as 'src/main.tsx')")
            for path in matched:
                if not path.name.endswith((*ENTRY_EXTENSIONS, *HTML_SUFFIXES)):
                    raise AppBuildError(f"build.entries: {_key(path, config.root)} is not a module, a stylesheet "
                                        f"or a page ({', '.join(ENTRY_EXTENSIONS)}, .html)")
            files.extend(matched)
        where = "build.entries"
    else:
        files = page_files(config)
        where = "the pages the scan starts from (every *.html, or the config's entries)"
    found: list[Path] = []
    for file in files:
        found.extend(page_scripts(file, config.root) if file.name.endswith(HTML_SUFFIXES) else [file])
    entries = {_key(path, config.root): BuildEntry(path, _key(path, config.root)) for path in found
               if path.suffix in ENTRY_EXTENSIONS}
    if not entries:
        raise AppBuildError(f"nothing to build: no module script or stylesheet in {where}; add "
                            "<script type=\"module\" src=\"/src/main.tsx\"> to a page, or set build.entries "
                            "in the config (e.g. build = {entries = [\"src/main.tsx\"]})")
    return tuple(entries.values())


def page_files(config: Config) -> list[Path]:
    """The pages the scan starts from (``scanner.crawl.find_entries``): the config's ``entries``
    globs, else every ``*.html`` outside ``node_modules``, the cache dir and the out dir. Found
    here without the crawler, which a build whose deps are remembered never loads."""
    skip = [config.cache_dir, config.root / config.out_dir]
    if config.entries:
        return glob_files(config.entries, config.root, skip=skip)
    return [config.root / rel for rel in sorted(walk_files(config.root, skip=skip)) if rel.endswith(HTML_SUFFIXES)]


def page_scripts(page: Path, root: Path) -> list[Path]:
    """The files of a page's ``<script type="module" src>`` tags, in page order (the tags the
    scan reads a page's imports from, ``scanner.blocks``)."""
    scripts = []
    rel = _key(page, root)
    for block in script_blocks(page.read_bytes(), "html"):
        specifier = block.attrs.get("src", "").strip()
        if block.attrs.get("type", "").strip().lower() != "module" or not specifier:
            continue
        src = unquote(specifier.split("?", 1)[0].split("#", 1)[0])
        if "://" in src or src.startswith(("//", DAEMON_ROUTES, "data:")):
            continue
        target = root / src.lstrip("/") if src.startswith("/") else page.parent / src
        if not target.is_file():
            raise AppBuildError(f'{rel}:{block.src_line}: <script type="module" src="{specifier}">: no such '
                                f"file {_key(target, root)} (fix the src, or set build.entries in the config)")
        scripts.append(Path(os.path.normpath(target)))
    return scripts


def _key(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()
