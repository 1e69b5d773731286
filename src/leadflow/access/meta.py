"""Meta (Facebook) integration: a tenant's pages (admins register a page with its page access
token; the token is never shown back, only its last four characters) and the page webhook
(Messenger messages and Lead Ads leads), routed to the tenant owning each entry's page.

A page belongs to one tenant: registering a page another tenant has is a 409 that says only that
it is taken; another tenant's page is a 404 when removed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from leadflow.access.scope import ADMIN, require_role
from leadflow.channels import meta_inbound, meta_signature
from leadflow.channels.meta_graph import GraphClient
from leadflow.errors import Conflict, Forbidden, InvalidInput, NotFound, ProviderError
from leadflow.model.meta import MetaPage
from leadflow.settings import Settings
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal
from leadflow.webhooks import meta_leads

log = logging.getLogger("leadflow.meta")
# Meta signs no time: a signed body is refused again for ten minutes (the installation's replay
# memory); after that its messages (by mid) and leads (by leadgen id) are recorded once anyway.
REPLAY_KEEP_S = 600.0


def _page_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 64 or not value.isdigit():
        raise InvalidInput("page_id: must be the page's numeric id")
    return value


def add_page(
    store: Store,
    principal: Principal,
    page_id: str,
    access_token: str,
    now: float,
    name: str | None = None,
) -> MetaPage:
    tenant = require_role(principal, ADMIN, "registering Facebook pages")
    page_id = _page_id(page_id)
    token = access_token.strip()
    if len(token) < 8 or any(ch.isspace() for ch in token):
        raise InvalidInput("access_token: must be the page access token (no spaces)")
    owner = store.save_meta_page(MetaPage(page_id, tenant, name, token), now)
    if owner != tenant:
        raise Conflict(f"page {page_id} is registered already")
    found = store.meta_page(page_id)
    assert found is not None
    return found


def pages(store: Store, principal: Principal) -> list[MetaPage]:
    return store.list_meta_pages(require_role(principal, ADMIN, "listing Facebook pages"))


def remove_page(store: Store, principal: Principal, page_id: str) -> None:
    tenant = require_role(principal, ADMIN, "removing Facebook pages")
    if not store.remove_meta_page(tenant, page_id):
        raise NotFound(f"page {page_id} not found")


def token_hint(page: MetaPage) -> str:
    """What may be shown of a page access token."""
    return "…" + page.access_token[-4:]


# ---------------------------------------------------------------- the webhook


def subscription_challenge(
    settings: Settings, mode: str | None, token: str | None, challenge: str | None
) -> str:
    """Meta's GET check: the challenge when the verify token is right; Forbidden otherwise."""
    secret = settings.meta_verify_token
    answer = meta_signature.challenge(
        secret.get_secret_value() if secret else None, mode, token, challenge
    )
    if answer is None:
        log.warning("meta webhook verification refused (mode %r)", (mode or "")[:20])
        raise Forbidden("hub.verify_token does not match")
    return answer


@dataclass(slots=True)
class Received:
    """What one webhook post did."""

    messages: int = 0
    leads: int = 0
    duplicate_leads: int = 0
    dropped: int = 0  # entries of pages no tenant registered
    failed: list[str] = field(default_factory=list)  # leads the Graph API could not give now
    rejected: list[str] = field(default_factory=list)  # leads that cannot be recorded (malformed)


def check_signature(
    store: Store, settings: Settings, header: str | None, body: bytes, now: float
) -> str:
    """The replay digest of a post signed by the app, seen for the first time; Forbidden for a
    missing, forged or replayed signature (logged without the body or the secret)."""
    secret = settings.meta_app_secret
    try:
        signature = meta_signature.verify(
            secret.get_secret_value() if secret else None, header, body
        )
        digest = meta_signature.replay_digest(signature)
        if not store.remember_signature(digest, now, REPLAY_KEEP_S):
            raise meta_signature.BadSignature("the same signed body was received before (replay)")
    except meta_signature.BadSignature as exc:
        log.warning("meta webhook refused: %s", exc)
        raise Forbidden(f"a valid {meta_signature.HEADER} header is required") from None
    return digest


def receive(store: Store, graph: GraphClient, body: bytes, now: float) -> Received:
    """Record a signed post's messages and leads for the tenants owning their pages. A lead
    the Graph API cannot give now is listed in ``failed``, a malformed one in ``rejected`` (both
    logged by leadgen id only) while the rest is recorded."""
    parsed = meta_inbound.parse(body, now)
    done = Received()
    for message in parsed.messages:
        page = store.meta_page(message.page_id)
        if page is None:
            log.warning(
                "meta message for page %s dropped: no tenant has that page", message.page_id
            )
            done.dropped += 1
            continue
        meta_inbound.record_message(store, page.tenant_id, message, now)
        done.messages += 1
    for change in parsed.leads:
        page = store.meta_page(change.page_id)
        if page is None:
            log.warning("meta lead for page %s dropped: no tenant has that page", change.page_id)
            done.dropped += 1
            continue
        try:
            got = meta_leads.record_lead(store, graph, page, change, now)
        except ProviderError as exc:
            log.warning("lead ads lead %s not recorded: %s", change.leadgen_id, exc)
            (done.failed if exc.retryable else done.rejected).append(change.leadgen_id)
            continue
        except InvalidInput as exc:
            log.warning("lead ads lead %s rejected: %s", change.leadgen_id, exc)
            done.rejected.append(change.leadgen_id)
            continue
        if got is None:
            done.duplicate_leads += 1
        else:
            done.leads += 1
    return done
