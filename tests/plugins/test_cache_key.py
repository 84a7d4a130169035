"""A plugin's options and ``cache_key`` are part of the config hash: a changed option rebuilds,
and builds are shared machine-wide only when code-changing plugins say what they depend on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from prebundle import load_config
from prebundle.optimizer import optimize

REPO = Path(__file__).resolve().parents[2]
NPM_MODULES = REPO / "fixtures" / "npm" / "node_modules"

BANNER_PLUGIN = '''
from prebundle import Plugin, define_config

def banner(text, version):
    def transform(code, id):
        if id.endswith("dayjs.min.js"):
            return code + f"\\nglobalThis.__banner = {text!r};\\n"
        return None
    return Plugin("banner", transform=transform{cache_key})

config = define_config(plugins=[banner({text!r}, "1.0")])
'''


def app_with_plugin(root: Path, text: str, *, cache_key: bool = False) -> Path:
    (root / "node_modules").mkdir(parents=True, exist_ok=True)
    for name in ("dayjs", "esbuild", "@esbuild"):
        link = root / "node_modules" / name
        if not link.exists():
            link.symlink_to(NPM_MODULES / name, target_is_directory=True)
    (root / "index.html").write_text('<script type="module">import dayjs from "dayjs"</script>\n')
    (root / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"dayjs": "*"}}))
    key = ', cache_key=f"banner {version} {text}"' if cache_key else ""
    (root / "prebundle.config.py").write_text(BANNER_PLUGIN.format(text=text, cache_key=key))
    return root


def dayjs_bundle(result) -> str:
    metadata = json.loads((result.deps_dir / "_metadata.json").read_text())
    return (result.deps_dir / metadata["optimized"]["dayjs"]["file"]).read_text()


def test_a_changed_plugin_option_rebuilds(tmp_path: Path):
    root = app_with_plugin(tmp_path / "app", "first")
    first = optimize(load_config(root))
    assert '"first"' in dayjs_bundle(first)
    assert optimize(load_config(root)).up_to_date  # same plugin, same options: reused
    app_with_plugin(root, "second")
    second = optimize(load_config(root))
    assert not second.up_to_date and second.built == ("dayjs@1.11.23",)
    assert '"second"' in dayjs_bundle(second)


def test_the_plugin_fingerprint_is_stable_across_processes(tmp_path: Path):
    root = app_with_plugin(tmp_path / "app", "same")
    code = ("import sys; from prebundle import load_config; from prebundle.hashing import config_hash\n"
            "print(config_hash(load_config(sys.argv[1]), esbuild_version='x', prebundle_version='y'))\n")
    hashes = {subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True,
                             check=True).stdout for _ in range(2)}
    assert len(hashes) == 1


def shared_packages() -> list[str]:
    folder = Path(os.environ["PREBUNDLE_CACHE_DIR"]) / "packages"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_builds_with_a_transform_plugin_without_cache_key_are_not_shared(tmp_path: Path):
    optimize(load_config(app_with_plugin(tmp_path / "app", "private")))
    assert shared_packages() == []


def test_builds_with_plugins_that_declare_a_cache_key_are_shared(tmp_path: Path):
    first = optimize(load_config(app_with_plugin(tmp_path / "one", "shared", cache_key=True)))
    assert first.built == ("dayjs@1.11.23",) and len(shared_packages()) == 1
    second = optimize(load_config(app_with_plugin(tmp_path / "two", "shared", cache_key=True)))
    assert second.built == () and second.reused == ("dayjs@1.11.23",)
    assert '"shared"' in dayjs_bundle(second)
