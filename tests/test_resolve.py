"""The resolver over hand-written fixture packages (``fixtures/resolve/app``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prebundle.resolve import (
    BuiltinModule,
    PackageNotFound,
    Resolution,
    ResolveError,
    Resolver,
    kind_of,
)

APP = Path(__file__).resolve().parent.parent / "fixtures" / "resolve" / "app"
MAIN = APP / "src" / "main.js"
NM = APP / "node_modules"


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(APP)


def entry_of(resolver: Resolver, specifier: str, importer: Path = MAIN) -> str:
    """The entry relative to the app's node_modules (or app root when outside it)."""
    res = resolver.resolve(specifier, importer)
    assert res.entry is not None
    base = NM if res.entry.is_relative_to(NM) else APP
    return res.entry.relative_to(base).as_posix()


# -- exports ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("specifier", "entry"),
    [
        ("exp-string", "exp-string/main.js"),
        ("exp-subpath", "exp-subpath/index.js"),
        ("exp-subpath/client", "exp-subpath/client.js"),
        ("exp-subpath/package.json", "exp-subpath/package.json"),
        ("exp-nested", "exp-nested/browser.dev.js"),
        ("exp-order", "exp-order/default.js"),
        ("exp-sugar", "exp-sugar/esm.mjs"),
        ("exp-array", "exp-array/present.js"),
        ("exp-array/invalid-first", "exp-array/ok.js"),
        ("exp-null", "exp-null/index.js"),
        ("exp-null/a", "exp-null/src/a.js"),
        ("exp-patterns/features/a.js", "exp-patterns/src/features/a.js"),
        ("exp-patterns/features/deep/b.js", "exp-patterns/src/features/deep/b.js"),
        ("exp-patterns/features/c", "exp-patterns/src/features/c/index.js"),
        ("exp-patterns/utils/fmt", "exp-patterns/browser/fmt.js"),
        ("exp-patterns/legacy/thing.js", "exp-patterns/old/thing.js"),
        ("exp-patterns/styles/theme.css", "exp-patterns/css/theme.css"),
        ("exp-mode", "exp-mode/dev.js"),
        ("exp-custom", "exp-custom/default.js"),
        ("@scope/pkg", "@scope/pkg/index.js"),
        ("@scope/pkg/sub", "@scope/pkg/sub.js"),
    ],
)
def test_exports(resolver: Resolver, specifier: str, entry: str) -> None:
    assert entry_of(resolver, specifier) == entry


@pytest.mark.parametrize(
    ("specifier", "message"),
    [
        ("exp-subpath/other", 'package "exp-subpath" does not export "./other"'),
        ("exp-subpath/other.js", 'package "exp-subpath" does not export "./other.js"'),
        ("exp-string/index.js", 'package "exp-string" does not export "./index.js"'),
        ("exp-null/internal/secret", 'package "exp-null" does not export "./internal/secret"'),
        ("exp-null/gone", "blocked by null"),
        ("exp-patterns/features/private/x", 'does not export "./features/private/x"'),
        ("exp-nested/server", 'exports "./server" only for other conditions'),
        ("exp-nested/types", 'exports "./types" only for other conditions'),
        ("exp-array/none", 'package "exp-array" has no file "./none1.js"'),
        ("exp-invalid", 'invalid "exports" target "../outside.js"'),
        ("exp-invalid/bare", 'invalid "exports" target "lodash"'),
        ("exp-mixed", 'mixes "./" subpaths with condition names'),
        ("exp-missing-file", 'package "exp-missing-file" has no file "./dist/index.js"'),
        ("@scope/pkg/other", 'package "@scope/pkg" does not export "./other"'),
    ],
)
def test_exports_errors(resolver: Resolver, specifier: str, message: str) -> None:
    with pytest.raises(ResolveError) as info:
        resolver.resolve(specifier, MAIN)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert not isinstance(info.value, PackageNotFound | BuiltinModule)


def test_production_mode_picks_production_condition() -> None:
    resolver = Resolver(APP, mode="production")
    assert entry_of(resolver, "exp-mode") == "exp-mode/prod.js"
    assert entry_of(resolver, "exp-nested") == "exp-nested/browser.prod.js"


def test_user_conditions() -> None:
    resolver = Resolver(APP, conditions=["worker"])
    assert entry_of(resolver, "exp-custom") == "exp-custom/worker.js"
    assert entry_of(resolver, "exp-array/invalid-first") == "exp-array/ok.js"
    assert "worker" in resolver.conditions
    assert {"browser", "import", "module", "default", "development"} <= resolver.conditions
    assert not {"require", "node", "production"} & resolver.conditions


# -- without exports -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("specifier", "entry"),
    [
        ("browser-string", "browser-string/browser.js"),
        ("browser-map", "browser-map/lib/browser.js"),
        ("browser-map/lib/util", "browser-map/lib/util-browser.js"),
        ("browser-map/lib/util.js", "browser-map/lib/util-browser.js"),
        ("browser-map/lib/node", "browser-map/lib/browser.js"),
        ("browser-module", "exp-string/main.js"),
        ("module-only", "module-only/esm/index.js"),
        ("main-only", "main-only/lib/entry.js"),
        ("main-dir", "main-dir/lib/index.js"),
        ("main-missing", "main-missing/index.js"),
        ("index-only", "index-only/index.mjs"),
        ("no-manifest", "no-manifest/index.js"),
        ("@scope/plain", "@scope/plain/main.js"),
        ("@scope/plain/util", "@scope/plain/util.js"),
        ("subpkg/util", "subpkg/util.js"),
        ("subpkg/util.js", "subpkg/util.js"),
        ("subpkg/folder", "subpkg/folder/index.js"),
        ("subpkg/hooks", "subpkg/hooks/dist/hooks.mjs"),
        ("subpkg/data", "subpkg/data.json"),
        ("subpkg/style.css", "subpkg/style.css"),
        ("events", "events/events.js"),
    ],
)
def test_main_fields_and_probing(resolver: Resolver, specifier: str, entry: str) -> None:
    assert entry_of(resolver, specifier) == entry


def test_main_fields_option_changes_the_order() -> None:
    resolver = Resolver(APP, main_fields=("main",))
    assert entry_of(resolver, "browser-string") == "browser-string/node.js"
    # without "browser" among the main fields the object map is not applied either
    assert entry_of(resolver, "browser-map") == "browser-map/lib/node.js"
    assert entry_of(Resolver(APP, main_fields=("module", "main")), "browser-string") == (
        "browser-string/esm.js"
    )


@pytest.mark.parametrize(
    "specifier", ["browser-false", "browser-map/lib/server", "browser-map/lib/gone.js"]
)
def test_browser_false_is_an_ignored_empty_module(resolver: Resolver, specifier: str) -> None:
    res = resolver.resolve(specifier, MAIN)
    assert res.ignored and res.entry is None and res.kind == "js"
    assert res.package_dir == NM / specifier.split("/")[0]


def test_browser_map_helper(resolver: Resolver) -> None:
    assert dict(resolver.browser_map(NM / "browser-map")) == {
        "./lib/node.js": "./lib/browser.js",
        "fs": False,
        "./lib/server.js": False,
        "./lib/util": "./lib/util-browser.js",
        "./lib/gone.js": False,
        "path": "path-browserify",
    }
    assert dict(resolver.browser_map(NM / "browser-string")) == {}
    assert dict(resolver.browser_map(NM / "main-only")) == {}


@pytest.mark.parametrize(
    ("specifier", "message"),
    [
        (
            "no-entry",
            'package "no-entry" has no entry file (tried browser, module, main and index)',
        ),
        ("subpkg/nope", 'package "subpkg" has no file "./nope"'),
        ("broken-json", "broken-json/package.json: cannot read package.json"),
    ],
)
def test_entry_errors(resolver: Resolver, specifier: str, message: str) -> None:
    with pytest.raises(ResolveError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolver.resolve(specifier, MAIN)


# -- packages: lookup, version, kinds, nesting, links, builtins ------------------------------

def test_resolution_fields(resolver: Resolver) -> None:
    res = resolver.resolve("@scope/pkg/sub", MAIN)
    assert res == Resolution(
        specifier="@scope/pkg/sub",
        package_name="@scope/pkg",
        package_dir=NM / "@scope" / "pkg",
        version="1.0.0",
        entry=NM / "@scope" / "pkg" / "sub.js",
        linked=False,
        kind="js",
    )
    assert resolver.resolve("subpkg/style.css", MAIN).kind == "css"
    assert resolver.resolve("subpkg/data", MAIN).kind == "json"
    assert resolver.resolve("events", MAIN).version == "3.3.0"


def test_package_json_is_read_once_and_exposes_fields(resolver: Resolver) -> None:
    manifest = resolver.package_json(NM / "exp-sugar")
    assert manifest["name"] == "exp-sugar"
    assert resolver.package_json(NM / "exp-sugar") is manifest
    assert resolver.package_json(NM / "no-manifest") == {}


def test_package_type_is_readable(tmp_path: Path) -> None:
    pkg = tmp_path / "node_modules" / "esm"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({"type": "module", "main": "x.js"}))
    (pkg / "x.js").write_text("export {}")
    resolver = Resolver(tmp_path)
    res = resolver.resolve("esm", tmp_path / "main.js")
    assert resolver.package_json(res.package_dir)["type"] == "module"


def test_nested_copy_wins_inside_its_parent(resolver: Resolver) -> None:
    hoisted = resolver.resolve("inner", MAIN)
    nested = resolver.resolve("inner", NM / "outer" / "index.js")
    assert (hoisted.version, nested.version) == ("1.0.0", "2.0.0")
    assert nested.package_dir == NM / "outer" / "node_modules" / "inner"
    # a folder works as the importer too
    assert resolver.resolve("inner", NM / "outer").version == "2.0.0"
    assert resolver.find_package_dir("inner", NM / "outer") == nested.package_dir
    assert resolver.find_package_dir("inner", APP / "src") == hoisted.package_dir
    assert resolver.find_package_dir("absent", APP / "src") is None


def test_linked_package(resolver: Resolver) -> None:
    res = resolver.resolve("linked-lib", MAIN)
    assert res.linked
    assert res.package_dir == APP / "packages" / "linked-lib"
    assert res.entry == APP / "packages" / "linked-lib" / "src" / "index.ts"
    assert res.kind == "js" and res.version == "0.0.1"
    assert resolver.find_package_dir("linked-lib", APP / "src") == NM / "linked-lib"


def test_preserve_symlinks_keeps_the_node_modules_path() -> None:
    res = Resolver(APP, preserve_symlinks=True).resolve("linked-lib", MAIN)
    assert not res.linked
    assert res.package_dir == NM / "linked-lib"
    assert res.entry == NM / "linked-lib" / "src" / "index.ts"


def test_pnpm_layout_resolves_dependencies_from_the_real_path(tmp_path: Path) -> None:
    """node_modules/a -> .pnpm/a@1/node_modules/a, whose dependency b sits beside it."""
    store = tmp_path / "node_modules" / ".pnpm"
    for name in ("a", "b"):
        pkg = store / f"{name}@1.0.0" / "node_modules" / name
        pkg.mkdir(parents=True)
        (pkg / "package.json").write_text(json.dumps({"name": name, "version": "1.0.0"}))
        (pkg / "index.js").write_text("export {}")
    (store / "a@1.0.0" / "node_modules" / "b").symlink_to(store / "b@1.0.0" / "node_modules" / "b")
    (tmp_path / "node_modules" / "a").symlink_to(store / "a@1.0.0" / "node_modules" / "a")
    resolver = Resolver(tmp_path)
    a = resolver.resolve("a", tmp_path / "main.js")
    assert not a.linked
    assert a.package_dir == store / "a@1.0.0" / "node_modules" / "a"
    b = resolver.resolve("b", a.entry)
    assert b.entry == store / "b@1.0.0" / "node_modules" / "b" / "index.js"
    with pytest.raises(PackageNotFound):
        resolver.resolve("b", tmp_path / "main.js")  # not hoisted: invisible to the app


@pytest.mark.parametrize(
    "specifier", ["fs", "fs/promises", "node:fs", "node:events", "path", "node:test"]
)
def test_builtins_without_a_browser_package(resolver: Resolver, specifier: str) -> None:
    with pytest.raises(BuiltinModule, match="Node.js builtin"):
        resolver.resolve(specifier, MAIN)


def test_builtin_name_with_installed_polyfill_resolves(resolver: Resolver) -> None:
    res = resolver.resolve("events", MAIN)
    assert res.package_name == "events" and res.entry == NM / "events" / "events.js"


@pytest.mark.parametrize(
    ("specifier", "error"),
    [
        ("not-installed", PackageNotFound),
        ("@scope/missing", PackageNotFound),
        ("./relative.js", ResolveError),
        ("https://cdn.example/x.js", ResolveError),
    ],
)
def test_not_resolvable(resolver: Resolver, specifier: str, error: type[ResolveError]) -> None:
    with pytest.raises(error) as info:
        resolver.resolve(specifier, MAIN)
    assert not isinstance(info.value, BuiltinModule)


def test_errors_are_cached_and_raised_fresh(resolver: Resolver) -> None:
    with pytest.raises(PackageNotFound) as first:
        resolver.resolve("not-installed-either", MAIN)
    with pytest.raises(PackageNotFound) as second:
        resolver.resolve("not-installed-either", MAIN)
    assert first.value is not second.value
    assert str(first.value) == str(second.value) == second.value.reason


def test_clear_sees_new_packages(tmp_path: Path) -> None:
    resolver = Resolver(tmp_path)
    with pytest.raises(PackageNotFound):
        resolver.resolve("late", tmp_path / "main.js")
    pkg = tmp_path / "node_modules" / "late"
    pkg.mkdir(parents=True)
    (pkg / "index.js").write_text("export {}")
    with pytest.raises(PackageNotFound):  # still cached
        resolver.resolve("late", tmp_path / "main.js")
    resolver.clear()
    assert resolver.resolve("late", tmp_path / "main.js").entry == pkg / "index.js"


# -- relative files --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("specifier", "found"),
    [
        ("./util", "src/util.ts"),
        ("./util.js", "src/util.ts"),
        ("./util.ts", "src/util.ts"),
        ("./comp.js", "src/comp.tsx"),
        ("./comp.jsx", "src/comp.tsx"),
        ("./comp", "src/comp.tsx"),
        ("./mod.mjs", "src/mod.mts"),
        ("./conf.cjs", "src/conf.cts"),
        ("./plain.js", "src/plain.js"),
        ("./plain", "src/plain.js"),
        ("./both.js", "src/both.ts"),
        ("./lib", "src/lib/index.ts"),
        ("./lib/", "src/lib/index.ts"),
        ("./widget", "src/widget/widget-main.js"),
        ("./data.json", "src/data.json"),
        ("./data", "src/data.json"),
        ("./styles.css?inline", "src/styles.css"),
        ("./util?raw", "src/util.ts"),
        ("./util.js#frag", "src/util.ts"),
        ("../src/util.js", "src/util.ts"),
        ("/src/util", "src/util.ts"),
        ("/package.json", "package.json"),
    ],
)
def test_resolve_file(resolver: Resolver, specifier: str, found: str) -> None:
    assert resolver.resolve_file(specifier, MAIN) == APP / found


def test_resolve_file_absolute_path(resolver: Resolver) -> None:
    assert resolver.resolve_file(str(APP / "src" / "util"), MAIN) == APP / "src" / "util.ts"


@pytest.mark.parametrize(
    "specifier", ["./missing", "./missing.js", "react", "virtual:x", "/nope/x.js"]
)
def test_resolve_file_misses(resolver: Resolver, specifier: str) -> None:
    assert resolver.resolve_file(specifier, MAIN) is None


def test_resolve_file_returns_realpaths(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.ts").write_text("export {}")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.ts").symlink_to(tmp_path / "real" / "x.ts")
    importer = tmp_path / "src" / "main.ts"
    assert Resolver(tmp_path).resolve_file("./x.js", importer) == tmp_path / "real" / "x.ts"
    kept = Resolver(tmp_path, preserve_symlinks=True).resolve_file("./x.js", importer)
    assert kept == tmp_path / "src" / "x.ts"


def test_relative_importer_is_taken_from_root(resolver: Resolver) -> None:
    assert resolver.resolve_file("./util", Path("src/main.js")) == APP / "src" / "util.ts"
    assert resolver.resolve("inner", Path("src/main.js")).version == "1.0.0"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.js", "js"), ("a.MJS", "js"), ("a.tsx", "js"), ("a.cts", "js"), ("bin", "js"),
     ("a.css", "css"), ("a.scss", "css"), ("a.json", "json"), ("a.wasm", "wasm"),
     ("a.vue", "vue"), ("a.svelte", "svelte"), ("a.png", "asset"), ("a.woff2", "asset")],
)
def test_kind_of(name: str, kind: str) -> None:
    assert kind_of(name) == kind


def test_fixture_symlink_is_committed_as_a_link() -> None:
    link = NM / "linked-lib"
    assert link.is_symlink() and os.readlink(link) == "../packages/linked-lib"


def test_resolve_file_sees_new_source_files_without_clear(tmp_path: Path) -> None:
    resolver = Resolver(tmp_path)
    importer = tmp_path / "src" / "main.ts"
    importer.parent.mkdir()
    assert resolver.resolve_file("./later.js", importer) is None
    (tmp_path / "src" / "later.ts").write_text("export {}")
    assert resolver.resolve_file("./later.js", importer) == tmp_path / "src" / "later.ts"
    (tmp_path / "src" / "later.ts").unlink()
    assert resolver.resolve_file("./later.js", importer) is None


# -- a crawl's view: files probed in folder listings -----------------------------------------

@pytest.mark.parametrize(
    "specifier",
    ["./util", "./util.js", "./comp", "./mod.mjs", "./conf.cjs", "./plain", "./both.js", "./lib", "./lib/",
     "./widget", "./data", "./util?raw", "../src/util.js", "/src/util", "/package.json", "./missing",
     "./missing.js", "/nope/x.js", "react"],
)
def test_listing_view_resolves_as_the_resolver_does(resolver: Resolver, specifier: str) -> None:
    view = Resolver(APP).with_listings()
    expected = resolver.resolve_file(specifier, MAIN)
    assert view.resolve_source(specifier, str(MAIN)) == (None if expected is None else str(expected))


def test_listing_view_follows_symlinks_to_real_paths(tmp_path: Path) -> None:
    (tmp_path / "real" / "lib").mkdir(parents=True)
    (tmp_path / "real" / "x.ts").write_text("export {}")
    (tmp_path / "real" / "lib" / "index.js").write_text("export {}")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.ts").symlink_to(tmp_path / "real" / "x.ts")
    (tmp_path / "src" / "lib").symlink_to(tmp_path / "real" / "lib")
    (tmp_path / "src" / "gone.ts").symlink_to(tmp_path / "real" / "missing.ts")
    importer = str(tmp_path / "src" / "main.ts")
    view = Resolver(tmp_path).with_listings()
    assert view.resolve_source("./x.js", importer) == str(tmp_path / "real" / "x.ts")
    assert view.resolve_source("./lib", importer) == str(tmp_path / "real" / "lib" / "index.js")
    assert view.resolve_source("./gone", importer) is None  # a dangling link is no file
    kept = Resolver(tmp_path, preserve_symlinks=True).with_listings()
    assert kept.resolve_source("./x.js", importer) == str(tmp_path / "src" / "x.ts")


def test_listing_view_lists_a_folder_once_after_stamping_it(tmp_path: Path) -> None:
    """``before_listing`` runs before the folder is read (a crawl stamps the folder there):
    a file it creates is in the listing. Files added later are not, until a new view."""
    src = tmp_path / "src"
    src.mkdir()
    importer = str(src / "main.ts")
    stamped: list[str] = []

    def before_listing(folder: str) -> None:
        stamped.append(folder)
        if folder == str(src):
            (src / "early.ts").write_text("export {}")

    view = Resolver(tmp_path).with_listings(before_listing)
    assert view.resolve_source("./early", importer) == str(src / "early.ts")
    (src / "late.ts").write_text("export {}")
    assert view.resolve_source("./late", importer) is None
    assert stamped.count(str(src)) == 1
    assert Resolver(tmp_path).with_listings().resolve_source("./late", importer) == str(src / "late.ts")


def test_listing_view_asks_stat_for_a_name_in_another_case(tmp_path: Path, monkeypatch) -> None:
    """A case-insensitive file system (macOS, Windows) opens ``./Util`` for ``util.ts``: the
    listing cannot say so, so such a name is looked up with ``stat``."""
    import prebundle.resolve.resolver as resolver_module

    (tmp_path / "util.ts").write_text("export {}")
    (tmp_path / "\ufb01x.ts").write_text("export {}")  # "ﬁx.ts" folds to "fix.ts" (ext4's casefold)
    asked: list[str] = []
    real_stat_kind = resolver_module._stat_kind

    def stat_kind(path: str) -> int:
        asked.append(os.path.basename(path))
        return real_stat_kind(path)

    monkeypatch.setattr(resolver_module, "_stat_kind", stat_kind)
    view = Resolver(tmp_path).with_listings()
    assert view.resolve_source("./Util.ts", str(tmp_path / "main.ts")) is None  # this file system is exact
    assert "Util.ts" in asked
    asked.clear()
    assert view.resolve_source("./fix.ts", str(tmp_path / "main.ts")) is None
    assert "fix.ts" in asked
    asked.clear()
    assert view.resolve_source("./util", str(tmp_path / "main.ts")) == str(tmp_path / "util.ts")
    assert view.resolve_source("./other", str(tmp_path / "main.ts")) is None
    assert asked == []  # exact names and plain misses come from the listing


def test_listing_view_falls_back_to_stat_in_a_folder_it_cannot_list(tmp_path: Path, monkeypatch) -> None:
    """A folder with ``x`` but not ``r`` permission opens files by name but cannot be listed
    (denied here by a stand-in ``scandir``: this suite may run as root, which lists anything)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.ts").write_text("export {}")
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    view = Resolver(tmp_path).with_listings()
    assert view.resolve_source("./locked/x", str(tmp_path / "main.ts")) == str(locked / "x.ts")
    assert view.resolve_source("./locked/y", str(tmp_path / "main.ts")) is None
