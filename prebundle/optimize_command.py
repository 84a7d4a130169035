"""``prebundle [ROOT]``: the command's work, and its plain command lines run without click.

The fast path (``fastpath.py``) answers a plain line when nothing changed; when something did,
the full run follows. click and the module of click commands cost such a run more than 20 ms
and parse nothing a plain ``[optimize] [ROOT] [--log-level L] [--config F] [--force]`` needs:
such a line is parsed here (as the fast path parses it) and runs :func:`optimize_command`, the
function the click command calls, with the same error reporting (``cli_errors.reported``).
Anything else (``--mode``, ``--help``, a flag given twice, a value click would refuse or check,
shell completion) is left to click, which says what it always said.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from .optimizer import OptimizeResult

__all__ = ["optimize_command", "parse_optimize", "run_optimize"]

COMPLETE_VAR = "_PREBUNDLE_COMPLETE"
"""Set, it asks click for shell completion."""


def optimize_command(root: str, config_file: str | None, log_level: str | None, force: bool = False,
                     mode: str | None = None) -> None:
    """Scan, then pre-bundle the dependencies into the cache dir (the default command)."""
    from .config import load_config
    from .console import DelayedProgress, echo, print_optimize, setup_logging
    from .errors import DaemonServing
    from .fastpath import config_source
    from .fastpath_record import count_warnings, remember_optimize
    from .optimizer import optimize as run_optimize

    source = config_source(root, config_file) if mode is None else None  # before the config is read
    config = load_config(root, config_file=config_file, command="build", overrides={"log_level": log_level, "mode": mode})
    setup_logging(config.log_level)
    here = True
    warnings = count_warnings()
    try:
        with DelayedProgress("bundling packages", enabled=config.log_level in ("debug", "info")) as progress:
            result: OptimizeResult | None = run_optimize(
                config, force=force or None, on_progress=progress, trigger="cli", one_shot=True,
                on_wait=lambda pid: echo(f"waiting for another prebundle run (pid {pid}) to finish", err=True),
            )
    except DaemonServing as serving:
        from .commands import through_daemon  # a daemon serves the project: rare, click may load

        result = through_daemon(serving, config, force=force)
        here = result is None
        if result is None:  # the daemon stopped before it listened: nothing serves the output now
            result = run_optimize(config, force=force or None, trigger="cli", one_shot=True)
    finally:
        warnings.close()
    if config.log_level not in ("error", "silent"):
        print_optimize(result, config)
    if here:
        remember_optimize(source, config, log_level, result, warnings.count)


def parse_optimize(argv: list[str]) -> dict[str, str | bool | None] | None:
    """``optimize_command``'s arguments from a plain ``[optimize] [ROOT] [--log-level L]
    [--config F] [--force]`` line, as click would parse them; None for any other line."""
    from .fastpath import parse_plain

    if COMPLETE_VAR in os.environ:
        return None
    args = parse_plain(argv, force=True)
    if args is None or args.command not in (None, "optimize"):
        return None
    root = args.root or "."
    if not os.path.isdir(root):  # click says "is a file", or the config loader says it is missing
        return None
    if args.config_file is not None and (os.path.isdir(args.config_file) or args.config_file.startswith("-")):
        return None  # click says "is a directory", or reads an option where a value was wanted
    return {"root": root, "config_file": args.config_file, "log_level": args.log_level, "force": args.force}


def run_optimize(argv: list[str]) -> int | None:
    """Run a plain ``prebundle [ROOT]`` line (``cli_errors.run_plain``); its exit code, or None
    to leave the line to click."""
    values = parse_optimize(argv)
    if values is None:
        return None
    from .cli_errors import run_plain

    return run_plain(optimize_command, values)
