"""The rest of the plugin API in the real daemon: the lifecycle hooks once per daemon,
``add_watch_file``, emitted assets, ``transform_index_html`` around the daemon's own changes,
and messages from pages to plugins through ``POST /@prebundle/messages`` (and its guard)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.apps import DOCUMENT, make_app
from tests.support.daemon import EventReader, raw_get
from tests.support.wait import wait_until

LIFECYCLE_CONFIG = """
import json
from pathlib import Path

from prebundle import Plugin, define_config
from prebundle.plugins import current_context

ROOT = Path({root!r})
LOG = Path({log!r})


def note(*parts):
    with LOG.open("a") as file:
        file.write(json.dumps(parts) + "\\n")


def build_start(options):
    note("build_start", options["command"])
    current_context().emit_file({{"type": "asset", "file_name": "banner.txt", "source": "emitted at start"}})


def resolve_id(source, importer, options):
    return "\\0virtual:extra-deps" if source == "virtual:extra-deps" else None


def load(id_):
    if id_ != "\\0virtual:extra-deps":
        return None
    current_context().add_watch_file("extra-deps.txt")  # relative to the root
    names = (ROOT / "extra-deps.txt").read_text().split()
    return "".join(f"import {{json.dumps(name)}};\\n" for name in names)


def early(html, ctx):
    if ctx.server is not None:  # the daemon serves the page (None in the scan)
        ctx.server.ws.send("life:page", {{"path": ctx.path}})  # from a request's worker thread
    return [{{"tag": "meta", "attrs": {{"name": "pre-saw-importmap", "content": str('"importmap"' in html)}}}}]


def late(html, ctx):
    return [{{"tag": "meta", "attrs": {{"name": "post-saw-importmap", "content": str('"importmap"' in html)}},
              "inject_to": "head-prepend"}}]


config = define_config(plugins=[Plugin(
    "life",
    build_start=build_start,
    build_end=lambda error: note("build_end", error and str(error)),
    close_bundle=lambda error: note("close_bundle", error and str(error)),
    resolve_id=resolve_id,
    load=load,
    transform_index_html={{"order": "pre", "handler": early}},
), Plugin("late", transform_index_html={{"order": "post", "handler": late}})])
"""


def _notes(log: Path) -> list[list]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_daemon_lifecycle_watch_files_assets_and_page_order(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", "import 'virtual:extra-deps'\n", html=DOCUMENT, hand_packages=False)
    log = tmp_path / "hooks.log"
    (root / "extra-deps.txt").write_text("classnames\n")
    (root / "prebundle.config.py").write_text(LIFECYCLE_CONFIG.format(root=str(root), log=str(log)))
    daemon = start_daemon(root)
    status = daemon.wait_state("ready")
    assert "classnames" in status["deps"] and "dayjs" not in status["deps"]
    assert _notes(log) == [["build_start", "serve"]]

    asset = daemon.get("/@prebundle/assets/banner.txt")
    assert asset.status_code == 200 and asset.text == "emitted at start"
    status_code, body = raw_get(daemon.url, "/@prebundle/assets/../prebundle.config.py")
    assert status_code in (400, 403, 404) and b"define_config" not in body

    events = EventReader(daemon.url)
    try:
        page = daemon.get("/").text  # "pre" ran before the daemon added the import map, "post" after
        assert '<meta name="pre-saw-importmap" content="False">' in page
        assert '<meta name="post-saw-importmap" content="True">' in page
        assert events.next_of(("life:page",), 10) == ("life:page", {"path": "/index.html"})
    finally:
        events.close()

    runs = status["runs"]
    (root / "extra-deps.txt").write_text("classnames\ndayjs\n")  # a file only a plugin reads
    status = wait_until(lambda: (s := daemon.status())["runs"] > runs and s["state"] == "ready" and s,
                        20, interval=0.05, message=daemon.log)
    assert "dayjs" in status["deps"]
    assert _notes(log) == [["build_start", "serve"]]  # once for the daemon, not per run

    config = root / "prebundle.config.py"
    config.write_text(config.read_text() + "\n# edited\n")  # new plugin objects: the old ones end
    wait_until(lambda: len(_notes(log)) >= 4, 20, interval=0.05, message=daemon.log)
    started = [["build_start", "serve"]]
    assert _notes(log) == [*started, ["build_end", None], ["close_bundle", None], *started]

    assert daemon.stop() == 0
    assert _notes(log) == [*started, ["build_end", None], ["close_bundle", None], *started,
                           ["build_end", None], ["close_bundle", None]]


MESSAGES_CONFIG = """
from starlette.responses import JSONResponse
from starlette.routing import Route

from prebundle import Plugin, define_config

received = []


def configure_server(server):
    def ping(data, client):
        received.append(data)
        server.ws.send("demo:seen", data)
        client.send("demo:pong", {"n": data["n"] + 1})

    def boom(data):
        raise ValueError("no thanks")

    server.ws.on("demo:ping", ping)
    server.ws.on("demo:boom", boom)
    server.ws.on("connection", lambda data, client: client.send("demo:welcome", {"client": client.id}))

    async def listing(request):
        return JSONResponse(received)

    server.app.router.routes.insert(0, Route("/__received", listing))


config = define_config(plugins=[Plugin("demo", configure_server=configure_server)])
"""


def test_messages_from_pages_reach_plugins_and_only_from_allowed_pages(tmp_path: Path, start_daemon) -> None:
    root = make_app(tmp_path / "app", "import cn from 'classnames'\n", html=DOCUMENT, hand_packages=False)
    (root / "prebundle.config.py").write_text(MESSAGES_CONFIG)
    daemon = start_daemon(root)
    daemon.wait_state("ready")
    url = daemon.url + "/@prebundle/messages"

    def post(body: bytes | str, **headers: str) -> httpx.Response:
        return httpx.post(url, content=body, headers={"content-type": "application/json", **headers}, timeout=10)

    events = EventReader(daemon.url)
    try:
        assert events.next_of(("demo:welcome",), 10)[0] == "demo:welcome"  # the "connection" event

        # Another site's page: refused by the guard before any handler, preflight or not.
        foreign = post('{"event": "demo:ping", "data": {"n": 1}}', origin="https://evil.example")
        assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
        preflight = httpx.options(url, headers={"origin": "https://evil.example",
                                                "access-control-request-method": "POST",
                                                "access-control-request-headers": "content-type"})
        assert preflight.status_code == 403
        simple = post('{"event": "demo:ping", "data": {"n": 1}}', origin="https://evil.example",
                      **{"content-type": "text/plain"})
        assert simple.status_code == 403

        # Not JSON, too big, or not a message: refused with what to send instead.
        assert post('{"event": "demo:ping"}', **{"content-type": "text/plain"}).status_code == 415
        assert post(json.dumps({"event": "demo:ping", "data": "x" * 70_000})).status_code == 413
        assert post("{not json").status_code == 400
        assert post("[" * 60_000).status_code == 400  # deeper than Python parses: not JSON to us
        assert post('{"event": "bad\\nname"}').status_code == 400
        assert daemon.get("/__received").json() == []

        # A page on localhost:8000 (a backend's) may send; the handler answers and broadcasts.
        sent = post('{"event": "demo:ping", "data": {"n": 41}, "client": "nobody"}', origin="http://localhost:8000")
        assert sent.status_code == 200 and sent.json() == {"ok": True, "handled": 1}
        assert sent.headers["access-control-allow-origin"] == "http://localhost:8000"
        assert daemon.get("/__received").json() == [{"n": 41}]
        assert post('{"event": "demo:ping", "data": {"n": 1}}').status_code == 200
        seen = events.until(lambda event, data: data == {"n": 1}, 10)
        assert [item for item in seen if item[0].startswith("demo:")] == [("demo:seen", {"n": 41}), ("demo:seen", {"n": 1})]
        assert post('{"event": "nobody:listens", "data": 1}').json() == {"ok": True, "handled": 0}

        failed = post('{"event": "demo:boom", "data": null}')
        assert failed.status_code == 500
        assert failed.json()["error"] == ("[plugin demo] hook server.ws.on failed on demo:boom: "
                                          "ValueError: no thanks")
        assert daemon.status()["state"] == "ready"
    finally:
        events.close()
