"""``prebundle``'s public names: each one importable, the errors users catch all
``PrebundleError``, and ``import prebundle`` itself light (nothing loads until a name is used)."""

from __future__ import annotations

import subprocess
import sys

import prebundle


def test_every_public_name_resolves():
    for name in prebundle.__all__:
        assert getattr(prebundle, name) is not None, name


def test_the_errors_users_catch_are_prebundle_errors():
    for name in ("ConfigError", "MissingDependencyError", "ResolveError", "PluginError", "DaemonRunning",
                 "DaemonServing"):
        assert issubclass(getattr(prebundle, name), prebundle.PrebundleError), name


def test_import_prebundle_loads_nothing_heavy():
    code = ("import sys, prebundle; heavy = [m for m in ('prebundle.optimizer', 'prebundle.scanner', "
            "'prebundle.daemon', 'click', 'starlette', 'tree_sitter') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
