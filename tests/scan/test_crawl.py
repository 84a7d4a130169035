"""The crawl: entries, relative imports, globs, linked and missing packages, and the scan cache."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from prebundle import load_config, scan
from tests.support.apps import write_tree

PKG = '{{"name": "{name}", "version": "{version}", "main": "index.js"}}'


def package(name: str, version: str = "1.0.0", source: str = "module.exports = {};") -> dict[str, str]:
    """A tiny installed package, as files of a project tree."""
    return {
        f"node_modules/{name}/package.json": PKG.format(name=name, version=version),
        f"node_modules/{name}/index.js": source,
    }


def run(root: Path, **overrides):
    return scan(load_config(root, overrides=overrides))


def test_html_entry_external_and_inline_module_scripts(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": (
            "<html><head>\n"
            '<script type="module" src="/src/main.js"></script>\n'
            "<script type=\"module\">\nimport 'inline-dep'\n</script>\n"
            '<script src="/src/classic.js"></script>\n'
            "<script>import 'classic-inline'</script>\n"
            "</head></html>\n"
        ),
        "src/main.js": "import 'main-dep'\n",
        "src/classic.js": "import 'classic-dep'\n",
        **package("inline-dep"), **package("main-dep"), **package("classic-dep"), **package("classic-inline"),
    })
    result = run(root)
    assert sorted(result.deps) == ["inline-dep", "main-dep"]
    assert result.deps["inline-dep"].importers == ("index.html",)
    assert result.deps["main-dep"].importers == ("src/main.js",)
    assert result.deps["main-dep"].version == "1.0.0"
    assert not result.missing


def test_relative_graph_with_cycle_and_unreachable_file(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="./src/a.js"></script>',
        "src/a.js": "import { b } from './b'\nimport 'dep-a'\nexport const a = 1\n",
        "src/b.ts": "import { a } from './a.js'\nimport 'dep-b'\nexport const b = 2\n",
        "src/unreached.js": "import 'dep-never'\n",
        **package("dep-a"), **package("dep-b"), **package("dep-never"),
    })
    result = run(root)
    assert sorted(result.deps) == ["dep-a", "dep-b"]
    assert {p.name for p in result.files} == {"index.html", "a.js", "b.ts"}


def test_every_html_file_is_an_entry_but_not_in_node_modules_or_out_dir(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": "<script type=module>import 'one'</script>",
        "admin/page.html": "<script type=module>import 'two'</script>",
        "dist/index.html": "<script type=module>import 'built'</script>",
        "node_modules/x/demo.html": "<script type=module>import 'nm'</script>",
        **package("one"), **package("two"), **package("built"), **package("nm"),
    })
    assert sorted(run(root).deps) == ["one", "two"]


def test_configured_entries_replace_html(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": "<script type=module>import 'from-html'</script>",
        "src/app.tsx": "import 'from-entry'\nconst x = <div/>\n",
        **package("from-html"), **package("from-entry"),
    })
    assert sorted(run(root, entries=["src/**/*.tsx"]).deps) == ["from-entry"]


def test_import_meta_glob_files_are_crawled(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/main.js"></script>',
        "main.js": "const pages = import.meta.glob(['./pages/*.js', '!./pages/skip.js'])\n",
        "pages/home.js": "import 'home-dep'\n",
        "pages/skip.js": "import 'skip-dep'\n",
        "pages/nested/deep.js": "import 'deep-dep'\n",
        **package("home-dep"), **package("skip-dep"), **package("deep-dep"),
    })
    assert sorted(run(root).deps) == ["home-dep"]


def test_vue_and_svelte_files_are_crawled(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/main.ts"></script>',
        "main.ts": "import App from './App.vue'\nimport Widget from './Widget.svelte'\n",
        "App.vue": (
            "<template><div/></template>\n"
            '<script setup lang="ts">\nimport type { T } from \'types-only\'\nimport { ref } from \'vue-dep\'\n</script>\n'
        ),
        "Widget.svelte": '<script context="module">\nimport \'svelte-dep\'\n</script>\n<div/>\n',
        **package("vue-dep"), **package("svelte-dep"), **package("types-only"),
    })
    assert sorted(run(root).deps) == ["svelte-dep", "vue-dep"]


def test_missing_package_names_every_importer_line(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/a.js"></script>',
        "a.js": "import './b.js'\n\nimport x from 'not-installed/sub'\n",
        "b.js": "// first line\nimport 'not-installed/sub'\n",
    })
    result = run(root)
    assert list(result.missing) == ["not-installed/sub"]
    assert result.missing["not-installed/sub"].importers == ("a.js:3", "b.js:2")
    assert "not installed" in result.missing["not-installed/sub"].reason


def test_node_builtins_are_not_dependencies_unless_a_package_exists(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": "<script type=module>import 'fs'\nimport 'node:path'\nimport 'events'</script>",
        **package("events"),
    })
    result = run(root)
    assert list(result.deps) == ["events"]
    assert not result.missing


def test_excluded_ids_are_skipped(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": "<script type=module>import 'big'\nimport 'big/sub'\nimport 'kept'</script>",
        **package("kept"),
    })
    result = run(root, exclude=["big"])
    assert list(result.deps) == ["kept"] and not result.missing


def test_linked_package_is_crawled_as_source(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": "<script type=module>import 'my-lib'</script>",
        **package("react"),
    })
    lib = tmp_path / "packages" / "my-lib"
    (lib / "src").mkdir(parents=True)
    (lib / "package.json").write_text('{"name": "my-lib", "version": "0.0.1", "module": "src/index.js"}')
    (lib / "src" / "index.js").write_text("import './util.js'\n")
    (lib / "src" / "util.js").write_text("import React from 'react'\n")
    (root / "node_modules" / "my-lib").symlink_to(lib, target_is_directory=True)
    result = run(root)
    assert list(result.linked) == ["my-lib"]
    assert result.linked["my-lib"].src == (lib / "src" / "index.js").resolve()
    assert list(result.deps) == ["react"]
    assert result.deps["react"].importers == (os.path.relpath(lib / "src" / "util.js", root.resolve()),)


def test_included_linked_package_is_a_dependency(tmp_path):
    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import 'my-lib'</script>"})
    lib = tmp_path / "my-lib"
    lib.mkdir()
    (lib / "package.json").write_text('{"name": "my-lib", "main": "index.js"}')
    (lib / "index.js").write_text("import 'never-crawled'\n")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "my-lib").symlink_to(lib, target_is_directory=True)
    result = run(root, include=["my-lib"])
    assert list(result.deps) == ["my-lib"] and not result.linked and not result.missing


def test_syntax_error_keeps_recoverable_imports_and_warns(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/broken.js"></script>',
        "broken.js": "import 'before'\nconst x = {\nfunction (\nimport 'after'\n",
        **package("before"), **package("after"),
    })
    result = run(root)
    assert "before" in result.deps
    assert any(w.startswith("broken.js:") and "syntax error" in w for w in result.warnings)


def test_unreadable_and_looping_files_become_warnings(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/main.js"></script>',
        "main.js": "import './loop.js'\nimport './locked.js'\nimport 'ok'\n",
        "locked.js": "import 'hidden'\n",
        **package("ok"), **package("hidden"),
    })
    (root / "loop.js").symlink_to(root / "loop.js")
    (root / "locked.js").chmod(0)
    try:
        result = run(root)
    finally:
        (root / "locked.js").chmod(0o644)
    assert "ok" in result.deps
    if os.geteuid() != 0:  # root reads anything; the loop is the case that stays
        assert any(w.startswith("locked.js:1: cannot read") for w in result.warnings)


def test_warm_scan_parses_nothing_and_one_change_parses_one(tmp_path):
    files = {"index.html": '<script type="module" src="/f0.js"></script>', **package("dep")}
    for i in range(30):
        files[f"f{i}.js"] = f"import './f{i + 1}.js'\nimport 'dep'\n" if i < 29 else "export {}\n"
    root = write_tree(tmp_path / "app", files)
    cold = run(root)
    assert cold.stats.parsed == 31 and cold.stats.cached == 0
    warm = run(root)
    assert warm.stats.parsed == 0 and warm.stats.cached == 31
    assert warm.deps == cold.deps
    (root / "f5.js").write_text("import './f6.js'\nimport 'dep'\nimport 'dep2'\n")
    changed = run(root)
    assert changed.stats.parsed == 1
    assert changed.missing["dep2"].importers == ("f5.js:3",)


def test_touched_file_with_same_bytes_is_not_parsed(tmp_path):
    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import 'a'</script>", **package("a")})
    run(root)
    stat = (root / "index.html").stat()
    os.utime(root / "index.html", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert run(root).stats.parsed == 0


def test_cold_scan_uses_the_process_pool_and_agrees_with_inline(tmp_path, monkeypatch):
    from prebundle.scanner import pool

    files = {"index.html": "", **package("dep")}
    html = []
    for i in range(300):
        files[f"src/m{i}.js"] = f"import 'dep'\nexport const v{i} = {i}\n"
        html.append(f'<script type="module" src="/src/m{i}.js"></script>')
    files["index.html"] = "\n".join(html)
    root = write_tree(tmp_path / "app", files)
    pooled = scan(load_config(root), use_cache=False)
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 10**9)
    monkeypatch.setattr(pool, "COLD_POOL_THRESHOLD", 10**9)
    inline = scan(load_config(root), use_cache=False)
    assert pooled.stats.parsed == inline.stats.parsed == 301
    assert pooled.deps == inline.deps
    assert len(pooled.deps["dep"].importers) == 300



def test_a_pool_batch_answers_in_the_order_it_was_given(tmp_path):
    """A worker parses a batch grouped by grammar, yet each answer stays at its file's place."""
    from prebundle.scanner.files import parse_batch

    names = ["a.ts", "b.js", "c.tsx", "d.jsx", "e.ts", "f.js", "missing.js"]
    for name in names[:-1]:
        (tmp_path / name).write_text(f"import '{name}-dep'\n")
    paths = [str(tmp_path / name) for name in names]
    parsed = parse_batch(paths)
    assert [p.path for p in parsed] == paths
    assert [p.imports[0][0] for p in parsed[:-1]] == [f"{name}-dep" for name in names[:-1]]
    assert parsed[-1].size == -1 and "cannot read" in parsed[-1].warnings[0]

def test_scan_json_shape(tmp_path):
    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import 'a/sub'\nimport 'gone'</script>", **package("a")})
    (root / "node_modules" / "a" / "sub.js").write_text("export {}")
    data = json.loads(json.dumps(run(root).to_json()))
    assert set(data) == {"deps", "missing", "linked"}
    assert data["deps"]["a/sub"] == {"src": str((root / "node_modules/a/sub.js").resolve()), "importers": ["index.html"]}
    assert data["missing"]["gone"]["importers"] == ["index.html:2"]


@pytest.mark.parametrize("version", ["1.0.0", "2.1.3"])
def test_version_is_reported(tmp_path, version):
    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import 'v'</script>", **package("v", version)})
    assert run(root).deps["v"].version == version


def test_remembered_relative_resolutions_follow_new_and_removed_files(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/main.js"></script>',
        "main.js": "import './util'\nimport './lib'\n",
        "util.js": "import 'from-js'\n",
        "lib/index.js": "import 'from-index'\n",
        **package("from-js"), **package("from-mjs"), **package("from-index"), **package("from-lib-file"),
    })
    assert sorted(run(root).deps) == ["from-index", "from-js"]
    assert sorted(run(root).deps) == ["from-index", "from-js"]  # answered from the cache
    time.sleep(0.01)  # the scenario: the new files' stamps differ from those the cache saw
    (root / "util.mjs").write_text("import 'from-mjs'\n")  # .mjs is probed before .js
    (root / "lib.js").write_text("import 'from-lib-file'\n")  # a file wins over a folder index
    assert sorted(run(root).deps) == ["from-lib-file", "from-mjs"]
    (root / "util.mjs").unlink()
    assert sorted(run(root).deps) == ["from-js", "from-lib-file"]


def test_specifiers_with_nul_bytes_or_junk_do_not_crash(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/main.js"></script>',
        "main.js": "import './a\\u0000b'\nimport '../\\u0000/x'\nimport './ok.js'\n",
        "ok.js": "import 'dep'\n",
        **package("dep"),
    })
    assert list(run(root).deps) == ["dep"]
    assert list(run(root).deps) == ["dep"]  # and again from the cache


def test_a_pages_script_src_is_a_file_beside_it_and_a_template_url_is_skipped(tmp_path):
    # `<script type="module" src="main.js">` is ./main.js to a browser (and to Vite); a src the
    # template engine fills in (`{% static %}`, `url_for`) is reached through `entries`.
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="main.js"></script>\n',
        "templates/base.html": ("<script type=\"module\" src=\"{% static 'shop/main.js' %}\"></script>\n"
                                "<script type=\"module\" src=\"{{ url_for('static', filename='x.js') }}\"></script>\n"),
        "main.js": "import 'main-dep'\n",
        **package("main-dep"),
    })
    result = run(root)
    assert sorted(result.deps) == ["main-dep"] and result.deps["main-dep"].importers == ("main.js",)
    assert not result.missing


@pytest.mark.parametrize(("files", "command"), [
    ({}, "npm install"),
    ({"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, "pnpm add"),
    ({"yarn.lock": "# yarn lockfile v1\n"}, "yarn add"),
    ({"package.json": '{"packageManager": "pnpm@9.15.0"}'}, "pnpm add"),
    ({"../pnpm-lock.yaml": "", "../package.json": "{}"}, "pnpm add"),  # a workspace's, at its top
])
def test_the_install_hint_speaks_the_projects_package_manager(tmp_path, files, command):
    from prebundle.scanner.result import missing_error

    root = write_tree(tmp_path / "ws" / "app", {"index.html": '<script type="module">import "gone-pkg"</script>\n',
                                                **files})
    assert str(missing_error(run(root))).splitlines()[-1] == f"install the missing packages with: {command} gone-pkg"


def test_a_files_jsx_runtime_follows_its_tsconfig_and_its_comment(tmp_path):
    # esbuild compiles JSX with a tsconfig's jsxImportSource, and a file's @jsxImportSource
    # comment, over the config's: the page imports that runtime, so the scan must find it.
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/src/main.tsx"></script>\n',
        "src/main.tsx": "import './styled/Box'\nexport const a = <i/>\n",
        "src/styled/tsconfig.json": '{"compilerOptions": {"jsxImportSource": "@emotion/react"}}',
        "src/styled/Box.tsx": "export const Box = <b/>\n",
        "src/Pragma.tsx": "/** @jsxImportSource preact */\nexport const P = <p/>\n",
        "src/index.ts": "import './Pragma'\n",
    })
    (root / "index.html").write_text('<script type="module" src="/src/main.tsx"></script>\n'
                                     '<script type="module" src="/src/index.ts"></script>\n')
    result = run(root)
    found = set(result.deps) | set(result.missing)
    assert {"react/jsx-dev-runtime", "@emotion/react/jsx-dev-runtime", "preact/jsx-dev-runtime"} <= found
    assert result.missing["@emotion/react/jsx-dev-runtime"].importers == ("src/styled/Box.tsx:1",)
    assert result.missing["preact/jsx-dev-runtime"].importers == ("src/Pragma.tsx:1",)
