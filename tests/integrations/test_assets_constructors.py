"""``Assets.for_project`` / ``for_deps_dir`` / ``for_vite_manifest`` build what the keyword form
``Assets(...)`` builds, and the former names of the file servers still import."""

from __future__ import annotations

import json

import pytest

from prebundle.integrations import Assets, AssetsError

BASE = "/node_modules/.vite/deps/"


def _state(assets: Assets) -> dict:
    """What a constructor decides: where the files are, under which URLs, with which options."""
    return {"root": assets.root, "deps_dir": assets.deps_dir, "vite_manifest": assets.vite_manifest,
            "base": assets.base, "path_base": assets.path_base, "mode": assets.mode,
            "has_config": assets.config is not None, "integrity": assets.integrity_enabled,
            "crossorigin": assets.crossorigin, "daemon_origin": assets.daemon_origin}


def test_for_project_reads_the_config(built, deps):
    assets = Assets.for_project(built, mode="production")
    assert assets.deps_dir == deps.resolve() and assets.root == built.resolve() and assets.config is not None
    assert assets.url("react").startswith(BASE + "react")
    assert _state(assets) == _state(Assets(built, mode="production")) == _state(Assets(root=built, mode="production"))


def test_for_deps_dir_reads_no_config(built, deps):
    assets = Assets.for_deps_dir(deps, base="/static/prebundle", crossorigin="anonymous")
    assert assets.config is None and assets.root is None and assets.base == "/static/prebundle/"
    assert assets.url("react").startswith("/static/prebundle/react")
    assert _state(assets) == _state(Assets(deps, base="/static/prebundle", crossorigin="anonymous"))
    with_root = Assets.for_deps_dir(deps, root=built, daemon_origin="http://127.0.0.1:5174/")
    assert with_root.root == built.resolve() and with_root.daemon_origin == "http://127.0.0.1:5174"
    assert _state(with_root) == _state(Assets(deps_dir=deps, root=built, daemon_origin="http://127.0.0.1:5174/"))


def test_for_vite_manifest_serves_the_out_dir(tmp_path):
    manifest = tmp_path / "dist" / ".vite" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"src/main.js": {"file": "assets/main-A1.js", "isEntry": True}}))
    assets = Assets.for_vite_manifest(manifest, base="/static/")
    assert assets.deps_dir == (tmp_path / "dist").resolve() and assets.vite_manifest == manifest.resolve()
    assert assets.url("src/main.js") == "/static/assets/main-A1.js" and assets.daemon() is None
    assert _state(assets) == _state(Assets(vite_manifest=manifest, base="/static/"))


def test_constructors_check_the_mode_first(tmp_path):
    for make in (Assets.for_project, Assets.for_deps_dir, Assets.for_vite_manifest, Assets):
        with pytest.raises(AssetsError, match="mode must be"):
            make(tmp_path / "missing", mode="staging")
    with pytest.raises(AssetsError, match="needs a project root"):
        Assets()


def test_former_names_of_the_file_servers():
    from prebundle import static
    from prebundle.integrations import asgi, wsgi

    assert asgi.StaticFiles is asgi.AsgiDepsApp and "StaticFiles" in asgi.__all__
    assert wsgi.StaticFiles is wsgi.WsgiDepsApp and "StaticFiles" in wsgi.__all__
    assert static.StaticFiles is static.FolderFiles
