"""The plain HTML pages served to people rather than API callers (the booking page, the
unsubscribe confirmation): one document shape, never cached, no referrer sent on."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def html_page(title: str, style: str, content: str, status: int = 200) -> HTMLResponse:
    """A small, accessible HTML document titled ``title`` (escaped here); ``content`` is the
    body's markup as given, ``style`` the body's inline style."""
    text = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="{style}">\n{content}</body></html>\n'
    )
    return HTMLResponse(text, status_code=status, headers=NO_STORE)
