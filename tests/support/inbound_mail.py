"""Replies as a lead's mail client sends them: full RFC 5322 messages (for IMAP and Inbound
Parse's raw mode) and Inbound Parse's parsed form fields, built with :mod:`email`."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

QUOTE = (
    "\n\nOn Mon, Mar 2, 2026 at 10:15 AM Acme Realty <agent@acme.example> wrote:\n\n"
    "> Hi Jane,\n>\n> Three new listings match your search.\n"
)


def reply_mime(
    sender: str,
    text: str,
    *,
    to: str = "replies@acme.example",
    subject: str = "Re: Homes near Jane",
    in_reply_to: str | None = None,
    references: str | None = None,
    message_id: str = "<reply-1@mail.example.com>",
    headers: dict[str, str] | None = None,
    charset: str = "utf-8",
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(1_750_000_000, usegmt=True)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text, charset=charset)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def parse_fields(
    sender: str,
    text: str,
    *,
    to: str = "replies@acme.example",
    subject: str = "Re: Homes near Jane",
    in_reply_to: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Inbound Parse's default ("parsed") fields for a reply, as SendGrid posts them."""
    lines = [
        "Received: from mail.example.com by mx.sendgrid.net",
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "Message-ID: <reply-parsed-1@mail.example.com>",
        "MIME-Version: 1.0",
    ]
    if in_reply_to:
        lines += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    lines += [f"{k}: {v}" for k, v in (extra_headers or {}).items()]
    return {
        "headers": "\n".join(lines) + "\n",
        "from": sender,
        "to": to,
        "subject": subject,
        "text": text,
        "html": "<div>" + text.replace("\n", "<br>") + "</div>",
        "envelope": json.dumps({"to": [to.split("<")[-1].rstrip(">")], "from": "bounce@x"}),
        "charsets": json.dumps(
            {"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "text": "UTF-8", "html": "UTF-8"}
        ),
        "attachments": "0",
        "sender_ip": "203.0.113.9",
        "spam_score": "0.1",
        "SPF": "pass",
        "dkim": "{@example.com : pass}",
    }
