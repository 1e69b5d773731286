"""Fixed message templates the planner drafts with: short, personal, with the contact's fields
and a fallback for each (``contact.first_name or 'there'``), an opt-out line on texts."""

from __future__ import annotations

HI = "Hi {{ contact.first_name or 'there' }}"
STOP = " Reply STOP to opt out."

SMS: dict[str, str] = {
    "welcome": HI + ", thanks for reaching out! I'm here to help with your move. "
    "What area are you most interested in?" + STOP,
    "follow_up": HI + ", just checking in: any questions I can answer about homes in your "
    "area?" + STOP,
    "listings": HI + ", I found a few homes that match what you're looking for. Want me to "
    "send the details?" + STOP,
    "price_drop": HI + ", good news: a home you might like just dropped in price. Want the "
    "details?" + STOP,
    "confirmation": HI + ", you're all set! Looking forward to our appointment." + STOP,
    "referral": HI + ", hope you're settling in! If a friend is thinking of moving, I'd be "
    "grateful for an introduction." + STOP,
    "checkin": HI + ", how did the showing go? Happy to answer any questions." + STOP,
    "hot": HI + ", I saw you've been looking at homes: do you have 10 minutes today to "
    "talk?" + STOP,
    "preapproval": HI + ", are you pre-approved yet? I can introduce you to a great lender." + STOP,
    "questions": HI + ", do you have any questions so far? I'm happy to help." + STOP,
}
EMAIL: dict[str, tuple[str, str]] = {
    "welcome": (
        "Welcome, {{ contact.first_name or 'friend' }}: let's find your home",
        HI + ",\n\nThanks for getting in touch. I'd love to hear more about what you're looking "
        "for: area, size, budget and timing.\n\nJust reply to this e-mail any time.",
    ),
    "follow_up": (
        "Still looking, {{ contact.first_name or 'friend' }}?",
        HI + ",\n\nI wanted to follow up and see how your search is going. Reply with anything "
        "you'd like me to look into.",
    ),
    "listings": (
        "Homes picked for you, {{ contact.first_name or 'friend' }}",
        HI + ",\n\nHere are a few homes that match what you told me. Reply to book a showing of "
        "any of them.",
    ),
    "market": (
        "Your local market update",
        HI + ",\n\nHere is what moved in your market this month: prices, new listings and "
        "how fast homes are selling. Reply if you'd like a personal estimate.",
    ),
    "thanks": (
        "Thank you, {{ contact.first_name or 'friend' }}!",
        HI + ",\n\nCongratulations on your new home, and thank you for trusting me with it.",
    ),
    "review": (
        "Would you share your experience?",
        HI + ",\n\nIf you were happy working together, a short review would mean a lot.",
    ),
    "anniversary": (
        "Happy home anniversary!",
        HI + ",\n\nIt's been a year since you got the keys. Happy anniversary!",
    ),
    "confirmation": (
        "Your appointment is confirmed",
        HI + ",\n\nYou're all set. Bring a photo ID and your pre-approval letter if you have one.",
    ),
    "cma": (
        "What your home could sell for",
        HI + ",\n\nThanks for thinking of selling with me. I'm preparing a market analysis of "
        "your home and will walk you through it.",
    ),
    "education": (
        "Buying your first home, step by step",
        HI + ",\n\nHere is the next step of buying your first home, in plain words. Reply with "
        "any question.",
    ),
    "preapproval": (
        "Are you pre-approved?",
        HI + ",\n\nA pre-approval makes your offer stronger. Want an introduction to a lender?",
    ),
    "checkin": (
        "Checking in",
        HI + ",\n\nJust checking in: is there anything I can help you with?",
    ),
}
NOTIFY = "{{ contact.first_name or 'A lead' }} {{ contact.last_name or '' }} needs a follow-up."
VOICEMAIL = (
    "Hi {{ contact.first_name or 'there' }}, this is your agent returning your inquiry. "
    "Call or text me back any time."
)


def sms_body(purpose: str | None) -> str:
    return SMS.get(purpose or "", SMS["follow_up"])


def email_parts(purpose: str | None, series: int | None = None) -> tuple[str, str]:
    subject, body = EMAIL.get(purpose or "", EMAIL["follow_up"])
    if series:
        subject = f"{subject} ({series})"
    return subject, body
