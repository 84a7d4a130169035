"""`prebundle scan` as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.apps import write_tree

PREBUNDLE = Path(sys.executable).parent / "prebundle"


def prebundle(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PREBUNDLE), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_scan_json_on_real_packages(tmp_path, npm_modules):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/src/main.jsx"></script>',
        "src/main.jsx": (
            "import React, { useState } from 'react'\n"
            "import { createRoot } from 'react-dom/client'\n"
            "import debounce from 'lodash/debounce'\n"
            "// import 'not-a-dep'\n"
            "export const App = () => <div>{'import \"nope\"'}</div>\n"
        ),
    }, npm=True)
    done = prebundle("scan", "--json", cwd=root)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # only JSON on stdout
    assert sorted(report["deps"]) == ["lodash/debounce", "react", "react-dom/client",
                                      "react/jsx-dev-runtime", "react/jsx-runtime"]  # what the JSX compiles to
    assert report["deps"]["react"]["importers"] == ["src/main.jsx"]
    assert report["deps"]["react-dom/client"]["src"].endswith("react-dom/client.js")
    assert report["missing"] == {} and report["linked"] == {}


def test_scan_table_and_root_argument(tmp_path, npm_modules):
    root = write_tree(tmp_path / "app", {"index.html": "<script type=module>import dayjs from 'dayjs'</script>"}, npm=True)
    done = prebundle("scan", str(root), cwd=root.parent)
    assert done.returncode == 0, done.stderr
    assert "dayjs" in done.stdout and "1.11.23" in done.stdout
    assert "1 dependencies from 1 files" in done.stdout


def test_missing_dependency_exits_non_zero_with_file_line_and_install_hint(tmp_path):
    root = write_tree(tmp_path / "app", {
        "index.html": '<script type="module" src="/app.js"></script>',
        "app.js": "\n\nimport chart from 'chart.js/auto'\n",
    })
    done = prebundle("scan", cwd=root)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: app.js:3: cannot resolve 'chart.js/auto': ")
    assert lines[-1] == "error: install the missing packages with: npm install chart.js"


def test_bad_config_is_one_line_error(tmp_path):
    root = write_tree(tmp_path / "app", {"prebundle.config.py": "from prebundle import define_config\nconfig = define_config(\n  modes='x')\n"})
    done = prebundle("scan", cwd=root)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "prebundle.config.py:3: unknown key 'modes'" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_lists_only_working_commands(tmp_path):
    done = prebundle("--help", cwd=write_tree(tmp_path / "app", {}))
    assert done.returncode == 0
    assert "scan" in done.stdout
