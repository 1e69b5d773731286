"""``/book/{token}``: an agent's booking page for one lead, plain accessible HTML that works
without JavaScript (every action is a form); ``/book/feed/{token}.ics``: the agent's private
calendar feed. No API key: the signed link is the credential (see
:mod:`leadflow.playbooks.booking`); an invalid link is a 404 page that says nothing more."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from leadflow.access import booking as service
from leadflow.api.deps import get_runtime
from leadflow.api.html_page import NO_STORE, html_page
from leadflow.errors import Conflict, InvalidInput, NotFound
from leadflow.playbooks.booking import shown
from leadflow.runtime import Runtime

router = APIRouter(tags=["booking"], include_in_schema=False)
MAX_FORM = 2048
T = TypeVar("T")


_STYLE = "font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.5"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return html_page(title, _STYLE, f"<main><h1>{html.escape(title)}</h1>\n{body}</main>", status)


def _invalid() -> HTMLResponse:
    return _page("Link not valid", "<p>This booking link is not valid.</p>", 404)


def _button(action: str, label: str, fields: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">'
        for k, v in fields.items()
    )
    return (
        f'<form method="post" action="{html.escape(action, quote=True)}" style="display:inline">'
        f'{hidden}<button type="submit">{html.escape(label)}</button></form>'
    )


def _render(
    request: Request, found: service.Page, note: str = "", status: int = 200
) -> HTMLResponse:
    path = request.url.path
    zone_name = found.contact.time_zone
    agent = " ".join(x for x in (found.agent.first_name, found.agent.last_name) if x)
    agent = agent or found.agent.member_key
    parts = [f"<p>{html.escape(note)}</p>"] if note else []
    reschedule = request.query_params.get("reschedule")
    if found.appointments:
        parts.append("<h2>Your appointments</h2><ul>")
        for a in found.appointments:
            parts.append(
                f"<li>{html.escape(shown(a.starts_at, zone_name))} "
                + _button(f"{path}/cancel", "Cancel", {"appointment": str(a.id)})
                + f' <a href="{html.escape(path, quote=True)}?reschedule={a.id}">Reschedule</a>'
                + "</li>"
            )
        parts.append("</ul>")
    tz = ZoneInfo(zone_name) if zone_name else None
    by_day: dict[str, list[float]] = defaultdict(list)
    for at in found.slots:
        by_day[datetime.fromtimestamp(at, tz).strftime("%A %-d %B")].append(at)
    heading = "Pick a new time" if reschedule else "Pick a time"
    parts.append(f"<h2>{heading}</h2>")
    if not by_day:
        parts.append("<p>No free time in the next two weeks. Please reply to the message.</p>")
    for day, starts in by_day.items():
        parts.append(f"<h3>{html.escape(day)}</h3><p>")
        for at in starts:
            fields = {"start": str(int(at))}
            if reschedule and reschedule.isdigit():
                fields["replaces"] = reschedule
            label = datetime.fromtimestamp(at, tz).strftime("%H:%M")
            parts.append(_button(path, label, fields) + " ")
        parts.append("</p>")
    zone_label = zone_name or "UTC"
    intro = f"<p>Times are shown in your time zone ({html.escape(zone_label)}).</p>"
    return _page(f"Book a time with {agent}", intro + "\n".join(parts), status)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


async def _by_link(
    rt: Runtime, token: str, now: float, read: Callable[[Runtime, str, float], T]
) -> T | None:
    """``read(rt, token, now)`` off the event loop; None when the link is not valid."""
    try:
        return await run_in_threadpool(read, rt, token, now)
    except NotFound:
        return None


@router.get("/book/feed/{token}.ics")
async def calendar_feed(request: Request, token: str) -> Response:
    rt = get_runtime(request)
    text = await _by_link(rt, token, rt.clock.now(), service.agent_feed)
    if text is None:
        return _invalid()
    return Response(text, media_type="text/calendar; charset=utf-8", headers=NO_STORE)


@router.get("/book/{token}", response_class=HTMLResponse)
async def booking_page(request: Request, token: str) -> HTMLResponse:
    rt = get_runtime(request)
    found = await _by_link(rt, token, rt.clock.now(), service.page)
    return _invalid() if found is None else _render(request, found)


@router.post("/book/{token}", response_class=HTMLResponse)
async def book_slot(request: Request, token: str) -> HTMLResponse:
    rt = get_runtime(request)
    form = await _form(request)
    start, replaces = form.get("start", ""), form.get("replaces")
    now = rt.clock.now()
    try:
        if not start.isdigit() or (replaces is not None and not replaces.isdigit()):
            raise InvalidInput("start: pick one of the times on the page")
        made = await run_in_threadpool(
            service.book, rt, token, float(start), now, int(replaces) if replaces else None
        )
        found = await run_in_threadpool(service.page, rt, token, now)
    except NotFound:
        return _invalid()
    except (Conflict, InvalidInput) as exc:
        again = await _by_link(rt, token, now, service.page)
        if again is None:
            return _invalid()
        status = 409 if isinstance(exc, Conflict) else 422
        return _render(request, again, f"Not booked: {exc.message}", status)
    note = f"Booked: {shown(made.starts_at, found.contact.time_zone)}. An invitation is on its way."
    return _render(request, found, note)


@router.post("/book/{token}/cancel", response_class=HTMLResponse)
async def cancel_slot(request: Request, token: str) -> HTMLResponse:
    rt = get_runtime(request)
    form = await _form(request)
    ident = form.get("appointment", "")
    now = rt.clock.now()
    try:
        if not ident.isdigit():
            raise NotFound("no appointment")
        gone = await run_in_threadpool(service.cancel, rt, token, int(ident), now)
        found = await run_in_threadpool(service.page, rt, token, now)
    except NotFound:
        return _invalid()
    return _render(request, found, f"Cancelled: {shown(gone.starts_at, found.contact.time_zone)}.")
