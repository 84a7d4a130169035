"""The build's deps decided from stamps: whether ``<cache_dir>/build/deps`` is up to date for the
app, answered without the crawler, the optimizer, the bundler or the plugin machinery (together
they cost several times what the rest of a build does when only the app changed).

After a build whose deps were up to date (or made so), ``<cache_dir>/build/deps-memo.bin``
records every input of that decision with its stamp, as the CLI's fast path does for a no-op
``prebundle [ROOT]`` (``fastpath_record.up_to_date_record``: lockfiles, ``package.json`` files,
patches, esbuild, the deps dir and each of its files), plus the deps config it was made for,
where its scan snapshot is, the bare imports of the built code it covers and what the deps dir
holds. A later build keeps the deps as they are when all of that still holds: the same code,
config and environment, every stamp, the scan snapshot (a source file whose content changed is
re-read, and must import what it imported), and a bundle whose bare imports are all covered.
Anything else, and any doubt, takes the full path, which decides as it always did and leaves a
new memo. ``PREBUNDLE_FASTPATH_DEBUG=1`` says why a memo was not used.

A build hard-links the deps' files into ``<out_dir>/deps``; a link made or removed moves only
the change time of a file (``st_ctime``), so :meth:`DepsMemo.save` takes those stamps again,
under the build's lock, where nothing but that time moved.

Imports only what the CLI's fast path imports; ``made`` imports the full path's modules, which a
build that needs a memo made has loaded already.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fastpath import (
    code_stamp,
    deps_signature,
    environment,
    fall,
    read_memo_file,
    restamped,
    scan_snapshot,
    settled,
    stamps_hold,
    try_lock,
    write_memo,
)

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["MEMO_NAME", "DepsMemo", "RememberedDeps"]

MEMO_NAME = "deps-memo.bin"
"""The memo's name inside the build's cache dir (``<cache_dir>/build``)."""
FORMAT = 1
"""Version of the memo's shape."""
NOT_OF_THE_DEPS = frozenset({"log_level", "overrides", "open_browser", "server"})
"""Config fields the deps do not depend on: how much is printed, where the CLI flags came from,
the development server."""


@dataclass(frozen=True)
class RememberedDeps:
    """What an up-to-date deps dir holds, as the memo recorded it."""

    ids: tuple[str, ...]
    files: int
    bytes: int
    scan_warnings: tuple[str, ...]
    """The scan's warnings, printed by every build as the full path prints them."""


class DepsMemo:
    """One build's memo of its deps decision: :meth:`holding` (read and checked) or :meth:`made`
    (after the full path), then :meth:`covers` the bundle's bare imports, then :meth:`save`."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._changed = False

    @classmethod
    def holding(cls, config: Config) -> tuple[DepsMemo, RememberedDeps] | None:
        """The memo of ``config``'s deps dir (the build's deps config) and what that dir holds,
        when every input of the decision is as recorded; None (having said why) otherwise."""
        try:
            return cls._holding(config)
        except Exception as error:  # any doubt, the full path decides
            return fall(f"build deps memo: {type(error).__name__}: {error}")

    @classmethod
    def _holding(cls, config: Config) -> tuple[DepsMemo, RememberedDeps] | None:
        fingerprint = _fingerprint(config)
        if fingerprint is None:
            return fall("build deps memo: plugins, include or force take the full path")
        if config.log_level == "debug":
            return fall("build deps memo: debug output is the full path's")
        path = config.cache_dir / MEMO_NAME
        data = read_memo_file(str(path))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return fall("build deps memo: none of this format")
        if data["config"] != fingerprint or data["code"] != code_stamp():
            return fall("build deps memo: made for another config or code")
        decision = data["decision"]
        if decision["env"] != environment():
            return fall("build deps memo: the environment that finds esbuild changed")
        names = os.listdir(config.cache_dir)
        if any(name.startswith(("deps_temp_", "deps_old_")) for name in names):
            return fall("build deps memo: a killed run left work to recover")
        lock = try_lock(str(config.cache_dir / "deps.lock"))
        if lock is None:
            return fall("build deps memo: another run holds the deps dir")
        memo = cls(path, data)
        try:
            paths, stamps = decision["stamps"]
            racy = stamps_hold(paths, stamps)
            if racy is None:
                return None
            snapshot = scan_snapshot(data, refresh=True, listed=data["listed"])
            if snapshot is None:
                return None
            if deps_signature(snapshot["result"]) != decision["deps"]:
                return fall("build deps memo: the scan found other dependencies")
            plain = settled(stamps) if racy else None
            if plain is not None:
                memo._set_stamps(plain)
        finally:
            os.close(lock)
        summary = data["summary"]
        return memo, RememberedDeps(tuple(summary["ids"]), summary["files"], summary["bytes"],
                                    tuple(snapshot["result"][4]))

    @classmethod
    def made(cls, config: Config, *, covered: Collection[str], also: Collection[str], files: int,
             bytes_: int, listed: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None) -> DepsMemo | None:
        """A memo of the decision just made for ``config``'s deps dir (the full path's), which
        covers the bare imports ``covered`` and optimized the ids ``also`` beside the scan's;
        ``listed``: the folder the build's output is swapped into, with the names it owns there
        and the others as the scan saw them (``fastpath.scan_snapshot``). None when the decision
        cannot be proven by stamps (it is not remembered then)."""
        fingerprint = _fingerprint(config)
        if fingerprint is None:
            return None
        from ..fastpath_record import up_to_date_record
        from ..scanner import scan_cache_for, scan_key

        key = scan_key(config)
        if key is None:
            return None
        scan = {"file": str(scan_cache_for(config).file_for(config.root)), "key": key}
        decision = up_to_date_record(config, scan, also=tuple(sorted(also)), listed=listed)
        if decision is None:
            return None
        data = {"format": FORMAT, "code": code_stamp(), "config": fingerprint, "scan": scan, "decision": decision,
                "covered": tuple(sorted(covered)), "listed": listed or {},
                "summary": {"ids": decision.pop("optimized"), "files": files, "bytes": bytes_}}
        memo = cls(config.cache_dir / MEMO_NAME, data)
        memo._changed = True
        return memo

    def covers(self, specifiers: Collection[str]) -> bool:
        """Whether the decision holds for code whose bare imports are ``specifiers``: each one
        the scan found, or one the deps were made for beside it."""
        covered = set(self.data["covered"])
        missing = [specifier for specifier in specifiers if specifier not in covered]
        if missing:
            fall(f"build deps memo: the bundle imports {missing[0]!r}, which it does not cover")
        return not missing

    def save(self, linked: Collection[str] = ()) -> None:
        """Write the memo, with the stamps of the files ``linked`` (paths of the deps dir hard-
        linked or unlinked since the memo was checked or made) taken again where nothing but
        their change time moved. Best effort."""
        paths, stamps = self.data["decision"]["stamps"]
        if linked:
            self._set_stamps(restamped(paths, stamps, frozenset(linked)))
        if self._changed:
            write_memo(str(self.path), self.data)

    def _set_stamps(self, stamps: tuple) -> None:
        decision = self.data["decision"]
        if stamps != decision["stamps"][1]:
            self.data["decision"] = {**decision, "stamps": (decision["stamps"][0], stamps)}
            self._changed = True


def _fingerprint(config: Config) -> str | None:
    """What of ``config`` the deps depend on, as text; None for a config whose deps are not
    remembered (plugins run code of the user's; ``include`` and ``force`` as for the CLI's
    fast path)."""
    if config.plugins or config.include or config.force:
        return None
    return repr([(field.name, getattr(config, field.name)) for field in fields(config)
                 if field.name not in NOT_OF_THE_DEPS])
