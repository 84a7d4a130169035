"""Every benchmark runs in the project's ``.venv``: made (``pip install -e .``) if missing, then the
script re-executes itself with that Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["ensure_venv"]

ROOT = Path(__file__).resolve().parent.parent


def ensure_venv(script: str) -> None:
    """Run ``script`` (the caller's ``__file__``) in ``ROOT/.venv``, creating it if missing."""
    venv = ROOT / ".venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print("creating .venv (pip install -e .)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", str(ROOT)], check=True)
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(python), [str(python), str(Path(script).resolve()), *sys.argv[1:]])
