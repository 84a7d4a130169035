"""tsconfig ``paths`` and ``baseUrl`` in the scan: an alias that names a file of the app is
crawled as source (its bare imports found), one that matches a ``paths`` key with no file behind
it is a one-line error naming the importer and the tsconfig, anything else is a package as
before; and the warm scans (the snapshot, the CLI's fast path) see a tsconfig edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prebundle import fastpath, load_config, scan
from prebundle.resolve import path_aliases
from prebundle.scanner import crawl, snapshot
from tests.support.apps import write_tree

PREBUNDLE = Path(sys.executable).parent / "prebundle"
PKG = '{{"name": "{name}", "version": "1.0.0", "main": "index.js"}}'


def package(name: str) -> dict[str, str]:
    return {f"node_modules/{name}/package.json": PKG.format(name=name),
            f"node_modules/{name}/index.js": "export default 1;\n"}


def packages(*names: str) -> dict[str, str]:
    return {path: text for name in names for path, text in package(name).items()}


def prebundle(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script, as a user runs it (stamps trusted at once: files change right after)."""
    env = {**os.environ, "PREBUNDLE_TIMESTAMP_SLACK_MS": "0"}
    env.pop("PREBUNDLE_FASTPATH_DEBUG", None)
    return subprocess.run([str(PREBUNDLE), *args], cwd=root, capture_output=True, text=True, timeout=120, env=env)


def tick() -> None:
    """Past one tick of the file system's coarse clock, so a change shows in a stamp."""
    time.sleep(0.02)


PAGE = '<script type="module" src="/src/main.ts"></script>\n'

PATHS = {"@/*": ["src/*"], "@/components/*": ["ui/*", "src/components/*"], "@/env": ["src/env.prod"],
         "*-icon": ["icons/*.svg"], "~/*": ["${configDir}/lib/*"]}
MATCHES = [
    # specifier, the key that matches, the candidates: relative to baseUrl (/app/base)
    ("@/util", "@/*", ["/app/base/src/util"]),
    ("@/components/Button", "@/components/*", ["/app/base/ui/Button", "/app/base/src/components/Button"]),
    ("@/env", "@/env", ["/app/base/src/env.prod"]),  # an exact key first
    ("@/env?raw", "@/env", ["/app/base/src/env.prod"]),
    ("arrow-icon", "*-icon", ["/app/base/icons/arrow.svg"]),
    ("~/a/b.js", "~/*", ["/app/lib/a/b.js"]),  # ${configDir}: the folder of the tsconfig that applies
    ("react", None, ["/app/base/react"]),  # no key: baseUrl alone
    ("./relative", None, None),
]


@pytest.mark.parametrize(("specifier", "key", "candidates"), MATCHES)
def test_paths_keys_match_as_typescript_matches_them(specifier, key, candidates):
    aliases = path_aliases("/app/tsconfig.json", {"baseUrl": "./base", "paths": PATHS},
                           base_url_from="/app", paths_from="/app/configs")
    match = aliases.match(specifier)
    if candidates is None:
        assert match is None
    else:
        assert (match.pattern, list(match.candidates)) == (key, candidates)


def test_paths_without_base_url_are_relative_to_the_file_that_holds_them():
    aliases = path_aliases("/app/tsconfig.json", {"paths": {"@/*": ["../src/*"]}}, base_url_from=None,
                           paths_from="/app/configs")
    assert aliases.match("@/x").candidates == ("/app/src/x",)
    assert aliases.match("react") is None


def test_aliases_are_crawled_as_the_apps_own_files(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": (
            "import { Button } from '@/components/Button'\n"   # wildcard, second target
            "import settings from 'app-config'\n"                # exact key
            "import { x } from '~/lib/x.js'\n"                   # .js written for .ts
            "import theme from '@/theme'\n"                      # a folder's index
            "import 'dep-main'\n"
        ),
        "src/components/Button.tsx": "import 'dep-button'\nexport const Button = () => null;\n",
        "src/config/index.ts": "import 'dep-config'\nexport default {};\n",
        "src/theme/index.ts": "import 'dep-theme'\nexport default {};\n",
        "lib/x.ts": "import 'dep-lib'\nexport const x = 1;\n",
        "tsconfig.json": '{\n  // the paths are in the base\n  "extends": "./configs/base.json",\n}\n',
        "configs/base.json": json.dumps({"compilerOptions": {"jsx": "preserve", "paths": {
            "@/*": ["../generated/*", "../src/*"],   # relative to this file: no baseUrl
            "app-config": ["../src/config"],
            "~/*": ["../*"],
        }}}),
        **packages("dep-main", "dep-button", "dep-config", "dep-theme", "dep-lib"),
    })
    result = scan(load_config(root, overrides={"jsx": "preserve"}))
    assert result.missing == {}
    assert sorted(result.deps) == ["dep-button", "dep-config", "dep-lib", "dep-main", "dep-theme"]
    assert result.deps["dep-button"].importers == ("src/components/Button.tsx",)
    assert result.deps["dep-lib"].importers == ("lib/x.ts",)
    crawled = {path.relative_to(root).as_posix() for path in result.files}
    assert {"src/components/Button.tsx", "src/config/index.ts", "src/theme/index.ts", "lib/x.ts"} <= crawled


def test_the_nearest_tsconfig_of_the_importer_applies(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE + '<script type="module" src="/admin/main.ts"></script>\n',
        "src/main.ts": "import '@/util'\n",
        "src/util.ts": "import 'dep-app'\n",
        "admin/main.ts": "import '@/util'\n",
        "admin/src/util.ts": "import 'dep-admin'\n",
        "tsconfig.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}),
        "admin/tsconfig.json": json.dumps({"compilerOptions": {"baseUrl": "src", "paths": {"@/*": ["*"]}}}),
        **packages("dep-app", "dep-admin"),
    })
    result = scan(load_config(root))
    assert result.missing == {}
    assert result.deps["dep-app"].importers == ("src/util.ts",)
    assert result.deps["dep-admin"].importers == ("admin/src/util.ts",)


def test_base_url_alone_resolves_files_under_it_and_leaves_packages_bare(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": "import { Button } from 'components/Button'\nimport 'dep-main'\n",
        "src/components/Button.ts": "import 'dep-button'\nexport const Button = 1;\n",
        "jsconfig.json": '{"compilerOptions": {"baseUrl": "./src"}}',
        **packages("dep-main", "dep-button"),
    })
    result = scan(load_config(root))
    assert result.missing == {}
    assert sorted(result.deps) == ["dep-button", "dep-main"]
    assert result.deps["dep-button"].importers == ("src/components/Button.ts",)


def test_a_paths_match_with_no_file_is_one_line_naming_the_importer_and_the_tsconfig(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": "import 'dep-main'\n\nimport { Gone } from '@/components/Gone'\nimport 'not-installed'\nGone()\n",
        "tsconfig.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {
            "@/*": ["src/*"],
            "*": ["src/types/*"],  # matches every package name too: TypeScript then takes the package
        }}}),
        **packages("dep-main"),
    })
    done = prebundle(root, "scan")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == ("error: src/main.ts:3: cannot resolve '@/components/Gone': it matches '@/*' in the paths of "
                        "tsconfig.json, but no file is there (tried src/components/Gone, with extensions and index "
                        "files); fix the import or the paths")
    assert lines[1].startswith("error: src/main.ts:4: cannot resolve 'not-installed': package \"not-installed\" is not "
                               "installed")
    assert lines[-1] == "error: install the missing packages with: npm install not-installed"
    assert "dep-main" in done.stdout


def test_an_unreadable_tsconfig_is_a_warning_and_its_aliases_are_not_applied(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": PAGE,
        "src/main.ts": "import '@/util'\n",
        "src/util.ts": "export {};\n",
        "tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["src/*"]}}',
    })
    result = scan(load_config(root))
    assert any(w.startswith(f"{root / 'tsconfig.json'}: cannot read it") and "paths and baseUrl are not applied" in w
               for w in result.warnings), result.warnings
    assert list(result.missing) == ["@/util"]


@pytest.fixture
def trusting(monkeypatch):
    """Stamps are trusted as soon as they are taken (the test changes files right after a scan)."""
    monkeypatch.setattr(snapshot, "RACY_NS", 0)


def crawls(monkeypatch) -> list[int]:
    """Count the crawls from now on (a scan answered from the snapshot crawls nothing)."""
    count: list[int] = []
    run = crawl.Crawler.run

    def counted(self, *args, **kwargs):
        count.append(1)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(crawl.Crawler, "run", counted)
    return count


WARM_APP = {
    "index.html": PAGE,
    "src/main.ts": "import { Button } from '@/components/Button'\n",
    "src/components/Button.ts": "import 'dep-src'\nexport const Button = 1;\n",
    "next/components/Button.ts": "import 'dep-next'\nexport const Button = 2;\n",
    "tsconfig.json": '{"extends": "./tsconfig.base.json"}',
    "tsconfig.base.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}),
    **packages("dep-src", "dep-next"),
}

TSCONFIG_EDITS = {
    "paths edited in the file extended": ("tsconfig.base.json", json.dumps(
        {"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["next/*"]}}})),
    "paths set in the tsconfig itself": ("tsconfig.json", json.dumps(
        {"extends": "./tsconfig.base.json", "compilerOptions": {"paths": {"@/*": ["next/*"]}}})),
    "a nearer tsconfig created": ("src/tsconfig.json", json.dumps(
        {"compilerOptions": {"baseUrl": "..", "paths": {"@/*": ["next/*"]}}})),
}


@pytest.mark.parametrize("edit", sorted(TSCONFIG_EDITS))
def test_a_warm_scan_after_a_tsconfig_edit_gives_the_new_answer(tmp_path, trusting, monkeypatch, edit):
    root = write_tree(tmp_path / "app", WARM_APP)
    for _ in range(2):  # the first scan creates the cache inside node_modules (a stamp it records)
        assert list(scan(load_config(root)).deps) == ["dep-src"]
        tick()
    count = crawls(monkeypatch)
    assert list(scan(load_config(root)).deps) == ["dep-src"]
    assert count == []  # answered from the snapshot
    name, text = TSCONFIG_EDITS[edit]
    (root / name).write_text(text)
    result = scan(load_config(root))
    assert count == [1]
    assert list(result.deps) == ["dep-next"]
    assert result.deps["dep-next"].importers == ("next/components/Button.ts",)
    assert json.dumps(result.to_json()) == json.dumps(scan(load_config(root), use_cache=False).to_json())


def test_the_clis_fast_path_falls_back_after_a_tsconfig_edit(tmp_path, trusting, capsys):
    root = write_tree(tmp_path / "app", WARM_APP)
    for _ in range(2):
        done = prebundle(root, "scan", "--json")
        assert done.returncode == 0, done.stderr
        tick()
    assert list(json.loads(done.stdout)["deps"]) == ["dep-src"]
    assert fastpath.answer(["scan", str(root), "--json"]) == 0  # warm: answered from the memo
    assert list(json.loads(capsys.readouterr().out)["deps"]) == ["dep-src"]

    (root / "tsconfig.base.json").write_text(TSCONFIG_EDITS["paths edited in the file extended"][1])
    assert fastpath.answer(["scan", str(root), "--json"]) is None
    assert "scan snapshot" in fastpath.last_reason
    done = prebundle(root, "scan", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["deps"]["dep-next"]["importers"] == ["next/components/Button.ts"]
    assert list(json.loads(done.stdout)["deps"]) == ["dep-next"]
