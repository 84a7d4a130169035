"""The daemon is safe to leave running, and the helpers serving the deps are as safe.

One real daemon (``--host 0.0.0.0``: exposed, the case of every Vite advisory) serves a project
planted with secrets whose bodies hold ``LEAK-MARKER-...``: ``.env``, keys and certificates (one
``Server.PEM``), ``.git/config``, both config files, ``server.fs_deny`` matches, the daemon's
token, files in the deps dir, a file outside the root and symlinks to all of these. Requests go
out on raw sockets, byte for byte, so no client normalises ``..`` or escapes. A leak is any
answer whose body holds a marker. The same attempts then go to ``prebundle.static``, the ASGI and
WSGI helpers (direct calls and a real wsgiref server), Django's static handler (what runserver
does) and Flask's test client. Finally, the CORS and Host rules as a browser page would meet
them, the start-up warning, and the config keys.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from prebundle import load_config
from prebundle.daemon.security import SitePolicy, exposure_warning, judge
from prebundle.errors import ConfigError
from prebundle.static import StaticFiles

from tests.support.apps import NPM_MODULES
from tests.support.daemon import Daemon, run_in_thread
from ._traversal import Attempt, Probe, find_leaks, generated_attempts, vite_advisory_attempts

MARK = b"LEAK-MARKER-"
CONTROL = b"CONTROL-MARKER"
DEPS = "/node_modules/.vite/deps/"
ALLOWED_STATUSES = {400, 403, 404}

DEV_CONFIG = """\
# LEAK-MARKER-dev-config
from prebundle import define_config

config = define_config(
    server={
        "cors": ["http://app.test:8000", "^https://[a-z]+\\\\.corp\\\\.test$"],
        "allowed_hosts": ["dev.test", ".corp.test"],
        "fs_deny": ["*.sqlite", "private/"],
    },
)
"""

APP_SECRETS = {
    ".env": "dotenv", ".env.local": "dotenv-local", "server.pem": "pem", "Server.PEM": "pem-upper",
    "certs/dev.crt": "crt", "keys/site.key": "key", ".git/config": "git", "src/data.sqlite": "fs-deny-glob",
    "private/notes.txt": "fs-deny-folder",
}
APP_TARGETS = (
    *APP_SECRETS, "prebundle.config.py", "prebundle.dev.py", "node_modules/.vite/daemon.token",
    "node_modules/.vite/deps/leak.pem", "node_modules/.vite/deps/Leak.KEY", "node_modules/.vite/deps/.env",
    "node_modules/.vite/deps/out.js", "public/cert.txt", "src/env-link.txt", "src/outside-link.txt",
    "src/dir-link/secret.txt", "../outside/secret.txt",
)
"""Every secret of the project, relative to its root (the last one is beside it)."""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _make_project(base: Path) -> Path:
    """A project with one small dependency, its esbuild, and secrets everywhere."""
    if not (NPM_MODULES / "@esbuild").is_dir():
        pytest.fail("fixtures/npm is not installed: run `make test` (it runs `npm ci` there)")
    root = base / "app"
    _write(base / "outside" / "secret.txt", "LEAK-MARKER-outside\n")
    _write(root / "index.html", '<!doctype html><html><head><title>t</title></head><body>\n'
                                '<script type="module" src="/src/main.js"></script></body></html>\n')
    _write(root / "src" / "main.js", "import { tiny } from 'tiny-dep'\nconsole.log(tiny)\n")
    _write(root / "src" / "public-marker.txt", "CONTROL-MARKER-app\n")
    for name, marker in APP_SECRETS.items():
        _write(root / name, f"LEAK-MARKER-{marker}\n")
    _write(root / "prebundle.config.py", "from prebundle import define_config\n\n"
                                         "config = define_config()  # LEAK-MARKER-config\n")
    _write(root / "prebundle.dev.py", DEV_CONFIG)
    (root / "public").mkdir()
    (root / "public" / "cert.txt").symlink_to("../server.pem")
    (root / "src" / "env-link.txt").symlink_to("../.env")
    (root / "src" / "outside-link.txt").symlink_to(base / "outside" / "secret.txt")
    (root / "src" / "dir-link").symlink_to(base / "outside", target_is_directory=True)
    modules = root / "node_modules"
    _write(modules / "tiny-dep" / "package.json", json.dumps({"name": "tiny-dep", "version": "1.0.0",
                                                               "type": "module", "main": "index.js"}))
    _write(modules / "tiny-dep" / "index.js", "export const tiny = 'tiny ok';\n")
    (modules / "@esbuild").symlink_to(NPM_MODULES / "@esbuild", target_is_directory=True)
    _write(root / "package.json", json.dumps({"name": "app", "dependencies": {"tiny-dep": "1.0.0"}}))
    _write(root / "package-lock.json", json.dumps({"name": "app", "lockfileVersion": 3, "packages": {
        "": {"dependencies": {"tiny-dep": "1.0.0"}}, "node_modules/tiny-dep": {"version": "1.0.0"}}}))
    return root


@dataclass
class Site:
    daemon: Daemon
    root: Path
    port: int
    markers: list[bytes]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    base = tmp_path_factory.mktemp("security")
    root = _make_project(base)
    previous = os.environ.get("PREBUNDLE_CACHE_DIR")
    os.environ["PREBUNDLE_CACHE_DIR"] = str(base / "machine-cache")  # never the user's own cache
    try:
        daemon = Daemon(root, "--host", "0.0.0.0", "--config", str(root / "prebundle.dev.py"))
    finally:
        if previous is None:
            os.environ.pop("PREBUNDLE_CACHE_DIR", None)
        else:
            os.environ["PREBUNDLE_CACHE_DIR"] = previous
    try:
        daemon.wait_listening()
        daemon.wait_state("ready")
        deps = root / "node_modules" / ".vite" / "deps"
        for name, marker in {"leak.pem": "deps-pem", "Leak.KEY": "deps-key", ".env": "deps-dotenv"}.items():
            _write(deps / name, f"LEAK-MARKER-{marker}\n")
        (deps / "out.js").symlink_to(base / "outside" / "secret.txt")
        token = (root / "node_modules" / ".vite" / "daemon.token").read_text().strip()
        yield Site(daemon, root, int(daemon.url.rsplit(":", 1)[1]), [MARK, token.encode()])
    finally:
        daemon.stop()


# -- raw HTTP ----------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def send(port: int, target: str, headers: dict[str, str] | None = None, *, method: str = "GET",
         host: str | None = "default", head_only: bool = False) -> Reply:
    """One request on a fresh socket, the target sent byte for byte (``host=None``: no Host)."""
    fields = {} if host is None else {"Host": f"127.0.0.1:{port}" if host == "default" else host}
    fields.update(headers or {})
    fields["Connection"] = "close"
    request = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        while chunk := sock.recv(65536):
            data += chunk
            if head_only and b"\r\n\r\n" in data:
                break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parsed: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        name = key.strip().lower()
        parsed[name] = f"{parsed[name]}, {value.strip()}" if name in parsed else value.strip()
    return Reply(int(lines[0].split(" ", 2)[1]), parsed, body)


def probe_daemon(port: int, attempts: list[Attempt]) -> list[Probe]:
    def one(attempt: Attempt) -> Probe:
        reply = send(port, attempt.target)
        return Probe(attempt, reply.status, reply.body)

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, attempts))


def _fs_depth(root: Path) -> int:
    return len(root.parts)  # "@fs" plus each folder of the absolute root below "/"


# -- the daemon: Vite's advisories and the generated traversal set ------------------------------

def _daemon_advisories(site: Site) -> list[Attempt]:
    outside = str(site.root.parent / "outside" / "secret.txt")
    common = dict(site_abs=str(site.root), git=".git/config", outside_abs=outside)
    attempts = vite_advisory_attempts(mount="/", secret="server.pem", dotenv=".env",
                                      outside_rel="../outside/secret.txt", **common)
    attempts += vite_advisory_attempts(mount="/src/", secret="data.sqlite", dotenv=".env",
                                       outside_rel="../../outside/secret.txt", **common)
    attempts += vite_advisory_attempts(mount=DEPS, secret="leak.pem", dotenv=".env",
                                       outside_rel="../../../../outside/secret.txt", **common)
    return attempts


def test_vite_advisory_requests_leak_nothing(site: Site) -> None:
    attempts = _daemon_advisories(site)
    probes = probe_daemon(site.port, attempts)
    assert find_leaks(probes, site.markers) == []
    odd = [(p.status, p.attempt.target) for p in probes
           if p.status not in ALLOWED_STATUSES and p.attempt.path != "/"]  # "/?/../x": the index page
    assert odd == []
    assert {p.status for p in probes if "#" in p.attempt.target.split("?", 1)[0]} == {400}  # as Vite


def test_generated_traversal_leaks_nothing_from_the_daemon(site: Site) -> None:
    mounts = [("/", 0), ("/src/", 1), ("/public/", 1), ("/src/nested/deep/", 3), (DEPS, 3), ("/@prebundle/", 1),
              ("/@prebundle/worker" + DEPS, 5),  # the deps as a worker's modules get them
              ("/node_modules/", 1), ("/node_modules/@esbuild/", 2), (f"/@fs{site.root}/", _fs_depth(site.root))]
    attempts = generated_attempts(mounts, APP_TARGETS, count=1500)
    probes = probe_daemon(site.port, attempts)
    assert len(probes) >= 1000
    assert find_leaks(probes, site.markers) == []
    assert [(p.status, p.attempt.target) for p in probes if p.status not in ALLOWED_STATUSES] == []
    control = send(site.port, "/src/public-marker.txt")  # the check can see a body when one is served
    assert control.status == 200 and find_leaks([Probe(Attempt("/", "control"), 200, control.body)], [CONTROL])


@pytest.mark.parametrize("path", [
    "/server.pem", "/Server.PEM", "/SERVER.pem", "/certs/dev.crt", "/keys/site.key", "/keys/SITE.KEY",
    "/prebundle.config.py", "/PREBUNDLE.CONFIG.PY", "/prebundle.dev.py", "/src/data.sqlite", "/src/DATA.SQLITE",
    "/private/notes.txt", "/PRIVATE/notes.txt", "/public/cert.txt", "/server.pem?raw", "/server.pem?import&raw??",
    "/server.pem.", "/server.pem%20", "/server.pem::$DATA", DEPS + "leak.pem", DEPS + "Leak.KEY",
    "/@prebundle/worker" + DEPS + "leak.pem",
])
def test_deny_list_is_a_403_saying_why(site: Site, path: str) -> None:
    reply = send(site.port, path)
    assert reply.status == 403, (path, reply.status, reply.body)
    text = reply.body.decode()
    assert MARK not in reply.body and text.count("\n") == 1 and "deny list" in text and "never served" in text


@pytest.mark.parametrize("path", [
    "/.env", "/.env.local", "/.git/config", "/.git/", "/node_modules/.vite/daemon.token",
    "/node_modules/.vite/daemon.json", "/src/outside-link.txt", "/src/dir-link/secret.txt", "/../outside/secret.txt",
    "/%2e%2e/outside/secret.txt", "/@fs/etc/passwd", DEPS + ".env", DEPS + "out.js",
    "/node_modules/@esbuild/linux-x64/package.json",
])
def test_hidden_and_outside_files_are_404(site: Site, path: str) -> None:
    reply = send(site.port, path)
    assert reply.status in (400, 404), (path, reply.status)
    assert MARK not in reply.body


def test_the_app_and_its_deps_are_still_served(site: Site) -> None:
    page = send(site.port, "/")
    assert page.status == 200 and b'<script type="importmap">' in page.body
    assert send(site.port, "/src/main.js").body.startswith(b"import { tiny }")
    imports = json.loads(send(site.port, "/@prebundle/importmap.json").body)["imports"]
    dep = send(site.port, imports["tiny-dep"])
    assert dep.status == 200 and b"tiny ok" in dep.body
    assert dep.headers["x-content-type-options"] == "nosniff"


# -- the helpers: prebundle.static, ASGI, WSGI, Django, Flask ----------------------------------

HELPER_TARGETS = (
    ".env", "leak.pem", "Leak.KEY", "sub/x.crt", ".git/config", "link.js", "out.js", "sub/pem-link.js",
    "../daemon.token", "../../../.env", "../../../server.pem", "../../../prebundle.config.py",
    "../../../../outside/secret.txt",
)
"""Secrets around a deps dir (``app/node_modules/.vite/deps``), relative to it."""


@pytest.fixture(scope="module")
def deps_site(tmp_path_factory) -> Path:
    """A deps dir with one optimized file (``tiny.js``, a control marker) and secrets in and around it."""
    base = tmp_path_factory.mktemp("helpers")
    app = base / "app"
    deps = app / "node_modules" / ".vite" / "deps"
    _write(deps / "tiny.js", "export const tiny = 'CONTROL-MARKER-deps';\n" + "// padding\n" * 200)
    _write(deps / "importmap.json", json.dumps({"imports": {"tiny": DEPS + "tiny.js?v=1"}}))
    _write(deps / "_metadata.json", json.dumps({"optimized": {"tiny": {"file": "tiny.js", "fileHash": "1"}},
                                                "chunks": {}}))
    for name, marker in {".env": "dotenv", "leak.pem": "pem", "Leak.KEY": "key", "sub/x.crt": "crt",
                         ".git/config": "git"}.items():
        _write(deps / name, f"LEAK-MARKER-deps-{marker}\n")
    _write(app / "node_modules" / ".vite" / "daemon.token", "LEAK-MARKER-token\n")
    _write(app / ".env", "LEAK-MARKER-app-dotenv\n")
    _write(app / "server.pem", "LEAK-MARKER-app-pem\n")
    _write(app / "prebundle.config.py", "config = {}  # LEAK-MARKER-config\n")
    _write(base / "outside" / "secret.txt", "LEAK-MARKER-outside\n")
    (deps / "link.js").symlink_to(app / ".env")
    (deps / "out.js").symlink_to(base / "outside" / "secret.txt")
    (deps / "sub" / "pem-link.js").symlink_to("../leak.pem")
    return deps


def _helper_attempts(base: str) -> list[Attempt]:
    attempts = vite_advisory_attempts(mount=base, site_abs="/app/node_modules/.vite/deps", secret="leak.pem",
                                      dotenv=".env", git=".git/config", outside_rel="../../../../outside/secret.txt",
                                      outside_abs="/outside/secret.txt")
    mounts = [(base, 0), (base + "sub/", 1), (base + "_polyfill/", 1)]
    return attempts + generated_attempts(mounts, HELPER_TARGETS, count=1200, seed=7)


Client = Callable[[str], tuple[int, bytes]]
"""GET one request target (path and query, raw) of a helper: its status and body."""


def _wsgi_environ(target: str, *, raw_uri: bool) -> dict:
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": unquote(path, "iso-8859-1"), "QUERY_STRING": query,
        "SERVER_NAME": "localhost", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost:8000",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    if raw_uri:  # what gunicorn and werkzeug's server add
        environ["RAW_URI"] = environ["REQUEST_URI"] = target
    return environ


def _call_wsgi(app, environ: dict) -> tuple[int, bytes]:
    status: list[str] = []
    result = app(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(status[0].split(" ", 1)[0]), body


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _static_client(deps: Path, **options) -> Client:
    files = StaticFiles(deps, **options)

    def get(target: str) -> tuple[int, bytes]:
        path = target.split("?", 1)[0]
        answer = files.answer(path[len(DEPS) - 1:] if path.startswith(DEPS) else path)
        return answer.status, answer.read()

    return get


def _asgi_client(deps: Path) -> Client:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from prebundle.integrations import Assets
    from prebundle.integrations.asgi import StaticFiles as AsgiFiles

    app = Starlette(routes=[Mount(DEPS.rstrip("/"), app=AsgiFiles(Assets(deps_dir=deps)))])

    async def call(target: str) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": unquote(path), "raw_path": path.encode("latin-1"), "query_string": query.encode("latin-1"),
                 "root_path": "", "headers": [(b"host", b"localhost:8000")], "server": ("localhost", 8000)}
        messages: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send_message(message: dict) -> None:
            messages.append(message)

        await app(scope, receive, send_message)
        return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])

    return lambda target: asyncio.run(call(target))


def _wsgi_client(deps: Path, *, raw_uri: bool) -> Client:
    from prebundle.integrations import Assets
    from prebundle.integrations.wsgi import StaticFiles as WsgiFiles

    app = WsgiFiles(Assets(deps_dir=deps), app=_the_app)
    return lambda target: _call_wsgi(app, _wsgi_environ(target, raw_uri=raw_uri))


def _the_app(environ: dict, start_response) -> list[bytes]:
    """The app behind the WSGI middleware (answers everything outside the deps)."""
    start_response("200 OK", [("content-type", "text/plain")])
    return [b"the app"]


def _django_client(deps: Path) -> Client:
    _django_settings()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler

    handler = StaticFilesHandler(WSGIHandler())  # what runserver serves static files with
    return lambda target: _call_wsgi(handler, _wsgi_environ(target, raw_uri=False))


def _flask_client(deps: Path) -> Client:
    from flask import Flask

    from prebundle.integrations import Assets
    from prebundle.integrations.flask import Prebundle

    app = Flask("prebundle_security")
    Prebundle(app, assets=Assets(deps_dir=deps), transform_html=False)
    client = app.test_client()

    def get(target: str) -> tuple[int, bytes]:
        response = client.get(target)
        return response.status_code, response.get_data()

    return get


def _django_settings() -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "django"))
        os.environ["DJANGO_SETTINGS_MODULE"] = "demo_site.settings"
        django.setup()


def _probe_helper(get: Client, attempts: list[Attempt]) -> list[Probe]:
    return [Probe(attempt, *get(attempt.target)) for attempt in attempts]


DJANGO_BASE = "/static/prebundle/"


def _run_helper(name: str, deps: Path) -> tuple[list[Probe], tuple[int, bytes]]:
    """The attempts against one helper, and its answer to the control file."""
    attempts = _helper_attempts(DJANGO_BASE if name == "django" else DEPS)
    if name == "wsgi-server":
        from prebundle.integrations import Assets
        from prebundle.integrations.wsgi import StaticFiles as WsgiFiles

        app = WsgiFiles(Assets(deps_dir=deps), app=_the_app)
        server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.server_port
            probes = probe_daemon(port, attempts)
            control = send(port, DEPS + "tiny.js")
            return probes, (control.status, control.body)
        finally:
            server.shutdown()
            server.server_close()
    if name == "django":
        from django.test import override_settings

        _django_settings()
        only_ours = ["prebundle.integrations.django.finders.PrebundleFinder"]  # Django's own finders are Django's
        with override_settings(PREBUNDLE={"deps_dir": deps}, DEBUG=False, STATICFILES_FINDERS=only_ours):
            get = _django_client(deps)
            return _probe_helper(get, attempts), get(DJANGO_BASE + "tiny.js")
    get = {"static": lambda: _static_client(deps), "asgi": lambda: _asgi_client(deps),
           "wsgi": lambda: _wsgi_client(deps, raw_uri=True),
           "wsgi-no-raw-uri": lambda: _wsgi_client(deps, raw_uri=False),
           "flask": lambda: _flask_client(deps)}[name]()
    return _probe_helper(get, attempts), get(DEPS + "tiny.js")


@pytest.mark.parametrize("helper", ["static", "asgi", "wsgi", "wsgi-no-raw-uri", "wsgi-server", "django", "flask"])
def test_helpers_leak_nothing(deps_site: Path, helper: str) -> None:
    probes, control = run_in_thread(_run_helper, helper, deps_site)
    assert len(probes) >= 1000
    assert find_leaks(probes, [MARK]) == []
    assert [(p.status, p.attempt.target) for p in probes if p.status >= 500] == []
    assert control[0] == 200 and CONTROL in control[1]  # the same client does read served files


def test_the_leak_check_catches_a_leak_without_the_deny_list(deps_site: Path) -> None:
    """The attempts do reach the secrets: with the deny list and hidden-name rule off, they leak."""
    get = _static_client(deps_site, deny=None, allow_hidden=True)
    leaks = find_leaks(_probe_helper(get, _helper_attempts(DEPS)), [MARK])
    assert len(leaks) > 20
    assert any("leak.pem" in leak.lower() for leak in leaks) and any(".env" in leak for leak in leaks)


# -- CORS: what a page of another origin can read ----------------------------------------------

ROUTES = ["/@prebundle/importmap.json", "/@prebundle/status", "/@prebundle/client.js", "/src/main.js", "/"]


def _routes(site: Site) -> list[str]:
    imports = json.loads(send(site.port, "/@prebundle/importmap.json").body)["imports"]
    return [*ROUTES, imports["tiny-dep"]]


@pytest.mark.parametrize("origin", [
    "http://localhost:8000", "https://localhost:3000", "http://localhost", "http://app.localhost:5173",
    "http://127.0.0.1:9999", "http://[::1]:8080", "http://app.test:8000", "https://team.corp.test",
])
def test_allowed_origins_read_everything(site: Site, origin: str) -> None:
    for route in _routes(site):
        reply = send(site.port, route, {"Origin": origin})
        assert reply.status == 200, (route, reply.body)
        assert reply.headers["access-control-allow-origin"] == origin
        assert "Origin" in reply.headers["vary"]
    events = send(site.port, "/@prebundle/events", {"Origin": origin}, head_only=True)
    assert events.status == 200 and events.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", [
    "https://evil.example", "http://localhost.evil.example", "http://127.0.0.1.nip.io", "null",
    "http://[2001:db8::1]", "http://192.168.1.5:5174", "http://app.test:8001", "https://corp.test.evil.example",
    "https://a.b.corp.test", "file://", "http://foo.example.com:localhost",
])
def test_other_origins_read_nothing(site: Site, origin: str) -> None:
    for route in [*_routes(site), "/@prebundle/events"]:
        reply = send(site.port, route, {"Origin": origin})  # a refusal ends; a stream would time out
        assert reply.status == 403, (origin, route)
        assert "access-control-allow-origin" not in reply.headers
        assert reply.body.startswith(b"403: pages of") and reply.body.count(b"\n") == 1  # that line alone
        assert b"server.cors in prebundle.dev.py" in reply.body


def test_no_access_control_allow_origin_star_anywhere(site: Site) -> None:
    for route in _routes(site):
        for headers in ({}, {"Origin": "http://localhost:8000"}, {"Origin": "https://evil.example"}):
            assert send(site.port, route, headers).headers.get("access-control-allow-origin") != "*"


def test_preflight(site: Site) -> None:
    asked = {"Origin": "http://localhost:8000", "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "x-custom", "Access-Control-Request-Private-Network": "true"}
    reply = send(site.port, "/@prebundle/importmap.json", asked, method="OPTIONS")
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert reply.headers["access-control-allow-headers"] == "x-custom"
    assert reply.headers["access-control-allow-private-network"] == "true"
    assert "GET" in reply.headers["access-control-allow-methods"]
    evil = send(site.port, "/@prebundle/importmap.json", {**asked, "Origin": "https://evil.example"}, method="OPTIONS")
    assert evil.status == 403 and "access-control-allow-origin" not in evil.headers


def test_the_daemons_own_pages_need_no_cors(site: Site) -> None:
    """Its own pages send ``Origin`` with module scripts: reached by IP on the network, by a
    configured name, or behind a proxy (``Sec-Fetch-Site: same-origin``), they still load."""
    lan = f"192.168.1.5:{site.port}"
    assert send(site.port, "/src/main.js", {"Origin": f"http://{lan}"}, host=lan).status == 200
    named = f"dev.test:{site.port}"
    assert send(site.port, "/src/main.js", {"Origin": f"http://{named}"}, host=named).status == 200
    proxied = send(site.port, "/src/main.js", {"Origin": "https://dev.proxy.example", "Sec-Fetch-Site": "same-origin"})
    assert proxied.status == 200 and "access-control-allow-origin" not in proxied.headers


def test_no_cors_loads_from_other_sites_need_an_allowed_referer(site: Site) -> None:
    """``<script src>`` from another site would run the app's code in that page (XSSI)."""
    cross = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}
    evil = send(site.port, "/src/main.js", {**cross, "Referer": "https://evil.example/page"})
    assert evil.status == 403 and evil.body.startswith(b"403: pages of") and b"crossorigin" in evil.body
    assert send(site.port, "/src/main.js", cross).status == 403  # Referrer-Policy: no-referrer
    assert send(site.port, "/src/main.js", {**cross, "Referer": "http://localhost:8000/page"}).status == 200
    navigate = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Referer": "https://evil.example/"}
    assert send(site.port, "/", navigate).status == 200  # a link to the daemon still opens it


# -- Host: DNS rebinding -----------------------------------------------------------------------

@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:{port}", "localhost.evil.example", "127.0.0.1.evil.example", "",
    "dev.test.evil.example", "xcorp.test", "corp.test.", "[::1", "localhost:abc",
])
def test_other_hosts_are_refused(site: Site, host: str) -> None:
    reply = send(site.port, "/src/main.js", host=host.format(port=site.port))
    assert reply.status == 403 and reply.body.startswith(b"403: this prebundle daemon does not answer the host")
    text = reply.body.decode()
    assert text.count("\n") == 1 and "server.allowed_hosts in prebundle.dev.py" in text


def test_a_request_without_host_is_refused(site: Site) -> None:
    reply = send(site.port, "/@prebundle/importmap.json", host=None)
    assert reply.status in (400, 403) and b"imports" not in reply.body


@pytest.mark.parametrize("host", [
    "localhost:{port}", "localhost", "app.localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "10.1.2.3:{port}",
    "dev.test:{port}", "corp.test", "a.corp.test:{port}", "DEV.TEST:{port}",
])
def test_local_names_ips_and_allowed_hosts_are_answered(site: Site, host: str) -> None:
    reply = send(site.port, "/src/main.js", host=host.format(port=site.port))
    assert reply.status == 200 and reply.body.startswith(b"import { tiny }")


def test_exposed_daemon_warns_once_at_start_up(site: Site) -> None:
    lines = [line for line in site.daemon.log().splitlines() if "reachable from the network" in line]
    assert len(lines) == 1
    assert lines[0].startswith("warning: listening on 0.0.0.0") and str(site.root) in lines[0]
    assert exposure_warning("127.0.0.1", site.root) is None and exposure_warning("localhost", site.root) is None
    assert exposure_warning("::1", site.root) is None and exposure_warning("192.168.1.5", site.root)


# -- the rules on their own, and the config keys ------------------------------------------------

def _policy(tmp_path: Path, server: str) -> SitePolicy:
    (tmp_path / "prebundle.config.py").write_text(f"config = {{'server': {server}}}\n")
    return SitePolicy.from_config(load_config(tmp_path, command="serve"))


def _verdict(policy: SitePolicy, **headers: str) -> tuple[int, str | None]:
    raw = {key.replace("_", "-").encode(): value.encode() for key, value in headers.items()}
    raw.setdefault(b"host", b"127.0.0.1:5174")
    verdict = judge(policy, "GET", "/src/main.js", raw)
    return verdict.status, verdict.allow_origin


def test_cors_true_false_and_default(tmp_path: Path) -> None:
    default = _policy(tmp_path, "{}")
    assert _verdict(default, origin="http://localhost:8000") == (0, "http://localhost:8000")
    assert _verdict(default, origin="https://evil.example")[0] == 403
    assert _verdict(default) == (0, None)
    anyone = _policy(tmp_path, "{'cors': True}")
    assert _verdict(anyone, origin="https://evil.example") == (0, "https://evil.example")
    nobody = _policy(tmp_path, "{'cors': False}")
    assert _verdict(nobody, origin="http://localhost:8000")[0] == 403
    assert _verdict(nobody, origin="http://127.0.0.1:5174") == (0, None)  # its own pages
    compiled = _policy(tmp_path, "{'cors': [__import__('re').compile(r'https://.*\\.b\\.test')]}")
    assert _verdict(compiled, origin="https://x.b.test") == (0, "https://x.b.test")


def test_allowed_hosts_true_answers_any_host(tmp_path: Path) -> None:
    assert _verdict(_policy(tmp_path, "{'allowed_hosts': True}"), host="evil.example")[0] == 0
    assert _verdict(_policy(tmp_path, "{}"), host="evil.example")[0] == 403
    assert _verdict(_policy(tmp_path, "{'host': 'my-box.lan'}"), host="my-box.lan:5174")[0] == 0  # bound to it


@pytest.mark.parametrize(("server", "message"), [
    ("{'cors': ['http://a.test/path']}", "cors: 'http://a.test/path' is not an origin"),
    ("{'cors': ['^(']}", "cors: bad regular expression '^('"),
    ("{'cors': 'yes'}", "cors: 'yes' is not an origin"),
    ("{'allowed_hosts': ['http://a.test']}", "allowed_hosts: 'http://a.test' is not a host name"),
    ("{'allowed_hosts': ['a.test:80']}", "allowed_hosts: 'a.test:80' is not a host name"),
    ("{'allowed_hosts': 3}", "allowed_hosts: expected true or a list of host names"),
    ("{'fs_deny': [3]}", "fs_deny: expected a list of globs"),
    ("{'fs_deny': ['../x']}", "fs_deny: '../x' is not a glob of files in the project"),
    ("{'cross': True}", "unknown server key 'cross' (known: host, port, cors, allowed_hosts, fs_deny)"),
])
def test_config_errors_name_file_line_and_key(tmp_path: Path, server: str, message: str) -> None:
    (tmp_path / "prebundle.config.py").write_text(f"\n\nconfig = dict(\n    server={server},\n)\n")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    text = str(error.value)
    assert text.startswith(f"{tmp_path / 'prebundle.config.py'}:4: server: {message}"), text
    assert "\n" not in text


def test_toml_keys_and_the_cli_host_keep_the_file_settings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prebundle.server]\nallowed-hosts = ["dev.test"]\n'
                                             'fs-deny = ["*.sqlite"]\ncors = ["http://app.test:8000/"]\n')
    config = load_config(tmp_path, command="serve", overrides={"server": {"host": "0.0.0.0", "port": 0}})
    assert (config.server.host, config.server.port) == ("0.0.0.0", 0)
    assert config.server.allowed_hosts == ("dev.test",) and config.server.fs_deny == ("*.sqlite",)
    assert config.server.cors == ("http://app.test:8000",)
    again = config.with_overrides(server={"port": 5175})
    assert again.server.allowed_hosts == ("dev.test",) and again.server.port == 5175
    policy = SitePolicy.from_config(config)
    assert policy.app_deny.denies("db/app.SQLITE") and policy.app_deny.denies("pyproject.toml")
    assert not policy.app_deny.denies("src/main.js")


@pytest.mark.parametrize(("globs", "path", "denied"), [
    ((), ".env", True), ((), "src/.ENV.production", True), ((), "Server.PEM", True), ((), "a/b.key/c.js", True),
    ((), "server.pem.", True), ((), "server.pem::$DATA", True), ((), "x/.git/objects/ab", True),
    ((), "backup.p12", True), ((), ".environment", False), ((), "src/main.js", False), ((), "pem.js", False),
    (("*.{sqlite,db}",), "data/App.DB", True), (("private/",), "a/private/x.txt", True),
    (("/top/*.json",), "top/a.json", True), (("/top/*.json",), "x/top/a.json", False),
    (("**/secrets/**",), "a/b/secrets/c/d.txt", True), (("secrets/*.txt",), "secrets/a.js", False),
])
def test_deny_list_globs(globs: tuple[str, ...], path: str, denied: bool) -> None:
    from prebundle.denylist import DenyList

    assert DenyList().extended(globs).denies(path) is denied
