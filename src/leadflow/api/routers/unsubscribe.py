"""``/u/{token}``: the unsubscribe link of marketing e-mail (RFC 8058 one-click).

No API key: the token itself (see :mod:`leadflow.channels.unsubscribe`) says who it is for and
cannot be forged. ``GET`` only shows a confirmation page with a button, because link scanners
and previews fetch links without anyone asking: a GET changes nothing. ``POST`` unsubscribes at
once: with the body ``List-Unsubscribe=One-Click`` a mail client's one-click request (no cookies,
no page), with the page's own form the button. A token that does not verify gets a 404 page and
a WARNING log line that does not quote the token. The routes are not part of the OpenAPI
document: they serve people and mail clients, not API callers.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from leadflow.addresses import split_mailbox
from leadflow.api.deps import get_runtime
from leadflow.api.html_page import html_page
from leadflow.channels.email_optout import OptOut, record_opt_out
from leadflow.channels.email_render import ONE_CLICK
from leadflow.channels.email_setup import unsubscribe_tokens
from leadflow.channels.unsubscribe import BadToken, Subscriber
from leadflow.errors import LeadflowError
from leadflow.runtime import Runtime

log = logging.getLogger("leadflow.api.unsubscribe")
router = APIRouter(tags=["unsubscribe"], include_in_schema=False)

PAGE_FIELD = "confirm"
PAGE_VALUE = "unsubscribe"


def _page(title: str, paragraph: str, status: int = 200, form: str = "") -> HTMLResponse:
    content = f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(paragraph)}</p>\n{form}"
    return html_page(
        title, "font-family:sans-serif;max-width:32em;margin:3em auto", content, status
    )


def _refused() -> HTMLResponse:
    return _page(
        "Link not valid",
        "This unsubscribe link is not valid. Please use the link from the e-mail itself, "
        "or reply to the e-mail and ask to be removed.",
        404,
    )


def _sender_name(rt: Runtime) -> str:
    sender = rt.settings.email_from
    if not sender:
        return "us"
    name, address = split_mailbox(sender)
    return name or address


def _subscriber(rt: Runtime, token: str, method: str) -> Subscriber | None:
    tokens = unsubscribe_tokens(rt.settings)
    try:
        if tokens is None:
            raise BadToken("no unsubscribe secret is configured")
        who = tokens.read(token)
        if who.channel != "email":
            raise BadToken(f"the token is for channel {who.channel!r}")
    except (BadToken, LeadflowError) as exc:
        log.warning("unsubscribe %s refused: %s", method, exc)
        return None
    return who


def _apply(rt: Runtime, who: Subscriber, source: str, evidence: str) -> bool:
    """Opt the contact out; False when its token names a contact of another tenant."""
    store = rt.store
    contact = store.get_contact(who.contact_id)
    if contact is None:
        return True  # removed since: nothing left to send to
    if contact.tenant_id != who.tenant_id:
        log.warning("unsubscribe POST refused: the token's tenant is not the contact's")
        return False
    optout = OptOut(who.contact_id, source, evidence, who.message_id)
    record_opt_out(store, optout, rt.clock.now())
    return True


def _source(body: bytes) -> str | None:
    """Which form was posted: the one-click body, the confirmation page's, or neither."""
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if fields.get("List-Unsubscribe") == ["One-Click"]:
        return "list_unsubscribe_post"
    if fields.get(PAGE_FIELD) == [PAGE_VALUE]:
        return "unsubscribe_page"
    if b'name="List-Unsubscribe"' in body and b"One-Click" in body:  # multipart/form-data
        return "list_unsubscribe_post"
    return None


@router.get("/u/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    rt = get_runtime(request)
    if _subscriber(rt, token, "GET") is None:
        return _refused()
    form = (
        f'<form method="post" action="{html.escape(request.url.path, quote=True)}">'
        f'<input type="hidden" name="{PAGE_FIELD}" value="{PAGE_VALUE}">'
        '<button type="submit">Unsubscribe</button></form>\n'
    )
    return _page(
        "Unsubscribe",
        f"Stop receiving marketing e-mail from {_sender_name(rt)}? "
        "Press the button to unsubscribe.",
        form=form,
    )


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str) -> HTMLResponse:
    rt = get_runtime(request)
    body = await request.body()
    who = _subscriber(rt, token, "POST")
    if who is None:
        return _refused()
    source = _source(body)
    if source is None:
        return _page(
            "Nothing done",
            f"To unsubscribe, post the form body {ONE_CLICK} or use the button on this page.",
            400,
        )
    evidence = (
        f"one-click POST ({ONE_CLICK}) from a mail client"
        if source == "list_unsubscribe_post"
        else "unsubscribe button on the confirmation page"
    )
    if who.message_id is not None:
        evidence += f", link of message {who.message_id}"
    if not await run_in_threadpool(_apply, rt, who, source, evidence):
        return _refused()
    return _page(
        "You are unsubscribed",
        f"You will no longer receive marketing e-mail from {_sender_name(rt)}.",
    )
