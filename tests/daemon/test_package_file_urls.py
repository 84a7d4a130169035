"""What an app module's bare import of a package's stylesheet, JSON or other file becomes in the
daemon (``import "swiper/css"``): that file's URL through the project's ``node_modules`` with
``?import``, and bare where no import map or URL of the daemon could serve it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from prebundle import load_config
from prebundle.app.dev_resolve import ImportUrls
from prebundle.app.dev_serve import AppModules

from tests.support.apps import write_tree


def _package(name: str, exports: dict, files: dict[str, str]) -> dict[str, str]:
    tree = {f"node_modules/{name}/package.json": json.dumps({"name": name, "version": "1.0.0", "exports": exports})}
    tree.update({f"node_modules/{name}/{path}": text for path, text in files.items()})
    return tree


def _app(root: Path) -> Path:
    write_tree(root, {
        "index.html": '<script type="module" src="/src/main.js"></script>\n',
        "src/main.js": "",
        "package.json": "{}",
        **_package("styles", {"./css": "./dist/s.css", "./scss": "./src/s.scss", "./data": "./data.json",
                              "./logo": "./logo.svg", ".": "./index.js"},
                   {"dist/s.css": "a {}\n", "src/s.scss": "$a: 1;\n", "data.json": "{}\n",
                    "logo.svg": "<svg/>\n", "index.js": "export {};\n"}),
    })
    return root


def _urls(root: Path, modules: AppModules | None = None) -> ImportUrls:
    """The daemon's rewriter of ``root``'s modules, with the resolver ``modules`` holds."""
    modules = modules or AppModules(lambda: load_config(root))
    return ImportUrls(os.path.realpath(root), modules._resolver_for(modules.config_of()), None)


def test_a_packages_files_by_name_are_urls_and_its_modules_stay_bare(tmp_path: Path) -> None:
    root = _app(tmp_path / "app")
    urls, importer = _urls(root), str(root / "src" / "main.js")
    assert urls.url("styles/css", importer) == "/node_modules/styles/dist/s.css?import"
    assert urls.url("styles/data", importer) == "/node_modules/styles/data.json?import"
    assert urls.url("styles/logo", importer) == "/node_modules/styles/logo.svg?import"
    assert urls.url("styles", importer) is None  # a module: the import map's
    assert urls.url("styles/scss", importer) is None  # only a plugin could make CSS of it
    assert urls.url("not-installed/css", importer) is None


def test_a_linked_packages_stylesheet_outside_the_root_stays_bare(tmp_path: Path) -> None:
    root = _app(tmp_path / "app")
    write_tree(tmp_path / "libs" / "linked", {"package.json": '{"name": "linked", "exports": {"./css": "./l.css"}}',
                                               "l.css": "b {}\n"})
    (root / "node_modules" / "linked").symlink_to(tmp_path / "libs" / "linked")
    assert _urls(root).url("linked/css", str(root / "src" / "main.js")) is None


def test_a_package_installed_while_the_daemon_runs_is_found_after_the_install(tmp_path: Path) -> None:
    root = _app(tmp_path / "app")
    config = load_config(root)
    modules = AppModules(lambda: config)
    importer = str(root / "src" / "main.js")
    assert _urls(root, modules).url("later/css", importer) is None
    write_tree(root, _package("later", {"./css": "./l.css"}, {"l.css": "i {}\n"}))
    modules.forget(set(), installed=True)  # the daemon's watcher saw the install
    assert _urls(root, modules).url("later/css", importer) == "/node_modules/later/l.css?import"


def test_a_relative_import_of_a_packages_stylesheet_gets_import_and_its_modules_stay(tmp_path: Path) -> None:
    root = _app(tmp_path / "app")
    urls, importer = _urls(root), str(root / "src" / "main.js")
    assert urls.url("../node_modules/styles/dist/s.css", importer) == "/node_modules/styles/dist/s.css?import"
    assert urls.url("/node_modules/styles/data.json", importer) == "/node_modules/styles/data.json?import"
    assert urls.url("../node_modules/styles/index.js", importer) is None  # a module: served as written


def test_a_stylesheets_import_of_a_package_is_its_stylesheet_unless_a_file_beside_has_the_name(tmp_path: Path) -> None:
    root = _app(tmp_path / "app")
    write_tree(root, {
        **_package("theme", {".": {"style": "./t.css", "default": "./t.js"}}, {"t.css": "p {}\n", "t.js": ""}),
        "node_modules/boot/package.json": json.dumps({"name": "boot", "main": "b.js", "style": "css/b.css"}),
        "node_modules/boot/b.js": "", "node_modules/boot/css/b.css": "b {}\n",
        "src/local.css": "", "src/main.css": "",
    })
    urls, stylesheet = _urls(root), str(root / "src" / "main.css")
    assert urls.stylesheet_import("theme", stylesheet) == "/node_modules/theme/t.css"
    assert urls.stylesheet_import("boot", stylesheet) == "/node_modules/boot/css/b.css"
    assert urls.stylesheet_import("boot/css/b.css", stylesheet) == "/node_modules/boot/css/b.css"
    assert urls.stylesheet_import("local.css", stylesheet) is None  # the file beside: as the browser takes it
    assert urls.stylesheet_import("./theme", stylesheet) is None
    assert urls.stylesheet_import("styles", stylesheet) is None  # a module, no stylesheet
