"""What the dashboard shows: the inventory of the deps dir and, on the daemon's page, the
daemon's live state.

The page reads one JSON object of this shape, from ``/@prebundle/dashboard.json`` or inlined in
a ``prebundle report`` file::

    {"inventory": {...Inventory.to_json(), see prebundle.inventory...},
     "daemon": {"state": "ready", "error": null, "browserHash": "...", "runs": 3,
                "lastRun": {...one of the inventory's runs...}} or null}
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..inventory import read_inventory

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["daemon_view", "dashboard_data", "load_inventory"]


def load_inventory(config: Config) -> dict[str, Any]:
    """The Inventory JSON of ``config``'s project: every optimized package with its ids, files
    and their sizes, format, build, importers and imports, the totals and the last runs. It
    reads the deps dir, the last scan and the run history; it never runs the pipeline. An
    output a run would replace is shown all the same (its ``stale`` says why): it is what pages
    load now. Raises ``OutputMissing`` when nothing was optimized yet."""
    return read_inventory(config, current=False).to_json()


def daemon_view(status: dict[str, Any]) -> dict[str, Any]:
    """The daemon's part of the page from its ``status()``: its state, its current error, how
    many runs it made and its last run, in the shape of the inventory's runs."""
    last = status.get("last_run")
    run = None
    if last:
        seconds = float(last.get("seconds", 0.0))
        run = {"at": _ended(last.get("at", ""), seconds), "trigger": last.get("trigger", ""),
               "ok": bool(last.get("ok")), "error": None if last.get("ok") else status.get("error"),
               "built": list(last.get("built", ())), "reused": list(last.get("reused", ())),
               "ms": round(seconds * 1000, 1), "detail": None}
    return {"state": str(status.get("state", "")), "error": status.get("error"),
            "browserHash": status.get("browserHash", ""), "runs": int(status.get("runs", 0)), "lastRun": run}


def dashboard_data(config: Config, daemon: dict[str, Any] | None = None) -> dict[str, Any]:
    """The page's data for ``config``'s project (blocking: it reads files). ``daemon``: the
    ``daemon_view`` of the daemon serving it, or None for a report."""
    return {"inventory": load_inventory(config), "daemon": daemon}


def _ended(started: str, seconds: float) -> str:
    """When a daemon run that started at ``started`` (ISO 8601) ended, written as the run
    history writes its times (``2026-11-30T08:00:00Z``: the history records runs as they end)."""
    try:
        at = datetime.fromisoformat(started)
    except ValueError:
        return started
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return (at + timedelta(seconds=seconds)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
