"""An outbound e-mail from an outbox :class:`~leadflow.model.records.Message`.

The message's ``body`` is the text version and ``payload["html"]`` the optional HTML version;
each is made from the other when missing (the text by reading the HTML's text content with
:mod:`html.parser`, the HTML by escaping the text). Every e-mail gets its own ``Message-ID`` in
the sender's domain, deterministic per outbox message (:mod:`leadflow.channels.email_ids`), so
replies and bounces can be matched to the send.

Marketing e-mail (``payload["marketing"]``, true unless said otherwise) also carries, in both
parts, the sender's postal address and an unsubscribe link, and the RFC 8058 headers
``List-Unsubscribe`` (the link, then a ``mailto:`` when one is configured) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. A marketing e-mail that cannot carry
them (no postal address, no public URL, no unsubscribe secret) is refused, never sent without.
Transactional e-mail carries none of them. A recipient or subject with a line break is refused,
so no header can be smuggled in.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html.parser import HTMLParser

from leadflow.addresses import (
    domain_of,
    header_address,
    refuse_line_breaks,
    split_mailbox,
)
from leadflow.channels.email_ids import outgoing_message_id
from leadflow.channels.unsubscribe import Subscriber, UnsubscribeTokens
from leadflow.errors import ProviderError
from leadflow.model.records import Message

ONE_CLICK = "List-Unsubscribe=One-Click"
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"}
)
_HIDDEN = frozenset({"script", "style", "head", "title"})


class EmailRefused(ProviderError):
    """This e-mail cannot be sent as it is (trying again will not help)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass(slots=True, frozen=True)
class EmailIdentity:
    """Who sends, and what marketing e-mail must carry."""

    from_addr: str
    postal_address: str | None = None
    public_url: str | None = None
    unsubscribe_mailto: str | None = None
    tokens: UnsubscribeTokens | None = None


@dataclass(slots=True, frozen=True)
class RenderedEmail:
    message_id: str  # with its angle brackets, as in the header
    from_addr: str
    to: str
    subject: str
    text: str
    html: str
    date: str
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe, ...
    unsubscribe_url: str | None = None
    calendar: str | None = None  # an iCalendar invitation (payload.ics), RFC 5545 text
    calendar_method: str = "REQUEST"

    def mime(self) -> EmailMessage:
        """The multipart/alternative message (text first, then HTML)."""
        msg = EmailMessage()
        msg["From"] = header_address(self.from_addr)
        msg["To"] = header_address(self.to)
        msg["Subject"] = self.subject
        msg["Date"] = self.date
        msg["Message-ID"] = self.message_id
        for name, value in self.headers.items():
            msg[name] = value
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        if self.calendar:  # RFC 6047: the invitation as an alternative and as invite.ics
            msg.add_alternative(
                self.calendar, subtype="calendar", params={"method": self.calendar_method}
            )
            msg.add_attachment(
                self.calendar.encode(), maintype="text", subtype="calendar", filename="invite.ics"
            )
        return msg


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self._href:
            self.parts.append(f" ({self._href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        words = " ".join(data.split())
        lead = " " if data[:1].isspace() else ""
        trail = " " if data[-1:].isspace() and words else ""
        self.parts.append(lead + words + trail)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML document (block elements become line breaks)."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def text_to_html(text: str) -> str:
    """A minimal HTML document showing ``text`` (escaped; blank lines separate paragraphs)."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{body}\n</body></html>"


def is_marketing(message: Message) -> bool:
    return message.payload.get("marketing", True) is not False


def _html_footer(postal: str, url: str) -> str:
    address = "<br>".join(html.escape(line.strip()) for line in postal.splitlines())
    return (
        '\n<hr><p style="font-size:12px;color:#666">'
        f"{address}<br>\n"
        f'<a href="{html.escape(url, quote=True)}">Unsubscribe</a> from these e-mails.</p>\n'
    )


def _with_html_footer(markup: str, footer: str) -> str:
    at = markup.lower().rfind("</body>")
    return markup + footer if at < 0 else markup[:at] + footer + markup[at:]


def _unsubscribe(
    message: Message, identity: EmailIdentity, tenant_id: str, now: float
) -> tuple[str, str]:
    """(postal address, unsubscribe URL) for a marketing e-mail; EmailRefused when missing."""
    if not identity.postal_address or not identity.postal_address.strip():
        raise EmailRefused(
            "marketing e-mail needs the sender's postal address: set LEADFLOW_EMAIL_POSTAL_ADDRESS"
        )
    if not identity.public_url:
        raise EmailRefused("marketing e-mail needs an unsubscribe link: set LEADFLOW_PUBLIC_URL")
    if identity.tokens is None:
        raise EmailRefused(
            "marketing e-mail needs an unsubscribe link: set LEADFLOW_UNSUBSCRIBE_SECRET"
        )
    if not message.contact_id:
        raise EmailRefused("marketing e-mail needs a contact to unsubscribe")
    who = Subscriber(tenant_id, message.contact_id, "email", message.id)
    token = identity.tokens.issue(who, now)
    return identity.postal_address.strip(), f"{identity.public_url.rstrip('/')}/u/{token}"


def render_email(
    message: Message, identity: EmailIdentity, now: float, tenant_id: str = "default"
) -> RenderedEmail:
    """The e-mail ``message`` becomes; :class:`EmailRefused` saying why it cannot be sent."""
    to = (message.to or "").strip()
    subject = message.subject or ""
    try:
        refuse_line_breaks("the recipient", to)
        refuse_line_breaks("the subject", subject)
        to = split_mailbox(to)[1]
    except ValueError as exc:
        raise EmailRefused(str(exc)) from None
    given_html = message.payload.get("html")
    given_html = given_html if isinstance(given_html, str) and given_html.strip() else None
    text = message.body if message.body and message.body.strip() else None
    if text is None and given_html is None:
        raise EmailRefused("the e-mail has neither a text body nor an HTML body")
    text = text if text is not None else html_to_text(given_html or "")
    markup = given_html if given_html is not None else text_to_html(text)
    headers: dict[str, str] = {}
    url: str | None = None
    if is_marketing(message):
        postal, url = _unsubscribe(message, identity, tenant_id, now)
        text = f"{text.rstrip()}\n\n-- \n{postal}\nUnsubscribe: {url}\n"
        markup = _with_html_footer(markup, _html_footer(postal, url))
        targets = [f"<{url}>"]
        if identity.unsubscribe_mailto:
            mailbox = split_mailbox(identity.unsubscribe_mailto)[1]
            targets.append(f"<mailto:{mailbox}?subject=unsubscribe>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = ONE_CLICK
    domain = domain_of(identity.from_addr)
    return RenderedEmail(
        message_id=(
            outgoing_message_id(message.id, message.idempotency_key, domain)
            if message.id is not None
            else make_msgid(domain=domain)
        ),
        from_addr=identity.from_addr,
        to=to,
        subject=subject,
        text=text,
        html=markup,
        date=formatdate(now, usegmt=True),
        headers=headers,
        unsubscribe_url=url,
        calendar=ics if isinstance(ics := message.payload.get("ics"), str) and ics else None,
        calendar_method=str(message.payload.get("ics_method") or "REQUEST"),
    )
