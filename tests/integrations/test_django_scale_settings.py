"""``PREBUNDLE`` with several frontends and pins, in the example project (examples/django) with
Django's test tools: the tags' ``app=``, each frontend's static folder through the finder and
``collectstatic``, pins from settings (globs and ``from``/``glob``/``under``), and every mistake
reported with the key that is wrong."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import django_settings, importmap_of

django_settings()

from django.contrib.staticfiles import finders  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import override_settings  # noqa: E402

from prebundle.integrations.django.conf import frontends, get_assets, static_prefix  # noqa: E402


@pytest.fixture
def two(built, demo_dev):
    """Two frontends: the session's production build ("site", the default) and a development
    build of examples/demo ("admin")."""
    with override_settings(PREBUNDLE={"apps": {"admin": {"root": demo_dev}, "site": {"root": built}},
                                      "default": "site", "integrity": False}):
        yield built


def test_tags_take_the_app(two, deps):
    page = Template('{% load prebundle %}{% prebundle_importmap %}|{% prebundle_importmap app="admin" %}'
                    '|{% prebundle_url "react" app="admin" %}').render(Context())
    site, admin, url = page.split("|")
    site_map, admin_map = importmap_of(site), importmap_of(admin)
    assert site_map["imports"]["react"].startswith("/static/prebundle/site/react-")  # the default: "site"
    assert admin_map["imports"]["react"].startswith("/static/prebundle/admin/react.js?v=")
    assert "lodash-es" in admin_map["imports"] and "lodash-es" not in site_map["imports"]
    assert url == admin_map["imports"]["react"]
    assert "integrity" not in site_map or not site_map["integrity"]  # the shared key applies to both
    assert list(frontends()) == ["site", "admin"] and static_prefix() == "prebundle/site/"


def test_finder_and_collectstatic_keep_the_frontends_apart(two, deps, demo_dev, tmp_path):
    react = json.loads((deps / "_metadata.json").read_text())["optimized"]["react"]["file"]
    assert finders.find(f"prebundle/site/{react}") == str(deps / react)
    assert finders.find("prebundle/admin/react.js") == str(demo_dev / "node_modules" / ".vite" / "deps" / "react.js")
    assert finders.find(f"prebundle/admin/{react}") is None
    with override_settings(STATIC_ROOT=tmp_path / "collected"):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "collected" / "prebundle" / "site" / react).is_file()
    assert (tmp_path / "collected" / "prebundle" / "admin" / "react.js").is_file()


def test_pins_from_settings(built, tmp_path):
    modules = tmp_path / "modules"
    for path, text in {"widgets/chart.js": "export default 1\n", "widgets/index.js": "export default 2\n",
                       "widgets/deep/axis.mjs": "export default 3\n", "widgets/notes.txt": "not a module\n",
                       "controllers/hello.js": "export default 4\n"}.items():
        (modules / path).parent.mkdir(parents=True, exist_ok=True)
        (modules / path).write_text(text)
    pins = ["mods/widgets/**/*.{js,mjs}", {"from": "mods/controllers", "glob": "*.js", "under": "controllers"}]
    with override_settings(PREBUNDLE={"root": built, "pins": pins}, STATICFILES_DIRS=[("mods", modules)]):
        imports = importmap_of(Template("{% load prebundle %}{% prebundle_importmap %}").render(Context()))["imports"]
        url = Template('{% load prebundle %}{% prebundle_url "controllers/hello" %}').render(Context())
    pinned = {k: v for k, v in imports.items() if k.startswith(("mods/", "controllers"))}
    assert pinned == {"mods/widgets/chart": "/static/mods/widgets/chart.js",
                      "mods/widgets/index": "/static/mods/widgets/index.js",
                      "mods/widgets": "/static/mods/widgets/index.js",
                      "mods/widgets/deep/axis": "/static/mods/widgets/deep/axis.mjs",
                      "controllers/hello": "/static/mods/controllers/hello.js"}
    assert url == "/static/mods/controllers/hello.js"
    assert "react" in imports


@pytest.mark.parametrize(("setting", "message"), [
    ({"apps": {}}, 'PREBUNDLE["apps"] must be a dict of app name'),
    ({"apps": {"a b": {"root": "x"}}}, "'a b' is not a usable app name"),
    ({"apps": {"site": {"rot": "x"}}}, "PREBUNDLE[\"apps\"]['site']: unknown key 'rot'"),
    ({"apps": {"site": {"root": "x"}}, "default": "admin"}, "\"default\"] is 'admin', which is not in \"apps\""),
    ({"apps": {"a": {"root": "x", "static_prefix": "js/"}, "b": {"root": "y", "static_prefix": "js/b"}}},
     "apps 'a' and 'b' share the static folder 'js/'"),
    ({"root": "x", "pins": [{"glob": "*.js"}]}, 'a pin needs "from"'),
    ({"apps": {"site": {"root": "x"}}, "base": "/x/"}, "unknown key 'base'"),
])
def test_mistakes_name_the_key(setting, message):
    with override_settings(PREBUNDLE=setting):
        with pytest.raises(ImproperlyConfigured) as raised:
            get_assets()
    assert message in str(raised.value)


def test_unknown_app_in_a_tag(two):
    with pytest.raises(ImproperlyConfigured, match=r"no app 'shop' \(apps: site, admin\)"):
        Template('{% load prebundle %}{% prebundle_importmap app="shop" %}').render(Context())


def test_django_manifest_storage_keeps_prebundle_names(built, deps, tmp_path):
    from django.templatetags.static import static

    react = json.loads((deps / "_metadata.json").read_text())["optimized"]["react"]["file"]
    storage = {"staticfiles": {"BACKEND": "prebundle.integrations.django.storage.ManifestStaticFilesStorage"}}
    with override_settings(PREBUNDLE={"root": built}, STORAGES=storage, STATIC_ROOT=tmp_path / "collected",
                           STATICFILES_DIRS=[built / "src"], DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        assert static(f"prebundle/{react}") == f"/static/prebundle/{react}"
        assert re.fullmatch(r"/static/style\.[0-9a-f]{12}\.css", static("style.css"))  # the app's own: hashed
    collected = tmp_path / "collected" / "prebundle"
    assert (collected / react).read_bytes() == (deps / react).read_bytes()
    twice = re.compile(rf"{re.escape(react.removesuffix('.js'))}\.[0-9a-f]{{12}}\.js")
    assert [p.name for p in collected.iterdir() if twice.fullmatch(p.name)] == []  # not hashed a second time


def test_checks_catch_storage_and_whitenoise_mistakes(built):
    from django.core import checks

    def ids() -> list[str]:
        return sorted(m.id for m in checks.run_checks() if m.id.startswith("prebundle"))

    with override_settings(PREBUNDLE={"root": built}):
        assert ids() == []
        with override_settings(STORAGES={"staticfiles": {
                "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}},
                WHITENOISE_IMMUTABLE_FILE_TEST="prebundle.integrations.django.whitenoise.immutable_file_test"):
            assert ids() == ["prebundle.E003", "prebundle.W003"]
