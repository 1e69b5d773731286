"""Interactive API docs served from the installed package, never from a CDN: leadflow runs
behind firewalls, so /docs must work with no internet access (browser included)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/docs/static"


def install(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    app.mount(STATIC, StaticFiles(directory=Path(str(swagger_ui_path))), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )


__all__ = ["install"]
