"""Plugin hooks in the real daemon: configure_server, transform_index_html, handle_hot_update,
and a failing hook that does not bring the daemon down."""

from __future__ import annotations

import time
from pathlib import Path

from ._support import EventReader, make_app

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
    root = make_app(tmp_path / "app", "import './quiet.js'\nimport cn from 'classnames'\n")
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
        time.sleep(1.0)
        assert [e for e, _ in events.pending() if e == "reload"] == []  # the plugin took it over
        assert daemon.status()["runs"] == runs and "dayjs" not in daemon.status()["deps"]

        failing = daemon.get("/broken.html")
        assert failing.status_code == 500
        assert "[plugin broken] hook transform_index_html failed" in failing.text
        assert daemon.status()["state"] == "ready"  # still serving
        assert daemon.get("/").status_code == 200
    finally:
        events.close()
