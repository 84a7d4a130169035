"""One frozen ``Config``: defaults, then ``[tool.prebundle]`` or ``prebundle.config.py``, then CLI flags.

A config file is plain Python (``config = define_config(...)`` or ``def config(env): ...``) or a
TOML table. Every key is checked against one table of fields, so a typo or a wrong type is
reported as ``<file>:<line>: <key>: <what is wrong>`` before any work starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .plugins import PluginContainer

__all__ = [
    "CONFIG_FILE",
    "Config",
    "ConfigEnv",
    "AppBuildConfig",
    "RemoteCacheConfig",
    "ServerConfig",
    "UserConfig",
    "define_config",
    "load_config",
]

CONFIG_FILE = "prebundle.config.py"
"""The Python config file looked up in the project root."""

MODES = ("development", "production")
LOG_LEVELS = ("debug", "info", "warning", "error", "silent")
INTEROP_RULES = ("auto", "node", "bundler")
"""Values of the key ``interop`` (see ``Config.interop``)."""
JSX_MODES = ("automatic", "transform", "preserve")
"""Values of the key ``jsx``: esbuild's ``jsx`` option for the app's own files."""
SOURCEMAP_MODES = ("linked", "inline", "hidden", "none")
"""Values of ``build.sourcemap`` (``True`` is ``linked``, ``False`` is ``none``)."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    """Interface the daemon listens on."""
    port: int = 5174
    """Port the daemon listens on."""
    cors: bool | tuple[str | re.Pattern[str], ...] = ()
    """Origins of other servers' pages that may read from the daemon, beyond its own pages and
    those of localhost, 127.0.0.1 and [::1] (any port): exact origins (``http://app.test:8000``)
    or regular expressions (strings starting with ``^``, or compiled patterns). ``True`` allows
    any origin; ``False`` none but the daemon's own pages."""
    allowed_hosts: bool | tuple[str, ...] = ()
    """``Host`` names the daemon answers besides localhost, ``*.localhost`` and IP addresses
    (``.example.test`` also allows its subdomains); ``True`` answers any (no DNS-rebinding check)."""
    fs_deny: tuple[str, ...] = ()
    """Globs of the app's files never served, added to the built-in ones (``.env``, ``.env.*``,
    certificates and keys, ``.git``, the config file); matched case-insensitively on every
    path segment, or on the path when the glob has a ``/``."""


@dataclass(frozen=True, slots=True)
class AppBuildConfig:
    """``prebundle build``: the app's own code bundled for production (the ``build`` table)."""

    entries: tuple[str, ...] = ()
    """The app's entry modules, relative to root (globs allowed); empty means the module scripts
    (``<script type="module" src>``) of the HTML entries."""
    manifest: str = ".prebundle/manifest.json"
    """Where the manifest goes inside ``out_dir`` (Vite's is ``.vite/manifest.json``)."""
    sourcemap: str = "none"
    """``linked`` (a ``.map`` beside each file, linked by a comment), ``inline``, ``hidden`` (the
    ``.map`` without the comment) or ``none``."""
    minify: bool = True
    """Minify the output."""
    assets_dir: str = "assets"
    """The folder inside ``out_dir`` for the hashed files."""
    target: tuple[str, ...] = ("chrome111", "edge111", "firefox114", "safari16.4")
    """esbuild targets of the app's code: Vite 8's default, the browsers "Baseline widely
    available" on 2026-01-01 (top-level ``await`` included)."""


@dataclass(frozen=True, slots=True)
class RemoteCacheConfig:
    """The team's cache behind the machine-wide one (the ``remote_cache`` table). The
    ``PREBUNDLE_REMOTE_CACHE*`` environment variables win over it, and the signing key is read
    from the environment only (``remote.settings``): a config file is committed, a key is not."""

    url: str = ""
    """Where built packages are shared (``s3://``, ``gs://``, ``azblob://``, ``webdav+https://``,
    ``redis://``, ``file://``); empty: no remote."""
    read_only: bool = False
    """Read from the remote, never write (untrusted CI jobs)."""
    timeout: float = 2.0
    """Seconds a request may take before the remote is skipped for the rest of the run."""
    require_signature: bool = False
    """Refuse artifacts without a valid HMAC signature (``PREBUNDLE_REMOTE_CACHE_KEY``)."""


@dataclass(frozen=True, slots=True)
class ConfigEnv:
    """What a ``def config(env)`` function and plugins' ``config`` hooks are told."""

    mode: str
    command: str
    """``serve`` for the daemon, ``build`` otherwise."""


@dataclass(frozen=True)
class Config:
    """Every setting, resolved. Passed down the pipeline unchanged."""

    root: Path
    """The project folder (absolute)."""
    entries: tuple[str, ...] = ()
    """Globs of scan entries relative to ``root``; empty means every ``*.html``."""
    include: tuple[str, ...] = ()
    """Ids always optimized, even when the scan does not find them (``a > b`` nests)."""
    exclude: tuple[str, ...] = ()
    """Ids (and their subpaths) never optimized."""
    no_discovery: bool = False
    """Optimize only ``include`` (and what those packages import): the bare imports the scan
    finds are reported and warned about, not bundled (Vite's ``optimizeDeps.noDiscovery``)."""
    needs_interop: tuple[str, ...] = ()
    """Ids bundled through the CommonJS proxy even when their entry has ESM syntax: for packages
    that look like ESM but build ``module.exports`` (Vite's ``optimizeDeps.needsInterop``)."""
    interop: str = "auto"
    """``default`` of an ``__esModule`` CommonJS module: ``node`` (``module.exports``),
    ``bundler`` (``exports.default``), or ``auto`` (``node`` when the root ``package.json`` has
    ``"type": "module"``, else ``bundler``)."""
    force: bool = False
    """Re-bundle on every optimize run, ignoring the cache (as ``--force``)."""
    cache_dir: Path = Path()
    """Cache folder (absolute); the deps are in ``cache_dir / "deps"``."""
    out_dir: str = "dist"
    """Build output folder, relative to root: never scanned for entries."""
    mode: str = "development"
    """``development`` or ``production`` (NODE_ENV, minify, hashed names)."""
    define: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Extra esbuild ``define`` entries (values are JS source text)."""
    target: tuple[str, ...] = ("es2020",)
    """esbuild targets of the bundles."""
    conditions: tuple[str, ...] = ()
    """Extra ``exports`` conditions, after the browser ones."""
    main_fields: tuple[str, ...] = ("browser", "module", "main")
    """package.json fields tried, in order, when a package has no ``exports``."""
    esbuild_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Extra esbuild build options (snake_case; camelCase as Vite users write it is mapped),
    applied to every package build; ``define``, ``loader``, ``supported`` and ``inject`` add to
    prebundle's own."""
    plugins: tuple[Any, ...] = ()
    """Plugins, kept as given for the plugin API."""
    base: str = "/node_modules/.vite/deps/"
    """URL prefix of the deps in ``importmap.json``."""
    server: ServerConfig = ServerConfig()
    """Daemon host and port."""
    log_level: str = "info"
    """``debug``, ``info``, ``warning``, ``error`` or ``silent``."""
    config_file: Path | None = None
    """Where the config came from, if anywhere."""
    command: str = "build"
    """``serve`` for the daemon, ``build`` otherwise: decides which plugins apply."""
    config_arg: str | os.PathLike[str] | None = None
    """The ``config_file`` given to ``load_config`` (``--config``); None when it looked in ``root``.
    The daemon reloads the config the same way when the file changes."""
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The ``overrides`` given to ``load_config`` (the CLI flags), applied again on a reload;
    ``with_overrides`` does not add to them."""
    open_browser: bool = False
    """``prebundle daemon --open``: open the app in a browser once the daemon serves."""
    jsx: str = "automatic"
    """How the app's own JSX is compiled (daemon and ``prebundle build``): ``automatic`` (the
    React 17+ runtime, ``jsx_import_source``), ``transform`` (``React.createElement``) or
    ``preserve``."""
    jsx_import_source: str = "react"
    """Where the automatic runtime comes from (``react``, ``preact``, ``solid-js/h``, ...)."""
    jsx_in_js: bool = False
    """Treat the app's ``.js`` files as JSX (for code bases that put JSX in ``.js``)."""
    build: AppBuildConfig = AppBuildConfig()
    """``prebundle build``: entries, manifest path, source maps, minify, assets folder."""
    remote_cache: RemoteCacheConfig = RemoteCacheConfig()
    """The team's cache of built packages on shared storage (``remote/``)."""

    @property
    def deps_dir(self) -> Path:
        """The output folder served as ``base``."""
        return self.cache_dir / "deps"

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some fields replaced and checked like a config file's keys."""
        if "server" in overrides:
            overrides = {**overrides, "server": _merge_server(self.server, overrides["server"])}
        checked = {key: _check_value(key, value, where="option") for key, value in overrides.items()}
        return _finish(replace(self, **checked))

    @cached_property
    def plugin_container(self) -> PluginContainer:
        """The active plugins of this command, in order (see ``prebundle.plugins``)."""
        env = ConfigEnv(mode=self.mode, command=self.command)
        # Loaded only when asked for: the plugin machinery brings asyncio (async hooks), which a
        # run without plugins never needs.
        from .plugins import PluginContainer

        return PluginContainer(self.plugins, command=self.command, config=self, env=env)

    def plugins_for(self, *hooks: str) -> PluginContainer | None:
        """The plugin container when a plugin has one of ``hooks``, else None: without such a
        plugin, callers skip the plugin work entirely."""
        if not self.plugins:
            return None
        container = self.plugin_container
        return container if any(container.has(hook) for hook in hooks) else None


class UserConfig(dict):
    """The keys a config file set, as returned by ``define_config``."""


def define_config(config: Mapping[str, Any] | None = None, /, **options: Any) -> UserConfig:
    """Declare the config in ``prebundle.config.py``: ``config = define_config(mode="production")``.

    Keys are checked when the file is loaded, so the error can name the line that set them.
    """
    merged = dict(config or {})
    merged.update(options)
    return UserConfig(merged)


# -- field checks ---------------------------------------------------------------------------------

def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError("expected a string or a list of strings")


def _str_map(value: Any) -> Mapping[str, str]:
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return MappingProxyType(dict(value))
    raise TypeError("expected a table of strings to strings")


def _any_map(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return MappingProxyType(dict(value))
    raise TypeError("expected a table with string keys")


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise TypeError(f"expected one of {', '.join(options)}, got {value!r}")
        return value

    return check


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _path(value: Any) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"expected a path, got {type(value).__name__}")
    return Path(value)


def _plugins(value: Any) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise TypeError("expected a list of plugins")
    return tuple(value)


def _table(value: Any, name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """A config table (``server``, ``build``) with its keys in snake_case, checked against ``keys``."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table with {', '.join(keys)}")
    table = {str(key).replace("-", "_"): item for key, item in value.items()}
    unknown = set(table) - set(keys)
    if unknown:
        raise TypeError(f"unknown {name} key {sorted(unknown)[0]!r} (known: {', '.join(keys)})")
    return table


_SERVER_KEYS = ("host", "port", "cors", "allowed_hosts", "fs_deny")


def _server(value: Any) -> ServerConfig:
    if isinstance(value, ServerConfig):
        return value
    value = _table(value, "server", _SERVER_KEYS)
    default = ServerConfig()
    host = value.get("host", default.host)
    port = value.get("port", default.port)
    if not isinstance(host, str) or not isinstance(port, int) or isinstance(port, bool):
        raise TypeError("host must be a string and port an integer")
    if not 0 <= port <= 65535:
        raise TypeError(f"port {port} is out of range 0-65535")
    return ServerConfig(host=host, port=port, cors=_cors(value.get("cors", default.cors)),
                        allowed_hosts=_allowed_hosts(value.get("allowed_hosts", default.allowed_hosts)),
                        fs_deny=_fs_deny(value.get("fs_deny", default.fs_deny)))


# The patterns of this module are compiled on first use (``re``'s own cache), not at import: a
# config names an origin, a host or a target only now and then, and every command loads this module.
_ORIGIN = r"[a-z][a-z0-9+.-]*://[^/?#\s]+"
_HOST_NAME = r"\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*"


def _cors(value: Any) -> bool | tuple[str | re.Pattern[str], ...]:
    """``server.cors``: a bool, or origins and regular expressions (``^...``), checked now."""
    if isinstance(value, bool):
        return value
    items = [value] if isinstance(value, (str, re.Pattern)) else value
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise TypeError("cors: expected true, false or a list of origins")
    checked: list[str | re.Pattern[str]] = []
    for item in items:
        if isinstance(item, re.Pattern):
            checked.append(item)
        elif isinstance(item, str) and item.startswith("^"):
            try:
                re.compile(item)
            except re.error as error:
                raise TypeError(f"cors: bad regular expression {item!r}: {error}") from None
            checked.append(item)
        elif isinstance(item, str) and re.fullmatch(_ORIGIN, item.rstrip("/"), re.IGNORECASE):
            checked.append(item.rstrip("/").lower())
        else:
            raise TypeError(f"cors: {item!r} is not an origin such as 'http://localhost:8000' "
                            "(scheme and host, no path) nor a regular expression starting with '^'")
    return tuple(checked)


def _allowed_hosts(value: Any) -> bool | tuple[str, ...]:
    """``server.allowed_hosts``: ``True``, or host names (``.name`` for its subdomains too)."""
    if value is True:
        return True
    if value is False:
        return ()
    try:
        hosts = _str_tuple(value)
    except TypeError:
        raise TypeError("allowed_hosts: expected true or a list of host names") from None
    for host in hosts:
        if not re.fullmatch(_HOST_NAME, host, re.IGNORECASE):
            raise TypeError(f"allowed_hosts: {host!r} is not a host name; give the name alone "
                            "(no scheme, port or path), such as 'dev.example.test', or true to allow any host")
    return tuple(host.lower() for host in hosts)


def _fs_deny(value: Any) -> tuple[str, ...]:
    """``server.fs_deny``: globs, such as ``*.sqlite`` or ``private/``."""
    try:
        globs = _str_tuple(value)
    except TypeError:
        raise TypeError("fs_deny: expected a list of globs such as '*.sqlite' or 'private/'") from None
    for glob in globs:
        if not glob.strip() or ".." in glob.split("/"):
            raise TypeError(f"fs_deny: {glob!r} is not a glob of files in the project (no empty or '..' parts)")
    return globs


_BUILD_KEYS = ("entries", "manifest", "sourcemap", "minify", "assets_dir", "target")


def _app_build(value: Any) -> AppBuildConfig:
    """The ``build`` table; ``sourcemap`` also takes true/false, ``manifest`` true (the default
    path) or a path inside ``out_dir``."""
    if isinstance(value, AppBuildConfig):
        return value
    value = _table(value, "build", _BUILD_KEYS)
    default = AppBuildConfig()
    sourcemap = value.get("sourcemap", default.sourcemap)
    if isinstance(sourcemap, bool):
        sourcemap = "linked" if sourcemap else "none"
    if sourcemap not in SOURCEMAP_MODES:
        raise TypeError(f"sourcemap: expected true, false or one of {', '.join(SOURCEMAP_MODES)}")
    manifest = value.get("manifest", default.manifest)
    if manifest is True:
        manifest = default.manifest
    for key, text in (("manifest", manifest), ("assets_dir", value.get("assets_dir", default.assets_dir))):
        if not isinstance(text, str) or not text.strip() or text.startswith("/") or ".." in text.split("/"):
            raise TypeError(f"{key}: expected a relative path inside out_dir, not {text!r}")
    minify = value.get("minify", default.minify)
    if not isinstance(minify, bool):
        raise TypeError("minify: expected true or false")
    target = _targets(value["target"]) if "target" in value else default.target
    return AppBuildConfig(entries=_str_tuple(value.get("entries", default.entries)), manifest=manifest,
                          sourcemap=sourcemap, minify=minify,
                          assets_dir=value.get("assets_dir", default.assets_dir).strip("/"), target=target)


_REMOTE_CACHE_KEYS = ("url", "read_only", "timeout", "require_signature")


def _remote_cache(value: Any) -> RemoteCacheConfig:
    """The ``remote_cache`` table; a bare string is its ``url``."""
    if isinstance(value, RemoteCacheConfig):
        return value
    if isinstance(value, str):
        value = {"url": value}
    value = _table(value, "remote_cache", _REMOTE_CACHE_KEYS)
    default = RemoteCacheConfig()
    url = value.get("url", default.url)
    if not isinstance(url, str):
        raise TypeError("url: expected a string such as 's3://bucket/prefix' or 'redis://host:6379'")
    for key in ("read_only", "require_signature"):
        if not isinstance(value.get(key, False), bool):
            raise TypeError(f"{key}: expected true or false")
    timeout = value.get("timeout", default.timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        raise TypeError("timeout: expected a number of seconds between 0 and 600")
    return RemoteCacheConfig(url=url.strip(), read_only=value.get("read_only", default.read_only),
                             timeout=float(timeout),
                             require_signature=value.get("require_signature", default.require_signature))


def _merge_server(current: Any, value: Any) -> Any:
    """A partial ``server`` table (the CLI's ``--host``/``--port``) keeps the other keys of ``current``."""
    if isinstance(current, ServerConfig) and isinstance(value, Mapping):
        return {**{item.name: getattr(current, item.name) for item in fields(ServerConfig)}, **value}
    return value


_TARGET = r"(esnext|es5|es6|es20\d\d|(chrome|deno|edge|firefox|hermes|ie|ios|node|opera|rhino|safari)\d+(\.\d+){0,2})"


def _targets(value: Any) -> tuple[str, ...]:
    """esbuild targets, checked here so a typo is reported with its file and line."""
    targets = _str_tuple(value)
    for target in targets:
        if not re.fullmatch(_TARGET, target, re.IGNORECASE):
            raise TypeError(f"unknown target {target!r} (esbuild accepts esnext, es2015 to es2024, "
                            "or a browser and version such as chrome120, firefox115, safari17)")
    return targets


RESERVED_ESBUILD_OPTIONS = frozenset({
    "entry_points", "outdir", "outfile", "outbase", "out_extension", "write", "metafile", "bundle", "format",
    "splitting",
    "abs_working_dir", "plugins", "stdin", "entry_names", "chunk_names", "asset_names", "log_level",
    "log_limit", "log_style", "color",
})
"""esbuild options prebundle sets itself for every package build."""
ESBUILD_OPTIONS_AS_KEYS = {"external": "exclude", "conditions": "conditions", "main_fields": "main_fields"}
"""esbuild options a config key covers (the key drives prebundle's own resolver too): option -> key."""
_CAMEL_HUMP = r"(?<=[a-z0-9])([A-Z])"


def _esbuild_option_name(name: str) -> str:
    """The snake_case name of an esbuild option as written: ``keepNames`` (esbuild's JavaScript
    API, as Vite users write ``esbuildOptions``), ``keep-names`` (TOML style) or ``keep_names``."""
    return re.sub(_CAMEL_HUMP, lambda m: "_" + m.group(1).lower(), name).replace("-", "_")


def _esbuild_options(value: Any) -> Mapping[str, Any]:
    """Extra esbuild build options, by snake_case name (see :func:`_esbuild_option_name`), each
    checked against the esbuild client's own option table and types."""
    options = _any_map(value)
    if not options:
        return options
    # Loaded only for a config that sets options: the esbuild client brings asyncio, which a
    # scan never needs.
    from .esbuild._options import BUILD_OPTIONS, build_request

    checked: dict[str, Any] = {}
    written: dict[str, str] = {}
    for name, item in options.items():
        snake = _esbuild_option_name(name)
        shown = repr(name) if snake == name else f"{name!r} ({snake})"
        if snake in written:
            raise TypeError(f"esbuild option {shown} is given twice (also as {written[snake]!r}); keep one")
        written[snake] = name
        if snake in ESBUILD_OPTIONS_AS_KEYS:
            key = ESBUILD_OPTIONS_AS_KEYS[snake]
            raise TypeError(f"esbuild option {shown} is the config key {key}: set that instead")
        if snake == "plugins":
            raise TypeError(f"esbuild option {shown}: esbuild plugins are not supported; "
                            "write a prebundle plugin (config key plugins) instead")
        if snake in RESERVED_ESBUILD_OPTIONS:
            raise TypeError(f"{shown} is set by prebundle for every package build and cannot be changed")
        if snake not in BUILD_OPTIONS:
            import difflib

            close = difflib.get_close_matches(snake, sorted(BUILD_OPTIONS), n=1)
            hint = f"did you mean {close[0]}?" if close else "esbuild's build options: keep_names, drop, pure, jsx, ..."
            raise TypeError(f"unknown esbuild option {name!r} ({hint})")
        try:
            build_request({snake: item})
        except (TypeError, ValueError) as error:
            raise TypeError(f"esbuild option {str(error).removeprefix('option ')}") from None
        checked[snake] = item
    return MappingProxyType(checked)


def _base(value: Any) -> str:
    text = _string(value)
    return text if text.endswith("/") else text + "/"


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "root": _path,
    "entries": _str_tuple,
    "include": _str_tuple,
    "exclude": _str_tuple,
    "no_discovery": _flag,
    "needs_interop": _str_tuple,
    "interop": _choice(INTEROP_RULES),
    "force": _flag,
    "cache_dir": _path,
    "out_dir": _string,
    "mode": _choice(MODES),
    "define": _str_map,
    "target": _targets,
    "conditions": _str_tuple,
    "main_fields": _str_tuple,
    "esbuild_options": _esbuild_options,
    "plugins": _plugins,
    "base": _base,
    "server": _server,
    "log_level": _choice(LOG_LEVELS),
    "jsx": _choice(JSX_MODES),
    "jsx_import_source": _string,
    "jsx_in_js": _flag,
    "build": _app_build,
    "remote_cache": _remote_cache,
}
_NOT_SETTINGS = frozenset({"config_file", "command", "config_arg", "overrides", "open_browser"})
"""Fields that say how the config was loaded or used, not keys a config file may set."""
assert set(_CHECKS) | _NOT_SETTINGS == {f.name for f in fields(Config)}


def _check_value(key: str, value: Any, *, where: str) -> Any:
    check = _CHECKS.get(key)
    if check is None:
        known = ", ".join(sorted(_CHECKS))
        raise ConfigError(f"{where}: unknown key {key!r} (known keys: {known})")
    try:
        return check(value)
    except TypeError as error:
        raise ConfigError(f"{where}: {key}: {error}") from None


def _finish(config: Config) -> Config:
    """Make paths absolute and fill the defaults that depend on root."""
    root = config.root.resolve()
    cache_dir = config.cache_dir
    if cache_dir == Path():
        cache_dir = root / "node_modules" / ".vite"
    elif not cache_dir.is_absolute():
        cache_dir = root / cache_dir
    return replace(config, root=root, cache_dir=cache_dir)


# -- loading --------------------------------------------------------------------------------------

def load_config(
    root: str | os.PathLike[str] = ".",
    *,
    config_file: str | os.PathLike[str] | None = None,
    command: str = "build",
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the ``Config`` for a project: file settings, then ``overrides`` (the CLI flags).

    ``config_file`` names a ``.py`` or ``.toml`` file; without it ``prebundle.config.py`` and then
    ``pyproject.toml``'s ``[tool.prebundle]`` are looked for in ``root``.
    """
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise ConfigError(f"{root_path}: project folder does not exist")
    overrides = dict(overrides or {})
    mode = overrides.get("mode") or "development"
    env = ConfigEnv(mode=mode, command=command)

    path = Path(config_file).resolve() if config_file else None
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    if path is None and (root_path / CONFIG_FILE).is_file():
        path = root_path / CONFIG_FILE
    if path is None and (root_path / "pyproject.toml").is_file():
        path = root_path / "pyproject.toml"

    values: dict[str, Any] = {}
    if path is not None and path.suffix == ".py":
        values = _load_python(path, env)
    elif path is not None:
        values = _load_toml(path, explicit=config_file is not None)
        if not values and config_file is None:
            path = None

    settings: dict[str, Any] = {"root": root_path}
    key_lines = _key_lines(path) if values else {}
    for key, value in values.items():
        where = f"{path}:{key_lines.get(key, 1)}"
        if key == "root":
            value = Path(path.parent if path else root_path, value)
        settings[key] = _check_value(key, value, where=where)
    if settings.get("cache_dir") is not None and not settings["cache_dir"].is_absolute():
        base = path.parent if path else root_path
        settings["cache_dir"] = base / settings["cache_dir"]
    for key, value in overrides.items():
        if value is not None:
            if key == "server":
                value = _merge_server(settings.get("server"), value)
            settings[key] = _check_value(key, value, where=f"option --{key.replace('_', '-')}")
    config = _finish(Config(config_file=path, command=command, config_arg=config_file,
                            overrides=MappingProxyType(overrides), **settings))
    return _apply_plugin_hooks(config, env) if config.plugins else config


def _apply_plugin_hooks(config: Config, env: ConfigEnv) -> Config:
    """Plugins' ``config`` hooks (partial dicts merged deep, or the dict mutated), then
    ``config_resolved`` on the final ``Config``."""
    container = config.plugin_container
    if container.has("config"):
        settings = _user_settings(config)
        original = _user_settings(config)
        for partial in container.run_each("config", settings, env):
            if isinstance(partial, Mapping):
                _merge_deep(settings, partial)
        changed = {key: value for key, value in settings.items() if value != original.get(key)}
        if changed:
            names = ", ".join(container.names)
            try:
                config = config.with_overrides(**changed)
            except ConfigError as error:
                raise ConfigError(f"plugin config hook ({names}): {error}") from None
    container = config.plugin_container
    container.run_each("config_resolved", config)
    return config


def _user_settings(config: Config) -> dict[str, Any]:
    """The config as plain dicts and lists, the shape a ``config`` hook edits."""
    settings: dict[str, Any] = {}
    for item in fields(config):
        if item.name in _NOT_SETTINGS or item.name == "plugins":
            continue
        value = getattr(config, item.name)
        if isinstance(value, ServerConfig):
            value = asdict(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        settings[item.name] = value
    return settings


def _merge_deep(target: dict[str, Any], partial: Mapping[str, Any]) -> None:
    for key, value in partial.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_deep(target[key], value)
        else:
            target[key] = value


def _load_python(path: Path, env: ConfigEnv) -> dict[str, Any]:
    import runpy  # only for a project with a Python config file

    try:
        namespace = runpy.run_path(str(path), run_name="prebundle_config")
    except SyntaxError as error:
        raise ConfigError(f"{path}:{error.lineno}: syntax error: {error.msg}") from None
    except Exception as error:  # the user's code: report where it failed, in one line
        line = _error_line(error, path)
        raise ConfigError(f"{path}:{line}: {type(error).__name__}: {error}") from None
    value = namespace.get("config")
    if callable(value):
        try:
            value = value(env)
        except Exception as error:
            line = _error_line(error, path)
            raise ConfigError(f"{path}:{line}: config(env) raised {type(error).__name__}: {error}") from None
    if value is None:
        raise ConfigError(f"{path}:1: no `config` defined; add `config = define_config(...)`")
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{path}:{_assignment_line(path)}: config: expected define_config(...) or a dict, "
            f"got {type(value).__name__}"
        )
    return dict(value)


def _load_toml(path: Path, *, explicit: bool) -> dict[str, Any]:
    import tomllib  # only for a project whose config is TOML (pyproject.toml and the like)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        line = match.group(1) if match else "1"
        raise ConfigError(f"{path}:{line}: invalid TOML: {error}") from None
    if path.name == "pyproject.toml" or not explicit:
        data = data.get("tool", {}).get("prebundle", {})
    elif "tool" in data and "prebundle" in data["tool"]:
        data = data["tool"]["prebundle"]
    return {key.replace("-", "_"): value for key, value in data.items()}


def _error_line(error: BaseException, path: Path) -> int:
    """The innermost line of ``path`` in the traceback of ``error``."""
    import traceback  # the error paths only

    line = 1
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve() == path and frame.lineno:
            line = frame.lineno
    return line


def _assignment_line(path: Path) -> int:
    return _python_key_lines(path).get("<config>", 1)


def _python_key_lines(path: Path) -> dict[str, int]:
    """Line of each keyword in the file's ``define_config(...)``/dict literal; cheap AST walk."""
    import ast  # only for a Python config file

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg:
                    lines.setdefault(keyword.arg, keyword.lineno)
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    lines.setdefault(key.value, key.lineno)
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "config" for target in node.targets
        ):
            lines.setdefault("<config>", node.lineno)
    return lines


def _toml_key_lines(path: Path) -> dict[str, int]:
    """Line of each key of the ``[tool.prebundle]`` table (or of a top-level table)."""
    lines: dict[str, int] = {}
    section = ""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return lines
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]$", stripped)
        if header:
            section = header.group(1)
            continue
        match = re.match(r"^([A-Za-z0-9_-]+)\s*=", stripped)
        if match is None:
            continue
        if section in ("tool.prebundle", ""):
            key = match.group(1)
        elif section.startswith("tool.prebundle."):
            key = section.split(".")[2]
        else:
            continue
        lines.setdefault(key.replace("-", "_"), number)
    return lines


def _key_lines(path: Path | None) -> dict[str, int]:
    if path is None:
        return {}
    return _python_key_lines(path) if path.suffix == ".py" else _toml_key_lines(path)
