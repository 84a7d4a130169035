"""What the daemon watches, and what a change means.

``node_modules`` is big, so it is never watched recursively: the root and ``node_modules`` are
watched flat (package.json, lockfiles, config files, install-state files, new top-level folders),
and every other top-level folder of the root (sources, ``patches/``), ``node_modules/.pnpm``
and the folders of linked packages recursively. ``classify`` turns changed paths into the kinds
of work they call for; ``watch_changes`` yields batches of them until stopped, re-arming its
watches when the set of folders changes.
"""

from __future__ import annotations

import asyncio
import os
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from ..config import CONFIG_FILE, Config
from ..filetypes import SOURCE_EXTENSIONS
from ..hashing import INSTALL_STATE_FILES, LOCKFILES

__all__ = ["Changes", "WatchPlan", "classify", "config_files", "watch_changes"]

log = logging.getLogger("prebundle.daemon")

STEP_MS = 20
"""Quiet time that ends a burst of file events (watchfiles' ``step``): an editor's save (write,
rename) is one burst; every millisecond here is added to each save → reload."""
MAX_BATCH_MS = 1600
"""Longest a continuous burst is held before it is reported anyway."""
OVERLAP_SECONDS = 0.3
"""How long the old watches keep reporting after a re-arm (a few quiet windows)."""

SKIP_DIRS = frozenset({"node_modules", ".git", ".hg", ".svn", "__pycache__", ".venv", "venv",
                       ".pytest_cache", ".mypy_cache", ".tox", ".idea", ".vscode", ".cache"})
"""Top-level folders never watched recursively."""


@dataclass
class Changes:
    """One batch of changes, sorted into the work they need."""

    source: set[str] = field(default_factory=set)
    """The app's files: sources, pages, stylesheets, assets (rescan; then pages that loaded
    one reload, or swap a stylesheet)."""
    install: set[str] = field(default_factory=set)
    """package.json, lockfiles, install state, patches, linked packages' manifests (re-hash)."""
    config: set[str] = field(default_factory=set)
    """Config files (reload the config, re-hash)."""
    folders: bool = False
    """A top-level folder appeared or vanished: the watches must be re-armed."""
    output: bool = False
    """The output folder (``deps``) was replaced, by the daemon's own run or by another process."""
    watched: set[str] = field(default_factory=set)
    """Files plugins asked to watch (``add_watch_file``): rescan and re-optimize."""

    def __bool__(self) -> bool:
        return bool(self.source or self.install or self.config or self.folders or self.output or self.watched)

    def merge(self, other: Changes) -> None:
        self.source |= other.source
        self.install |= other.install
        self.config |= other.config
        self.watched |= other.watched
        self.folders = self.folders or other.folders
        self.output = self.output or other.output

    def describe(self, root: Path) -> str:
        names = sorted(self.config | self.install | self.source | self.watched)
        shown = [_rel(name, root) for name in names[:3]]
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        return ", ".join(shown) + more if shown else "folders"


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return path


@dataclass(frozen=True)
class WatchPlan:
    """The folders to watch for one config and one set of linked packages."""

    root: Path
    flat: tuple[Path, ...]
    recursive: tuple[Path, ...]
    config_files: frozenset[Path]
    ignored: tuple[Path, ...]
    """Folders inside watched ones whose events are dropped (cache dir, output dir)."""
    linked: tuple[Path, ...]
    cache_dir: Path | None = None
    """Watched flat: a ``deps`` folder renamed into it is an output change."""
    watch_files: frozenset[Path] = frozenset()
    """Files plugins asked to watch (``add_watch_file``); their folders are watched flat
    unless a recursive watch covers them."""

    @classmethod
    def for_config(cls, config: Config, linked: Iterable[Path] = ()) -> WatchPlan:
        root = config.root
        ignored = tuple(sorted({config.cache_dir, (root / config.out_dir).resolve()}))
        modules = root / "node_modules"
        flat = [root] + [p for p in (modules, modules / ".pnpm", config.cache_dir) if p.is_dir()]
        try:
            children = sorted(root.iterdir())
        except OSError:
            children = []
        recursive = [child for child in children if _watched_folder(child, ignored)]
        linked_dirs = tuple(sorted({Path(p) for p in linked if Path(p).is_dir()}))
        recursive.extend(p for p in linked_dirs if not any(p.is_relative_to(r) for r in recursive))
        watch_files = (frozenset(Path(name) for name in config.plugin_container.watch_files) if config.plugins
                       else frozenset())
        for folder in sorted({file.parent for file in watch_files}):
            if folder not in flat and not any(folder.is_relative_to(r) for r in recursive) and folder.is_dir():
                flat.append(folder)
        return cls(root, tuple(flat), tuple(recursive), config_files(config), ignored, linked_dirs,
                   config.cache_dir, watch_files)

    def key(self) -> tuple:
        return (self.flat, self.recursive, self.watch_files)


_STATE_PATHS = tuple(INSTALL_STATE_FILES)


def classify(plan: WatchPlan, changes: Iterable[tuple[Change, str]]) -> Changes:
    """Sort raw watchfiles events into ``Changes``; events nobody cares about are dropped, and
    so are files that came and went within the batch (an editor's or ``sed -i``'s temporary
    file, renamed onto the real one: that one has its own event)."""
    out = Changes()
    root = plan.root
    modules = root / "node_modules"
    changes = list(changes)
    came = {raw for change, raw in changes if change == Change.added}
    went = {raw for change, raw in changes if change == Change.deleted}
    transient = {raw for raw in came & went if not os.path.lexists(raw)}
    for change, raw in changes:
        if raw in transient:
            continue
        path = Path(raw)
        if path.parent == plan.cache_dir and path.name == "deps":
            out.output = True
            continue
        if path in plan.watch_files:
            out.watched.add(raw)
            continue
        if any(path == d or path.is_relative_to(d) for d in plan.ignored):
            continue
        if path in plan.config_files:
            out.config.add(raw)
            continue
        if path.parent == root:
            if path.name in LOCKFILES or path.name == "package.json":
                out.install.add(raw)
            elif change != Change.modified and (path in plan.recursive or _watched_folder(path, plan.ignored)):
                # a watched folder vanished (its watch is gone) or a folder to watch appeared; not a
                # file, nor a folder never watched (``.git``, ``.cache``): re-arming every watch for
                # ``.eslintcache`` or ``.DS_Store`` cost CPU and dropped events during the re-arm
                out.folders = True
            elif path.suffix.lower() in _ROOT_FILE_SUFFIXES:
                out.source.add(raw)  # a page, a module, a stylesheet...: the pages may have loaded it
            continue
        if path.is_relative_to(modules):
            rel = path.relative_to(root).as_posix()
            if rel in _STATE_PATHS:
                out.install.add(raw)
            elif path.parent == modules and change != Change.modified and path.name != ".vite":
                # a package folder appeared or vanished: an install is under way
                if path.name == ".pnpm":
                    out.folders = True
            continue
        if path.is_relative_to(root / "patches"):
            out.install.add(raw)
            continue
        linked = next((d for d in plan.linked if path.is_relative_to(d)), None)
        if linked is not None:
            if path.name == "package.json" and path.parent == linked:
                out.install.add(raw)
            elif "node_modules" not in path.relative_to(linked).parts:
                out.source.add(raw)
            continue
        if _ignored_name(path):
            continue
        out.source.add(raw)
    return out


def _watched_folder(path: Path, ignored: tuple[Path, ...]) -> bool:
    """Whether a top-level entry of the root is a folder watched recursively."""
    if path.name in SKIP_DIRS or path in ignored or (path.name.startswith(".") and path.name != ".yarn"):
        return False
    return path.is_dir() and not path.is_symlink()


_ROOT_FILE_SUFFIXES = frozenset({*SOURCE_EXTENSIONS, ".html", ".htm", ".css", ".json", ".svg", ".png", ".jpg",
                                  ".jpeg", ".gif", ".webp", ".avif", ".ico", ".woff", ".woff2", ".ttf", ".wasm"})
"""Files at the root that are the app's (its sources, pages, stylesheets, tsconfig, assets);
other files there (``README.md``, ``LICENSE``, ``.eslintcache``) change nothing served."""
_DEFAULT_FILTER = DefaultFilter()


def config_files(config: Config) -> frozenset[Path]:
    """The files a change of which reloads the config: the config file and pyproject.toml."""
    paths = {config.root / CONFIG_FILE, config.root / "pyproject.toml"}
    if config.config_file is not None:
        paths.add(Path(config.config_file))
    return frozenset(paths)


def _ignored_name(path: Path) -> bool:
    return not _DEFAULT_FILTER(Change.modified, str(path))


async def watch_changes(plan_for: callable, stop: asyncio.Event,
                        replan: asyncio.Event | None = None) -> AsyncIterator[Changes]:
    """Batches of classified changes until ``stop`` is set. ``plan_for()`` gives the current
    ``WatchPlan``; the watches are re-armed when its folders change, seen after a batch or
    when ``replan`` is set (after a run, which may have found new linked packages or files
    plugins want watched).

    A re-arm starts the new watches before the old ones stop: the old ones keep reporting for
    ``OVERLAP_SECONDS`` into the same queue, so a change made as the folders changed (held in a
    watcher's buffer, or in the queue) is not lost; one seen by both is a harmless extra rescan."""
    queue: asyncio.Queue = asyncio.Queue()
    retiring: set[asyncio.Task] = set()
    try:
        while not stop.is_set():
            plan = plan_for()
            rearm = asyncio.Event()

            async def pump(paths: tuple[Path, ...], recursive: bool, rearm: asyncio.Event = rearm) -> None:
                if not paths:
                    return
                async for raw in awatch(*paths, recursive=recursive, stop_event=_AnyEvent(stop, rearm),
                                        step=STEP_MS, debounce=MAX_BATCH_MS, watch_filter=None,
                                        ignore_permission_denied=True):
                    await queue.put(raw)

            tasks = [asyncio.create_task(pump(plan.flat, False)), asyncio.create_task(pump(plan.recursive, True))]
            log.debug("watching %s flat and %s recursively", [str(p) for p in plan.flat],
                      [str(p) for p in plan.recursive])
            rearming = False
            try:
                while not stop.is_set():
                    getter = asyncio.create_task(queue.get())
                    stopper = asyncio.create_task(stop.wait())
                    waiters = {getter, stopper}
                    if replan is not None:
                        waiters.add(asyncio.create_task(replan.wait()))
                    done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    for waiter in waiters - {getter}:
                        waiter.cancel()
                    if getter not in done:
                        getter.cancel()
                        if stop.is_set() or replan is None:
                            break
                        replan.clear()
                        if plan.key() != plan_for().key():
                            rearming = True
                            break
                        continue
                    changes = classify(plan, getter.result())
                    if changes.folders or plan.key() != plan_for().key():
                        changes.folders = rearming = True
                        if changes:
                            yield changes
                        break
                    if changes:
                        yield changes
            finally:
                if rearming and not stop.is_set():
                    task = asyncio.create_task(_retire(rearm, tasks, OVERLAP_SECONDS))
                    retiring.add(task)
                    task.add_done_callback(retiring.discard)
                else:
                    await _retire(rearm, tasks, 0)
    finally:
        for task in list(retiring):
            task.cancel()
        await asyncio.gather(*retiring, return_exceptions=True)


async def _retire(rearm: asyncio.Event, tasks: list[asyncio.Task], delay: float) -> None:
    """Stop one round of watches after ``delay`` seconds (at once when cancelled)."""
    try:
        await asyncio.sleep(delay)
    finally:
        rearm.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _AnyEvent:
    """Set when either event is set (watchfiles only needs ``is_set``)."""

    def __init__(self, *events: asyncio.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)

    def set(self) -> None:
        """watchfiles sets its stop event when cancelled: end only this round of watches."""
        self.events[-1].set()
