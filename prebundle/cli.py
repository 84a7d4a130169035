"""The ``prebundle`` console script: the fast path first (a warm ``scan --json`` or a no-op
``prebundle [ROOT]`` answered from stamps, ``fastpath.py``), then a plain ``prebundle build``
line (``build_command.py``) or ``prebundle [ROOT]`` line (``optimize_command.py``), else the
click commands (``commands.py``).

Nothing heavy is imported before the fast path has had its chance: click alone costs more than
a no-op answer, and neither a build nor a run of the plain default command needs it.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    from .fastpath import answer

    code = answer(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .build_command import run_build

    code = run_build(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .optimize_command import run_optimize

    code = run_optimize(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .commands import cli

    cli(prog_name="prebundle")


if __name__ == "__main__":  # pragma: no cover
    main()
