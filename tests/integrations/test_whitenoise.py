"""WhiteNoise in production, through the example project examples/django_whitenoise: collectstatic
with prebundle's compressed manifest storage into a temp STATIC_ROOT, DEBUG off, Django's server,
Chromium. prebundle's content-named files keep their names (and survive
WHITENOISE_KEEP_ONLY_HASHED_FILES), are served for ten years, and the app's own files are hashed by
Django as usual; a server without the frontends renders from the collected copy."""

from __future__ import annotations

import json
import re

import httpx

from prebundle.integrations.django.whitenoise import immutable_file_test

from .test_django_scale import importmap_in, manage, open_pages, runserver, shop_env, shop_frontends  # noqa: F401

FOREVER = "max-age=315360000, public, immutable"


def test_collected_and_served_by_whitenoise(shop_frontends, tmp_path):
    static_root = tmp_path / "static"
    env = shop_env(shop_frontends, static_root, debug=False)
    manage(env, "collectstatic", "--noinput")

    deps = shop_frontends["site"] / "node_modules" / ".vite" / "deps"
    metadata = json.loads((deps / "_metadata.json").read_text())
    react = metadata["optimized"]["react"]["file"]
    collected = static_root / "prebundle" / "site"
    assert (collected / react).read_bytes() == (deps / react).read_bytes()  # as built, not rewritten
    assert (collected / "importmap.json").is_file() and (collected / f"{react}.br").is_file()
    stem = react.removesuffix(".js")
    assert not [p.name for p in collected.iterdir() if re.fullmatch(rf"{re.escape(stem)}\.[0-9a-f]{{12}}\.js", p.name)]
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    assert paths[f"prebundle/site/{react}"] == f"prebundle/site/{react}"
    main = paths["site/main.js"]
    assert re.fullmatch(r"site/main\.[0-9a-f]{12}\.js", main)  # the app's own files: Django's hashing
    assert not (static_root / "site" / "main.js").exists()     # WHITENOISE_KEEP_ONLY_HASHED_FILES

    with runserver(env) as url:
        page = open_pages([url + "/"])[url + "/"]
        importmap = httpx.get(f"{url}/static/prebundle/site/importmap.json")
        badge_url = importmap_in(page["html"])["imports"]["charts/widgets/badge"]
        badge = httpx.get(url + badge_url)
    assert page["errors"] == []
    assert page["hello"].startswith("site: React 19") and page["badge"] == "charts: pinned module on the site page"
    served = {u.removeprefix(url): r for u, r in page["responses"].items()}
    assert served[f"/static/{main}"]["status"] == 200
    prebundled = {u: r for u, r in served.items() if u.startswith("/static/prebundle/site/")}
    assert f"/static/prebundle/site/{react}" in {u.split("?")[0] for u in prebundled}
    assert prebundled and all(r["status"] == 200 and r["cache-control"] == FOREVER for r in prebundled.values())
    assert any(r.get("content-encoding") == "br" for r in prebundled.values())
    assert importmap.status_code == 200 and "immutable" not in importmap.headers["cache-control"]
    assert re.fullmatch(r"/static/charts/widgets/badge\.[0-9a-f]{12}\.js", badge_url)  # pins: hashed by Django
    assert badge.headers["cache-control"] == FOREVER


def test_a_server_without_the_frontends_renders_from_the_collected_copy(shop_frontends, tmp_path):
    static_root = tmp_path / "static"
    manage(shop_env(shop_frontends, static_root, debug=False), "collectstatic", "--noinput")
    gone = tmp_path / "no-frontend"
    gone.mkdir()
    with runserver(shop_env({"site": gone, "dashboard": gone}, static_root, debug=False)) as url:
        page = open_pages([url + "/dashboard/"])[url + "/dashboard/"]
    assert page["errors"] == []
    assert page["hello"] == "dashboard: 3 days ago"
    assert all(u.startswith("/static/prebundle/dashboard/") for k, u in importmap_in(page["html"])["imports"].items()
               if not k.startswith("charts/"))


def test_immutable_file_test_answers_by_the_build(shop_frontends, demo_dev, tmp_path):
    """The function WhiteNoise calls, on the collected files: chunks always, production files,
    not the JSON documents, not a development build's entry files."""
    deps = shop_frontends["site"] / "node_modules" / ".vite" / "deps"
    metadata = json.loads((deps / "_metadata.json").read_text())
    react = metadata["optimized"]["react"]["file"]
    chunk = next(iter(metadata["chunks"].values()))["file"]
    from .conftest import django_settings

    django_settings()
    from django.test import override_settings

    with override_settings(PREBUNDLE={"root": shop_frontends["site"]}, STATIC_URL="/static/"):
        def test(name: str) -> bool:
            return immutable_file_test(str(deps / name), f"/static/prebundle/{name}")

        assert test(react) and test(chunk)
        assert not test("importmap.json") and not test("_metadata.json")
        assert not immutable_file_test(str(deps / react), f"/elsewhere/{react}")
        assert not immutable_file_test("/srv/static/site/main.js", "/static/site/main.js")
    demo = demo_dev  # a development build of examples/demo
    demo_deps = demo / "node_modules" / ".vite" / "deps"
    demo_chunk = next(iter(json.loads((demo_deps / "_metadata.json").read_text())["chunks"].values()))["file"]
    with override_settings(PREBUNDLE={"root": demo}, STATIC_URL="/static/"):
        assert immutable_file_test(str(demo_deps / demo_chunk), f"/static/prebundle/{demo_chunk}")
        assert not immutable_file_test(str(demo_deps / "react.js"), "/static/prebundle/react.js")
