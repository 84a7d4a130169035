"""``prebundle outdated`` and ``prebundle audit``, the real CLI over a real npm project: lodash
4.17.20 (old, with published advisories) imported by the page, minimist 1.2.5 (critical
advisory) installed but never imported. npm's answers are kept for the packages that reach the
browser only. Tests that need the npm registry skip, saying why, when it cannot be reached."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = {"name": "health-app", "version": "1.0.0", "private": True,
           "dependencies": {"lodash": "4.17.20", "minimist": "1.2.5"}}
SOURCE = "import get from 'lodash/get'\ndocument.title = get({ a: { b: 'ok' } }, 'a.b')\n"


def prebundle(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prebundle", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def npm(root: Path, *args: str) -> subprocess.CompletedProcess:
    executable = shutil.which("npm")
    if executable is None:
        pytest.skip("npm is not installed")
    return subprocess.run([executable, *args], cwd=root, capture_output=True, text=True, timeout=600)


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The app, installed by npm from the registry and pre-bundled by prebundle."""
    root = tmp_path_factory.mktemp("health") / "app"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps(PACKAGE, indent=2))
    (root / "src" / "main.js").write_text(SOURCE)
    (root / "index.html").write_text('<script type="module" src="/src/main.js"></script>\n')
    installed = npm(root, "install", "--ignore-scripts", "--no-audit", "--no-fund")
    if installed.returncode != 0:
        pytest.skip(f"the npm registry cannot be reached: {last_line(installed.stderr)}")
    built = prebundle(str(root))
    assert built.returncode == 0, built.stderr
    return root


def test_outdated_lists_only_the_browser_packages(project):
    raw = json.loads(npm(project, "outdated", "--json", "--all").stdout)
    assert {"lodash", "minimist"} <= set(raw)  # npm's own answer has both
    latest = npm(project, "view", "lodash", "version").stdout.strip()

    done = prebundle("outdated", str(project), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(p["name"], p["current"], p["latest"], p["location"]) for p in report["outdated"]] == \
        [("lodash", "4.17.20", latest, "node_modules/lodash")]
    assert report["browserPackages"] == 1

    table = prebundle("outdated", cwd=project)
    assert table.returncode == 0
    assert "lodash" in table.stdout and "4.17.20" in table.stdout and "minimist" not in table.stdout
    assert "1 of 1 packages that reach the browser are outdated" in table.stdout
    assert prebundle("outdated", str(project), "--fail-on-outdated").returncode == 1


def test_audit_asks_npm(project):
    done = prebundle("audit", str(project), "--json")
    if done.returncode == 1 and not done.stdout:
        pytest.skip(f"npm audit cannot get advisories here: {last_line(done.stderr)}")
    report = json.loads(done.stdout)
    assert report["advisories"] and {a["name"] for a in report["advisories"]} == {"lodash"}
    assert report["notInBrowser"] == ["minimist"]
    assert done.returncode == 1  # lodash 4.17.20: command injection, high
    assert prebundle("audit", str(project), "--fail-on", "critical").returncode == 0


def npm_audit_report() -> dict:
    """An ``npm audit --json`` answer for this project, in npm 11's report format (version 2), with
    the GitHub advisories published for these versions."""
    def advisory(source: int, name: str, title: str, ghsa: str, severity: str, vulnerable: str) -> dict:
        return {"source": source, "name": name, "dependency": name, "title": title,
                "url": f"https://github.com/advisories/{ghsa}", "severity": severity, "cwe": ["CWE-1321"],
                "cvss": {"score": 7.2, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"},
                "range": vulnerable}

    return {
        "auditReportVersion": 2,
        "vulnerabilities": {
            "lodash": {"name": "lodash", "severity": "high", "isDirect": True,
                       "via": [advisory(1106913, "lodash", "Command Injection in lodash", "GHSA-35jh-r3h4-6jhm",
                                        "high", "<4.17.21"),
                               advisory(1106914, "lodash", "Regular Expression Denial of Service (ReDoS) in lodash",
                                        "GHSA-29mw-wpgm-hmr9", "moderate", ">=4.0.0 <4.17.21")],
                       "effects": [], "range": "<=4.17.20", "nodes": ["node_modules/lodash"],
                       "fixAvailable": {"name": "lodash", "version": "4.18.1", "isSemVerMajor": False}},
            "minimist": {"name": "minimist", "severity": "critical", "isDirect": True,
                         "via": [advisory(1097678, "minimist", "Prototype Pollution in minimist", "GHSA-xvch-5gv4-984h",
                                          "critical", ">=1.0.0 <1.2.6")],
                         "effects": [], "range": "1.0.0 - 1.2.5", "nodes": ["node_modules/minimist"],
                         "fixAvailable": True},
        },
        "metadata": {"vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 1, "critical": 1, "total": 2},
                     "dependencies": {"prod": 3, "dev": 0, "optional": 0, "peer": 0, "peerOptional": 0, "total": 2}},
    }


def test_audit_of_a_saved_report(project, tmp_path):
    saved = tmp_path / "audit.json"
    saved.write_text(json.dumps(npm_audit_report()))
    done = prebundle("audit", str(project), "--report", str(saved), "--json")
    assert done.returncode == 1, done.stderr  # high on a browser package, at the default --fail-on high
    report = json.loads(done.stdout)
    assert [(a["name"], a["version"], a["severity"]) for a in report["advisories"]] == \
        [("lodash", "4.17.20", "high"), ("lodash", "4.17.20", "moderate")]
    assert report["advisories"][0]["url"] == "https://github.com/advisories/GHSA-35jh-r3h4-6jhm"
    assert report["advisories"][0]["fix"] == "lodash@4.18.1"
    assert report["counts"]["critical"] == 0 and report["failed"] is True
    assert report["notInBrowser"] == ["minimist"]  # critical, but the pages never load it

    assert prebundle("audit", str(project), "--report", str(saved), "--fail-on", "critical").returncode == 0
    assert prebundle("audit", str(project), "--report", str(saved), "--fail-on", "none").returncode == 0
    table = prebundle("audit", str(project), "--report", str(saved))
    assert "Command Injection in lodash" in table.stdout and "GHSA-35jh-r3h4-6jhm" in table.stdout
    assert "not in the browser, left out: minimist" in table.stdout
    assert "failing: an advisory of high severity or worse" in table.stderr


def test_errors_are_one_line(project, tmp_path):
    no_npm = {**os.environ, "PATH": str(tmp_path)}
    done = prebundle("outdated", str(project), env=no_npm)
    assert done.returncode == 1 and done.stderr.startswith("error: npm is not on PATH") and \
        len(done.stderr.splitlines()) == 1, done.stderr

    pnpm = tmp_path / "pnpm-app"
    shutil.copytree(project, pnpm, symlinks=True)
    (pnpm / "package-lock.json").rename(pnpm / "pnpm-lock.yaml")
    done = prebundle("audit", str(pnpm))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "no package-lock.json" in done.stderr and "pnpm audit" in done.stderr

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "package.json").write_text(json.dumps(PACKAGE))
    done = prebundle("outdated", str(fresh))
    assert done.returncode == 1 and "nothing pre-bundled yet; run `prebundle`" in done.stderr

    bad = tmp_path / "bad.json"
    bad.write_text('{"message": "not a report"}')
    done = prebundle("audit", str(project), "--report", str(bad))
    assert done.returncode == 1 and 'no "vulnerabilities" object' in done.stderr


def test_one_row_per_installed_copy_when_npm_lists_each_dependent(tmp_path):
    # npm 11 answers `outdated --all --json` with one record per package that depends on a copy:
    # the same location three times is one outdated package, not three.
    from prebundle.health.browser import BrowserPackage, BrowserPackages
    from prebundle.health.outdated import parse_outdated

    record = {"current": "1.0.0", "wanted": "1.0.0", "latest": "2.0.0",
              "location": str(tmp_path / "node_modules" / "emitter")}
    data = {"emitter": [{**record, "dependent": dependent} for dependent in ("a", "b", "c")]}
    browser = BrowserPackages({"node_modules/emitter": BrowserPackage("emitter", "1.0.0", "node_modules/emitter",
                                                                      "optimized")})
    report = parse_outdated(data, tmp_path, browser)
    assert [(p.name, p.location, p.dependent) for p in report.packages] == [("emitter", "node_modules/emitter", "a")]
