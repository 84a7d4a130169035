"""The Flask example: `flask --app app run` after `prebundle ../demo`.

The page renders the React app of examples/demo; its npm packages come from prebundle's deps,
served by the route `Prebundle(app)` adds (immutable caching, ETag, gzip/brotli).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, render_template

from prebundle.integrations.flask import Prebundle

HERE = Path(__file__).resolve().parent


def create_app(frontend: str | os.PathLike[str] | None = None) -> Flask:
    frontend = Path(frontend or os.environ.get("PREBUNDLE_FRONTEND", HERE.parent / "demo"))
    app = Flask(__name__, root_path=str(HERE), static_folder=str(frontend / "src"), static_url_path="/src")
    app.config["PREBUNDLE"] = {"root": frontend}
    prebundle = Prebundle(app)

    @app.get("/")
    def index():
        g.csp_nonce = os.urandom(12).hex()  # what a CSP extension would set; the tags pick it up
        response = app.make_response(render_template("index.html", entries=("react", "react-dom/client")))
        response.headers["Link"] = prebundle.link_header("react", "react-dom/client")
        response.headers["Content-Security-Policy"] = (
            f"script-src 'nonce-{g.csp_nonce}'; style-src 'self' 'nonce-{g.csp_nonce}'")
        return response

    return app


app = create_app()
