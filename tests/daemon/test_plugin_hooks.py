"""Plugin hooks in the real daemon: configure_server, transform_index_html, handle_hot_update,
and a failing hook that does not bring the daemon down."""

from __future__ import annotations

from pathlib import Path

from tests.support.apps import DOCUMENT, make_app
from tests.support.daemon import EventReader

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plugins"

CONFIG = f"""
import sys
sys.path.insert(0, {str(EXAMPLES)!r})
from env_banner import env_banner
from prebundle import Plugin, define_config


def quiet(ctx):
    if ctx.file.endswith("quiet.js"):
        ctx.server.ws.send("quiet-changed", {{"text": ctx.read()[:20]}})
        return []
    return None


def broken(html, ctx):
    if "broken" in ctx.path and ctx.server is not None:  # only when the daemon serves the page
        raise ValueError("bad page")
    return None


config = define_config(plugins=[
    env_banner("testing"),
    Plugin("quiet", handle_hot_update=quiet),
    Plugin("broken", transform_index_html=broken),
])
"""


def test_daemon_runs_the_plugin_hooks(tmp_path, start_daemon):
    root = make_app(tmp_path / "app", "import './quiet.js'\nimport cn from 'classnames'\n",
                    html=DOCUMENT, tiny_dep=True, hand_packages=False)
    (root / "src" / "quiet.js").write_text("export const q = 1\n")
    (root / "broken.html").write_text("<html><head></head><body></body></html>")
    (root / "prebundle.config.py").write_text(CONFIG)
    daemon = start_daemon(root)
    daemon.wait_state("ready")

    health = daemon.get("/__health")  # configure_server added a route, over real HTTP
    assert health.status_code == 200 and health.json() == {"ok": True, "plugin": "env-banner"}

    page = daemon.get("/").text
    assert '<meta name="x-env" content="testing">' in page
    assert '<div id="env-banner"' in page

    events = EventReader(daemon.url)
    try:
        runs = daemon.status()["runs"]
        (root / "src" / "quiet.js").write_text("import dayjs from 'dayjs'\nexport const q = 2\n")
        event, data = events.next(10)
        assert event == "quiet-changed" and data == {"text": "import dayjs from 'd"}
        # The plugin took it over: no run. The event is sent while the daemon takes the change in,
        # just before it would wake its run loop; by the time this status request is answered, a
        # run would show (optimizing, or one more run).
        status = daemon.status()
        assert status["state"] == "ready" and status["runs"] == runs and "dayjs" not in status["deps"]

        failing = daemon.get("/broken.html")
        assert failing.status_code == 500
        assert "[plugin broken] hook transform_index_html failed" in failing.text
        # The hook's failure is also an event, sent after all of the above: no reload came first.
        seen = events.until(lambda event, data: event == "error" and "plugin broken" in data["message"], 10)
        assert [e for e, _ in seen if e == "reload"] == []
        status = daemon.status()
        assert status["state"] == "ready"  # still serving
        assert status["runs"] == runs and "dayjs" not in status["deps"]
        assert daemon.get("/").status_code == 200
    finally:
        events.close()
