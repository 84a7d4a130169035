"""The Starlette example (FastAPI is the same): the TSX app of examples/demo, from one template in
development and production.

Development: run `prebundle daemon ../demo`, then `uvicorn app:app`. The page loads the app's
source from the daemon, which compiles it on request and reloads the page when a file changes.

Production: run `prebundle build ../demo`, then `PREBUNDLE_MODE=production uvicorn app:app`
(without the variable the build is used once no daemon runs). The page loads the build's hashed
files with SRI, served under /static/ by prebundle's ASGI app (immutable caching, ETag,
gzip/brotli); templates get the helpers through `setup_templates`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.templating import Jinja2Templates

from prebundle.integrations import Assets
from prebundle.integrations.asgi import AsgiDepsApp, setup_templates

HERE = Path(__file__).resolve().parent
ENTRY = "src/main.tsx"


def create_app(frontend: str | os.PathLike[str] | None = None, *, mode: str | None = None) -> Starlette:
    """The app over ``frontend`` (default: $PREBUNDLE_FRONTEND, else examples/demo); ``mode`` is
    Assets' (default: $PREBUNDLE_MODE; unset: the daemon while it runs, else the build)."""
    frontend = Path(frontend or os.environ.get("PREBUNDLE_FRONTEND") or HERE.parent / "demo")
    mode = mode or os.environ.get("PREBUNDLE_MODE") or None
    assets = Assets.for_project(frontend, base="/static/", mode=mode)
    templates = setup_templates(Jinja2Templates(directory=HERE / "templates"), assets)

    async def index(request: Request) -> Response:
        nonce = request.state.csp_nonce = secrets.token_hex(12)  # the tags pick it up
        # 'strict-dynamic': the modules the nonced tags load may import others
        csp = f"script-src 'nonce-{nonce}' 'strict-dynamic'; style-src 'self' 'nonce-{nonce}'"
        return templates.TemplateResponse(request, "index.html", headers={
            "Link": assets.link_header(ENTRY), "Content-Security-Policy": csp})

    return Starlette(routes=[
        Route("/", index),
        Mount("/static", app=AsgiDepsApp(assets)),  # the build's files (the deps dir while the daemon runs)
    ])


app = create_app()
