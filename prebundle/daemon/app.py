"""The daemon's HTTP routes (a Starlette app over a ``DaemonState``).

* ``GET <base><file>``: the deps dir through ``prebundle.static`` (immutable only for the
  current ``?v=``).
* ``GET /@prebundle/importmap.json``, ``/@prebundle/status``, ``/@prebundle/events`` (SSE),
  ``/@prebundle/client.js``; ``POST /@prebundle/messages`` (pages to plugins, ``messages.py``);
  ``GET /@prebundle/assets/<file>`` (what plugins emitted).
* Anything else: the app's own files from the root (``no-cache``, ETag/304), excluded packages'
  files among them (``/node_modules/<pkg>/...``, as the import map names them), and the files
  of the linked packages the last scan found, whose folders are outside the root (an allow list
  of exactly those folders, checked on the real path); HTML pages get the
  import map and the reload client injected into ``<head>`` unless they have an import map; with
  ``modulepreload`` on (off by default; ``PREBUNDLE_MODULEPRELOAD=1``), also a
  ``<link rel="modulepreload">`` for every file of the static closure of the import map's ids
  (``integrations.graph``), so the browser asks for them all at once instead of level by level.
  It did not make the bench app's page load faster (docs/benchmarks.md, "Page load"): the load
  is bound by the browser's work per module, not by the depth of the import graph.
* The app's own modules (``.ts .tsx .jsx .mts``, and what a rewritten import asks for with
  ``?import``: CSS, JSON, assets, files plugins compile) compiled to browser ESM by
  ``prebundle.app.dev_serve`` (``no-cache``, ETag/304; a module that does not compile is a 500
  and an ``error`` event); plugins' virtual modules at ``/@id/__x00__<id>``;
  ``/@prebundle/modulepreload-polyfill.js``, an empty module (a production build inlines a real
  polyfill under that id).

Every request first passes ``security.DaemonGuard``: only the daemon's hosts are answered, and
only its own pages, pages on localhost/127.0.0.1/[::1] and ``server.cors`` origins get CORS
headers (a backend's page on http://localhost:8000 loads the deps, the import map and the events);
other origins get a 403. The app's files exclude ``SitePolicy.app_deny`` (``.env``, keys, ``.git``,
the config file, ``server.fs_deny``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlparse

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from ..app.dev_errors import AppCodeError
from ..dashboard.routes import dashboard_routes
from ..errors import PrebundleError
from ..integrations import html as tags_html
from ..integrations.graph import AssetsError, load_deps_dir
from ..metadata import IMPORTMAP, parse_importmap
from ..plugins import call_hook
from ..plugins.assets import ASSETS_DIR
from ..plugins.virtual import NULL_IN_URL, url_to_id
from ..static import DepsEndpoint, FolderFiles, send_answer
from .control import CONTROL_PATH, TOKEN_HEADER
from .events import format_event
from .hooks import IndexHtmlContext, PluginServer, configure
from .messages import MESSAGES_PATH, messages
from .security import DaemonGuard, SitePolicy
from .workers import WORKER_PREFIX, WORKER_QUERY, WorkerDeps, WorkerImports, is_worker

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from ..app.dev_serve import Kind, ModuleAnswer

    from starlette.datastructures import State
    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from .state import DaemonState

__all__ = ["MODULEPRELOAD_ENV", "app_files", "client_js", "control", "create_app", "events", "importmap",
           "inject_html", "preload_links", "status"]

log = logging.getLogger("prebundle.daemon")

CLIENT_PATH = "/@prebundle/client.js"
POLYFILL_PATH = "/@prebundle/modulepreload-polyfill.js"
"""An empty module in development: browsers the daemon serves support ``modulepreload``."""
VIRTUAL_PATH = "/@id/" + NULL_IN_URL
"""Where plugins' virtual modules (``\\0`` ids) are served."""
RESOURCE_TIMING = b"<script>performance.setResourceTimingBufferSize(100000)</script>"
"""First in a page's ``<head>``: the reload client tells from resource timing which files the
page loaded, and the default buffer holds 250 entries."""
ASSETS_PATH = "/@prebundle/assets"
"""Where the files plugins emit (``emit_file``, in ``<cache_dir>/assets/``) are served."""
MODULEPRELOAD_ENV = "PREBUNDLE_MODULEPRELOAD"
"""``1`` injects ``modulepreload`` links into pages; ``0`` or unset does not (bench/page_load.py
measures both)."""

_HEAD = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_IMPORTMAP = re.compile(rb"<script\b[^>]*\btype\s*=\s*[\"']?importmap", re.IGNORECASE)


def importmap_digest(importmap: bytes) -> str:
    """What names the import map served, in ``hello`` and on the page's import map: a page whose
    import map is not the current one reloads."""
    return hashlib.sha256(importmap).hexdigest()[:16]


def inject_html(html: bytes, importmap: bytes, client_src: str = CLIENT_PATH, preloads: bytes = b"",
                digest: str = "") -> bytes:
    """``html`` with the import map (unless it has one) and the reload client in its ``<head>``.
    ``preloads`` (``modulepreload`` links for that import map's files) go right after the import
    map, and only with it: a page with its own import map renders its own preloads. ``digest``
    (``importmap_digest``) marks the import map, for the client to compare with the daemon's."""
    tags = b""
    if client_src.encode() not in html:
        tags += b"\n" + RESOURCE_TIMING
    if not _IMPORTMAP.search(html):
        safe = importmap.replace(b"</", b"<\\/")
        mark = f'\n<meta name="prebundle-importmap" content="{digest}">'.encode() if digest else b""
        tags += mark + b'\n<script type="importmap">' + safe + b"</script>" + preloads
    if client_src.encode() not in html:
        tags += b'\n<script type="module" src="' + client_src.encode() + b'"></script>'
    if not tags:
        return html
    for pattern in (_HEAD, _HTML):
        match = pattern.search(html)
        if match:
            return html[: match.end()] + tags + html[match.end():]
    return tags.lstrip() + b"\n" + html


def preload_links(deps_dir: Path, base: str, importmap: bytes) -> bytes | None:
    """``<link rel="modulepreload">`` for every JS file in the static closure of the ids of
    ``importmap`` (the served import map), at the URLs the page will import them by: an id's
    import-map URL, ``base`` + file for chunks. None when the deps dir on disk is not the one of
    ``importmap`` any more (a run committed meanwhile) or cannot be read."""
    imports_file = deps_dir / IMPORTMAP
    try:
        if imports_file.read_bytes() != importmap:
            return None
        graph = load_deps_dir(deps_dir)
        if imports_file.read_bytes() != importmap:  # the manifest may be of another run
            return None
        imports = parse_importmap(importmap).imports
    except (OSError, ValueError, AssetsError):  # MetadataError is a ValueError
        return None
    urls: dict[str, None] = {}
    for node in graph.closure([id_ for id_ in imports if id_ in graph.importmap]):
        if not node.file.endswith(".css"):
            url = imports.get(node.key)
            urls[url if isinstance(url, str) else base + tags_html.quote_file(node.file) + node.query] = None
    for id_, url in graph.own.items():  # entries of packages served as they are; not `<name>/` prefixes
        if not id_.endswith("/"):
            urls[url] = None
    return b"".join(b"\n" + tags_html.link("modulepreload", url).encode() for url in urls)


class _Preloads:
    """The ``modulepreload`` links of the import map being served, computed once per import map."""

    def __init__(self, state: DaemonState, base: str, enabled: bool) -> None:
        self.state, self.base, self.enabled = state, base, enabled
        self._for: bytes | None = None
        self._links = b""

    def links(self) -> bytes:
        importmap = self.state.importmap_bytes
        if not self.enabled or not importmap:
            return b""
        if importmap != self._for:
            links = preload_links(self.state.config.deps_dir, self.base, importmap)
            if links is None:
                return b""  # try again on the next page
            self._for, self._links = importmap, links
        return self._links


def _modulepreload_default() -> bool:
    return os.environ.get(MODULEPRELOAD_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class _ClientScript:
    """``client.js`` and its ETag, read once per app."""

    body: bytes
    etag: str

    @classmethod
    def load(cls) -> _ClientScript:
        body = resources.files("prebundle.daemon").joinpath("client.js").read_bytes()
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


class _Site:
    """The ``SitePolicy`` and the root's ``FolderFiles`` of the daemon's current config and
    linked packages: the root's files, and those of exactly the linked packages' folders the
    last scan found (they are outside the root; the import map points at them)."""

    def __init__(self, state: DaemonState) -> None:
        self.state = state
        self._for: tuple[object, tuple[Path, ...]] | None = None
        self.policy: SitePolicy
        self.root_files: FolderFiles

    def current(self) -> _Site:
        config, linked = self.state.config, self.state.linked
        new_config = self._for is None or self._for[0] is not config
        if new_config:  # the config file changed: its server rules apply now
            self.policy = SitePolicy.from_config(config)
        if new_config or self._for[1] != linked:  # a scan found other linked packages
            hint = f"The list is built in, plus server.fs_deny in {self.policy.config_name}."
            self.root_files = FolderFiles(config.root, hashed=False, deny=self.policy.app_deny, denied_hint=hint,
                                          also=linked)
            self._for = (config, linked)
        return self


def create_app(state: DaemonState, *, modulepreload: bool | None = None) -> Starlette:
    """The daemon's ASGI app. ``modulepreload``: inject ``modulepreload`` links into pages
    (None: only when ``$PREBUNDLE_MODULEPRELOAD`` is ``1``).

    The handlers below are plain functions: what they serve is on ``app.state`` (``daemon``,
    ``site``, ``preloads``, ``client``), so plugins' ``configure_server`` sees it too."""
    config = state.config
    site = _Site(state)
    base_path = urlparse(config.base).path or "/node_modules/.vite/deps/"
    workers = WorkerImports(lambda: state.importmap_bytes, base_path)
    deps = DepsEndpoint(FolderFiles(
        config.deps_dir, deny=site.current().policy.deps_deny,
        not_found_hint="It is not in the optimized dependencies; see /@prebundle/status for the current ones.",
    ))
    routes = [
        Route("/@prebundle/importmap.json", importmap),
        Route("/@prebundle/status", status),
        Route(CONTROL_PATH, control, methods=["POST"]),
        Route("/@prebundle/events", events),
        Route(CLIENT_PATH, client_js),
        Route(POLYFILL_PATH, modulepreload_polyfill),
        Mount(WORKER_PREFIX + base_path.rstrip("/"), app=WorkerDeps(lambda: deps.files, workers)),
        *dashboard_routes(),  # /@prebundle/: the dashboard page, its data and its files
        Route(MESSAGES_PATH, messages, methods=["POST"]),
        Mount(ASSETS_PATH, app=DepsEndpoint(FolderFiles(config.cache_dir / ASSETS_DIR, hashed=False,
                                                        deny=site.current().policy.deps_deny))),
        Mount(base_path.rstrip("/"), app=deps),
        Mount("/", app=app_files),
    ]
    app = Starlette(routes=[])
    app.state.daemon = state
    app.state.site = site
    app.state.workers = workers
    app.state.preloads = _Preloads(state, config.base,
                                   _modulepreload_default() if modulepreload is None else modulepreload)
    app.state.client = _ClientScript.load()
    after = configure(app, state)  # plugins' routes and middleware come first
    app.router.routes.extend(routes)
    for post in after:
        call_hook(post)
    app.add_middleware(DaemonGuard, policy=lambda: site.current().policy)  # outermost: before plugins' too
    return app


# -- the handlers -----------------------------------------------------------------------------------

async def importmap(request: Request) -> Response:
    """``/@prebundle/importmap.json``: the import map being served."""
    state: DaemonState = request.app.state.daemon
    return Response(state.importmap_bytes or b'{"imports": {}}', media_type="application/importmap+json",
                    headers={"cache-control": "no-cache"})


async def control(request: Request) -> Response:
    """A ``prebundle`` command beside the daemon asks it to run (see ``control.py``)."""
    state: DaemonState = request.app.state.daemon
    token = getattr(state, "control_token", None)
    given = request.headers.get(TOKEN_HEADER, "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        return Response("a prebundle command's token is required\n", status_code=403, media_type="text/plain")
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = {}
    report, result = await state.run_now(rebuild=bool(body.get("force")))
    if not report.ok:
        return JSONResponse({"ok": False, "error": state.error})
    return JSONResponse({"ok": True, "result": result.to_json() if result is not None else None,
                         "report": report.to_json()})


async def status(request: Request) -> Response:
    """``/@prebundle/status``: state, browserHash, deps, error, runs and the last run."""
    state: DaemonState = request.app.state.daemon
    return JSONResponse(state.status(), headers={"cache-control": "no-cache"})


_INSTANCE = secrets.token_urlsafe(9)
"""This daemon process, in each ``hello``: a page that reconnects to another one (a restart)
reloads, since the new daemon knows neither what the page loaded nor what it was served."""


async def events(request: Request) -> Response:
    """``/@prebundle/events``: a ``hello`` with what is served now and the stream's client id
    (for messages to this page alone, see ``messages.py``), then the daemon's events."""
    state: DaemonState = request.app.state.daemon
    digest = importmap_digest(state.importmap_bytes)
    client = secrets.token_urlsafe(12)
    hello = format_event("hello", {"importmap": digest, "instance": _INSTANCE, "state": state.state,
                                   "error": state.error, "frame": state.error_frame,
                                   "browserHash": state.browser_hash, "client": client,
                                   "appErrors": list(state.app_errors.values())})
    channel = state.plugin_server.ws
    stream = state.broadcaster.stream(hello, client=client, on_open=lambda: channel.connected(client))
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})


async def client_js(request: Request) -> Response:
    """``/@prebundle/client.js``: the reload client, revalidated by its ETag."""
    client: _ClientScript = request.app.state.client
    headers = {"cache-control": "no-cache", "etag": client.etag}
    if request.headers.get("if-none-match") == client.etag:
        return Response(status_code=304, headers=headers)
    return Response(client.body, media_type="text/javascript; charset=utf-8", headers=headers)


async def app_files(scope: Scope, receive: Receive, send: Send) -> None:
    """The app's own files from the root; HTML pages through ``_page``."""
    served: State = scope["app"].state
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    if path.endswith("/"):
        path += "index.html"
    request_headers = dict(scope.get("headers", ()))
    inm = request_headers.get(b"if-none-match")
    query = scope.get("query_string", b"")
    if path.startswith(VIRTUAL_PATH) and scope["method"] in ("GET", "HEAD"):
        await (await _virtual(served, path, request_headers))(scope, receive, send)
        return
    files = served.site.current().root_files
    answer = files.answer(path, query_string=query, if_none_match=None, method=scope["method"])
    if answer.status == 404 and _history_route(path, request_headers):
        # a client-side route (`/settings/profile` of a router): the app's page, as Vite's dev server
        page = files.answer("/index.html", query_string=b"", if_none_match=None, method=scope["method"])
        if page.status == 200 and page.path is not None:
            answer, path = page, "/index.html"
    if answer.status == 404 and path == "/favicon.ico":  # browsers ask on every page: no noise
        await Response(status_code=204, headers={"cache-control": "max-age=3600"})(scope, receive, send)
        return
    if answer.status == 200 and answer.path is not None:
        # remembered beside the answer, not before it: only a later file event compares with it
        asyncio.get_running_loop().run_in_executor(None, served.daemon.served.record, str(answer.path))
        kind = served.daemon.app_code.kind(answer.path, query.decode("latin-1"))
        if kind is not None and not _cross_site_navigation(request_headers):
            worker = is_worker(request_headers) or WORKER_QUERY in parse_qs(query.decode("latin-1"), keep_blank_values=True)
            response = await _module(served, answer.path, kind, path, request_headers, worker=worker)
            await response(scope, receive, send)
            return
        if answer.path.suffix.lower() in (".html", ".htm"):
            response = await _page(served, answer.read(), path, answer.path, inm)
            await response(scope, receive, send)
            return
        if inm:
            answer = files.answer(path, query_string=query, if_none_match=inm.decode("latin-1"),
                                  method=scope["method"])
    await send_answer(answer, send, head=scope["method"] == "HEAD")


async def modulepreload_polyfill(request: Request) -> Response:
    """``/@prebundle/modulepreload-polyfill.js``: nothing to do in development."""
    return Response(b"export {};\n", media_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "no-cache"})


def _history_route(path: str, headers: dict[bytes, bytes]) -> bool:
    """A navigation to a path that names no file of the app and has no extension: a route of a
    single-page app's router, answered with ``/index.html`` (Vite's ``appType: "spa"``)."""
    last = path.rsplit("/", 1)[-1]
    return ("." not in last and not path.startswith(("/@", "/node_modules/"))
            and b"text/html" in headers.get(b"accept", b""))


def _cross_site_navigation(headers: dict[bytes, bytes]) -> bool:
    """A page of another origin navigating to an app file (a link, an ``<iframe>``): answered
    with the file as it is on disk, so that no other page makes the daemon transform, read whole
    or report errors (the site policy lets navigations through so that links to pages work).
    ``same-site`` counts too: an app on another localhost port is the same site."""
    return headers.get(b"sec-fetch-site") in (b"cross-site", b"same-site") \
        and headers.get(b"sec-fetch-mode") == b"navigate"


def _is_module_script(headers: dict[bytes, bytes]) -> bool:
    """A ``<script type=module>``, ``import`` or ``import()`` (fetched in CORS mode), not a
    classic script or a worker (where ``import.meta`` is a syntax error)."""
    return headers.get(b"sec-fetch-dest") == b"script" and headers.get(b"sec-fetch-mode") == b"cors"


async def _module(served: State, file: Path, kind: Kind, path: str, headers: dict[bytes, bytes], *,
                  worker: bool) -> Response:
    """An app module (``prebundle.app.dev_serve``); a worker's (``worker``) gets its bare imports
    as URLs."""
    state: DaemonState = served.daemon
    url = unquote(path)
    bare = served.workers.url if worker else None
    return await _app_module(state, url, headers, lambda script: state.app_code.answer(file, kind, url,
                                                                                    module_script=script, bare=bare))


async def _virtual(served: State, path: str, headers: dict[bytes, bytes]) -> Response:
    """A plugin's virtual module, or a 404."""
    state: DaemonState = served.daemon
    url = unquote(path)
    return await _app_module(state, url, headers, lambda script: state.app_code.virtual(url_to_id(url), url,
                                                                                     module_script=script))


async def _app_module(state: DaemonState, url: str, headers: dict[bytes, bytes],
                      make: Callable[[bool], Awaitable[ModuleAnswer | None]]) -> Response:
    """The answer for a module ``make(module_script)`` makes: a 500 and an ``error`` event when
    it cannot be made, a 404 when nothing makes it."""
    try:
        module = await make(_is_module_script(headers))
    except AppCodeError as error:
        state.app_failed(error.problem)
        return _text(str(error), 500)
    except Exception as error:  # a stopped esbuild, a bug: one line for the page, the daemon keeps serving
        log.debug("serving %s failed", url, exc_info=True)
        return _text(f"{url}: cannot serve it: {type(error).__name__}: {error} (run the daemon with --log-level "
                     "debug for the traceback)", 500)
    if module is None:
        return _text(f"404: no plugin loads the virtual module {url_to_id(url)[1:]!r}", 404)
    state.app_served(url)
    return _module_response(module, headers)


def _text(text: str, status: int) -> Response:
    return Response(text + "\n", status_code=status, media_type="text/plain", headers={"cache-control": "no-cache"})


def _module_response(module: ModuleAnswer, headers: dict[bytes, bytes]) -> Response:
    cache = {"cache-control": "no-cache", "etag": module.etag, "vary": "Sec-Fetch-Dest"}  # a worker's differs
    if headers.get(b"if-none-match", b"").decode("latin-1") == module.etag:
        return Response(status_code=304, headers=cache)
    return Response(module.body, media_type=module.content_type, headers=cache)


async def _page(served: State, html: bytes, url_path: str, file: Path, if_none_match: bytes | None) -> Response:
    """An HTML page through plugins' ``transform_index_html`` of ``order: "pre"``, then with the
    import map, the preloads and the client injected, then through the other ones (as Vite's
    dev server runs them around its own changes); its ETag is of that result (it changes with
    the import map)."""
    state: DaemonState = served.daemon
    try:
        html = await _transform_html(state, html, url_path, file, orders=("pre",))
        body = inject_html(html, state.importmap_bytes or b'{"imports": {}}', preloads=served.preloads.links(),
                           digest=importmap_digest(state.importmap_bytes))
        body = await _transform_html(state, body, url_path, file, orders=(None, "post"))
    except PrebundleError as error:  # a plugin failed: say so, keep serving
        state.broadcaster.publish("error", {"message": str(error)})
        return Response(str(error), status_code=500, media_type="text/plain")
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {"cache-control": "no-cache", "etag": etag}
    if if_none_match is not None and if_none_match.decode("latin-1") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


async def _transform_html(state: DaemonState, body: bytes, url_path: str, file: Path, *,
                          orders: tuple[str | None, ...]) -> bytes:
    container = state.config.plugins_for("transform_index_html")
    if container is None or not container.has("transform_index_html", orders):
        return body
    server = getattr(state, "plugin_server", None) or PluginServer(app=None, config=state.config, state=state)
    ctx = IndexHtmlContext(path=url_path, filename=str(file), server=server)
    html = await asyncio.to_thread(container.transform_index_html, body.decode("utf-8", "replace"), ctx,
                                   orders=orders)
    return html.encode("utf-8")
