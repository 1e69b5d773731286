"""The web app (designer and dashboard) served from the installed package at ``/``.

The bundle is built from ``web/`` by ``make ui`` into ``leadflow/webui/`` and committed, so a
server needs no Node and fetches nothing from the internet. The app routes in the URL's
fragment (``/#/designer``), so the server has one page and its hashed assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

BUNDLE = Path(__file__).resolve().parent.parent / "webui"
# The app's own scripts and styles only; the API is same-origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def install(app: FastAPI, bundle: Path = BUNDLE) -> None:
    """``/`` (the page) and ``/assets`` (its scripts and styles), when the bundle is there."""
    index = bundle / "index.html"
    if not index.is_file():
        return
    app.mount("/assets", StaticFiles(directory=bundle / "assets"), name="webapp-assets")

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(
            index.read_text(encoding="utf-8"),
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )


__all__ = ["BUNDLE", "install"]
