"""What both e-mail providers (SMTP and SendGrid) share: which tenant a message belongs to and
the identity it is sent under (the tenant's own From, when it registered one)."""

from __future__ import annotations

from dataclasses import replace

from leadflow.channels.email_render import EmailIdentity, RenderedEmail, render_email
from leadflow.channels.senders import TenantSenders
from leadflow.model.records import DEFAULT_TENANT, Message
from leadflow.store.contract import Store


class TenantEmailProvider:
    """A base of the e-mail providers: ``identity``, ``senders`` and ``store``, and the
    rendering of a message for its tenant."""

    def __init__(
        self, identity: EmailIdentity, store: Store, senders: TenantSenders | None
    ) -> None:
        self.identity = identity
        self.senders = senders  # None: every e-mail from identity.from_addr
        self.store = store

    def _identity(self, tenant_id: str) -> EmailIdentity:
        """The identity with the tenant's own From, when it has one."""
        sender = self.senders.email(tenant_id) if self.senders is not None else None
        return replace(self.identity, from_addr=sender) if sender else self.identity

    def _tenant(self, message: Message) -> str:
        contact = self.store.get_contact(message.contact_id) if message.contact_id else None
        return contact.tenant_id if contact is not None else DEFAULT_TENANT

    def _render(self, message: Message, now: float) -> RenderedEmail:
        """The message rendered for its tenant, under the tenant's identity."""
        tenant = self._tenant(message)
        return render_email(message, self._identity(tenant), now, tenant)
