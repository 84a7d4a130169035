"""Django: the example project (examples/django) with the test client, its real template over the
demo's build, the template tags with hostile values, the staticfiles finder under runserver and
collectstatic, and the system checks."""

from __future__ import annotations

import html
import json
import re

import pytest

from .conftest import HOSTILE, check_built_page, check_page, django_settings, importmap_of, sri, tag_attrs

django_settings()

from django.core import checks  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

BASE = "/static/prebundle/"


@pytest.fixture
def site(built):
    with override_settings(PREBUNDLE={"root": built}, STATICFILES_DIRS=[built / "src"], DEBUG=True):
        yield built


def test_page(demo_built):
    """The example's page over the demo's build: one tag renders it all, with the view's nonce."""
    with override_settings(PREBUNDLE={"root": demo_built}):
        response = Client().get("/")
    assert response.status_code == 200
    page = response.content.decode()
    nonce = re.search(r"'nonce-(\w+)'", response["Content-Security-Policy"]).group(1)
    check_built_page(page, demo_built / "dist", BASE, nonce=nonce)
    entry = json.loads((demo_built / "dist" / ".prebundle" / "manifest.json").read_text())["src/main.tsx"]
    # the stylesheets, as a header; no module: a header's preload would race the import map
    assert entry["css"] and all(f"<{BASE}{css}>; rel=preload; as=style" in response["Link"] for css in entry["css"])
    assert "modulepreload" not in response["Link"]


def test_tags_take_the_context_nonce(site, deps):
    template = Template('{% load prebundle %}{% prebundle_importmap %}{% prebundle_preload "with-css" "needs-react" %}')
    page = template.render(Context({"csp_nonce": "r4nd0m"}))
    check_page(page, deps, BASE, ["with-css", "needs-react"], nonce="r4nd0m")


def test_hostile_id_and_nonce_are_escaped(hostile_dir):
    with override_settings(PREBUNDLE={"deps_dir": hostile_dir}):
        template = Template("{% load prebundle %}{% prebundle_importmap %}{% prebundle_preload name nonce=n %}")
        page = template.render(Context({"name": HOSTILE, "n": HOSTILE}))
    assert "<script>alert" not in page and page.count("<script") == 1
    assert HOSTILE in importmap_of(page)["imports"]
    assert html.unescape(tag_attrs(page, "link", rel="modulepreload")[0]["nonce"]) == HOSTILE


def test_finder_serves_and_collects_the_hidden_folder(site, deps, tmp_path):
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.views import serve
    from django.http import Http404
    from django.test import RequestFactory

    meta = json.loads((deps / "_metadata.json").read_text())
    react = meta["optimized"]["react"]["file"]
    response = serve(RequestFactory().get(f"{BASE}{react}"), f"prebundle/{react}")  # what runserver does
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (deps / react).read_bytes()
    assert finders.find("prebundle/../manifest.json") is None
    with pytest.raises(Http404):
        serve(RequestFactory().get("/"), "prebundle/.hidden")
    with override_settings(STATIC_ROOT=tmp_path / "collected"):
        call_command("collectstatic", interactive=False, verbosity=0)
    collected = tmp_path / "collected" / "prebundle"
    assert (collected / react).read_bytes() == (deps / react).read_bytes()
    assert (collected / "importmap.json").is_file()
    assert (collected / "_polyfill" / "es-module-shims.js").is_file()


def test_collected_copy_is_used_without_node_modules(site, deps, tmp_path):
    with override_settings(STATIC_ROOT=tmp_path / "collected"):
        call_command("collectstatic", interactive=False, verbosity=0)
        with override_settings(PREBUNDLE={"root": tmp_path}):  # a server without the frontend build
            page = Template('{% load prebundle %}{% prebundle_importmap %}').render(Context())
    url = importmap_of(page)["imports"]["react"]
    assert importmap_of(page)["integrity"][url] == sri(deps / url.removeprefix(BASE).split("?")[0])


def test_system_checks(site, tmp_path):
    assert [m for m in checks.run_checks() if m.id.startswith("prebundle")] == []
    with override_settings(PREBUNDLE={"root": tmp_path}, STATIC_ROOT=tmp_path / "none"):
        ids = [m.id for m in checks.run_checks() if m.id.startswith("prebundle")]
    assert ids == ["prebundle.W001"]
    with override_settings(PREBUNDLE={"rot": tmp_path}):
        ids = [m.id for m in checks.run_checks() if m.id.startswith("prebundle")]
    assert ids == ["prebundle.E001"]


def test_jinja2_backend_environment(site, deps):
    from prebundle.integrations.django.jinja2 import environment

    env = environment(autoescape=True)
    page = env.from_string('{{ prebundle_importmap() }}{{ prebundle_preload(["react-dom/client"]) }}').render(
        csp_nonce="j1")
    check_page(page, deps, BASE, ["react-dom/client"], nonce="j1")
