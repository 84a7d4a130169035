"""``new URL('./file', import.meta.url)`` inside packages: after pre-bundling, the URL points at a
file of the deps dir (an asset copied under a content-hashed name, or a worker module bundled on
its own), which is recorded, reused and replaced like the package's JS.

The packages are hand-written (``fixtures/asset_urls``): ``url-assets`` (ESM: an image, an SVG
one folder up, a module worker importing a relative helper and ``dayjs``, and the URLs Vite leaves
alone) and ``url-assets-cjs`` (a CommonJS module that also reads ``import.meta.url``). The page
side, in Chromium, is ``tests/browser/test_asset_urls.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest

from prebundle import esbuild, load_config
from prebundle.bundle import PackageBundler
from prebundle.optimizer import OptimizeResult, optimize
from prebundle.plan import make_plan
from prebundle.plugins import Plugin
from prebundle.resolve import Resolver
from prebundle.scanner import scan
from tests.support.apps import FIXTURES, make_app

PACKAGES = FIXTURES / "asset_urls"
BASE_URL = "http://localhost/node_modules/.vite/deps/"
MAIN = "import { logoUrl, iconUrl, startWorker } from 'url-assets'\nimport { logoUrl as cjsLogo } from 'url-assets-cjs'\n"
EMITTED_URL = re.compile(r'new URL\("(\./assets/[^"]+)", import\.meta\.url\)')


def url_app(root: Path, source: str = MAIN, *, packages: tuple[str, ...] = ("dayjs",), **options: object) -> Path:
    """An app over the real ``packages`` with copies of the hand-written URL packages."""
    make_app(root, source, packages=packages, hand_packages=False, **options)
    for package in PACKAGES.iterdir():
        shutil.copytree(package, root / "node_modules" / package.name)
    return root


def build(root: Path, **overrides: object) -> OptimizeResult:
    return optimize(load_config(root, overrides=overrides))


def record_of(deps: Path, name: str) -> dict:
    packages = json.loads((deps / "_metadata.json").read_text())["prebundle"]["packages"]
    return next(record for record in packages.values() if record["name"] == name)


def emitted_urls(code: str) -> list[str]:
    return EMITTED_URL.findall(code)


def logo_of(deps: Path) -> Path:
    """``url-assets``' emitted logo, as its bundle points at it."""
    [url] = [url for url in emitted_urls((deps / "url-assets.js").read_text()) if "/logo-" in url]
    return deps / url


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> OptimizeResult:
    """One development build, shared by the tests that only read it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREBUNDLE_CACHE_DIR", "off")
        return build(url_app(tmp_path_factory.mktemp("urls") / "app"))


def test_each_url_points_at_an_emitted_copy_of_its_file(dev: OptimizeResult):
    deps = dev.deps_dir
    urls = emitted_urls((deps / "url-assets.js").read_text())
    assert len(urls) == 3  # the logo, the worker, and the icon of lib/icon.js (a `template`)
    files = {Path(urljoin(BASE_URL + "url-assets.js", url)).name: deps / "assets" / Path(url).name for url in urls}
    assert all(path.is_file() for path in files.values())
    logo = next(path for name, path in files.items() if name.startswith("logo-"))
    icon = next(path for name, path in files.items() if name.startswith("icon-"))
    assert re.fullmatch(r"logo-[0-9a-f]{8}\.png", logo.name)
    assert logo.read_bytes() == (PACKAGES / "url-assets" / "logo.png").read_bytes()
    assert icon.read_bytes() == (PACKAGES / "url-assets" / "icon.svg").read_bytes()  # resolved from lib/
    assert any(re.fullmatch(r"worker-\w{8}\.js", name) for name in files)


def test_urls_vite_leaves_alone_stay_as_written(dev: OptimizeResult):
    code = (dev.deps_dir / "url-assets.js").read_text()
    for kept in ('new URL("https://example.com/logo.png", import.meta.url)',
                 'new URL("data:text/plain,hello", import.meta.url)',
                 'new URL("/favicon.ico", import.meta.url)',
                 "new URL(`./icons/${name}.png`, import.meta.url)",
                 "\"new URL('./logo.png', import.meta.url)\""):
        assert kept in code
    assert re.search(r'/\* @vite-ignore \*/\s*"\./logo\.png"', code)


def test_the_worker_is_one_module_with_its_imports_bundled_in(dev: OptimizeResult):
    deps = dev.deps_dir
    url = next(url for url in emitted_urls((deps / "url-assets.js").read_text()) if "/worker-" in url)
    worker = deps / url
    code = worker.read_text()
    assert not re.search(r"^\s*(import|export)\b", code, flags=re.M)  # nothing left to resolve
    assert "var double = (n) => n * 2;" in code and "2024-05-01" in code and "dayjs" in code
    map_name = f"{url[2:]}.map"
    assert code.endswith(f"//# sourceMappingURL={Path(map_name).name}\n")
    sources = json.loads((deps / map_name).read_text())["sources"]
    resolved = {urljoin(BASE_URL + map_name, source) for source in sources}
    assert {"http://localhost/node_modules/url-assets/worker.js", "http://localhost/node_modules/url-assets/helper.js",
            "http://localhost/node_modules/dayjs/dayjs.min.js"} <= resolved


def test_emitted_files_are_recorded_like_the_code_and_listed_as_its_assets(dev: OptimizeResult):
    deps = dev.deps_dir
    record = record_of(deps, "url-assets")
    emitted = {url[2:] for url in emitted_urls((deps / "url-assets.js").read_text())}
    worker = next(name for name in emitted if "/worker-" in name)
    assert emitted | {worker + ".map"} <= set(record["files"])
    for name in emitted:
        data = (deps / name).read_bytes()
        assert record["files"][name]["size"] == len(data)
    manifest = json.loads((deps / "manifest.json").read_text())
    assert set(manifest["url-assets"]["assets"]) == emitted
    assert "_" + worker not in manifest and worker not in json.loads((deps / "_metadata.json").read_text())["chunks"].values()


def test_a_commonjs_module_gets_its_url_rewritten_too(dev: OptimizeResult):
    deps = dev.deps_dir
    [url] = emitted_urls((deps / "url-assets-cjs.js").read_text())
    assert (deps / url).read_bytes() == (PACKAGES / "url-assets-cjs" / "logo.png").read_bytes()
    assert set(record_of(deps, "url-assets-cjs")["files"]) >= {url[2:]}


def _segments(mappings: str) -> list[list[tuple[int, int, int]]]:
    """A v3 map's ``mappings``, per generated line: ``(generated column, source index, source line)``."""
    digits = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
    lines, state = [], [0, 0, 0, 0]
    for line in mappings.split(";"):
        state[0] = 0
        decoded = []
        for segment in filter(None, line.split(",")):
            values, value, shift = [], 0, 0
            for char in segment:
                digit = digits[char]
                value += (digit & 31) << shift
                shift += 5
                if not digit & 32:
                    values.append(-(value >> 1) if value & 1 else value >> 1)
                    value, shift = 0, 0
            for i, delta in enumerate(values[:4]):
                state[i] += delta
            if len(values) >= 4:
                decoded.append((state[0], state[1], state[2]))
        lines.append(decoded)
    return lines


def test_the_map_leads_from_the_bundle_to_the_same_lines_of_the_package(dev: OptimizeResult):
    deps = dev.deps_dir
    source_map = json.loads((deps / "url-assets.js.map").read_text())
    index = next(i for i, s in enumerate(source_map["sources"]) if s.endswith("url-assets/index.js"))
    original = (PACKAGES / "url-assets" / "index.js").read_text().splitlines()
    bundled = (deps / "url-assets.js").read_text().splitlines()
    segments = _segments(source_map["mappings"])
    for marker in ("function startWorker", "var remoteUrl", "var iconOf"):
        line = next(n for n, text in enumerate(bundled) if marker in text)
        [(_column, source, source_line)] = segments[line][:1]
        assert source == index
        assert marker.split()[-1] in original[source_line]  # the line the rewrite left where it was
    # Devtools show the code that was bundled: the rewritten URL.
    assert './assets/logo-' in source_map["sourcesContent"][index]


def test_the_bundle_of_a_package_without_urls_is_the_same_beside_one_with_urls(tmp_path: Path):
    root = url_app(tmp_path / "app", "import 'preact'\nimport 'dayjs'\nimport 'url-assets'\n",
                   packages=("dayjs", "preact"))
    config = load_config(root)
    resolver = Resolver.for_config(config)
    packages = {p.name: p for p in make_plan(config, scan(config, resolver=resolver), resolver).packages}
    bundler = PackageBundler(config, resolver, esbuild.get_service(root), staging=tmp_path / "staging")

    def files(*names: str) -> dict[str, dict[str, bytes]]:
        builds = bundler.build_group([(packages[name], "key") for name in names])
        return {b.package.name: dict(b.files) for b in builds}

    together = files("preact", "dayjs", "url-assets")  # one build, run twice for url-assets
    apart = files("preact", "dayjs")
    assert together["preact"] == apart["preact"] and together["dayjs"] == apart["dayjs"]
    assert not any(name.startswith("assets/") for name in {*together["preact"], *together["dayjs"]})
    assert len([name for name in together["url-assets"] if name.startswith("assets/")]) == 4  # + the worker's map


def test_emitted_files_are_reused_from_the_last_run_and_the_machine_wide_cache(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", str(tmp_path / "machine"))
    first = build(url_app(tmp_path / "one"))
    logo = logo_of(first.deps_dir)
    root = first.deps_dir.parents[2]
    (root / "src" / "main.js").write_text(MAIN + "import dayjs from 'dayjs'\n")
    again = build(root)  # a new dependency: the URL packages are reused, their files kept
    assert "url-assets@1.0.0" in again.reused and again.built == ("dayjs@1.11.23",)
    assert (again.deps_dir / "assets" / logo.name).read_bytes() == logo.read_bytes()
    elsewhere = build(url_app(tmp_path / "two"))
    # Its worker bundles dayjs in, which its key does not cover: never taken from another project.
    assert "url-assets@1.0.0" in elsewhere.built and "url-assets-cjs@1.0.0" in elsewhere.reused
    worker = emitted_urls((elsewhere.deps_dir / "url-assets.js").read_text())
    assert all((elsewhere.deps_dir / url).is_file() for url in worker)


def test_a_changed_install_rebuilds_a_package_whose_worker_bundles_other_packages(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    root = url_app(tmp_path / "app")
    build(root)
    lock = root / "package-lock.json"
    data = json.loads(lock.read_text())
    data["packages"]["node_modules/dayjs"]["version"] = "1.11.99"  # as an upgrade of dayjs writes it
    lock.write_text(json.dumps(data, indent=2))
    again = build(root)
    assert "url-assets@1.0.0" in again.built and "url-assets-cjs@1.0.0" in again.reused


def test_a_damaged_emitted_file_rebuilds_its_package(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    first = build(url_app(tmp_path / "app"))
    logo = logo_of(first.deps_dir)
    logo.write_bytes(b"not a png")
    again = build(first.deps_dir.parents[2])
    assert "url-assets@1.0.0" in again.built
    assert logo.read_bytes() == (PACKAGES / "url-assets" / "logo.png").read_bytes()


def test_a_new_version_of_an_asset_rebuilds_its_package_under_a_new_name(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    root = url_app(tmp_path / "app")
    lockfile = root / "package-lock.json"

    def install(integrity: str) -> None:  # npm records the package; new bytes, new integrity
        lock = json.loads(lockfile.read_text())
        lock["packages"]["node_modules/url-assets"] = {"version": "1.0.0", "integrity": integrity}
        lockfile.write_text(json.dumps(lock))

    install("sha512-one")
    first = build(root)
    old = logo_of(first.deps_dir)
    new_logo = (PACKAGES / "url-assets-cjs" / "logo.png").read_bytes()  # another image
    (root / "node_modules" / "url-assets" / "logo.png").write_bytes(new_logo)
    install("sha512-two")
    again = build(root)
    assert again.built == ("url-assets@1.0.0",)
    new = logo_of(again.deps_dir)
    assert new.read_bytes() == new_logo and new.name != old.name
    assert not old.exists()  # the old copy went with the old output


def test_a_url_that_cannot_be_emitted_is_left_as_it_is_with_a_warning(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    odd = {
        "node_modules/url-odd/package.json": json.dumps({"name": "url-odd", "version": "1.0.0", "type": "module"}),
        "node_modules/url-odd/index.js": ("export const gone = new URL('./gone.wasm', import.meta.url);\n"
                                          "export const out = new URL('../../package.json', import.meta.url);\n"
                                          "export const folder = new URL('./', import.meta.url);\n"
                                          "export const bad = new URL('./bad-worker.js', import.meta.url);\n"
                                          "export const again = new URL('./self-worker.js', import.meta.url);\n"),
        "node_modules/url-odd/bad-worker.js": "import 'no-such-package';\n",
        "node_modules/url-odd/self-worker.js": "postMessage(new URL('./self-worker.js', import.meta.url).href);\n",
    }
    result = build(make_app(tmp_path / "app", "import 'url-odd'\n", packages=(), hand_packages=False, extra=odd))
    deps = result.deps_dir
    code = (deps / "url-odd.js").read_text()
    for kept in ('"./gone.wasm"', '"../../package.json"', '"./"', '"./bad-worker.js"'):
        assert f"new URL({kept}, import.meta.url)" in code
    [worker] = emitted_urls(code)  # self-worker.js, which points at itself as it was written
    assert 'new URL("./self-worker.js", import.meta.url)' in (deps / worker).read_text()
    def said(file: str, url: str, what: str) -> str:
        return f"node_modules/url-odd/{file}: new URL('{url}', import.meta.url){what}; left as it is"

    assert sorted(w for w in result.warnings if "url-odd" in w) == sorted([
        said("index.js", "./gone.wasm", ": no such file"),
        said("index.js", "../../package.json", " points outside its package"),
        said("index.js", "./bad-worker.js", ': the worker could not be bundled (Could not resolve "no-such-package")'),
        said("self-worker.js", "./self-worker.js", ": a worker that loads itself"),
    ])


def test_production_names_every_emitted_file_by_its_content(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    result = build(url_app(tmp_path / "app"), mode="production")
    deps = result.deps_dir
    entry = json.loads((deps / "_metadata.json").read_text())["optimized"]["url-assets"]["file"]
    urls = re.findall(r'new URL\("(\./assets/[^"]+)",import\.meta\.url\)', (deps / entry).read_text())
    assert len(urls) == 3 and all((deps / url).is_file() for url in urls)
    worker = next(deps / url for url in urls if "/worker-" in url)
    assert "\n  " not in worker.read_text() and "2024-05-01" in worker.read_text()  # minified, dayjs inside
    assert not list(deps.glob("assets/*.map"))


def test_a_plugin_transform_is_seen_before_the_urls_are_read(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")

    def swap(code: str, id_: str) -> str | None:
        if id_.endswith("/url-assets/index.js"):
            return code.replace("new URL('./logo.png'", "new URL('./icon.svg'")
        return None

    result = build(url_app(tmp_path / "app"), plugins=[Plugin("swap", transform=swap)])
    urls = emitted_urls((result.deps_dir / "url-assets.js").read_text())
    assert len([url for url in urls if "/icon-" in url]) == 2 and not any("/logo-" in url for url in urls)


def test_a_linked_package_included_for_bundling_gets_its_urls_emitted(tmp_path: Path, monkeypatch):
    # npm link: the package's real folder lies outside any node_modules.
    monkeypatch.setenv("PREBUNDLE_CACHE_DIR", "off")
    root = make_app(tmp_path / "app", "import { logoUrl } from 'url-assets'\n", packages=("dayjs",),
                    hand_packages=False)
    shutil.copytree(PACKAGES / "url-assets", tmp_path / "workspace" / "url-assets")
    (root / "node_modules" / "url-assets").symlink_to(tmp_path / "workspace" / "url-assets", target_is_directory=True)
    result = build(root, include=["url-assets"])
    logo = logo_of(result.deps_dir)
    assert logo.read_bytes() == (PACKAGES / "url-assets" / "logo.png").read_bytes()
    assert not result.warnings
