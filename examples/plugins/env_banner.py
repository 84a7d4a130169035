"""Example plugin 3: a dev-only banner and health route for the daemon.

``transform_index_html`` adds a banner to every page the daemon serves, and
``configure_server`` adds a ``/__health`` route answering with the daemon's state.
"""

from prebundle import Plugin


def env_banner(text: str = "development build"):
    def transform_index_html(html: str, ctx):
        return [
            {"tag": "meta", "attrs": {"name": "x-env", "content": text}, "inject_to": "head-prepend"},
            {"tag": "div", "attrs": {"id": "env-banner", "style": "background:#fde68a;padding:4px"},
             "children": text, "inject_to": "body-prepend"},
        ]

    def configure_server(server):
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def health(request):
            return JSONResponse({"ok": True, "plugin": "env-banner"})

        server.app.router.routes.insert(0, Route("/__health", health))

    return Plugin("env-banner", apply="serve", transform_index_html=transform_index_html,
                  configure_server=configure_server)
