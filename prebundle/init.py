"""``prebundle init``: set a project up for prebundle. It finds the framework (Django, Flask,
FastAPI, Starlette, or plain HTML pages), writes the config (``[tool.prebundle]`` in an existing
``pyproject.toml``, else ``prebundle.config.py``; an existing config is never touched) with entries
for the framework's templates and static scripts, and says what to add to the settings and the
base template.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .commit import atomic_write
from .config import CONFIG_FILE, load_config
from .errors import PrebundleError

__all__ = ["FRAMEWORKS", "Detected", "InitError", "InitResult", "detect", "init", "instructions"]

FRAMEWORKS = ("django", "flask", "fastapi", "starlette", "html")
"""What ``init`` recognises (and ``--framework`` accepts)."""
NAMES = {"django": "Django", "flask": "Flask", "fastapi": "FastAPI", "starlette": "Starlette", "html": "plain HTML"}
SKIP = frozenset({"node_modules", ".venv", "venv", "env", "__pycache__", "site-packages", "dist", "build",
                  "staticfiles", "staticroot"})
"""Folders never looked into: installed packages, virtualenvs, build output, collected static files."""
DEPTH = 3
"""How deep below the project ``init`` looks for templates, static folders and Python files."""
SCRIPT_GLOB = "**/*.{js,mjs,jsx,ts,tsx}"
"""The scripts of a static folder that ``entries`` names."""
IMPORTS = (
    ("fastapi", re.compile(r"^\s*(?:from\s+fastapi\b|import\s+fastapi\b)", re.M)),
    ("starlette", re.compile(r"^\s*(?:from\s+starlette\b|import\s+starlette\b)", re.M)),
    ("flask", re.compile(r"^\s*(?:from\s+flask\s+import\b|import\s+flask\b)", re.M)),
)
"""How each Python framework shows in an app's source, in the order they are tried."""
PYTHON_DENY = ("*.py", "*.pyc", "*.sqlite", "*.sqlite3", "*.db", "instance/", "media/")
"""Files of a Python web app the daemon never serves, beside its own deny list: the code and
settings (a ``SECRET_KEY``), databases, Flask's instance folder, Django's uploads. The daemon's
root is the project, and pages on other localhost ports may read what it serves."""
SETTINGS_MODULE = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")


class InitError(PrebundleError):
    """The project folder cannot be set up (missing, unreadable pyproject.toml)."""


@dataclass(frozen=True)
class Detected:
    """What ``init`` found in a project."""

    framework: str
    """One of ``FRAMEWORKS``."""
    evidence: str
    """The file that told (``manage.py``, ``app.py``), or why it is plain HTML."""
    settings: Path | None = None
    """Django's settings file, when found."""
    templates: tuple[str, ...] = ()
    """Template folders, relative to the project (``templates``, ``shop/templates``)."""
    static: tuple[str, ...] = ()
    """Static folders holding scripts, relative to the project."""

    @property
    def entries(self) -> tuple[str, ...]:
        """The config's ``entries``: the templates (inline module scripts, ``<script src>``) and the
        static scripts; none for plain HTML, whose default (every ``*.html``) fits."""
        if self.framework == "html":
            return ()
        return (*(f"{folder}/**/*.html" for folder in self.templates),
                *(f"{folder}/{SCRIPT_GLOB}" for folder in self.static))


@dataclass(frozen=True)
class InitResult:
    detected: Detected
    config: Path
    """The config file (written now, or found)."""
    written: bool
    """False when a config existed and was left as it is."""


def detect(root: Path, framework: str | None = None) -> Detected:
    """The framework of the project at ``root`` (``framework`` forces one), with its folders."""
    if framework is not None and framework not in FRAMEWORKS:
        raise InitError(f"unknown framework {framework!r} (known: {', '.join(FRAMEWORKS)})")
    files = list(_python_files(root))
    templates = _folders(root, "templates", lambda p: any(p.rglob("*.html")))
    static = _folders(root, "static", lambda p: any(f.suffix in (".js", ".mjs", ".jsx", ".ts", ".tsx")
                                                    for f in p.rglob("*")))
    found = _django(root, files) if framework in (None, "django") else None
    if found is None and framework != "django":
        found = _python_framework(root, files, framework)
    if found is None:
        chosen = framework or "html"
        why = "--framework" if framework else "no manage.py nor Flask, FastAPI or Starlette app found"
        found = Detected(chosen, why)
    if found.framework == "html":
        return found
    return Detected(found.framework, found.evidence, found.settings, templates or ("templates",),
                    static or ("static",))


def _python_files(root: Path) -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith(".") and depth < DEPTH)
        out += [Path(folder) / name for name in sorted(files) if name.endswith(".py")]
    return out


def _folders(root: Path, name: str, holds: Callable[[Path], bool]) -> tuple[str, ...]:
    """Folders called ``name`` (not inside another one) that hold what ``holds`` checks."""
    found = []
    for folder, dirs, _files in os.walk(root):
        path = Path(folder)
        depth = len(path.relative_to(root).parts)
        if path.name == name and depth > 0:
            if holds(path):
                found.append(path.relative_to(root).as_posix())
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith(".") and depth < DEPTH)
    return tuple(found)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return ""


def _django(root: Path, files: list[Path]) -> Detected | None:
    manage = root / "manage.py"
    module = SETTINGS_MODULE.search(_read(manage)) if manage.is_file() else None
    if module is not None:
        parts = module.group(1).split(".")
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts) / "__init__.py"):
            if candidate.is_file():
                return Detected("django", "manage.py", candidate)
        return Detected("django", "manage.py")
    for path in files:
        if path.name == "settings.py" and "INSTALLED_APPS" in _read(path):
            return Detected("django", path.relative_to(root).as_posix(), path)
    return None


def _python_framework(root: Path, files: list[Path], framework: str | None) -> Detected | None:
    sources = {path: _read(path) for path in files}
    for name, pattern in IMPORTS:
        if framework not in (None, name):
            continue
        for path, text in sources.items():
            if pattern.search(text):
                return Detected(name, path.relative_to(root).as_posix())
    if framework is not None and framework != "html":
        return Detected(framework, "--framework")
    return None


def init(root: str | os.PathLike[str] = ".", *, framework: str | None = None) -> InitResult:
    """Detect the framework and write the config, unless one exists (then it is left as it is)."""
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise InitError(f"{root_path}: project folder does not exist")
    detected = detect(root_path, framework)
    existing = _existing_config(root_path)
    if existing is not None:
        return InitResult(detected, existing, written=False)
    pyproject = root_path / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        atomic_write(pyproject, (text + separator + _toml(detected)).encode("utf-8"))
        written = pyproject
    else:
        written = root_path / CONFIG_FILE
        atomic_write(written, _python(detected).encode("utf-8"))
    load_config(root_path)  # what was written reads back: a mistake here is prebundle's, said at once
    return InitResult(detected, written, written=True)


def _existing_config(root: Path) -> Path | None:
    if (root / CONFIG_FILE).is_file():
        return root / CONFIG_FILE
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InitError(f"{pyproject}: cannot read it ({error}); fix it, then run `prebundle init` again") from None
    return pyproject if "prebundle" in data.get("tool", {}) else None


def _toml(detected: Detected) -> str:
    lines = ["[tool.prebundle]", f"# written by `prebundle init` for {NAMES[detected.framework]}; see docs/config.md"]
    if detected.entries:
        lines.append("# the files whose imports prebundle follows: templates and static scripts")
        lines.append("entries = [" + ", ".join(f'"{entry}"' for entry in detected.entries) + "]")
    else:
        lines.append('# entries = ["**/*.html"]  (the default: every HTML page)')
    if detected.framework != "html":
        lines += ["", "[tool.prebundle.server]", "# never served by the daemon: the app's code, settings and data",
                  "fs_deny = [" + ", ".join(f'"{glob}"' for glob in PYTHON_DENY) + "]"]
    return "\n".join(lines) + "\n"


def _python(detected: Detected) -> str:
    body = "".join(f"        {entry!r},\n" for entry in detected.entries)
    entries = (f"    # the files whose imports prebundle follows: templates and static scripts\n"
               f"    entries=[\n{body}    ],\n") if detected.entries else \
        '    # entries=["**/*.html"],  (the default: every HTML page)\n'
    if detected.framework != "html":
        entries += ("    # never served by the daemon: the app's code, settings and data\n"
                    f"    server={{'fs_deny': {list(PYTHON_DENY)!r}}},\n")
    return (f'"""prebundle\'s settings (written by `prebundle init` for {NAMES[detected.framework]}; '
            'see docs/config.md)."""\n\n'
            "from prebundle import define_config\n\n"
            f"config = define_config(\n{entries})\n")


def instructions(result: InitResult, root: Path) -> list[str]:
    """What ``prebundle init`` prints: what it found and did, then what to add where."""
    detected = result.detected
    config = result.config.relative_to(root).as_posix() if result.config.is_relative_to(root) else str(result.config)
    table = " [tool.prebundle]" if result.config.name == "pyproject.toml" else ""
    lines = [f"detected: {NAMES[detected.framework]} ({detected.evidence})"]
    if result.written:
        lines.append(f"wrote: {config}{table}" + (f" with entries {', '.join(detected.entries)}"
                                                  if detected.entries else ""))
    else:
        lines.append(f"config exists: {config}{table}; left as it is")
    lines += _framework_lines(detected, root)
    if not (root / "package.json").is_file():
        lines.append("then: `npm init -y` and `npm install <packages>` here")
    lines.append("then: `prebundle daemon` while developing, `prebundle --mode production` before deploying")
    return lines


def _framework_lines(detected: Detected, root: Path) -> list[str]:
    if detected.framework == "django":
        where = detected.settings.relative_to(root).as_posix() if detected.settings else "settings.py"
        return [f"add to {where}:",
                '    INSTALLED_APPS += ["django.contrib.staticfiles", "prebundle.integrations.django"]',
                '    STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder",',
                '                           "django.contrib.staticfiles.finders.AppDirectoriesFinder",',
                '                           "prebundle.integrations.django.finders.PrebundleFinder"]',
                '    PREBUNDLE = {"root": BASE_DIR}',
                "add to your base template's <head>:",
                "    {% load prebundle %}",
                "    {% prebundle_importmap %}{% prebundle_client %}"]
    jinja = ["add to your base template's <head>:",
             "    {{ prebundle_importmap() }}",
             "    {{ prebundle_client() }}"]
    if detected.framework == "flask":
        return [f"add to {detected.evidence}:",
                "    from prebundle.integrations.flask import Prebundle",
                '    app.config["PREBUNDLE"] = {"root": Path(__file__).parent}',
                "    Prebundle(app)",
                *jinja]
    if detected.framework in ("fastapi", "starlette"):
        return [f"add to {detected.evidence}:",
                "    from prebundle.integrations import Assets",
                "    from prebundle.integrations.asgi import AsgiDepsApp, setup_templates",
                "    assets = Assets.for_project(Path(__file__).parent)",
                '    templates = setup_templates(Jinja2Templates(directory="templates"), assets)',
                '    app.mount(assets.base.rstrip("/"), AsgiDepsApp(assets))',
                *jinja]
    return ["pages: `prebundle daemon` serves them with the import map put in their <head>;",
            "    elsewhere, put node_modules/.vite/deps/importmap.json in each page's <head>:",
            '    <script type="importmap">{ ...importmap.json... }</script>',
            '    <script type="module" src="/src/main.js"></script>']
