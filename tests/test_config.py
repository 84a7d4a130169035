"""Config: defaults, prebundle.config.py, [tool.prebundle], CLI overrides, and one-line errors."""

from __future__ import annotations

import dataclasses
import re
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


# -- optimizer keys and esbuild options as Vite users write them --------------------------------

def test_optimizer_keys_from_pyproject_and_python(tmp_path):
    def keys(config):
        return config.no_discovery, config.needs_interop, config.interop, config.force

    assert keys(load_config(write_tree(tmp_path / "none", {}))) == (False, (), "auto", False)
    toml = write_tree(tmp_path / "toml", {"pyproject.toml": (
        "[tool.prebundle]\nno-discovery = true\nneeds-interop = ['legacy-pkg']\ninterop = 'node'\nforce = true\n")})
    assert keys(load_config(toml)) == (True, ("legacy-pkg",), "node", True)
    python = write_tree(tmp_path / "py", {"prebundle.config.py": (
        "from prebundle import define_config\n"
        "config = define_config(no_discovery=True, needs_interop='a > b', interop='bundler')\n")})
    assert keys(load_config(python)) == (True, ("a > b",), "bundler", False)


@pytest.mark.parametrize(("line", "expected"), [
    ("interop = 'esm'", "interop: expected one of auto, node, bundler, got 'esm'"),
    ("force = 'yes'", "force: expected true or false, got 'yes'"),
    ("no-discovery = 1", "no_discovery: expected true or false, got 1"),
    ("needs-interop = [1]", "needs_interop: expected a string or a list of strings"),
])
def test_optimizer_keys_with_a_wrong_value_are_one_line_with_file_and_line(tmp_path, line, expected):
    root = write_tree(tmp_path / "app", {"pyproject.toml": f"[tool.prebundle]\nmode = 'development'\n{line}\n"})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    assert str(info.value) == f"{root.resolve() / 'pyproject.toml'}:3: {expected}"


def _esbuild_api_options() -> list[str]:
    """Every option of esbuild's build API, as its JavaScript API (and Vite's esbuildOptions)
    spells it, read from the installed esbuild's type declarations."""
    declarations = (Path(__file__).resolve().parents[1] / "fixtures/npm/node_modules/esbuild/lib/main.d.ts").read_text()
    names = []
    for interface in ("\ninterface CommonOptions {", "\nexport interface BuildOptions extends CommonOptions {"):
        body = declarations[declarations.index(interface):]
        body = body[:body.index("\n}")]
        names += re.findall(r"^  (\w+)\??:", body, flags=re.M)
    return names


def test_every_esbuild_option_in_camel_case_is_mapped_or_refused_with_its_snake_case_name(tmp_path):
    root = write_tree(tmp_path / "app", {})
    names = _esbuild_api_options()
    assert len(names) > 60 and "keepNames" in names and "entryPoints" in names
    for name in names:
        snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
        # a value no option takes: an accepted option fails its own type check, under its snake_case name
        with pytest.raises(ConfigError) as info:
            load_config(root, overrides={"esbuild_options": {name: object()}})
        message = str(info.value)
        assert "\n" not in message and "unknown esbuild option" not in message, message
        assert message.startswith("option --esbuild-options: esbuild_options: ")
        assert re.search(rf"\b{snake}\b", message), message


@pytest.mark.parametrize(("options", "expected"), [
    ({"entryPoints": ["x.js"]}, "'entryPoints' (entry_points) is set by prebundle for every package build"),
    ({"external": ["react"]}, "esbuild option 'external' is the config key exclude: set that instead"),
    ({"mainFields": ["module"]}, "esbuild option 'mainFields' (main_fields) is the config key main_fields"),
    ({"conditions": ["worker"]}, "esbuild option 'conditions' is the config key conditions"),
    ({"plugins": []}, "esbuild plugins are not supported; write a prebundle plugin (config key plugins) instead"),
    ({"keepNames": True, "keep_names": False}, "esbuild option 'keep_names' is given twice (also as 'keepNames')"),
    ({"keepNamez": True}, "unknown esbuild option 'keepNamez' (did you mean keep_names?)"),
    ({"keepNames": "yes"}, "esbuild option 'keep_names' must be a bool, got str"),
])
def test_esbuild_options_refused_in_one_line_saying_what_to_use(tmp_path, options, expected):
    root = write_tree(tmp_path / "app", {})
    with pytest.raises(ConfigError) as info:
        load_config(root, overrides={"esbuild_options": options})
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_esbuild_options_as_vite_users_write_them_are_mapped(tmp_path):
    root = write_tree(tmp_path / "app", {"prebundle.config.py": (
        "import re\n"
        "from prebundle import define_config\n"
        "config = define_config(esbuild_options={\n"
        "    'keepNames': True, 'jsxImportSource': 'preact', 'legalComments': 'inline',\n"
        "    'dropLabels': ['DEV'], 'mangleProps': re.compile('^_'), 'tsconfigRaw': {'compilerOptions': {}},\n"
        "    'logOverride': {'empty-import-meta': 'silent'}, 'resolveExtensions': ['.js', '.mjs'],\n"
        "    'target': 'es2022', 'define': {'global': 'window'}, 'supported': {'bigint': True},\n"
        "})\n")})
    options = load_config(root).esbuild_options
    assert sorted(options) == ["define", "drop_labels", "jsx_import_source", "keep_names", "legal_comments",
                               "log_override", "mangle_props", "resolve_extensions", "supported", "target",
                               "tsconfig_raw"]
    toml = write_tree(tmp_path / "toml", {"pyproject.toml": "[tool.prebundle.esbuild_options]\nkeep-names = true\n"})
    assert dict(load_config(toml).esbuild_options) == {"keep_names": True}


# -- the team's remote cache -------------------------------------------------------------------

def test_remote_cache_table_from_pyproject(tmp_path):
    root = write_tree(tmp_path / "app", {"pyproject.toml": (
        "[tool.prebundle.remote_cache]\n"
        "url = 'redis://cache.internal:6379/2'\n"
        "read_only = true\n"
        "timeout = 0.5\n"
    )})
    remote = load_config(root).remote_cache
    assert (remote.url, remote.read_only, remote.timeout, remote.require_signature) == (
        "redis://cache.internal:6379/2", True, 0.5, False)


def test_remote_cache_as_a_bare_url(tmp_path):
    root = write_tree(tmp_path / "app", {"pyproject.toml": "[tool.prebundle]\nremote_cache = 's3://team-cache/prebundle'\n"})
    assert load_config(root).remote_cache.url == "s3://team-cache/prebundle"


def test_remote_cache_does_not_change_the_config_hash(tmp_path):
    """Where built packages are shared changes no byte of them: turning the remote on must not
    re-bundle anything, nor give the machine-wide cache new keys."""
    from prebundle.hashing import config_hash

    plain = load_config(write_tree(tmp_path / "a", {"pyproject.toml": "[tool.prebundle]\n"}))
    shared = load_config(write_tree(tmp_path / "b", {"pyproject.toml": "[tool.prebundle]\nremote_cache = 'redis://x:1'\n"}))
    assert config_hash(plain, esbuild_version="1", prebundle_version="1") == \
        config_hash(shared, esbuild_version="1", prebundle_version="1")


@pytest.mark.parametrize(("table", "message"), [
    ("timeout = 0", "timeout: expected a number of seconds between 0 and 600"),
    ("read_only = 'yes'", "read_only: expected true or false"),
    ("url = 3", "url: expected a string"),
    ("key = 'secret'", "unknown remote_cache key 'key'"),
])
def test_remote_cache_errors_are_one_line(tmp_path, table, message):
    root = write_tree(tmp_path / "app", {"pyproject.toml": f"[tool.prebundle.remote_cache]\n{table}\n"})
    with pytest.raises(ConfigError) as raised:
        load_config(root)
    assert "\n" not in str(raised.value) and "remote_cache" in str(raised.value)
    assert message in str(raised.value)
