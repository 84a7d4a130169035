"""The ``prebundle`` command: parses flags into a ``Config`` and calls the public API. Nothing else."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .errors import PrebundleError

__all__ = ["main"]


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


def _fail(error: PrebundleError) -> None:
    for line in str(error).splitlines() or [type(error).__name__]:
        click.echo(f"error: {line}", err=True)
    sys.exit(1)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prebundle")
def cli() -> None:
    """Pre-bundle the npm packages a web app imports into browser ES modules."""


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
def scan(root: str, config_file: str | None, log_level: str | None, as_json: bool) -> None:
    """Crawl the sources from the entries and report the bare imports."""
    from .console import DelayedProgress, print_scan, setup_logging
    from .scanner import scan as run_scan

    try:
        config = _load(root, config_file, log_level=log_level)
        setup_logging(config.log_level)
        with DelayedProgress("scanning", enabled=not as_json) as progress:
            result = run_scan(config, on_progress=progress)
        if as_json:
            click.echo(json.dumps(result.to_json(), indent=2))
        else:
            print_scan(result)
        if result.missing:
            from .optimizer import missing_error

            raise missing_error(result)
    except PrebundleError as error:
        _fail(error)


@cli.command()
@common_options
@click.option("--force", is_flag=True, help="Re-bundle everything, ignoring the cache.")
@click.option("--mode", type=click.Choice(["development", "production"]), default=None,
              help="NODE_ENV of the bundles; production also minifies and hashes file names.")
def optimize(root: str, config_file: str | None, log_level: str | None, force: bool, mode: str | None) -> None:
    """Scan, then pre-bundle the dependencies into the cache dir (the default command)."""
    from .console import DelayedProgress, echo, print_optimize, setup_logging
    from .optimizer import optimize as run_optimize

    try:
        config = _load(root, config_file, log_level=log_level, mode=mode)
        setup_logging(config.log_level)
        with DelayedProgress("bundling packages") as progress:
            result = run_optimize(
                config, force=force, on_progress=progress,
                on_wait=lambda pid: echo(f"waiting for another prebundle run (pid {pid}) to finish", err=True),
            )
        if config.log_level not in ("error", "silent"):
            print_optimize(result, config)
    except PrebundleError as error:
        _fail(error)


@cli.command()
@common_options
@click.option("--port", type=int, default=None, help="Port to listen on (default 5174; 0 picks a free one).")
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in a browser once serving.")
def daemon(root: str, config_file: str | None, log_level: str | None, port: int | None, host: str | None,
           open_browser: bool) -> None:
    """Optimize, then watch the sources and re-optimize; serve the deps, the import map and reload events."""
    from .console import setup_logging
    from .daemon import serve

    try:
        config = _load(root, config_file, command="serve", log_level=log_level)
        server = {"host": host or config.server.host, "port": config.server.port if port is None else port}
        config = config.with_overrides(server=server)
        setup_logging(config.log_level)
        serve(config, config_file=config_file, overrides={"log_level": log_level, "server": server},
              open_browser=open_browser)
    except PrebundleError as error:
        _fail(error)


def main() -> None:
    cli(prog_name="prebundle")


if __name__ == "__main__":  # pragma: no cover
    main()
