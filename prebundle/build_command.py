"""``prebundle build``: the command's work, and its plain command lines run without click.

click and the module of click commands cost a build's start more than its app bundle does, and
parse nothing a plain ``build [ROOT] [--out-dir D] [--log-level L] [--config F]`` needs. Such a
line is parsed here and runs :func:`build_command`, the same function the click command calls,
with the same error reporting (``cli_errors.reported``); anything else (``--help``, a flag
given twice, a value click would refuse or check, shell completion) is left to click, which
says what it always said.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__all__ = ["build_command", "parse_build", "run_build"]

LOG_LEVELS = ("debug", "info", "warning", "error", "silent")
"""``--log-level``'s choices, as the click command lists them."""
_OPTIONS = {"--out-dir": "out_dir", "--log-level": "log_level", "--config": "config_file"}
"""The options of a plain command line, each taking one value."""
COMPLETE_VAR = "_PREBUNDLE_COMPLETE"
"""Set, it asks click for shell completion."""


def build_command(root: str, config_file: str | None, log_level: str | None, out_dir: str | None) -> None:
    """Bundle the app's own code for production (hashed names, a Vite-shaped manifest) with its deps."""
    from .app.build import build_app
    from .app.build_report import build_lines
    from .config import load_config
    from .console import DelayedProgress, echo, setup_logging

    overrides: dict[str, Any] = {"log_level": log_level}
    if out_dir is not None:
        overrides["out_dir"] = out_dir
    config = load_config(root, config_file=config_file, command="build", overrides=overrides)
    setup_logging(config.log_level)
    with DelayedProgress("bundling packages") as progress:
        result = build_app(config, on_progress=progress)
    if config.log_level not in ("warning", "error", "silent"):
        for line in build_lines(result, config.root):
            echo(line)


def parse_build(argv: list[str]) -> dict[str, str | None] | None:
    """``build_command``'s arguments from a plain ``build`` command line, as click would parse
    them; None for any other line."""
    if not argv or argv[0] != "build" or COMPLETE_VAR in os.environ:
        return None
    values: dict[str, str | None] = {"root": None, "config_file": None, "log_level": None, "out_dir": None}
    tokens = argv[1:]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name, has_value, value = token.partition("=")
        key = _OPTIONS.get(name)
        if key is not None:
            if not has_value:
                if i + 1 >= len(tokens):
                    return None
                i += 1
                value = tokens[i]
            if values[key] is not None or not value or value.startswith("-"):
                return None
            values[key] = value
        elif token.startswith("-") or not token or values["root"] is not None:
            return None  # --help, --, an unknown option, a second ROOT
        else:
            values["root"] = token
        i += 1
    if values["log_level"] is not None and values["log_level"] not in LOG_LEVELS:
        return None
    root = values["root"] = values["root"] or "."
    if not os.path.isdir(root):  # click says "is a file", or the config loader says it is missing
        return None
    if values["config_file"] is not None and os.path.isdir(values["config_file"]):
        return None  # click says "is a directory"
    return values


def run_build(argv: list[str]) -> int | None:
    """Run a plain ``build`` command line (``cli_errors.run_plain``); its exit code, or None to
    leave the line to click."""
    values = parse_build(argv)
    if values is None:
        return None
    from .cli_errors import run_plain

    return run_plain(build_command, values)
