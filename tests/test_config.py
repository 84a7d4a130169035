"""Config: defaults, prebundle.config.py, [tool.prebundle], CLI overrides, and one-line errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from prebundle import Config, define_config, load_config
from prebundle.errors import ConfigError
from tests.support.apps import write_tree


def test_defaults(tmp_path):
    root = write_tree(tmp_path / "app", {"index.html": ""})
    config = load_config(root)
    assert config.root == root.resolve()
    assert config.mode == "development"
    assert config.cache_dir == root.resolve() / "node_modules" / ".vite"
    assert config.deps_dir == config.cache_dir / "deps"
    assert config.base == "/node_modules/.vite/deps/"
    assert config.config_file is None


def test_config_is_frozen(tmp_path):
    config = load_config(write_tree(tmp_path / "app", {}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.mode = "production"  # type: ignore[misc]


def test_python_config_file(tmp_path):
    root = write_tree(tmp_path / "app", {
        "prebundle.config.py": (
            "from prebundle import define_config\n"
            "from prebundle.plugins import Plugin\n"
            "marker = Plugin('marker')\n"
            "config = define_config(\n"
            "    mode='production',\n"
            "    include=['lodash-es', 'a > b'],\n"
            "    plugins=[marker, None],\n"
            "    define={'__DEV__': 'false'},\n"
            ")\n"
        )
    })
    config = load_config(root)
    assert config.mode == "production"
    assert config.include == ("lodash-es", "a > b")
    assert len(config.plugins) == 2 and config.plugins[1] is None  # kept as given for the plugin API
    assert dict(config.define) == {"__DEV__": "false"}
    assert config.config_file == root.resolve() / "prebundle.config.py"


def test_python_config_function_gets_env(tmp_path):
    root = write_tree(tmp_path / "app", {
        "prebundle.config.py": (
            "def config(env):\n"
            "    return {'base': '/static/deps/' if env.command == 'serve' else '/deps'}\n"
        )
    })
    assert load_config(root, command="serve").base == "/static/deps/"
    assert load_config(root).base == "/deps/"  # a trailing slash is added


def test_pyproject_table(tmp_path):
    root = write_tree(tmp_path / "app", {
        "pyproject.toml": (
            "[project]\nname = 'x'\n\n"
            "[tool.prebundle]\n"
            "exclude = ['big-lib']\n"
            "cache-dir = '.cache/prebundle'\n"
            "[tool.prebundle.server]\n"
            "port = 9000\n"
        )
    })
    config = load_config(root)
    assert config.exclude == ("big-lib",)
    assert config.cache_dir == root.resolve() / ".cache" / "prebundle"
    assert config.server.port == 9000


def test_pyproject_without_table_means_defaults(tmp_path):
    root = write_tree(tmp_path / "app", {"pyproject.toml": "[project]\nname = 'x'\n"})
    config = load_config(root)
    assert config.config_file is None and config.mode == "development"


def test_cli_overrides_win(tmp_path):
    root = write_tree(tmp_path / "app", {"prebundle.config.py": "from prebundle import define_config\nconfig = define_config(mode='production')\n"})
    assert load_config(root, overrides={"mode": "development"}).mode == "development"
    assert load_config(root, overrides={"mode": None}).mode == "production"


def test_unknown_key_names_file_line_and_key(tmp_path):
    root = write_tree(tmp_path / "app", {
        "prebundle.config.py": (
            "from prebundle import define_config\n"
            "config = define_config(\n"
            "    mode='development',\n"
            "    excluded=['x'],\n"
            ")\n"
        )
    })
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = str(info.value)
    assert message.startswith(f"{root.resolve() / 'prebundle.config.py'}:4: ")
    assert "'excluded'" in message and "\n" not in message


def test_wrong_type_in_toml_names_line(tmp_path):
    root = write_tree(tmp_path / "app", {"pyproject.toml": "[tool.prebundle]\n\nmode = 'prod'\n"})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    assert f"{root.resolve() / 'pyproject.toml'}:3: mode: expected one of development, production" in str(info.value)


def test_broken_python_names_line(tmp_path):
    root = write_tree(tmp_path / "app", {"prebundle.config.py": "x = 1\ny = undefined_name\n"})
    with pytest.raises(ConfigError, match=r"prebundle\.config\.py:2: NameError"):
        load_config(root)


def test_syntax_error_names_line(tmp_path):
    root = write_tree(tmp_path / "app", {"prebundle.config.py": "config = {\n  'mode': 'development',\n  'x' 1\n}\n"})
    with pytest.raises(ConfigError, match=r"prebundle\.config\.py:3: syntax error"):
        load_config(root)


def test_invalid_toml_names_line(tmp_path):
    root = write_tree(tmp_path / "app", {"pyproject.toml": "[tool.prebundle]\nmode = \n"})
    with pytest.raises(ConfigError, match=r"pyproject\.toml:2: invalid TOML"):
        load_config(root)


def test_missing_config_variable(tmp_path):
    root = write_tree(tmp_path / "app", {"prebundle.config.py": "x = 1\n"})
    with pytest.raises(ConfigError, match="no `config` defined"):
        load_config(root)


def test_explicit_config_file(tmp_path: Path):
    root = write_tree(tmp_path / "app", {})
    other = tmp_path / "custom.toml"
    other.write_text("mode = 'production'\n")
    assert load_config(root, config_file=other).mode == "production"
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(root, config_file=tmp_path / "nope.py")


def test_define_config_merges_positional_and_keywords():
    assert define_config({"mode": "production"}, base="/x/") == {"mode": "production", "base": "/x/"}


def test_with_overrides_checks_values(tmp_path):
    config = load_config(write_tree(tmp_path / "app", {}))
    assert isinstance(config.with_overrides(mode="production"), Config)
    with pytest.raises(ConfigError, match="mode"):
        config.with_overrides(mode="fast")
