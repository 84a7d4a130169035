"""The acceptance test of the app's own code: the example Django project (examples/django) and the
example Flask app (examples/flask), run as a user runs them, render the TSX demo (examples/demo:
a TSX entry, a CSS import, a dynamic import, an image) in Chromium from the same template

* in development, with a real `prebundle daemon` serving the app's source, and
* in production, after a real `prebundle build`, with the daemon stopped: every tag carries SRI
  and nothing is requested from the daemon.

Everything runs on a copy of examples/demo, so the repository's example is never written to."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integrations.conftest import EXAMPLES, build, copy_demo
from tests.support.browser import PAGE_TIMEOUT_MS, wait_for_true
from tests.support.daemon import Daemon
from tests.support.servers import free_port, listening_server

FRAMEWORKS = ["django", "flask"]
BACKGROUND = "rgb(246, 247, 251)"  # body, from src/style.css
BUSY_TITLE = "rgb(107, 70, 193)"   # .card.busy h1, once the counter was clicked
DETAILS = "rgb(47, 133, 90)"       # #more, the lazily loaded component


# -- the servers ------------------------------------------------------------------------------


@contextmanager
def example_server(framework: str, frontend: Path, **env: str) -> Iterator[str]:
    """The example app of ``framework`` over ``frontend``, started as its docstring says, on a
    free port; yields its URL."""
    port = free_port()
    if framework == "django":
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    else:
        command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    environ = {**os.environ, "PREBUNDLE_FRONTEND": str(frontend), "PYTHONDONTWRITEBYTECODE": "1", **env}
    environ.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py sets the example's own
    log = frontend.parent / f"{framework}-{port}.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=EXAMPLES / framework, env=environ, stdout=out,
                                  stderr=subprocess.STDOUT)

    with listening_server(server, port, framework, log.read_text) as url:
        yield url


# -- the page ---------------------------------------------------------------------------------


@dataclass
class Seen:
    """What the demo page showed and loaded."""

    html: str
    csp: str
    errors: list[str]
    before_click: list[str]
    """Every URL the page requested before "details" was clicked."""
    requested: list[str] = field(default_factory=list)
    """Every URL the page requested, in order."""
    texts: dict[str, str] = field(default_factory=dict)
    styles: dict[str, str] = field(default_factory=dict)
    image_width: int = 0


def use_the_demo(browser, url: str) -> Seen:
    """Open the page, check what a user sees step by step: the component, its styles, the image,
    the counter, then "details" (a dynamic import). Errors are collected, not raised."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and errors.append(f"console: {message.text}"))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url} ({request.failure})"))
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: response.status >= 400
            and errors.append(f"HTTP {response.status}: {response.url}"))
    try:
        response = page.goto(url)
        seen = Seen(response.text(), response.headers.get("content-security-policy", ""), errors, [], requested)
        try:
            page.wait_for_selector("#count", timeout=PAGE_TIMEOUT_MS)
            wait_for_true(page, "document.getElementById('logo').complete")  # the pages have a CSP
        except Exception as error:  # noqa: BLE001 - reported with the page's own errors
            errors.append(f"the demo never rendered: {type(error).__name__}: {str(error)[:200]}")
            return seen
        seen.texts["h1"] = page.inner_text("h1")
        seen.texts["main"] = page.inner_text("main")
        seen.image_width = page.evaluate("document.getElementById('logo').naturalWidth")
        seen.styles["background"] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.click("#count")
        wait_for_true(page, "document.getElementById('count').textContent === 'clicked 1 times'")
        seen.styles["busy title"] = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
        seen.before_click = list(requested)
        page.click("#details")
        page.wait_for_selector("#more", timeout=PAGE_TIMEOUT_MS)
        seen.texts["more"] = page.inner_text("#more")
        seen.styles["details"] = page.evaluate("getComputedStyle(document.getElementById('more')).color")
        return seen
    finally:
        context.close()


def check_what_a_user_sees(seen: Seen) -> None:
    """The same page in both modes: rendered, styled, the image loaded, the lazy part loaded, no
    error, every tag with the nonce of the page's Content-Security-Policy."""
    assert seen.errors == [], "\n".join(seen.errors)
    assert seen.texts["h1"] == "prebundle demo"
    assert re.search(r"React 19\.\d+\.\d+, page opened", seen.texts["main"]), seen.texts["main"]
    assert "sum of [[1,2,3],[4,5,6],[7]] is 28" in seen.texts["main"]
    assert seen.image_width > 0
    assert seen.styles == {"background": BACKGROUND, "busy title": BUSY_TITLE, "details": DETAILS}
    assert seen.texts["more"].startswith("Loaded on demand")
    nonce = re.search(r"'nonce-(\w+)'", seen.csp).group(1)
    tags = [tag for tag in re.findall(r"<(?:script|link)\b[^>]*>", seen.html) if 'rel="icon"' not in tag]
    assert tags and all(f'nonce="{nonce}"' in tag for tag in tags), tags


def tag_attributes(html: str, name: str) -> list[dict[str, str]]:
    """The attributes of each ``<name ...>`` tag of ``html``."""
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', attrs)) for attrs in re.findall(rf"<{name}\b([^>]*)>", html)]


# -- development, then production on the same copy --------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A copy of examples/demo: the daemon and the build write into it, never into the repository."""
    return copy_demo(tmp_path_factory.mktemp("e2e") / "demo")


@pytest.fixture(scope="module")
def daemon(demo) -> Iterator[Daemon]:
    """`prebundle daemon` on the copy, as in development; the production fixture stops it."""
    running = Daemon(demo)
    try:
        running.wait_listening(timeout=60).wait_state("ready", timeout=60)
        yield running
    finally:
        running.stop(timeout=15)


@pytest.fixture(scope="module")
def built(demo, daemon) -> Path:
    """After development: the daemon stopped, then `prebundle build`; the build's out dir."""
    assert daemon.stop(timeout=15) == 0, daemon.log_path.read_text()  # a clean stop
    return build(demo)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_development_with_the_daemon(browser, demo, daemon, framework):
    with example_server(framework, demo, DJANGO_DEBUG="1", PREBUNDLE_MODE="") as url:
        seen = use_the_demo(browser, url + "/")
    check_what_a_user_sees(seen)
    origin = daemon.url
    scripts = [tag["src"] for tag in tag_attributes(seen.html, "script") if "src" in tag]
    assert scripts == [f"{origin}/@prebundle/client.js", f"{origin}/src/main.tsx"]  # the source, on the daemon
    assert f"{origin}/src/App.tsx" in seen.before_click          # compiled by the daemon on request
    assert f"{origin}/src/style.css?import" in seen.before_click  # the CSS import, as a module
    assert f"{origin}/src/logo.svg" in seen.before_click          # the image, from the daemon
    assert f"{origin}/src/Details.tsx" not in seen.before_click   # the dynamic import waits for the click
    assert f"{origin}/src/Details.tsx" in seen.requested
    assert any(u.startswith(f"{origin}/node_modules/.vite/deps/react-dom_client.js") for u in seen.requested)
    assert not [u for u in seen.requested if u.startswith(url)][1:]  # the page itself, nothing else from the app


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_production_from_the_build(browser, demo, daemon, built, framework):
    # Flask as `make demo` runs it (mode "production"), Django finding out on its own (no daemon)
    mode = "production" if framework == "flask" else ""
    with example_server(framework, demo, DJANGO_DEBUG="0", PREBUNDLE_MODE=mode) as url:
        seen = use_the_demo(browser, url + "/")
    check_what_a_user_sees(seen)
    base = url + ("/static/prebundle/" if framework == "django" else "/static/")
    manifest = json.loads((built / ".prebundle" / "manifest.json").read_text())
    entry, lazy = manifest["src/main.tsx"], manifest["src/Details.tsx"]
    scripts = [tag for tag in tag_attributes(seen.html, "script") if "src" in tag]
    links = [tag for tag in tag_attributes(seen.html, "link") if tag.get("rel") != "icon"]
    assert [tag["src"] for tag in scripts] == [base.removeprefix(url) + entry["file"]]  # the hashed entry
    assert [tag["href"] for tag in links if tag["rel"] == "stylesheet"] == \
           [base.removeprefix(url) + file for file in entry["css"]]
    assert scripts and links and all(tag.get("integrity", "").startswith("sha384-") for tag in scripts + links)
    importmap = json.loads(re.search(r'<script type="importmap"[^>]*>(.*?)</script>', seen.html, re.S).group(1))
    assert importmap["integrity"][base.removeprefix(url) + lazy["file"]].startswith("sha384-")  # lazy too
    assert base + lazy["file"] not in seen.before_click and base + lazy["file"] in seen.requested
    assert base + entry["assets"][0] in seen.requested  # the image, hashed
    assert any(u.startswith(base + "deps/react-dom_client-") for u in seen.requested)
    assert not [u for u in seen.requested if urlsplit(u).netloc != urlsplit(url).netloc]  # not the daemon's
    assert daemon.url and not [u for u in seen.requested if u.startswith(daemon.url)]
