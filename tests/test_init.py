"""``prebundle init`` on small real project skeletons of each framework, through the CLI: what it
detects, the config it writes (and never writes over), what it says to add, and that the config
works: ``prebundle scan`` then finds the imports of the framework's templates and scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prebundle import load_config
from prebundle.daemon.security import SitePolicy
from tests.support.apps import write_tree

MANAGE = """\
#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
TEMPLATE = ('<!doctype html><html><head>{% block head %}{% endblock %}</head><body>\n'
            '<script type="module">import dayjs from "dayjs"; document.title = dayjs().year()</script>\n'
            "</body></html>\n")
JINJA_PAGE = ('<!doctype html><html><head>{{ prebundle_importmap() }}</head><body>\n'
              '<script type="module">import dayjs from "dayjs"; document.title = dayjs().year()</script>\n'
              "</body></html>\n")
SCRIPT = "import React from 'react'\nconsole.log(React.version)\n"

SKELETONS = {
    "django": {
        "manage.py": MANAGE,
        "mysite/__init__.py": "",
        "mysite/settings.py": 'INSTALLED_APPS = ["django.contrib.staticfiles", "shop"]\n',
        "shop/__init__.py": "",
        "shop/templates/shop/base.html": TEMPLATE,
        "shop/static/shop/app.js": SCRIPT,
        "pyproject.toml": '[project]\nname = "mysite"\nversion = "1.0"\n',
    },
    "flask": {
        "app.py": 'from flask import Flask, render_template\n\napp = Flask(__name__)\n',
        "templates/index.html": JINJA_PAGE,
        "static/main.js": SCRIPT,
    },
    "fastapi": {
        "main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "templates/index.html": JINJA_PAGE,
        "static/js/main.ts": SCRIPT,
    },
    "starlette": {
        "server/app.py": "from starlette.applications import Starlette\n\napp = Starlette()\n",
        "server/templates/index.html": JINJA_PAGE,
        "server/static/main.js": SCRIPT,
    },
    "html": {
        "index.html": '<script type="module" src="/src/main.js"></script>\n',
        "src/main.js": SCRIPT + "import dayjs from 'dayjs'\n",
    },
}


def prebundle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prebundle", *args], capture_output=True, text=True, timeout=300)


def skeleton(tmp_path: Path, name: str) -> Path:
    return write_tree(tmp_path / name, SKELETONS[name], npm=True)


def scanned(root: Path) -> set[str]:
    done = prebundle("scan", str(root), "--json")
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout)["deps"])


def test_django(tmp_path):
    root = skeleton(tmp_path, "django")
    before = (root / "pyproject.toml").read_text()
    done = prebundle("init", str(root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "detected: Django (manage.py)"
    assert lines[1].startswith("wrote: pyproject.toml [tool.prebundle] with entries shop/templates/**/*.html")
    assert "add to mysite/settings.py:" in lines
    assert '    INSTALLED_APPS += ["django.contrib.staticfiles", "prebundle.integrations.django"]' in lines
    assert '    PREBUNDLE = {"root": BASE_DIR}' in lines
    assert ["    {% load prebundle %}", "    {% prebundle_importmap %}{% prebundle_client %}"] == \
        lines[lines.index("add to your base template's <head>:") + 1:][:2]
    text = (root / "pyproject.toml").read_text()
    assert text.startswith(before)  # the project's own table untouched
    assert '[tool.prebundle]\n' in text and '"shop/static/**/*.{js,mjs,jsx,ts,tsx}"' in text
    assert scanned(root) == {"react", "dayjs"}  # the template's inline module and the static script

    deny = SitePolicy.from_config(load_config(root)).app_deny  # the daemon serves the project root
    assert deny.denies("mysite/settings.py") and deny.denies("manage.py") and deny.denies("db.sqlite3")
    assert not deny.denies("shop/static/shop/app.js")

    again = prebundle("init", str(root))
    assert again.returncode == 0
    assert again.stdout.splitlines()[1] == "config exists: pyproject.toml [tool.prebundle]; left as it is"
    assert (root / "pyproject.toml").read_text() == text


@pytest.mark.parametrize(("name", "shown", "where", "line"), [
    ("flask", "Flask", "app.py", "    Prebundle(app)"),
    ("fastapi", "FastAPI", "main.py", '    app.mount(assets.base.rstrip("/"), AsgiDepsApp(assets))'),
    ("starlette", "Starlette", "server/app.py", "    assets = Assets.for_project(Path(__file__).parent)"),
])
def test_python_frameworks(tmp_path, name, shown, where, line):
    root = skeleton(tmp_path, name)
    done = prebundle("init", str(root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"detected: {shown} ({where})"
    assert lines[1].startswith("wrote: prebundle.config.py with entries ")
    assert f"add to {where}:" in lines and line in lines
    assert "    {{ prebundle_importmap() }}" in lines and "    {{ prebundle_client() }}" in lines
    assert "then: `npm init -y` and `npm install <packages>` here" in lines  # no package.json yet
    assert scanned(root) == {"react", "dayjs"}
    deny = SitePolicy.from_config(load_config(root)).app_deny
    assert deny.denies(where) and deny.denies("instance/config.cfg") and not deny.denies("templates/index.html")


def test_plain_html(tmp_path):
    root = skeleton(tmp_path, "html")
    done = prebundle("init", str(root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["detected: plain HTML (no manage.py nor Flask, FastAPI or Starlette app found)",
                         "wrote: prebundle.config.py"]
    assert any("prebundle daemon" in line for line in lines)
    assert "entries=" not in (root / "prebundle.config.py").read_text().replace("# entries=", "")
    assert scanned(root) == {"react", "dayjs"}


def test_forced_framework_and_an_existing_config(tmp_path):
    root = skeleton(tmp_path, "html")
    (root / "templates").mkdir()
    (root / "templates" / "page.html").write_text(JINJA_PAGE)
    done = prebundle("init", str(root), "--framework", "flask")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "detected: Flask (--framework)"
    assert "templates/**/*.html" in (root / "prebundle.config.py").read_text()

    own = root / "prebundle.config.py"
    own.write_text("from prebundle import define_config\n\nconfig = define_config(include=['react'])\n")
    done = prebundle("init", str(root))
    assert done.returncode == 0
    assert done.stdout.splitlines()[1] == "config exists: prebundle.config.py; left as it is"
    assert "include=['react']" in own.read_text()


def test_missing_folder_is_one_line(tmp_path):
    done = prebundle("init", str(tmp_path / "nowhere"))
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, done.stderr
