"""Messenger (and Instagram messaging) through Meta's Send API, as a
:class:`~leadflow.engine.ports.Provider`.

A message's ``to`` is the recipient's page-scoped id (PSID) and its payload names the page
(``page_id``), the ``messaging_type`` (RESPONSE, UPDATE or MESSAGE_TAG) and the ``tag``. The
request is ``POST /{version}/{page-id}/messages`` with the page's access token (from the
tenant's registered page); Meta's ``message_id`` is the provider id. The 24-hour standard
messaging window is judged by the compliance policy before the send; Meta's own refusal of a
send outside it (code 10, subcode 2018278) or to a person no longer reachable (551) fails the
message for good. The Send API takes no idempotency key and cannot be asked about a send, so
:meth:`MessengerProvider.lookup` answers None (at-least-once after a crash, as for Twilio).
"""

from __future__ import annotations

from typing import Any

import httpx

from leadflow.channels.meta_graph import GraphClient, GraphError, send_error
from leadflow.channels.provider_factory import ProviderContext, ProviderFactory
from leadflow.engine.ports import Provider, SendResult
from leadflow.errors import ProviderError
from leadflow.model.meta import MESSAGE_TAGS, MESSAGING_TYPES
from leadflow.model.records import Message
from leadflow.settings import Settings
from leadflow.store.contract_meta import MetaStore


def send_request(message: Message) -> tuple[str, dict[str, Any]]:
    """(page id, the Send API's JSON body) for ``message``; ProviderError when it cannot be
    sent as it is (no recipient, no page, an unknown messaging type or tag)."""
    payload = message.payload or {}
    page_id = payload.get("page_id")
    if not message.to:
        raise ProviderError("messenger: the message has no recipient (PSID)", retryable=False)
    if not isinstance(page_id, str) or not page_id:
        raise ProviderError("messenger: the message names no page", retryable=False)
    messaging_type = str(payload.get("messaging_type") or "RESPONSE")
    if messaging_type not in MESSAGING_TYPES:
        raise ProviderError(
            f"messenger: unknown messaging_type {messaging_type!r}", retryable=False
        )
    body: dict[str, Any] = {
        "recipient": {"id": message.to},
        "messaging_type": messaging_type,
        "message": {"text": message.body or ""},
    }
    if messaging_type == "MESSAGE_TAG":
        tag = payload.get("tag")
        if tag not in MESSAGE_TAGS:
            raise ProviderError(f"messenger: tag {tag!r} is not allowed", retryable=False)
        body["tag"] = tag
    return page_id, body


class MessengerProvider:
    """Sends through the Send API with the page access token of the message's page."""

    name = "meta"

    def __init__(self, store: MetaStore, graph: GraphClient) -> None:
        self.store = store
        self.graph = graph

    def send(self, message: Message, now: float) -> SendResult:
        page_id, body = send_request(message)
        page = self.store.meta_page(page_id)
        if page is None:
            raise ProviderError(f"messenger: page {page_id} is not registered", retryable=False)
        try:
            answer = self.graph.send_message(page.page_id, page.access_token, body)
        except (GraphError, httpx.HTTPError) as exc:
            raise send_error(exc) from None
        mid = answer.get("message_id")
        if not isinstance(mid, str) or not mid:
            raise ProviderError("messenger: Meta accepted the message but gave no message_id")
        return SendResult(provider_id=mid, status="sent")

    def lookup(self, idempotency_key: str) -> SendResult | None:
        """Always None: the Send API cannot be asked about a send by an idempotency key."""
        return None

    def close(self) -> None:
        self.graph.close()


def graph_client(settings: Settings) -> GraphClient:
    return GraphClient(
        settings.meta_graph_base, settings.meta_graph_version, settings.meta_timeout_s
    )


def messenger_provider(settings: Settings, store: MetaStore) -> Provider | None:
    """The Messenger provider the settings ask for (None: the sandbox sends Messenger messages).
    A builder function, so the provider can be named by an entry point."""
    if settings.messenger_provider != "meta":
        return None
    return MessengerProvider(store, graph_client(settings))


def _build(context: ProviderContext, channel: str) -> Provider:
    return MessengerProvider(context.store, graph_client(context.settings))


META = ProviderFactory("meta", frozenset({"messenger"}), _build)
"""Meta's Send API for the ``messenger`` channel (``LEADFLOW_MESSENGER_PROVIDER=meta``)."""
