"""The Starlette example (FastAPI is the same): `uvicorn app:app` after `prebundle ../demo`.

The deps are mounted at the import map's base with prebundle's ASGI app (immutable caching,
ETag, gzip/brotli); templates get the helpers through `setup_templates`.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles as AppFiles
from starlette.templating import Jinja2Templates

from prebundle.integrations import Assets
from prebundle.integrations.asgi import StaticFiles, setup_templates

HERE = Path(__file__).resolve().parent
ENTRIES = ("react", "react-dom/client")


def create_app(frontend: str | os.PathLike[str] | None = None) -> Starlette:
    frontend = Path(frontend or os.environ.get("PREBUNDLE_FRONTEND", HERE.parent / "demo"))
    assets = Assets(frontend)
    templates = setup_templates(Jinja2Templates(directory=HERE / "templates"), assets)

    async def index(request):
        request.state.csp_nonce = os.urandom(12).hex()
        return templates.TemplateResponse(request, "index.html", {"entries": ENTRIES},
                                          headers={"Link": assets.link_header(*ENTRIES)})

    return Starlette(routes=[
        Route("/", index),
        Mount(assets.base.rstrip("/"), app=StaticFiles(assets)),
        Mount("/src", app=AppFiles(directory=frontend / "src")),
    ])


app = create_app()
