"""The Flask example: the TSX app of examples/demo, from one template in development and production.

Development: run `prebundle daemon ../demo`, then `flask --app app run`. The page loads the app's
source from the daemon, which compiles it on request and reloads the page when a file changes.

Production: run `prebundle build ../demo`, then `PREBUNDLE_MODE=production flask --app app run`
(without the variable the build is used once no daemon runs). The page loads the build's hashed
files with SRI, served under /static/ by the route `Prebundle(app)` adds (immutable caching, ETag,
gzip/brotli). `make demo` runs both at once.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, g, render_template

from prebundle.integrations.flask import Prebundle

HERE = Path(__file__).resolve().parent
ENTRY = "src/main.tsx"


def create_app(frontend: str | os.PathLike[str] | None = None, *, mode: str | None = None) -> Flask:
    """The app over ``frontend`` (default: $PREBUNDLE_FRONTEND, else examples/demo); ``mode`` is
    Assets' (default: $PREBUNDLE_MODE; unset: the daemon while it runs, else the build)."""
    frontend = Path(frontend or os.environ.get("PREBUNDLE_FRONTEND") or HERE.parent / "demo")
    mode = mode or os.environ.get("PREBUNDLE_MODE") or None
    app = Flask(__name__, root_path=str(HERE), static_folder=None)  # the build is served under /static/
    app.config["PREBUNDLE"] = {"root": frontend, "base": "/static/", "mode": mode}
    prebundle = Prebundle(app)

    @app.get("/")
    def index() -> Response:
        g.csp_nonce = secrets.token_hex(12)  # what a CSP extension would set; the tags pick it up
        response = app.make_response(render_template("index.html"))
        response.headers["Link"] = prebundle.link_header(ENTRY)
        # 'strict-dynamic': the modules the nonced tags load may import others
        response.headers["Content-Security-Policy"] = (
            f"script-src 'nonce-{g.csp_nonce}' 'strict-dynamic'; style-src 'self' 'nonce-{g.csp_nonce}'")
        return response

    return app


app = create_app()
