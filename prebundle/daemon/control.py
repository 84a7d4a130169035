"""Running an optimize through a running daemon, for a ``prebundle`` command beside it.

A command must not replace the output a daemon serves under it; instead it asks the daemon to
run (``POST /@prebundle/optimize``, ``{"force": bool}``) and waits for the answer. The request
carries the daemon's control token, which only the user running the daemon can read (see
``pidfile``), so a web page in the browser cannot trigger runs.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import PrebundleError
from .pidfile import DaemonInfo, read_token

__all__ = ["CONTROL_PATH", "TOKEN_HEADER", "optimize_through_daemon"]

CONTROL_PATH = "/@prebundle/optimize"
TOKEN_HEADER = "x-prebundle-token"
TIMEOUT_SECONDS = 900.0
"""How long a command waits for the daemon's run (a cold run of a big app takes seconds)."""


def optimize_through_daemon(info: DaemonInfo, cache_dir: Path, *, force: bool) -> dict[str, Any]:
    """Ask the daemon to optimize now and return its result (``OptimizeResult`` fields as JSON).
    Raises ``PrebundleError`` in one line when the daemon cannot be asked or its run fails."""
    token = read_token(cache_dir)
    if token is None:
        raise PrebundleError(f"{info.describe()} serves {cache_dir}, and its control token is not "
                             "readable by this user; stop the daemon to run prebundle here")
    request = urllib.request.Request(
        info.url + CONTROL_PATH, data=json.dumps({"force": force}).encode(), method="POST",
        headers={"content-type": "application/json", TOKEN_HEADER: token},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise PrebundleError(f"{info.describe()} refused the run: HTTP {error.code} "
                             f"{error.read(200).decode('utf-8', 'replace').strip()}") from None
    except (OSError, ValueError) as error:
        raise PrebundleError(f"{info.describe()} serves {cache_dir} but did not answer ({error}); "
                             "stop it, or wait until it is ready") from None
    if not answer.get("ok"):
        raise PrebundleError(answer.get("error") or "the daemon's run failed")
    return answer["result"]
