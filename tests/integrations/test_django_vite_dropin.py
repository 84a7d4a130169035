"""The drop-in for django-vite's tags: the example project's django-vite template
(examples/django/demo_site/templates/vite.html, ``{% load django_vite %}`` as django-vite's docs
write it) rendered by prebundle, in Chromium with the daemon and from ``prebundle build``; the
tags' signatures against the real django-vite's."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import pytest

from tests.support.apps import make_app
from tests.support.daemon import Daemon

from .conftest import SOURCE, django_settings, importmap_of, tag_attrs
from .test_browser import open_in_chromium, serve_django

django_settings()

from django.template import Context, Template  # noqa: E402
from django.test import override_settings  # noqa: E402

from prebundle.integrations.django import get_assets  # noqa: E402
from prebundle.integrations.django_vite.templatetags import django_vite as dropin  # noqa: E402


def test_every_tag_of_django_vite_with_its_signature():
    from django_vite.templatetags import django_vite as real

    names = set(real.register.tags)
    assert names == set(dropin.register.tags)
    for name in sorted(names):
        theirs = inspect.signature(getattr(real, name)).parameters
        ours = {k: v for k, v in inspect.signature(getattr(dropin, name)).parameters.items() if k != "context"}
        assert [(p.name, p.kind, p.default) for p in theirs.values()] == \
               [(p.name, p.kind, p.default) for p in ours.values()], name


def test_tags_render_the_import_map_once_then_the_entry(built, deps):
    with override_settings(PREBUNDLE={"root": built}):
        assets = get_assets()
        head_and_body = Template('{% load django_vite %}{% vite_hmr_client %}{% vite_react_refresh %}'
                                 '{% vite_asset "react-dom/client" nonce="n0" %}{% vite_legacy_polyfills %}'
                                 ).render(Context({}))
        body_only = Template('{% load django_vite %}{% vite_asset "react-dom/client" %}').render(
            Context({"csp_nonce": "c5p"}))
        url = Template('{% load django_vite %}{% vite_asset_url "react" app="default" %}').render(Context())
        preload = Template('{% load django_vite %}{% vite_preload_asset "react-dom/client" %}').render(Context())
    for page in (head_and_body, body_only):
        assert page.count('<script type="importmap"') == 1
        assert page.index('type="importmap"') < page.index("modulepreload") < page.index('type="module"')
        assert importmap_of(page)["imports"]["react"] == assets.url("react")
        [script] = tag_attrs(page, "script", type="module")
        assert script["src"] == assets.url("react-dom/client")
    assert tag_attrs(body_only, "script", type="module")[0]["nonce"] == "c5p"
    assert "react-refresh" not in head_and_body and "legacy" not in head_and_body
    assert url == assets.url("react")
    assert {link["href"] for link in tag_attrs(preload, "link", rel="modulepreload")} >= {assets.url("scheduler")}


def test_unknown_app_says_which_apps_there_are(built):
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(PREBUNDLE={"apps": {"site": {"root": built}}}):
        with pytest.raises(ImproperlyConfigured, match=r"no app 'admin' \(apps: site\)"):
            Template('{% load django_vite %}{% vite_asset "react" app="admin" %}').render(Context())


@pytest.fixture
def frontend(tmp_path):
    return make_app(tmp_path / "frontend", SOURCE, entry="src/main.tsx",
                    extra={"src/style.css": "#hello { font-weight: bold }\n"})


def test_django_vite_template_with_the_daemon(frontend):
    daemon = Daemon(frontend)
    try:
        daemon.wait_listening(timeout=60).wait_state("ready", timeout=60)
        url, stop = serve_django(frontend)
        try:
            text, errors, responses = open_in_chromium(url + "/vite/")
        finally:
            stop()
        origin = daemon.url
    finally:
        daemon.stop(timeout=15)
    assert errors == []
    assert text.startswith("hello from React 19"), text
    assert f"{origin}/src/main.tsx" in responses          # vite_asset: the app's module, from the daemon
    assert f"{origin}/@prebundle/client.js" in responses  # vite_hmr_client: the reload client


def test_django_vite_template_from_the_build(frontend):
    done = subprocess.run([sys.executable, "-m", "prebundle", "build", str(frontend)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    url, stop = serve_django(frontend)
    try:
        text, errors, responses = open_in_chromium(url + "/vite/")
    finally:
        stop()
    assert errors == []
    assert text.startswith("hello from React 19"), text
    scripts = [u for u in responses if re.search(r"/static/prebundle/assets/main-[A-Z0-9]{8}\.js$", u)]
    assert scripts, sorted(responses)
