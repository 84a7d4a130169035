"""``prebundle build`` on bare imports of packages' stylesheets, JSON and images named by the
package's ``exports`` (``import "swiper/css"``), and on a stylesheet's bare URLs
(``url(images/a.png)``), which are files beside it before they are packages."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.apps import write_tree

from .conftest import plain_app, png, run_cli

HASHED = "[A-Z0-9]{8}"

FAKE_UI = {
    "node_modules/fake-ui/package.json": json.dumps({
        "name": "fake-ui", "version": "1.0.0", "type": "module",
        "exports": {".": "./index.js", "./css": "./dist/ui.css", "./data": "./data.json", "./logo": "./logo.png"},
    }),
    "node_modules/fake-ui/index.js": "export const ui = 'ui';\n",
    "node_modules/fake-ui/dist/ui.css": ".ui { background: url(images/a.png); }\n",
    "node_modules/fake-ui/dist/images/a.png": png(1, 1, (1, 1, 1)),
    "node_modules/fake-ui/data.json": '{"size": 4242}\n',
    "node_modules/fake-ui/logo.png": png(2, 1, (2, 2, 2)),
    "node_modules/fake-font/package.json": json.dumps({"name": "fake-font", "version": "1.0.0",
                                                       "exports": {".": "./index.css"}}),
    "node_modules/fake-font/index.css": "@font-face { font-family: f; src: url(./files/f.woff2); }\n",
    "node_modules/fake-font/files/f.woff2": b"wOF2 not really a font",
}
"""``fake-ui``: a module, with its stylesheet, JSON and logo under ``exports`` subpaths with no
suffix (as swiper's ``./css``); ``fake-font``: a stylesheet as its ``.`` (as @fontsource's)."""

MAIN = """\
import "fake-ui/css";
import "fake-font";
import data from "fake-ui/data";
import logo from "fake-ui/logo";
import { ui } from "fake-ui";
document.body.dataset.x = JSON.stringify([ui, data.size, logo]);
"""


def built(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """The ``dist`` of ``prebundle build`` on a plain app of ``files`` (those in ``node_modules``
    too), checked to succeed."""
    packages = {rel: data for rel, data in files.items() if rel.startswith("node_modules/")}
    root = plain_app(tmp_path / "app", {rel: data for rel, data in files.items() if rel not in packages})
    write_tree(root, packages)
    done = run_cli("build", str(root), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    return root / "dist"


def entry_outputs(dist: Path) -> tuple[str, str]:
    """The code and the stylesheet built for ``src/main.ts``."""
    manifest = json.loads((dist / ".prebundle" / "manifest.json").read_text())
    [css] = manifest["src/main.ts"]["css"]
    return (dist / manifest["src/main.ts"]["file"]).read_text(), (dist / css).read_text()


def urls(css: str) -> list[str]:
    return re.findall(r"url\(\"?([^\")]*)\"?\)", css)


def test_package_files_named_by_exports_are_bundled(tmp_path: Path) -> None:
    dist = built(tmp_path, {"src/main.ts": MAIN, **FAKE_UI})
    code, css = entry_outputs(dist)
    image, font = urls(css)
    assert re.fullmatch(rf"\./a-{HASHED}\.png", image) and re.fullmatch(rf"\./f-{HASHED}\.woff2", font)
    assert (dist / "assets" / image).read_bytes() == png(1, 1, (1, 1, 1))
    assert (dist / "assets" / font).is_file()
    assert "4242" in code and 'from"fake-ui"' in code  # the JSON inlined, the module left to the import map
    logo = re.search(rf'"\./(logo-{HASHED}\.png)"', code).group(1)
    assert "new URL(" in code and (dist / "assets" / logo).read_bytes() == png(2, 1, (2, 2, 2))
    assert list(json.loads((dist / "deps" / "importmap.json").read_text())["imports"]) == ["fake-ui"]
    assert list(json.loads((dist / "deps" / "manifest.json").read_text())) == ["fake-ui"]


def test_a_stylesheet_url_is_the_file_beside_it_before_a_package(tmp_path: Path) -> None:
    main_css = ("@import \"theme.css\";\n.a { background: url(images/b.png); }\n"
                ".c { background: url(fake-icons/star.png); }\n")
    dist = built(tmp_path, {
        "src/main.ts": 'import "fake-map/dist/map.css";\nimport "./main.css";\n',  # as leaflet/dist/leaflet.css
        "src/main.css": main_css,
        "src/theme.css": ".theme { color: rgb(1, 2, 3); }\n",
        "src/images/b.png": png(1, 1, (3, 3, 3)),
        "node_modules/images/package.json": '{"name": "images", "version": "1.0.0"}',
        "node_modules/images/b.png": png(1, 1, (4, 4, 4)),  # a package of that name: the file beside wins
        "node_modules/fake-icons/package.json": '{"name": "fake-icons", "version": "1.0.0"}',
        "node_modules/fake-icons/star.png": png(1, 1, (5, 5, 5)),  # nothing beside: the package's
        "node_modules/fake-map/package.json": '{"name": "fake-map", "version": "1.0.0", "main": "index.js"}',
        "node_modules/fake-map/dist/map.css": ".map { background: url(images/layers.png); }\n",
        "node_modules/fake-map/dist/images/layers.png": png(1, 1, (6, 6, 6)),
    })
    _, css = entry_outputs(dist)
    assert ".theme{" in css and "@import" not in css
    in_package, beside, packaged = urls(css)
    assert re.fullmatch(rf"\./layers-{HASHED}\.png", in_package)
    assert re.fullmatch(rf"\./b-{HASHED}\.png", beside) and re.fullmatch(rf"\./star-{HASHED}\.png", packaged)
    assert (dist / "assets" / in_package).read_bytes() == png(1, 1, (6, 6, 6))
    assert (dist / "assets" / beside).read_bytes() == png(1, 1, (3, 3, 3))
    assert (dist / "assets" / packaged).read_bytes() == png(1, 1, (5, 5, 5))
    assert json.loads((dist / "deps" / "importmap.json").read_text())["imports"] == {}


def test_a_stylesheet_url_of_no_file_is_named(tmp_path: Path) -> None:
    root = plain_app(tmp_path / "app", {"src/main.ts": 'import "./main.css";\n',
                                        "src/main.css": ".a { background: url(images/none.png); }\n"})
    done = run_cli("build", str(root), cache=tmp_path / "cache")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "error: src/main.css:1:17: [plugin prebundle-app] Could not resolve 'images/none.png': no such file beside "
        'main.css, and package "images" is not installed (no node_modules/images)')


def test_a_stylesheets_import_of_a_package_is_its_stylesheet(tmp_path: Path) -> None:
    dist = built(tmp_path, {
        "src/main.ts": 'import "./main.css";\n',
        "src/main.css": '@import "fake-bootstrap";\n@import "fake-cond";\n.a { color: red; }\n',
        "node_modules/fake-bootstrap/package.json": json.dumps({  # as bootstrap's: JS main, a "style" field
            "name": "fake-bootstrap", "version": "1.0.0", "main": "dist/js/b.js", "style": "dist/css/b.css"}),
        "node_modules/fake-bootstrap/dist/js/b.js": "export const b = 1;\n",
        "node_modules/fake-bootstrap/dist/css/b.css": ".from-style-field { color: rgb(1, 1, 1); }\n",
        "node_modules/fake-cond/package.json": json.dumps({
            "name": "fake-cond", "version": "1.0.0", "exports": {".": {"style": "./c.css", "default": "./c.js"}}}),
        "node_modules/fake-cond/c.js": "export const c = 1;\n",
        "node_modules/fake-cond/c.css": ".from-style-condition { color: rgb(2, 2, 2); }\n",
    })
    _, css = entry_outputs(dist)
    assert ".from-style-field{" in css and ".from-style-condition{" in css and "@import" not in css
    assert json.loads((dist / "deps" / "importmap.json").read_text())["imports"] == {}
