"""Running the user's npm for a JSON answer: its registry, proxy and auth apply. Every way it can
fail ends in one ``HealthError`` line saying what to do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..errors import PrebundleError

__all__ = ["HealthError", "NPM_LOCKFILES", "OTHER_LOCKFILES", "require_lockfile", "run_npm"]

NPM_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")
"""The lockfiles npm reads."""
OTHER_LOCKFILES = {"pnpm-lock.yaml": "pnpm", "yarn.lock": "yarn", "bun.lock": "bun", "bun.lockb": "bun"}
"""Other package managers' lockfiles, by the tool that writes them."""
NPM_TIMEOUT = 600.0
"""Seconds npm may take (a large tree against a slow registry)."""


class HealthError(PrebundleError):
    """npm is missing, the project lacks what npm needs, or npm could not answer."""


def require_lockfile(root: Path, command: str) -> Path:
    """The npm lockfile of ``root``; ``HealthError`` saying how to get one when it has none."""
    for name in NPM_LOCKFILES:
        if (root / name).is_file():
            return root / name
    for name, tool in OTHER_LOCKFILES.items():
        if (root / name).is_file():
            raise HealthError(f"{root}: no package-lock.json for `npm {command}` (this project has {name}); "
                              f"run `npm install --package-lock-only` there to write one beside it, or use `{tool} {command}`")
    raise HealthError(f"{root}: no package-lock.json for `npm {command}`; run `npm install` in the frontend folder")


def run_npm(root: Path, *args: str) -> Any:
    """``npm <args>`` in ``root`` (a ``--json`` command), parsed; ``HealthError`` when npm is not
    installed, cannot run, or answers with an error."""
    npm = shutil.which("npm")
    if npm is None:
        raise HealthError(f"npm is not on PATH: `prebundle {args[0]}` asks npm (install Node.js, which brings npm)")
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"}
    try:
        done = subprocess.run([npm, *args], cwd=root, env=env, capture_output=True, text=True, timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise HealthError(f"`npm {' '.join(args)}` did not answer within {NPM_TIMEOUT:.0f} s in {root}; "
                          "check the registry settings (`npm config get registry`)") from None
    except OSError as error:
        raise HealthError(f"{npm}: cannot run npm ({error.strerror or error}); check the Node.js install") from None
    try:
        data = json.loads(done.stdout) if done.stdout.strip() else {}
    except ValueError:
        data = None
    problem = _error_of(data) if data is not None else None
    if data is None or problem is not None:
        reason = problem or _last_line(done.stderr) or f"exit status {done.returncode}, no JSON"
        raise HealthError(f"`npm {' '.join(args)}` failed in {root}: {reason}")
    return data


def _error_of(data: Any) -> str | None:
    """npm's own error, as its ``--json`` output reports one (``error``, or ``message`` with a status)."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        summary = " ".join(str(error.get("summary") or error.get("code") or "").split())
        detail = " ".join(str(error.get("detail") or "").split())
        message = " ".join(str(data.get("message") or "").split())
        text = summary or message or "npm reported an error"
        if "statusCode" in data and message and message not in text:
            text = message
        status = data.get("statusCode")
        if status == 405 or "405" in text:
            return (f"{text} (the registry npm uses does not offer npm's audit endpoint; point npm at a registry "
                    "that does with `npm config set registry <url>`, or run `npm audit --json` where one is "
                    "reachable and pass its output with --report)")
        return f"{text}{'; ' + detail if detail and detail not in text else ''}"
    if "statusCode" in data and "message" in data:
        return " ".join(str(data["message"]).split())
    return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
