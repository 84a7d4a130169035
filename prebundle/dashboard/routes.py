"""The dashboard's routes in the daemon (``create_app`` adds ``dashboard_routes()``).

* ``GET /@prebundle/``: the page, with ``page.PAGE_CSP``;
* ``GET /@prebundle/dashboard.json``: its data (``data.dashboard_data`` plus the daemon's live
  state), read on a worker thread and kept until the next run ends;
* ``GET /@prebundle/dashboard/<file>``: its script, styles and the vendored chart library
  (``no-cache``, ETag).

They sit behind the daemon's ``DaemonGuard`` like every other route: the Host check and the CORS
rules apply to them as they are.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ..errors import PrebundleError
from ..static import DepsEndpoint, FolderFiles
from .data import daemon_view, dashboard_data
from .page import FILES_URL, PAGE_CSP, STATIC, served_page

if TYPE_CHECKING:
    from starlette.requests import Request

    from ..config import Config
    from ..daemon.state import DaemonState

__all__ = ["DASHBOARD_PATH", "DATA_PATH", "dashboard_routes"]

DASHBOARD_PATH = "/@prebundle/"
DATA_PATH = "/@prebundle/dashboard.json"

_PAGE_HEADERS = {"content-security-policy": PAGE_CSP, "cache-control": "no-cache", "referrer-policy": "no-referrer",
                 "x-frame-options": "DENY"}


def dashboard_routes() -> list[BaseRoute]:
    """The page, its data and its files; each call has its own data cache (one per app)."""
    data = _Data()
    return [
        Route(DASHBOARD_PATH.rstrip("/"), _to_page),
        Route(DASHBOARD_PATH, page),
        Route(DATA_PATH, data.answer),
        Mount(FILES_URL.rstrip("/"), app=DepsEndpoint(FolderFiles(STATIC, hashed=False))),
    ]


async def _to_page(request: Request) -> Response:
    return RedirectResponse(DASHBOARD_PATH, status_code=308)


async def page(request: Request) -> Response:
    """``/@prebundle/``: the dashboard, which fetches its data and follows the daemon's events."""
    return Response(served_page(), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


class _Data:
    """The inventory part of the data, read once per finished run: the key is the daemon's run
    count and browserHash, which change when a run ends. Concurrent requests share one read."""

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._read: asyncio.Future[dict[str, Any]] | None = None

    async def answer(self, request: Request) -> Response:
        state: DaemonState = request.app.state.daemon
        headers = {"cache-control": "no-cache"}
        try:
            data = await self._current(state.config, (state.runs, state.browser_hash, id(state.config)))
        except (PrebundleError, OSError, ValueError) as error:  # e.g. nothing optimized yet
            return JSONResponse({"error": str(error), "daemon": daemon_view(state.status())}, status_code=500,
                                headers=headers)
        return JSONResponse({**data, "daemon": daemon_view(state.status())}, headers=headers)

    async def _current(self, config: Config, key: tuple[object, ...]) -> dict[str, Any]:
        failed = self._read is not None and self._read.done() and (
            self._read.cancelled() or self._read.exception() is not None)
        if self._read is None or self._key != key or failed:
            self._key = key
            self._read = asyncio.ensure_future(asyncio.to_thread(dashboard_data, config))
        return await asyncio.shield(self._read)
