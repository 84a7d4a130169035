"""The ``prebundle`` commands (click): parse flags into a ``Config`` and call the public API.

The console script's entry, with the fast path tried first, is ``cli.py``. After a good run the
``scan`` and ``optimize`` commands leave a memo for that fast path (``fastpath.py``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from . import __version__
from .cli_errors import reported
from .errors import DaemonServing, PrebundleError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from .config import Config

__all__ = ["cli"]


class DefaultGroup(click.Group):
    """``prebundle [ROOT]`` means ``prebundle optimize [ROOT]`` once that command exists."""

    default_command = "optimize"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((arg for arg in args if not arg.startswith("-")), None)
        wants_help = any(arg in ("--help", "-h", "--version") for arg in args) and first is None
        if self.default_command in self.commands and not wants_help and first not in self.commands:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``ROOT``, ``--config`` and ``--log-level``: accepted by every command."""
    func = click.option(
        "--log-level",
        type=click.Choice(["debug", "info", "warning", "error", "silent"]),
        default=None,
        help="How much to print (default: info).",
    )(func)
    func = click.option(
        "--config", "config_file", type=click.Path(dir_okay=False), default=None,
        help="Config file (default: prebundle.config.py, else [tool.prebundle] in pyproject.toml).",
    )(func)
    func = click.argument("root", type=click.Path(file_okay=False), default=".", required=False)(func)
    return func


def _load(root: str, config_file: str | None, command: str = "build", **overrides: Any):
    from .config import load_config

    return load_config(root, config_file=config_file, command=command, overrides=overrides)




@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prebundle")
def cli() -> None:
    """Pre-bundle the npm packages a web app imports into browser ES modules."""


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
@reported
def scan(root: str, config_file: str | None, log_level: str | None, as_json: bool) -> None:
    """Crawl the sources from the entries and report the bare imports."""
    from .console import DelayedProgress, print_scan, setup_logging
    from .fastpath import config_source
    from .fastpath_record import remember_scan
    from .scanner import scan as run_scan

    source = config_source(root, config_file)  # before the config is read: the memo keys on it
    config = _load(root, config_file, log_level=log_level)
    setup_logging(config.log_level)
    with _build_hooks(config), DelayedProgress("scanning", enabled=not as_json) as progress:
        result = run_scan(config, on_progress=progress)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        print_scan(result)
    if result.missing:
        from .optimizer import missing_error

        raise missing_error(result)
    remember_scan(source, config, log_level)


@cli.command()
@common_options
@click.option("--force", is_flag=True, help="Re-bundle everything, ignoring the cache.")
@click.option("--mode", type=click.Choice(["development", "production"]), default=None,
              help="NODE_ENV of the bundles; production also minifies and hashes file names.")
@reported
def optimize(root: str, config_file: str | None, log_level: str | None, force: bool, mode: str | None) -> None:
    """Scan, then pre-bundle the dependencies into the cache dir (the default command)."""
    from .optimize_command import optimize_command

    optimize_command(root, config_file, log_level, force, mode)


def _build_hooks(config: Config) -> AbstractContextManager[None]:
    """The plugins' ``build_start`` ... ``close_bundle`` around a scan (``optimize()`` runs its own)."""
    if not config.plugins:
        return nullcontext()  # no plugin machinery (asyncio) for a scan without plugins
    from .plugins.lifecycle import build_hooks

    return build_hooks(config)


def through_daemon(serving: DaemonServing, config: Config, *, force: bool):
    """A daemon serves this project: its run replaces its output, never ours under it. A run in
    another mode than the daemon's would change what it serves, so that is refused. None when
    the daemon went away before it listened."""
    from .console import echo
    from .daemon.control import optimize_through_daemon
    from .optimizer import OptimizeResult

    info = serving.info
    if info.mode != config.mode:
        raise PrebundleError(
            f"{info.describe()} serves {serving.cache_dir} in {info.mode} mode; stop it before a "
            f"{config.mode} run here, or give the {config.mode} run another cache_dir")
    info = _listening(serving)
    if info is None:
        return None
    echo(f"{info.describe()} serves this project: running through it", err=True)
    return OptimizeResult.from_json(optimize_through_daemon(info, serving.cache_dir, force=force))


DAEMON_START_SECONDS = 20.0
"""How long a command waits for a daemon that has claimed the project to listen."""


def _listening(serving: DaemonServing):
    """The daemon's info once it accepts connections, re-reading its pid file: a starting daemon
    writes the file before it binds its port (with ``--port 0`` before it knows the port). None
    when the daemon is gone; after ``DAEMON_START_SECONDS`` the last info (the request then says
    why it fails)."""
    import socket  # only a command that meets a daemon connects to one

    from .daemon.pidfile import read_daemon

    info = serving.info
    deadline = time.monotonic() + DAEMON_START_SECONDS
    while True:
        address = urlsplit(info.url)
        if info.port and address.hostname:
            try:
                with socket.create_connection((address.hostname, address.port or info.port), timeout=1):
                    return info
            except OSError:
                pass
        if time.monotonic() > deadline:
            return info
        time.sleep(0.05)
        current = read_daemon(serving.cache_dir)
        if current is None:
            return None
        info = current


@cli.command()
@common_options
@click.option("--port", type=int, default=None, help="Port to listen on (default 5174; 0 picks a free one).")
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in a browser once serving.")
@reported
def daemon(root: str, config_file: str | None, log_level: str | None, port: int | None, host: str | None,
           open_browser: bool) -> None:
    """Optimize, then watch the sources and re-optimize; serve the deps, the import map and reload events."""
    from .console import setup_logging
    from .daemon import serve

    config = _load(root, config_file, command="serve", log_level=log_level)
    server = {"host": host or config.server.host, "port": config.server.port if port is None else port}
    config = config.with_overrides(server=server)
    # --host/--port stay on a reload of the config file, like the other flags
    config = replace(config, overrides=MappingProxyType({**config.overrides, "server": server}),
                     open_browser=open_browser)
    setup_logging(config.log_level)
    serve(config)


@cli.command()
@common_options
@click.option("--out-dir", default=None, help="Output folder, relative to ROOT (default: the config's out_dir, dist).")
@reported
def build(root: str, config_file: str | None, log_level: str | None, out_dir: str | None) -> None:
    """Bundle the app's own code for production (hashed names, a Vite-shaped manifest) with its deps."""
    from .build_command import build_command  # a plain command line runs it without click (cli.py)

    build_command(root, config_file, log_level, out_dir)


@cli.command("ls")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the inventory as JSON.")
@click.option("--mode", type=click.Choice(["development", "production"]), default=None,
              help="The mode of the output to read (default: the config's).")
@reported
def ls(root: str, config_file: str | None, log_level: str | None, as_json: bool, mode: str | None) -> None:
    """List what reaches the browser: each optimized package, its ids, files and sizes."""
    from .console import print_inventory, setup_logging
    from .inventory import read_inventory

    config = _load(root, config_file, log_level=log_level, mode=mode)
    setup_logging(config.log_level)
    inventory = read_inventory(config)
    if as_json:
        click.echo(json.dumps(inventory.to_json(), indent=2))
    else:
        print_inventory(inventory)


@cli.command()
@click.argument("package")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--mode", type=click.Choice(["development", "production"]), default=None,
              help="The mode of the output to read (default: the config's).")
@reported
def why(package: str, root: str, config_file: str | None, log_level: str | None, as_json: bool,
        mode: str | None) -> None:
    """Show the chains of imports that bring PACKAGE (a name or an id) into the browser."""
    from .console import echo, not_in_browser, print_why, setup_logging
    from .inventory import read_inventory
    from .resolve import Resolver
    from .why import why as explain

    config = _load(root, config_file, log_level=log_level, mode=mode)
    setup_logging(config.log_level)
    resolver = Resolver.for_config(config)
    answer = explain(read_inventory(config, resolver=resolver), package, config, resolver)
    if as_json:
        click.echo(json.dumps(answer.to_json(), indent=2))
    elif answer.reaches:
        print_why(answer)
    else:
        echo(not_in_browser(answer))
    if not answer.reaches:
        sys.exit(1)


@cli.command()
@common_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="The HTML file to write (default: prebundle-report.html in the cache dir).")
@click.option("--mode", type=click.Choice(["development", "production"]), default=None,
              help="The mode of the output to read (default: the config's).")
@reported
def report(root: str, config_file: str | None, log_level: str | None, output: str | None, mode: str | None) -> None:
    """Write the dashboard (packages, sizes, imports, runs) as one HTML file that opens from disk."""
    from pathlib import Path

    from .console import echo, setup_logging
    from .dashboard.report import write_report

    config = _load(root, config_file, log_level=log_level, mode=mode)
    setup_logging(config.log_level)
    path = write_report(config, Path(output).absolute() if output else None)
    if config.log_level not in ("error", "silent"):
        echo(f"wrote {path} (open {path.as_uri()})")


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
@click.option("--fail-on-outdated", is_flag=True, help="Exit 1 when a package that reaches the browser is outdated.")
@reported
def outdated(root: str, config_file: str | None, log_level: str | None, as_json: bool,
             fail_on_outdated: bool) -> None:
    """npm outdated, for the packages that reach the browser (exit 0, or 1 with --fail-on-outdated)."""
    from .console import setup_logging
    from .health import outdated as run_outdated
    from .health.tables import print_outdated

    config = _load(root, config_file, log_level=log_level)
    setup_logging(config.log_level)
    report = run_outdated(config)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        print_outdated(report)
    if fail_on_outdated and report.packages:
        sys.exit(1)


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
@click.option("--fail-on", type=click.Choice(["low", "moderate", "high", "critical", "none"]), default="high",
              show_default=True, help="Exit 1 when an advisory this severe or worse affects a browser package.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False), default=None,
              help="Read `npm audit --json` output saved in this file instead of running npm.")
@reported
def audit(root: str, config_file: str | None, log_level: str | None, as_json: bool, fail_on: str,
          report_file: str | None) -> None:
    """npm audit, for the packages that reach the browser; exit 1 at --fail-on severity."""
    from .console import setup_logging
    from .health import audit as run_audit
    from .health.tables import print_audit

    config = _load(root, config_file, log_level=log_level)
    setup_logging(config.log_level)
    report = run_audit(config, report=report_file)
    if as_json:
        click.echo(json.dumps(report.to_json(fail_on), indent=2))
    else:
        print_audit(report, fail_on)
    if report.fails(fail_on):
        sys.exit(1)


@cli.command()
@click.argument("root", type=click.Path(file_okay=False), default=".", required=False)
@click.option("--framework", type=click.Choice(["django", "flask", "fastapi", "starlette", "html"]), default=None,
              help="The framework, when the guess from the project's files is wrong.")
@reported
def init(root: str, framework: str | None) -> None:
    """Write prebundle's config for ROOT (never over one) and print what to add for its framework."""
    from pathlib import Path

    from .console import echo
    from .init import init as run_init
    from .init import instructions

    result = run_init(root, framework=framework)
    for line in instructions(result, Path(root).resolve()):
        echo(line)


class _EsbuildGroup(DefaultGroup):
    """``prebundle esbuild [ROOT]`` means ``prebundle esbuild show [ROOT]``."""

    default_command = "show"


@cli.group("esbuild", cls=_EsbuildGroup)
def esbuild_group() -> None:
    """Show which esbuild binary prebundle runs, or fetch the pinned one ahead of time."""


@esbuild_group.command("show")
@common_options
@reported
def esbuild_show(root: str, config_file: str | None, log_level: str | None) -> None:
    """Print the esbuild binary used for ROOT, its version and origin (fetching it if needed)."""
    from . import esbuild
    from .console import echo, setup_logging

    config = _load(root, config_file, log_level=log_level)
    setup_logging(config.log_level)
    found = esbuild.find_esbuild(config.root)
    echo(f"binary:  {found.path}")
    echo(f"version: {found.version} (pinned: {esbuild.PINNED_VERSION})")
    echo(f"origin:  {found.origin}")


@esbuild_group.command("install")
@common_options
@reported
def esbuild_install(root: str, config_file: str | None, log_level: str | None) -> None:
    """Fetch the pinned esbuild into the machine-wide cache now (Docker images, offline CI) and
    print its path. Uses ROOT's npm settings; ignores PREBUNDLE_ESBUILD_DOWNLOAD."""
    from . import esbuild
    from .console import echo, setup_logging

    config = _load(root, config_file, log_level=log_level)
    setup_logging(config.log_level)
    found = esbuild.install_pinned(config.root)
    if found.origin == "cache" and config.log_level not in ("warning", "error", "silent"):
        echo(f"esbuild {esbuild.PINNED_VERSION} is already in the machine-wide cache", err=True)
    echo(str(found.path))


class _CacheGroup(DefaultGroup):
    """``prebundle cache`` means ``prebundle cache info``."""

    default_command = "info"


@cli.group("cache", cls=_CacheGroup)
def cache_group() -> None:
    """Show the machine-wide cache's size, or prune it (least recently used first)."""


class _Size(click.ParamType):
    """A size: 2G, 500M, 1.5GB, 750MiB, 1024 (bytes); any case, powers of 1024."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        from .cache_housekeeping import parse_size

        try:
            return parse_size(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def _cache_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` and ``--log-level``: the cache is the machine's, so no ROOT and no config."""
    func = click.option(
        "--log-level", type=click.Choice(["debug", "info", "warning", "error", "silent"]), default=None,
        help="How much to print (default: info).",
    )(func)
    return click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")(func)


def _cache_folder(as_json: bool, log_level: str | None):
    """The machine-wide cache folder; None (said) when the package cache is off."""
    from .console import echo, setup_logging
    from .machine_cache import package_cache_dir

    setup_logging(log_level or "info")
    base = package_cache_dir()
    if base is None:
        if as_json:
            click.echo(json.dumps({"enabled": False, "folder": None}, indent=2))
        else:
            echo("the machine-wide package cache is off (PREBUNDLE_CACHE_DIR=off)")
    return base


@cache_group.command("info")
@_cache_options
@reported
def cache_info(as_json: bool, log_level: str | None) -> None:
    """Print the cache's folder, its size by kind, its limit and leftovers.

    Kinds: built packages, interop answers, compressed copies, esbuild. The limit is
    PREBUNDLE_CACHE_MAX_SIZE (default 10G, off for none), applied once a day after a run."""
    base = _cache_folder(as_json, log_level)
    if base is None:
        return
    from .cache_housekeeping import size_limit
    from .cache_usage import usage
    from .console import echo

    limit = size_limit()
    if limit.problem is not None:
        echo(f"warning: {limit.problem}; the limit is the default", err=True)
    found = usage(base)
    if as_json:
        click.echo(json.dumps({"enabled": True, **found.to_json(), "limit": limit.to_json()}, indent=2))
        return
    for line in found.describe(limit.describe()):
        echo(line)


@cache_group.command("prune")
@click.option("--max-size", type=_Size(), default=None,
              help="Remove the least recently used entries until the cache is this big at most: 2G, 500M, "
                   "1.5GB, 750MiB, 1024 (bytes; powers of 1024). Default: PREBUNDLE_CACHE_MAX_SIZE, else 10G.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@_cache_options
@reported
def cache_prune(max_size: int | None, dry_run: bool, as_json: bool, log_level: str | None) -> None:
    """Remove the least recently used entries down to a size.

    Built packages, interop answers and compressed copies go, least recently used first, and
    what killed writers left behind; entries used in the last 70 minutes and the esbuild
    binaries stay."""
    base = _cache_folder(as_json, log_level)
    if base is None:
        return
    from .cache_housekeeping import prune, size_limit
    from .console import echo

    if max_size is None:
        limit = size_limit()
        if limit.problem is not None:
            echo(f"warning: {limit.problem}; the limit is the default", err=True)
        max_size = limit.max_size
    try:
        result = prune(base, max_size, dry_run=dry_run)
    except OSError as error:
        raise PrebundleError(f"cannot prune {base}: {error.strerror or error} (check its permissions, or set "
                             "PREBUNDLE_CACHE_DIR to another folder)") from None
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    for line in result.describe():
        echo(line)
