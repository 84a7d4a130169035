"""How a command's failure reaches the user: one line per problem and exit code 1, for every
command, whether click parsed its flags (``commands.py``) or not (``build_command.py``).

Imports nothing heavy (not click): the commands that run without click report through it too.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from typing import Any

from .console import echo
from .errors import PrebundleError

__all__ = ["fail", "reported", "run_plain", "unexpected"]


def fail(error: PrebundleError) -> None:
    """Say ``error``, one ``error:`` line per line of it, and exit 1."""
    for line in str(error).splitlines() or [type(error).__name__]:
        echo(f"error: {line}", err=True)
    sys.exit(1)


def reported(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command so that whatever goes wrong ends in one line per problem and exit code 1:
    prebundle's own errors as they are, a file that cannot be read or written with its path,
    anything else as an internal error. The traceback only with ``--log-level debug``."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PrebundleError as error:
            fail(error)
        except KeyboardInterrupt:
            echo("interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - the last line of defence for users
            if kwargs.get("log_level") == "debug":
                raise
            fail(PrebundleError(unexpected(error)))

    return run


def unexpected(error: Exception) -> str:
    """The line for an error that is not prebundle's own: the file and what to do about it for
    one that cannot be read or written, else an internal error to report."""
    if isinstance(error, OSError) and error.filename:
        action = {errno.EACCES: "check its permissions", errno.EPERM: "check its permissions",
                  errno.EROFS: "it is on a read-only file system", errno.ENOSPC: "free some disk space"}
        hint = action.get(error.errno or 0, "check the path")
        return (f"{error.filename}: {error.strerror or type(error).__name__} ({hint}; or set cache_dir "
                "in the config to a writable folder)")
    text = " ".join(str(error).split())
    return (f"internal error: {type(error).__name__}: {text} (run again with --log-level debug for the "
            "traceback, and please report it)")


def run_plain(command: Callable[..., Any], values: dict[str, Any]) -> int:
    """Run a plain command line read without click (``command(**values)``); its exit code. A
    failure exits as the click command's does (``reported``).

    Once the command is done the process only exits: ``gc.freeze()`` spares the interpreter's
    teardown its searches for reference cycles among everything the run loaded, most of what
    exiting costs. Exit handlers still run (the uploads and the packages being kept finish
    first) and modules are torn down as before; only cycles are left to the system, which takes
    their memory back with the process."""
    import gc

    reported(command)(**values)
    gc.freeze()
    return 0
