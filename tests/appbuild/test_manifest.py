"""``prebundle build`` of the React TSX app through the CLI: the files it writes, with hashed
names, and the manifest in Vite's shape, read by prebundle's reader and by one that follows
Vite's guide."""

from __future__ import annotations

import json
import re

import pytest

from prebundle.integrations.vite_manifest import load_vite_manifest

from .conftest import BuiltApp
from .vite_docs_reader import page_tags

HASHED = r"[A-Z0-9]{8}"


def manifest_of(app: BuiltApp) -> dict:
    return json.loads((app.dist / ".prebundle" / "manifest.json").read_text())


def test_manifest_has_vite_shape(built_react_app: BuiltApp) -> None:
    manifest = manifest_of(built_react_app)
    [chunk_key] = [key for key in manifest if key.startswith("_")]
    assert re.fullmatch(rf"_chunk-{HASHED}\.js", chunk_key)
    assert list(manifest) == sorted(manifest) == sorted(
        ["src/main.tsx", "src/Lazy.tsx", "src/Other.tsx", "src/logo.png", "src/backdrop.png", chunk_key])

    main = manifest["src/main.tsx"]
    assert list(main) == ["file", "name", "src", "isEntry", "dynamicImports", "css", "assets"]
    assert re.fullmatch(rf"assets/main-{HASHED}\.js", main["file"])
    assert (main["name"], main["src"], main["isEntry"]) == ("main", "src/main.tsx", True)
    assert main["dynamicImports"] == ["src/Lazy.tsx", "src/Other.tsx"]
    assert len(main["css"]) == 1 and re.fullmatch(rf"assets/main-{HASHED}\.css", main["css"][0])
    assert sorted(main["assets"]) == sorted([manifest["src/logo.png"]["file"], manifest["src/backdrop.png"]["file"]])

    lazy = manifest["src/Lazy.tsx"]
    assert list(lazy) == ["file", "name", "src", "isDynamicEntry", "imports", "css"]
    assert re.fullmatch(rf"assets/Lazy-{HASHED}\.js", lazy["file"])
    assert (lazy["name"], lazy["isDynamicEntry"], lazy["imports"]) == ("Lazy", True, [chunk_key])
    assert re.fullmatch(rf"assets/Lazy-{HASHED}\.css", lazy["css"][0])
    assert manifest["src/Other.tsx"]["imports"] == [chunk_key]
    assert "css" not in manifest["src/Other.tsx"]

    assert manifest[chunk_key] == {"file": "assets/" + chunk_key[1:], "name": "chunk"}
    assert re.fullmatch(rf"assets/logo-{HASHED}\.png", manifest["src/logo.png"]["file"])
    assert manifest["src/logo.png"]["src"] == "src/logo.png" and len(manifest["src/logo.png"]) == 2
    assert manifest["src/backdrop.png"]["src"] == "src/backdrop.png"


def test_every_file_is_written(built_react_app: BuiltApp) -> None:
    dist = built_react_app.dist
    manifest = manifest_of(built_react_app)
    named = {record["file"] for record in manifest.values()}
    named |= {css for record in manifest.values() for css in record.get("css", [])}
    written = {path.relative_to(dist).as_posix() for path in (dist / "assets").iterdir()}
    assert named <= written
    assert not {name for name in written if not re.search(rf"-{HASHED}\.(js|css|png)$", name)}
    assert (dist / "assets" / manifest["src/logo.png"]["file"][len("assets/"):]).read_bytes() \
        == (built_react_app.root / "src" / "logo.png").read_bytes()

    imports = json.loads((dist / "deps" / "importmap.json").read_text())["imports"]
    assert {"react", "react-dom/client", "react/jsx-runtime"} <= set(imports)  # jsx-runtime: added by the JSX
    for url in imports.values():
        file = url.split("?")[0].rsplit("/", 1)[1]
        assert re.fullmatch(rf"[\w.@-]+-{HASHED}\.js", file) and (dist / "deps" / file).is_file()
    assert (dist / "deps" / "manifest.json").is_file()
    assert not [p for p in built_react_app.root.iterdir() if p.name.startswith(".dist")]  # no staging left


def test_cli_lists_the_files_with_their_sizes(built_react_app: BuiltApp) -> None:
    out = built_react_app.cli.stdout
    manifest = manifest_of(built_react_app)
    main_line = next(line for line in out.splitlines() if manifest["src/main.tsx"]["file"] in line)
    assert re.search(r"dist/assets/main-\w+\.js\s+\d+\.\d\d kB │ gzip: \d+\.\d\d kB$", main_line)
    assert re.search(r"dist/assets/logo-\w+\.png\s+0\.\d\d kB$", out, re.MULTILINE)  # images: no gzip column
    assert "dist/.prebundle/manifest.json" in out and "dist/deps/" in out


def test_built_code_is_minified_production_code(built_react_app: BuiltApp) -> None:
    manifest = manifest_of(built_react_app)
    code = (built_react_app.dist / manifest["src/main.tsx"]["file"]).read_text()
    assert "import.meta.env" not in code and '"production"' in code  # MODE replaced, as Vite does
    assert 'from"react-dom/client"' in code  # bare imports stay for the import map
    assert "@/App" not in code and "Hello from TSX" in code  # the tsconfig alias is the app's own file
    assert "supports(\"modulepreload\")" in code  # the polyfill, bundled where the entry imports it
    assert len(code.splitlines()) <= 2


def test_prebundle_reader_accepts_the_manifest(built_react_app: BuiltApp) -> None:
    manifest = manifest_of(built_react_app)
    graph = load_vite_manifest(built_react_app.dist / ".prebundle" / "manifest.json")
    assert graph.directory == built_react_app.dist
    main = graph.nodes["src/main.tsx"]
    assert (main.file, main.css) == (manifest["src/main.tsx"]["file"], tuple(manifest["src/main.tsx"]["css"]))
    assert main.dynamic_imports == ("src/Lazy.tsx", "src/Other.tsx")
    assert graph.nodes["src/Lazy.tsx"].imports == tuple(manifest["src/Lazy.tsx"]["imports"])
    assert graph.nodes["main"] is main  # entries by name too


def test_guide_reader_renders_the_entry(built_react_app: BuiltApp) -> None:
    manifest = manifest_of(built_react_app)
    tags = page_tags(manifest, "src/main.tsx")
    assert tags.script == manifest["src/main.tsx"]["file"]
    assert tags.stylesheets == tuple(manifest["src/main.tsx"]["css"])
    assert tags.modulepreloads == ()  # the entry imports no chunk statically
    lazy = page_tags(manifest, "src/Lazy.tsx")
    [chunk_key] = manifest["src/Lazy.tsx"]["imports"]
    assert lazy.modulepreloads == (manifest[chunk_key]["file"],)


def test_django_vite_renders_the_entry(built_react_app: BuiltApp) -> None:
    """django-vite's own manifest client (the reader a django-vite project already runs) parses
    the manifest and renders the entry's script, stylesheet and preloads from it."""
    django_vite = pytest.importorskip("django_vite.core.asset_loader", reason="django-vite is in the test extras")
    from tests.integrations.conftest import django_settings

    django_settings()
    manifest = manifest_of(built_react_app)
    config = django_vite.DjangoViteConfig(dev_mode=False, manifest_path=built_react_app.dist / ".prebundle" / "manifest.json")
    client = django_vite.DjangoViteAppClient(config)
    html = str(client.generate_vite_asset("src/main.tsx"))
    assert client.manifest.check() == []
    assert f'src="/static/{manifest["src/main.tsx"]["file"]}"' in html
    assert f'href="/static/{manifest["src/main.tsx"]["css"][0]}"' in html
    lazy_html = str(client.generate_vite_asset("src/Lazy.tsx"))
    [chunk_key] = manifest["src/Lazy.tsx"]["imports"]
    assert re.search(rf'<link href="/static/{re.escape(manifest[chunk_key]["file"])}"[^>]*rel="modulepreload"', lazy_html)
